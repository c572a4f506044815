//! `ApplicationService`: each method parses its request into a command, runs the use case in
//! `service::applications`, and converts the answer. The rules and the transaction live there.

mod appeals;
mod commands;
pub mod confirmation;

use super::convert::{application_to_proto, checklist_to_proto, date_to_proto};
use super::{Rpc, handle, handle_evaluated, handle_listing, next_page, parse_name};
use crate::domain::admission::Assessment;
use crate::domain::ids::ApplicationId;
use crate::error::ApiError;
use crate::pb::rpc::application_service as rpc;
use crate::pb::{self, application_service_server::ApplicationService};
use crate::service::applications::{self as use_case, Evaluated};
use crate::state::AppState;
use commands::{
    check_command, decide_command, list_query, required_command, submit_command, withdraw_command,
};
use tonic::{Request, Response, Status};

const SUBMIT: Rpc = Rpc::change(rpc::SUBMIT_APPLICATION);
const GET: Rpc = Rpc::read(rpc::GET_APPLICATION);
const LIST: Rpc = Rpc::read(rpc::LIST_APPLICATIONS);
const CHECK: Rpc = Rpc::read(rpc::CHECK_DOCUMENTS);
const DECIDE: Rpc = Rpc::change(rpc::DECIDE_APPLICATION);
const WITHDRAW: Rpc = Rpc::change(rpc::WITHDRAW_APPLICATION);
const FILE_APPEAL: Rpc = Rpc::change(rpc::FILE_APPEAL);
const DECIDE_APPEAL: Rpc = Rpc::change(rpc::DECIDE_APPEAL);
const LIST_APPEALS: Rpc = Rpc::read(rpc::LIST_APPEALS);
const REQUIRED: Rpc = Rpc::read(rpc::LIST_REQUIRED_DOCUMENTS);
const VERIFY_SIGNATURES: Rpc = Rpc::read(rpc::VERIFY_APPLICANT_SIGNATURES);

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
        handle(&self.state, request, SUBMIT, async |call, req| {
            let command = submit_command(call, &req)?;
            use_case::submit(&self.state, call, command, application_to_proto).await
        })
        .await
    }

    async fn get_application(
        &self,
        request: Request<pb::GetApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        handle(&self.state, request, GET, async |call, req| {
            let id = parse_name::<ApplicationId>("name", &req.name)
                .map_err(|e| ApiError::InvalidArgument(vec![e]))?;
            let row = use_case::get(&self.state, call, id).await?;
            Ok(application_to_proto(&row, self.state.clock.today()))
        })
        .await
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        handle_listing(
            &self.state,
            request,
            LIST,
            persons_listed,
            async |call, req| {
                let query = list_query(&req)?;
                let limit = query.limit;
                let mut rows = use_case::list(&self.state, call, query).await?;
                let next_page_token = next_page(&mut rows, limit, |r| r.id.to_string());
                let today = self.state.clock.today();
                Ok(pb::ListApplicationsResponse {
                    applications: rows
                        .iter()
                        .map(|r| application_to_proto(r, today))
                        .collect(),
                    next_page_token,
                })
            },
        )
        .await
    }

    async fn check_documents(
        &self,
        request: Request<pb::CheckDocumentsRequest>,
    ) -> Result<Response<pb::CheckDocumentsResponse>, Status> {
        handle_evaluated(&self.state, request, CHECK, async |call, req| {
            let submission = check_command(call, &req)?;
            let evaluated = use_case::check_documents(&self.state, call, &submission).await?;
            Ok(Evaluated {
                answer: check_response(&evaluated.answer),
                persons: evaluated.persons,
            })
        })
        .await
    }

    async fn list_required_documents(
        &self,
        request: Request<pb::ListRequiredDocumentsRequest>,
    ) -> Result<Response<pb::ListRequiredDocumentsResponse>, Status> {
        handle_evaluated(&self.state, request, REQUIRED, async |call, req| {
            let command = required_command(call, &req, self.state.clock.today())?;
            let Evaluated {
                answer: (checklist, labels),
                persons,
            } = use_case::required_documents(&self.state, call, command).await?;
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
        })
        .await
    }

    async fn decide_application(
        &self,
        request: Request<pb::DecideApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        handle(&self.state, request, DECIDE, async |call, req| {
            let command = decide_command(&req)?;
            use_case::decide(&self.state, call, command, application_to_proto).await
        })
        .await
    }

    async fn withdraw_application(
        &self,
        request: Request<pb::WithdrawApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        handle(&self.state, request, WITHDRAW, async |call, req| {
            let command = withdraw_command(&req)?;
            use_case::withdraw(&self.state, call, command, application_to_proto).await
        })
        .await
    }

    async fn file_appeal(
        &self,
        request: Request<pb::FileAppealRequest>,
    ) -> Result<Response<pb::Appeal>, Status> {
        handle(&self.state, request, FILE_APPEAL, async |call, req| {
            let command = appeals::file_command(&req)?;
            let today = self.state.clock.today();
            let present = |row: &_| appeals::appeal_to_proto(row, today);
            use_case::appeal::file(&self.state, call, command, present).await
        })
        .await
    }

    async fn decide_appeal(
        &self,
        request: Request<pb::DecideAppealRequest>,
    ) -> Result<Response<pb::Appeal>, Status> {
        handle(&self.state, request, DECIDE_APPEAL, async |call, req| {
            let command = appeals::decide_command(&req)?;
            let today = self.state.clock.today();
            let present = |row: &_| appeals::appeal_to_proto(row, today);
            use_case::appeal::decide(&self.state, call, command, present).await
        })
        .await
    }

    async fn verify_applicant_signatures(
        &self,
        request: Request<pb::VerifyApplicantSignaturesRequest>,
    ) -> Result<Response<pb::VerifyApplicantSignaturesResponse>, Status> {
        handle(
            &self.state,
            request,
            VERIFY_SIGNATURES,
            async |call, req| {
                let id = parse_name::<ApplicationId>("name", &req.name)
                    .map_err(|e| ApiError::InvalidArgument(vec![e]))?;
                let acts = crate::service::confirmation::verify_acts(&self.state, call, id).await?;
                Ok(pb::VerifyApplicantSignaturesResponse {
                    acts: acts.iter().map(confirmation::act_to_proto).collect(),
                })
            },
        )
        .await
    }

    async fn list_appeals(
        &self,
        request: Request<pb::ListAppealsRequest>,
    ) -> Result<Response<pb::ListAppealsResponse>, Status> {
        handle(&self.state, request, LIST_APPEALS, async |call, req| {
            let limit = appeals::list_limit(&req)?;
            let rows =
                use_case::appeal::pending(&self.state, call, req.overdue_only, limit).await?;
            let today = self.state.clock.today();
            Ok(pb::ListAppealsResponse {
                appeals: rows
                    .iter()
                    .map(|row| appeals::appeal_to_proto(row, today))
                    .collect(),
            })
        })
        .await
    }
}
