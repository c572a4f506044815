//! `ApplicationService`: each method parses its request into a command, runs the use case in
//! `service::applications`, and converts the answer. The rules and the transaction live there.

use super::convert::{
    application_to_proto, checklist_to_proto, date_from_proto, date_to_proto, details_from_proto,
    documents_from_proto, procedure_from_proto, state_from_proto,
};
use super::{
    Fields, caller, decode_page_token, next_page, page_size, parse_name, parse_request_id, respond,
};
use crate::domain::admission::{Assessment, People, Submission};
use crate::domain::caller::Caller;
use crate::domain::details::{FamilyMember, Relation};
use crate::domain::procedure::Procedure;
use crate::domain::records::PersonRecords;
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pb::{self, application_service_server::ApplicationService};
use crate::service::applications::{
    self as use_case, Approval, Decide, ListQuery, RequiredFor, Submit, Verdict, Withdraw,
    ensure_may_submit,
};
use crate::service::mutation::Idempotency;
use crate::state::AppState;
use tonic::{Request, Response, Status};
use uuid::Uuid;

const SUBMIT: &str = crate::pb::rpc::application_service::SUBMIT_APPLICATION;
const GET: &str = crate::pb::rpc::application_service::GET_APPLICATION;
const LIST: &str = crate::pb::rpc::application_service::LIST_APPLICATIONS;
const CHECK: &str = crate::pb::rpc::application_service::CHECK_DOCUMENTS;
const DECIDE: &str = crate::pb::rpc::application_service::DECIDE_APPLICATION;
const WITHDRAW: &str = crate::pb::rpc::application_service::WITHDRAW_APPLICATION;

pub struct ApplicationApi {
    state: AppState,
}

impl ApplicationApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The procedure named by a request's details, before anything else is validated, so that
/// permission is checked first.
fn requested_procedure(details: Option<&pb::ApplicationDetails>) -> Option<Procedure> {
    use pb::application_details::Procedure as P;
    Some(match details?.procedure.as_ref()? {
        P::IinAssignment(_) => Procedure::IinAssignment,
        P::KandasStatusAssignment(_) => Procedure::KandasStatusAssignment,
        P::KandasStatusExtension(_) => Procedure::KandasStatusExtension,
        P::PermanentResidencePermit(_) => Procedure::PermanentResidencePermit,
        P::ResidencePermitCard(_) => Procedure::ResidencePermitCard,
        P::StatelessPersonCertificate(_) => Procedure::StatelessPersonCertificate,
        P::ResidenceRegistration(_) => Procedure::ResidenceRegistration,
        P::SimplifiedCitizenship(_) => Procedure::SimplifiedCitizenship,
        P::RegionalQuotaInclusion(_) => Procedure::RegionalQuotaInclusion,
    })
}

/// A submission's applicant, details and documents, with every malformed field collected.
fn parse_submission(
    applicant: &str,
    details: Option<&pb::ApplicationDetails>,
    documents: &[pb::Document],
    fields: &mut Fields,
) -> Option<Submission> {
    let applicant = fields.check(parse_name("applicant", applicant, "persons"));
    let details = details_from_proto("details", details, fields);
    let documents = documents_from_proto(documents, fields);
    if let (Some(applicant), Some(details)) = (applicant, &details)
        && details.family().iter().any(|m| m.person_id == applicant)
    {
        fields.push(FieldError::new(
            "details",
            "the applicant is not listed again as a family member",
        ));
    }
    for (i, document) in documents.iter().enumerate() {
        if let (Some(holder), Some(details)) = (document.holder, &details)
            && !details.family().iter().any(|m| m.person_id == holder)
        {
            fields.push(FieldError::new(
                format!("documents[{i}].holder"),
                "must be empty (the applicant) or a family member of this application",
            ));
        }
    }
    Some(Submission {
        applicant: applicant?,
        details: details?,
        documents,
    })
}

fn submit_command(caller: &Caller, req: &pb::SubmitApplicationRequest) -> ApiResult<Submit> {
    if let Some(procedure) = requested_procedure(req.details.as_ref()) {
        ensure_may_submit(caller, procedure)?;
    }
    let mut fields = Fields::new();
    let request_id = fields.check(parse_request_id(&req.request_id));
    let submission = parse_submission(
        &req.applicant,
        req.details.as_ref(),
        &req.documents,
        &mut fields,
    );
    fields.finish()?;
    let (Some(request_id), Some(submission)) = (request_id, submission) else {
        return Err(super::lost_field());
    };
    Ok(Submit {
        key: Idempotency::new(SUBMIT, request_id, req),
        submission,
    })
}

fn check_command(caller: &Caller, req: &pb::CheckDocumentsRequest) -> ApiResult<Submission> {
    if let Some(procedure) = requested_procedure(req.details.as_ref()) {
        ensure_may_submit(caller, procedure)?;
    }
    let mut fields = Fields::new();
    let submission = parse_submission(
        &req.applicant,
        req.details.as_ref(),
        &req.documents,
        &mut fields,
    );
    fields.finish()?;
    submission.ok_or_else(super::lost_field)
}

fn relation_from(value: i32) -> Relation {
    match pb::Relation::try_from(value) {
        Ok(pb::Relation::Spouse) => Relation::Spouse,
        Ok(pb::Relation::Child) => Relation::Child,
        Ok(pb::Relation::Parent) => Relation::Parent,
        _ => Relation::Other,
    }
}

fn required_command(
    caller: &Caller,
    req: &pb::ListRequiredDocumentsRequest,
    today: chrono::NaiveDate,
) -> ApiResult<RequiredFor> {
    let procedure = requested_procedure(req.details.as_ref()).ok_or_else(|| {
        ApiError::field("details", "required: the typed details of one procedure")
    })?;
    ensure_may_submit(caller, procedure)?;
    let mut fields = Fields::new();
    if !req.applicant.is_empty() {
        let applicant = fields.check(parse_name("applicant", &req.applicant, "persons"));
        let details = details_from_proto("details", req.details.as_ref(), &mut fields);
        fields.finish()?;
        let (Some(applicant), Some(details)) = (applicant, details) else {
            return Err(super::lost_field());
        };
        return Ok(RequiredFor::Registered { applicant, details });
    }
    // Described, not registered: stand-in records carry the ages that matter.
    let description = req.description.clone().unwrap_or_default();
    let mut birth_date = |field: String, date: Option<&pb::Date>| {
        fields
            .check(date_from_proto(&field, date))
            .flatten()
            .unwrap_or(today)
    };
    let mut applicant = PersonRecords::new(
        Uuid::nil(),
        birth_date(
            "description.birth_date".into(),
            description.birth_date.as_ref(),
        ),
    );
    applicant.ethnic_kazakh = description.ethnic_kazakh;
    let mut family = Vec::new();
    let mut labels = Vec::new();
    for (i, member) in description.family.iter().enumerate() {
        let id = Uuid::from_u128(i as u128 + 1);
        let birth = birth_date(
            format!("description.family[{i}].birth_date"),
            member.birth_date.as_ref(),
        );
        labels.push((id, format!("family[{i}]")));
        family.push((
            FamilyMember {
                person_id: id,
                relation: relation_from(member.relation),
            },
            PersonRecords::new(id, birth),
        ));
    }
    let details = details_from_proto("details", req.details.as_ref(), &mut fields);
    fields.finish()?;
    let Some(mut details) = details else {
        return Err(super::lost_field());
    };
    // The described family replaces any listed in the details.
    details.replace_family(family.iter().map(|(m, _)| m.clone()).collect());
    Ok(RequiredFor::Described {
        people: Box::new(People { applicant, family }),
        details,
        labels,
    })
}

fn list_query(req: &pb::ListApplicationsRequest) -> ApiResult<ListQuery> {
    let mut fields = Fields::new();
    let limit = fields.check(page_size(req.page_size)).unwrap_or(0);
    let after = fields
        .check(decode_page_token(&req.page_token))
        .flatten()
        .and_then(|key| Uuid::parse_str(&key).ok());
    let mut procedures: Option<Vec<Procedure>> = match req.procedure {
        0 => None,
        v => match procedure_from_proto(v) {
            Some(p) => Some(vec![p]),
            None => {
                fields.push(FieldError::new("procedure", "not a Procedure"));
                None
            }
        },
    };
    if !req.decided_by_role.is_empty() {
        match Role::parse(&req.decided_by_role) {
            Some(role) => {
                let decided: Vec<Procedure> = Procedure::ALL
                    .into_iter()
                    .filter(|p| p.decider() == role)
                    .collect();
                procedures = Some(match procedures {
                    Some(given) => given.into_iter().filter(|p| decided.contains(p)).collect(),
                    None => decided,
                });
            }
            None => fields.push(FieldError::new(
                "decided_by_role",
                "not a role, e.g. `police`",
            )),
        }
    }
    let state = match req.state {
        0 => None,
        v => state_from_proto(v).or_else(|| {
            fields.push(FieldError::new("state", "not an Application.State"));
            None
        }),
    };
    let applicant = if req.applicant.is_empty() {
        None
    } else {
        fields.check(parse_name("applicant", &req.applicant, "persons"))
    };
    fields.finish()?;
    Ok(ListQuery {
        procedures,
        state,
        applicant,
        overdue_only: req.overdue_only,
        after,
        limit,
    })
}

fn decide_command(req: &pb::DecideApplicationRequest) -> ApiResult<Decide> {
    use pb::decide_application_request::Decision;
    let mut fields = Fields::new();
    let request_id = fields.check(parse_request_id(&req.request_id));
    let id = fields.check(parse_name("name", &req.name, "applications"));
    let verdict = match &req.decision {
        None => {
            fields.push(FieldError::new("decision", "required: approve or refuse"));
            None
        }
        Some(Decision::Refuse(refusal)) => {
            let code_ok = !refusal.reason_code.is_empty()
                && refusal.reason_code.len() <= 64
                && refusal
                    .reason_code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !code_ok {
                fields.push(FieldError::new(
                    "refuse.reason_code",
                    "required: UPPER_SNAKE_CASE, at most 64 characters",
                ));
            }
            if refusal.reason_text.trim().is_empty() || refusal.reason_text.chars().count() > 2000 {
                fields.push(FieldError::new(
                    "refuse.reason_text",
                    "required: the reason in words, at most 2000 characters",
                ));
            }
            Some(Verdict::Refuse {
                code: refusal.reason_code.clone(),
                text: refusal.reason_text.clone(),
            })
        }
        Some(Decision::Approve(approval)) => Some(Verdict::Approve(Approval {
            rent_mci: approval.rent_mci,
            housing_cost_tenge: approval.housing_cost_tenge,
        })),
    };
    fields.finish()?;
    let (Some(request_id), Some(application), Some(verdict)) = (request_id, id, verdict) else {
        return Err(super::lost_field());
    };
    Ok(Decide {
        key: Idempotency::new(DECIDE, request_id, req),
        application,
        etag: req.etag.clone(),
        verdict,
    })
}

fn withdraw_command(req: &pb::WithdrawApplicationRequest) -> ApiResult<Withdraw> {
    let mut fields = Fields::new();
    let request_id = fields.check(parse_request_id(&req.request_id));
    let id = fields.check(parse_name("name", &req.name, "applications"));
    if req.reason.chars().count() > 2000 {
        fields.push(FieldError::new("reason", "at most 2000 characters"));
    }
    fields.finish()?;
    let (Some(request_id), Some(application)) = (request_id, id) else {
        return Err(super::lost_field());
    };
    Ok(Withdraw {
        key: Idempotency::new(WITHDRAW, request_id, req),
        application,
        etag: req.etag.clone(),
    })
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

/// The audit subject of a call about `name`, bounded so a hostile value cannot bloat the log.
fn subject(name: &str) -> String {
    name.chars().take(64).collect()
}

#[tonic::async_trait]
impl ApplicationService for ApplicationApi {
    async fn submit_application(
        &self,
        request: Request<pb::SubmitApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = match submit_command(&caller, &req) {
            Ok(command) => {
                use_case::submit(&self.state, &caller, command, application_to_proto).await
            }
            Err(error) => Err(error),
        };
        // A refused submission concerns the applicant: the audit names them.
        let subject = result
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_else(|_| subject(&req.applicant));
        let request_id = req.request_id;
        respond(
            &self.state,
            &caller,
            SUBMIT,
            &subject,
            &request_id,
            false,
            result,
        )
        .await
    }

    async fn get_application(
        &self,
        request: Request<pb::GetApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = match parse_name("name", &req.name, "applications") {
            Ok(id) => use_case::get(&self.state, id)
                .await
                .map(|row| application_to_proto(&row, self.state.clock.today())),
            Err(e) => Err(ApiError::InvalidArgument(vec![e])),
        };
        respond(
            &self.state,
            &caller,
            GET,
            &subject(&req.name),
            "",
            true,
            result,
        )
        .await
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = async {
            let query = list_query(&req)?;
            let limit = query.limit;
            let mut rows = use_case::list(&self.state, query).await?;
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
        let subject = if req.applicant.is_empty() {
            "applications".to_string()
        } else {
            subject(&req.applicant)
        };
        respond(&self.state, &caller, LIST, &subject, "", true, result).await
    }

    async fn check_documents(
        &self,
        request: Request<pb::CheckDocumentsRequest>,
    ) -> Result<Response<pb::CheckDocumentsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = match check_command(&caller, &req) {
            Ok(submission) => use_case::check_documents(&self.state, &submission)
                .await
                .map(|assessment| check_response(&assessment)),
            Err(error) => Err(error),
        };
        respond(
            &self.state,
            &caller,
            CHECK,
            &subject(&req.applicant),
            "",
            true,
            result,
        )
        .await
    }

    async fn list_required_documents(
        &self,
        request: Request<pb::ListRequiredDocumentsRequest>,
    ) -> Result<Response<pb::ListRequiredDocumentsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.get_ref();
        let command = required_command(&caller, req, self.state.clock.today())?;
        let (checklist, labels) = use_case::required_documents(&self.state, command).await?;
        let checklist = checklist
            .iter()
            .map(|item| {
                let mut proto = checklist_to_proto(item);
                if let Some((_, label)) = labels.iter().find(|(id, _)| Some(*id) == item.holder) {
                    proto.holder = label.clone();
                }
                proto
            })
            .collect();
        Ok(Response::new(pb::ListRequiredDocumentsResponse {
            checklist,
        }))
    }

    async fn decide_application(
        &self,
        request: Request<pb::DecideApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = match decide_command(&req) {
            Ok(command) => {
                use_case::decide(&self.state, &caller, command, application_to_proto).await
            }
            Err(error) => Err(error),
        };
        let subject = subject(&req.name);
        respond(
            &self.state,
            &caller,
            DECIDE,
            &subject,
            &req.request_id,
            false,
            result,
        )
        .await
    }

    async fn withdraw_application(
        &self,
        request: Request<pb::WithdrawApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = match withdraw_command(&req) {
            Ok(command) => {
                use_case::withdraw(&self.state, &caller, command, application_to_proto).await
            }
            Err(error) => Err(error),
        };
        let subject = subject(&req.name);
        respond(
            &self.state,
            &caller,
            WITHDRAW,
            &subject,
            &req.request_id,
            false,
            result,
        )
        .await
    }
}
