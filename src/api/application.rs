//! `ApplicationService`: each method parses its request into a command, runs the use case in
//! `service::applications`, and converts the answer. The rules and the transaction live there.

mod appeals;
mod commands;
pub mod confirmation;

use super::convert::{application_to_proto, checklist_to_proto, date_to_proto};
use super::{next_page, open, parse_name, respond, respond_evaluated, respond_listing};
use crate::domain::admission::Assessment;
use crate::domain::ids::ApplicationId;
use crate::error::ApiError;
use crate::pb::{self, application_service_server::ApplicationService};
use crate::service::applications::{self as use_case, Evaluated};
use crate::state::AppState;
use commands::{
    check_command, decide_command, list_query, required_command, submit_command, withdraw_command,
};
use tonic::{Request, Response, Status};

const SUBMIT: &str = crate::pb::rpc::application_service::SUBMIT_APPLICATION;
const GET: &str = crate::pb::rpc::application_service::GET_APPLICATION;
const LIST: &str = crate::pb::rpc::application_service::LIST_APPLICATIONS;
const CHECK: &str = crate::pb::rpc::application_service::CHECK_DOCUMENTS;
const DECIDE: &str = crate::pb::rpc::application_service::DECIDE_APPLICATION;
const WITHDRAW: &str = crate::pb::rpc::application_service::WITHDRAW_APPLICATION;
const FILE_APPEAL: &str = crate::pb::rpc::application_service::FILE_APPEAL;
const DECIDE_APPEAL: &str = crate::pb::rpc::application_service::DECIDE_APPEAL;
const LIST_APPEALS: &str = crate::pb::rpc::application_service::LIST_APPEALS;
const REQUIRED: &str = crate::pb::rpc::application_service::LIST_REQUIRED_DOCUMENTS;
const VERIFY_SIGNATURES: &str = crate::pb::rpc::application_service::VERIFY_APPLICANT_SIGNATURES;

pub struct ApplicationApi {
    state: AppState,
}

impl ApplicationApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn check_response(assessment: &Assessment) -> pb::CheckDocumentsResponse {
    pb::CheckDocumentsResponse {
        complete: assessment.complete(),
        checklist: assessment
            .checklist
            .iter()
            .map(checklist_to_proto)
            .collect(),
        unmet_prerequisites: assessment
            .unmet
            .iter()
            .map(|u| pb::UnmetPrerequisite {
                code: u.check.code.to_string(),
                description: u.check.description.clone(),
                legal_basis: u.check.legal_basis.to_string(),
                person: u.person.clone(),
                evidence: u.check.evidence.clone().unwrap_or_default(),
                earliest_date: u.check.earliest_date.map(date_to_proto),
            })
            .collect(),
    }
}

/// Everyone whose data a page of applications shows: each applicant and family member.
fn persons_listed(page: &pb::ListApplicationsResponse) -> Vec<String> {
    use pb::application_details::Procedure as P;
    let mut persons = Vec::new();
    for application in &page.applications {
        persons.push(application.applicant.clone());
        let family = match application
            .details
            .as_ref()
            .and_then(|d| d.procedure.as_ref())
        {
            Some(P::KandasStatusAssignment(d)) => &d.family,
            Some(P::PermanentResidencePermit(d)) => &d.family,
            Some(P::ResidenceRegistration(d)) => &d.family,
            Some(P::SimplifiedCitizenship(d)) => &d.family,
            Some(P::RegionalQuotaInclusion(d)) => &d.family,
            _ => continue,
        };
        persons.extend(family.iter().map(|m| m.person.clone()));
    }
    persons
}

#[tonic::async_trait]
impl ApplicationService for ApplicationApi {
    async fn submit_application(
        &self,
        request: Request<pb::SubmitApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let call = open(&self.state, &request, SUBMIT).await?;
        let req = request.into_inner();
        // A refused submission concerns the applicant; an accepted one, its application.
        let call = call.about(&req.applicant).with_request_id(&req.request_id);
        let result = match submit_command(&call, &req) {
            Ok(command) => {
                use_case::submit(&self.state, &call, command, application_to_proto).await
            }
            Err(error) => Err(error),
        };
        respond(&self.state, &call, false, result).await
    }

    async fn get_application(
        &self,
        request: Request<pb::GetApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let call = open(&self.state, &request, GET).await?;
        let req = request.into_inner();
        let call = call.about(&req.name);
        let result = match parse_name::<ApplicationId>("name", &req.name) {
            Ok(id) => use_case::get(&self.state, &call, id)
                .await
                .map(|row| application_to_proto(&row, self.state.clock.today())),
            Err(e) => Err(ApiError::InvalidArgument(vec![e])),
        };
        respond(&self.state, &call, true, result).await
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        let call = open(&self.state, &request, LIST).await?;
        let req = request.into_inner();
        let call = if req.applicant.is_empty() {
            call.about("applications")
        } else {
            call.about(&req.applicant)
        };
        let result = async {
            let query = list_query(&req)?;
            let limit = query.limit;
            let mut rows = use_case::list(&self.state, &call, query).await?;
            let next_page_token = next_page(&mut rows, limit, |r| r.id.to_string());
            let today = self.state.clock.today();
            Ok(pb::ListApplicationsResponse {
                applications: rows
                    .iter()
                    .map(|r| application_to_proto(r, today))
                    .collect(),
                next_page_token,
            })
        }
        .await;
        respond_listing(&self.state, &call, persons_listed, result).await
    }

    async fn check_documents(
        &self,
        request: Request<pb::CheckDocumentsRequest>,
    ) -> Result<Response<pb::CheckDocumentsResponse>, Status> {
        let call = open(&self.state, &request, CHECK).await?;
        let req = request.into_inner();
        let call = call.about(&req.applicant);
        let result = match check_command(&call, &req) {
            Ok(submission) => use_case::check_documents(&self.state, &call, &submission)
                .await
                .map(|evaluated| Evaluated {
                    answer: check_response(&evaluated.answer),
                    persons: evaluated.persons,
                }),
            Err(error) => Err(error),
        };
        respond_evaluated(&self.state, &call, result).await
    }

    async fn list_required_documents(
        &self,
        request: Request<pb::ListRequiredDocumentsRequest>,
    ) -> Result<Response<pb::ListRequiredDocumentsResponse>, Status> {
        let call = open(&self.state, &request, REQUIRED).await?;
        let req = request.get_ref();
        let call = call.about(&req.applicant);
        let result = async {
            let command = required_command(&call, req, self.state.clock.today())?;
            let Evaluated {
                answer: (checklist, labels),
                persons,
            } = use_case::required_documents(&self.state, &call, command).await?;
            let checklist = checklist
                .iter()
                .map(|item| {
                    let mut proto = checklist_to_proto(item);
                    if let Some((_, label)) = labels.iter().find(|(id, _)| Some(*id) == item.holder)
                    {
                        proto.holder = label.clone();
                    }
                    proto
                })
                .collect();
            Ok(Evaluated {
                answer: pb::ListRequiredDocumentsResponse { checklist },
                persons,
            })
        }
        .await;
        respond_evaluated(&self.state, &call, result).await
    }

    async fn decide_application(
        &self,
        request: Request<pb::DecideApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let call = open(&self.state, &request, DECIDE).await?;
        let req = request.into_inner();
        let call = call.about(&req.name).with_request_id(&req.request_id);
        let result = match decide_command(&req) {
            Ok(command) => {
                use_case::decide(&self.state, &call, command, application_to_proto).await
            }
            Err(error) => Err(error),
        };
        respond(&self.state, &call, false, result).await
    }

    async fn withdraw_application(
        &self,
        request: Request<pb::WithdrawApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let call = open(&self.state, &request, WITHDRAW).await?;
        let req = request.into_inner();
        let call = call.about(&req.name).with_request_id(&req.request_id);
        let result = match withdraw_command(&req) {
            Ok(command) => {
                use_case::withdraw(&self.state, &call, command, application_to_proto).await
            }
            Err(error) => Err(error),
        };
        respond(&self.state, &call, false, result).await
    }

    async fn file_appeal(
        &self,
        request: Request<pb::FileAppealRequest>,
    ) -> Result<Response<pb::Appeal>, Status> {
        let call = open(&self.state, &request, FILE_APPEAL).await?;
        let req = request.into_inner();
        let call = call
            .about(&req.application)
            .with_request_id(&req.request_id);
        let today = self.state.clock.today();
        let result = async {
            let command = appeals::file_command(&req)?;
            let present = |row: &_| appeals::appeal_to_proto(row, today);
            use_case::appeal::file(&self.state, &call, command, present).await
        }
        .await;
        respond(&self.state, &call, false, result).await
    }

    async fn decide_appeal(
        &self,
        request: Request<pb::DecideAppealRequest>,
    ) -> Result<Response<pb::Appeal>, Status> {
        let call = open(&self.state, &request, DECIDE_APPEAL).await?;
        let req = request.into_inner();
        let call = call.about(&req.name).with_request_id(&req.request_id);
        let today = self.state.clock.today();
        let result = async {
            let command = appeals::decide_command(&req)?;
            let present = |row: &_| appeals::appeal_to_proto(row, today);
            use_case::appeal::decide(&self.state, &call, command, present).await
        }
        .await;
        respond(&self.state, &call, false, result).await
    }

    async fn verify_applicant_signatures(
        &self,
        request: Request<pb::VerifyApplicantSignaturesRequest>,
    ) -> Result<Response<pb::VerifyApplicantSignaturesResponse>, Status> {
        let call = open(&self.state, &request, VERIFY_SIGNATURES).await?;
        let req = request.into_inner();
        let call = call.about(&req.name);
        let result = async {
            let id = parse_name::<ApplicationId>("name", &req.name)
                .map_err(|e| ApiError::InvalidArgument(vec![e]))?;
            let acts = crate::service::confirmation::verify_acts(&self.state, &call, id).await?;
            Ok(pb::VerifyApplicantSignaturesResponse {
                acts: acts.iter().map(confirmation::act_to_proto).collect(),
            })
        }
        .await;
        respond(&self.state, &call, true, result).await
    }

    async fn list_appeals(
        &self,
        request: Request<pb::ListAppealsRequest>,
    ) -> Result<Response<pb::ListAppealsResponse>, Status> {
        let call = open(&self.state, &request, LIST_APPEALS).await?;
        let req = request.into_inner();
        let call = call.about("appeals");
        let today = self.state.clock.today();
        let result = async {
            let limit = appeals::list_limit(&req)?;
            let rows =
                use_case::appeal::pending(&self.state, &call, req.overdue_only, limit).await?;
            Ok(pb::ListAppealsResponse {
                appeals: rows
                    .iter()
                    .map(|row| appeals::appeal_to_proto(row, today))
                    .collect(),
            })
        }
        .await;
        respond(&self.state, &call, true, result).await
    }
}
