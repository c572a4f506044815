//! `ApplicationService`: submission checked at the door, reads, and decisions.

use super::convert::{
    application_to_proto, checklist_to_proto, documents_from_proto, procedure_from_proto,
    state_from_proto,
};
use super::{
    caller, check_fields, commit_mutation, decode_page_token, encode_page_token, page_size,
    parse_name, parse_request_id, replay_or_claim, respond,
};
use crate::auth::Caller;
use crate::domain::documents::{ChecklistItem, Document, ItemStatus, iin_assignment};
use crate::domain::procedures::{Details, Outcome, Procedure};
use crate::error::{ApiError, ApiResult, FieldError, Violation, failed_precondition};
use crate::pb::{self, application_service_server::ApplicationService};
use crate::state::AppState;
use crate::store::persons::{self, IssueError, PersonRow};
use crate::store::{self, Tx, applications};
use chrono::NaiveDate;
use tonic::{Request, Response, Status};
use uuid::Uuid;

const SUBMIT: &str = "/kandas.v1.ApplicationService/SubmitApplication";
const DECIDE: &str = "/kandas.v1.ApplicationService/DecideApplication";
const WITHDRAW: &str = "/kandas.v1.ApplicationService/WithdrawApplication";

pub struct ApplicationApi {
    state: AppState,
}

/// A submission parsed at the edge: who, what, with which documents.
struct Submission {
    applicant: Uuid,
    details: Details,
    documents: Vec<Document>,
}

/// What the door says about a submission: the checklist and every unmet prerequisite.
struct Assessment {
    checklist: Vec<ChecklistItem>,
    unmet: Vec<Violation>,
}

impl Assessment {
    fn violations(&self) -> Vec<Violation> {
        let documents = self
            .checklist
            .iter()
            .filter(|i| i.is_problem())
            .map(|item| {
                let holder = item
                    .holder
                    .map(|id| super::name_of("persons", id))
                    .unwrap_or_else(|| "applicant".into());
                let (kind, what) = if item.status == ItemStatus::Missing {
                    ("DOCUMENT_MISSING", format!("missing: {}", item.description))
                } else {
                    (
                        "DOCUMENT_INVALID",
                        format!("invalid: {}: {}", item.description, item.detail),
                    )
                };
                Violation::new(
                    kind,
                    format!("{holder}: {}", item.requirement),
                    format!("{what} ({})", item.legal_basis),
                )
            });
        documents.chain(self.unmet.iter().cloned()).collect()
    }

    fn complete(&self) -> bool {
        self.unmet.is_empty() && !self.checklist.iter().any(ChecklistItem::is_problem)
    }
}

fn details_from_proto(
    details: Option<&pb::submit_application_request::Details>,
) -> Option<Details> {
    match details? {
        pb::submit_application_request::Details::IinAssignment(d) => Some(Details::IinAssignment {
            by_representative: d.by_representative,
        }),
    }
}

fn check_details_from_proto(
    details: Option<&pb::check_documents_request::Details>,
) -> Option<Details> {
    match details? {
        pb::check_documents_request::Details::IinAssignment(d) => Some(Details::IinAssignment {
            by_representative: d.by_representative,
        }),
    }
}

/// Only the roles SPEC names may submit each procedure.
fn ensure_may_submit(caller: &Caller, procedure: Procedure) -> ApiResult<()> {
    if procedure.submitters().contains(&caller.role) {
        Ok(())
    } else {
        Err(ApiError::PermissionDenied {
            reason: "ROLE_MAY_NOT_SUBMIT_PROCEDURE",
            message: format!(
                "role `{}` may not submit {} applications",
                caller.role,
                procedure.as_str()
            ),
        })
    }
}

fn parse_submission(
    applicant: &str,
    details: Option<Details>,
    documents: &[pb::Document],
    errors: &mut Vec<FieldError>,
) -> Option<Submission> {
    let applicant = parse_name("applicant", applicant, "persons")
        .map_err(|e| errors.push(e))
        .ok();
    if details.is_none() {
        errors.push(FieldError::new(
            "details",
            "required: the procedure-specific details (e.g. iin_assignment)",
        ));
    }
    let documents = documents_from_proto(documents, errors);
    Some(Submission {
        applicant: applicant?,
        details: details?,
        documents,
    })
}

impl ApplicationApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The one evaluation behind CheckDocuments and SubmitApplication.
    async fn assess(
        &self,
        tx: &mut Tx<'_>,
        person: &PersonRow,
        submission: &Submission,
        today: NaiveDate,
    ) -> ApiResult<Assessment> {
        match &submission.details {
            Details::IinAssignment { by_representative } => {
                let checklist =
                    iin_assignment::checklist(*by_representative, &submission.documents, today);
                let mut unmet = Vec::new();
                if person.iin.is_some() {
                    unmet.push(Violation::new(
                        "IIN_ALREADY_ASSIGNED",
                        "applicant",
                        "the person already holds an IIN; it is never reissued (SPEC 2.1)",
                    ));
                }
                if let Some(open) =
                    applications::open_for(&mut **tx, person.id, Procedure::IinAssignment.as_str())
                        .await?
                {
                    unmet.push(Violation::new(
                        "APPLICATION_ALREADY_OPEN",
                        super::name_of("applications", open),
                        "an IIN application for this person is already waiting for a decision",
                    ));
                }
                Ok(Assessment { checklist, unmet })
            }
        }
    }

    async fn submit(
        &self,
        caller: &Caller,
        req: &pb::SubmitApplicationRequest,
    ) -> ApiResult<pb::Application> {
        let details = details_from_proto(req.details.as_ref());
        if let Some(d) = &details {
            ensure_may_submit(caller, d.procedure())?;
        }
        let mut errors = Vec::new();
        let request_id = parse_request_id(&req.request_id)
            .map_err(|e| errors.push(e))
            .ok();
        let submission = parse_submission(&req.applicant, details, &req.documents, &mut errors);
        check_fields(errors)?;
        let (Some(request_id), Some(submission)) = (request_id, submission) else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "validated request lost a field"
            )));
        };

        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(&mut tx, caller, SUBMIT, request_id, req).await? {
            return Ok(first);
        }
        // The person's row lock orders concurrent submissions for one person.
        let person = persons::get_for_update(&mut tx, submission.applicant)
            .await?
            .ok_or_else(|| ApiError::not_found("applicant"))?;
        let today = self.state.clock.today();
        let assessment = self.assess(&mut tx, &person, &submission, today).await?;
        if !assessment.complete() {
            return Err(failed_precondition(
                "APPLICATION_INCOMPLETE",
                "the application cannot be accepted; every problem is listed in the details",
                assessment.violations(),
            ));
        }
        let procedure = submission.details.procedure();
        let deadline = procedure
            .term()
            .map(|term| self.state.calendar.deadline(today, term));
        let details = serde_json::to_value(&submission.details).map_err(ApiError::internal)?;
        let row = applications::insert(
            &mut tx,
            &applications::NewApplication {
                id: Uuid::now_v7(),
                procedure: procedure.as_str(),
                applicant_id: person.id,
                submitted_by: &caller.client(),
                operator_id: &caller.operator_id,
                submission_date: today,
                deadline: deadline.as_ref().map(|d| d.date),
                deadline_provisional: deadline.as_ref().is_some_and(|d| d.provisional),
                details,
                documents: &submission.documents,
                checklist: &assessment.checklist,
            },
        )
        .await
        .map_err(|e| match store::violated_constraint(&e) {
            Some(applications::ONE_OPEN_IIN) => failed_precondition(
                "APPLICATION_ALREADY_OPEN",
                "an IIN application for this person is already waiting for a decision",
                vec![Violation::new(
                    "APPLICATION_ALREADY_OPEN",
                    "applicant",
                    "one open IIN application per person",
                )],
            ),
            _ => e.into(),
        })?;
        let application = application_to_proto(&row, today);
        commit_mutation(
            tx,
            caller,
            SUBMIT,
            request_id,
            &application.name,
            &application,
        )
        .await?;
        Ok(application)
    }

    async fn check(
        &self,
        caller: &Caller,
        req: &pb::CheckDocumentsRequest,
    ) -> ApiResult<pb::CheckDocumentsResponse> {
        let details = check_details_from_proto(req.details.as_ref());
        if let Some(d) = &details {
            ensure_may_submit(caller, d.procedure())?;
        }
        let mut errors = Vec::new();
        let submission = parse_submission(&req.applicant, details, &req.documents, &mut errors);
        check_fields(errors)?;
        let Some(submission) = submission else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "validated request lost a field"
            )));
        };
        // A read-only transaction: the same queries as a submission, nothing kept.
        let mut tx = self.state.pool.begin().await?;
        let person = persons::get(&mut *tx, submission.applicant)
            .await?
            .ok_or_else(|| ApiError::not_found("applicant"))?;
        let assessment = self
            .assess(&mut tx, &person, &submission, self.state.clock.today())
            .await?;
        tx.rollback().await?;
        Ok(pb::CheckDocumentsResponse {
            complete: assessment.complete(),
            checklist: assessment
                .checklist
                .iter()
                .map(checklist_to_proto)
                .collect(),
            unmet_prerequisites: assessment
                .unmet
                .iter()
                .map(|v| pb::UnmetPrerequisite {
                    code: v.kind.clone(),
                    description: v.description.clone(),
                    legal_basis: "SPEC 2.1".into(),
                })
                .collect(),
        })
    }

    fn required(
        &self,
        caller: &Caller,
        req: &pb::ListRequiredDocumentsRequest,
    ) -> ApiResult<pb::ListRequiredDocumentsResponse> {
        let procedure = procedure_from_proto(req.procedure)
            .ok_or_else(|| ApiError::field("procedure", "required: a Procedure"))?;
        ensure_may_submit(caller, procedure)?;
        let details = req.details.as_ref().map(|d| match d {
            pb::list_required_documents_request::Details::IinAssignment(d) => {
                Details::IinAssignment {
                    by_representative: d.by_representative,
                }
            }
        });
        if let Some(d) = &details
            && d.procedure() != procedure
        {
            return Err(ApiError::field(
                "details",
                "must describe the same procedure as `procedure`",
            ));
        }
        let checklist = match (procedure, details) {
            (Procedure::IinAssignment, details) => {
                let by_representative = matches!(
                    details,
                    Some(Details::IinAssignment {
                        by_representative: true
                    })
                );
                crate::domain::documents::evaluate(
                    &iin_assignment::applied(by_representative, None),
                    &[],
                    self.state.clock.today(),
                )
            }
            (other, _) => return Err(not_yet(other)),
        };
        Ok(pb::ListRequiredDocumentsResponse {
            checklist: checklist.iter().map(checklist_to_proto).collect(),
        })
    }

    async fn get(&self, req: &pb::GetApplicationRequest) -> ApiResult<pb::Application> {
        let id = parse_name("name", &req.name, "applications")
            .map_err(|e| ApiError::InvalidArgument(vec![e]))?;
        let row = applications::get(&self.state.pool, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application"))?;
        Ok(application_to_proto(&row, self.state.clock.today()))
    }

    async fn list(
        &self,
        req: &pb::ListApplicationsRequest,
    ) -> ApiResult<pb::ListApplicationsResponse> {
        let mut errors = Vec::new();
        let limit = page_size(req.page_size)
            .map_err(|e| errors.push(e))
            .unwrap_or(0);
        let after = decode_page_token(&req.page_token)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
            .and_then(|key| Uuid::parse_str(&key).ok());
        let procedure = match req.procedure {
            0 => None,
            v => procedure_from_proto(v)
                .map(|p| p.as_str().to_string())
                .or_else(|| {
                    errors.push(FieldError::new("procedure", "not a Procedure"));
                    None
                }),
        };
        let state = match req.state {
            0 => None,
            v => state_from_proto(v).map(str::to_string).or_else(|| {
                errors.push(FieldError::new("state", "not an Application.State"));
                None
            }),
        };
        let applicant_id = if req.applicant.is_empty() {
            None
        } else {
            parse_name("applicant", &req.applicant, "persons")
                .map_err(|e| errors.push(e))
                .ok()
        };
        check_fields(errors)?;
        let today = self.state.clock.today();
        let filter = applications::ListFilter {
            procedure,
            state,
            applicant_id,
            overdue_on: req.overdue_only.then_some(today),
            after,
        };
        let mut rows = applications::list(&self.state.pool, &filter, limit + 1).await?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|r| encode_page_token(&r.id.to_string()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(pb::ListApplicationsResponse {
            applications: rows
                .iter()
                .map(|r| application_to_proto(r, today))
                .collect(),
            next_page_token,
        })
    }

    async fn decide(
        &self,
        caller: &Caller,
        req: &pb::DecideApplicationRequest,
    ) -> ApiResult<pb::Application> {
        let mut errors = Vec::new();
        let request_id = parse_request_id(&req.request_id)
            .map_err(|e| errors.push(e))
            .ok();
        let id = parse_name("name", &req.name, "applications")
            .map_err(|e| errors.push(e))
            .ok();
        match &req.decision {
            None => errors.push(FieldError::new("decision", "required: approve or refuse")),
            Some(pb::decide_application_request::Decision::Refuse(refusal)) => {
                let code_ok = !refusal.reason_code.is_empty()
                    && refusal.reason_code.len() <= 64
                    && refusal
                        .reason_code
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if !code_ok {
                    errors.push(FieldError::new(
                        "refuse.reason_code",
                        "required: UPPER_SNAKE_CASE, at most 64 characters",
                    ));
                }
                if refusal.reason_text.trim().is_empty()
                    || refusal.reason_text.chars().count() > 2000
                {
                    errors.push(FieldError::new(
                        "refuse.reason_text",
                        "required: the reason in words, at most 2000 characters",
                    ));
                }
            }
            Some(pb::decide_application_request::Decision::Approve(_)) => {}
        }
        check_fields(errors)?;
        let (Some(request_id), Some(id)) = (request_id, id) else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "validated request lost a field"
            )));
        };

        let mut tx = self.state.pool.begin().await?;
        let row = applications::get_for_update(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application"))?;
        let procedure = Procedure::parse(&row.procedure).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "stored procedure {} unknown",
                row.procedure
            ))
        })?;
        if caller.role != procedure.decider() {
            return Err(ApiError::PermissionDenied {
                reason: "ROLE_MAY_NOT_DECIDE_PROCEDURE",
                message: format!(
                    "only `{}` decides {} applications",
                    procedure.decider(),
                    procedure.as_str()
                ),
            });
        }
        if let Some(first) = replay_or_claim(&mut tx, caller, DECIDE, request_id, req).await? {
            return Ok(first);
        }
        ensure_fresh(&req.etag, row.version)?;
        ensure_open(&row.state)?;
        let today = self.state.clock.today();
        let outcome = match &req.decision {
            Some(pb::decide_application_request::Decision::Approve(_)) => {
                self.approve(&mut tx, procedure, &row).await?
            }
            _ => Outcome::Refused,
        };
        let (reason_code, reason_text) = match &req.decision {
            Some(pb::decide_application_request::Decision::Refuse(r)) => {
                (r.reason_code.as_str(), r.reason_text.trim())
            }
            _ => ("", ""),
        };
        applications::decide(
            &mut tx,
            id,
            &applications::Decision {
                approved: outcome != Outcome::Refused,
                decided_by: &caller.client(),
                operator_id: &caller.operator_id,
                decision_date: today,
                reason_code,
                reason_text,
                result: serde_json::to_value(&outcome).map_err(ApiError::internal)?,
            },
        )
        .await?;
        let row = applications::get(&mut *tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application"))?;
        let application = application_to_proto(&row, today);
        commit_mutation(
            tx,
            caller,
            DECIDE,
            request_id,
            &application.name,
            &application,
        )
        .await?;
        Ok(application)
    }

    /// Carries out what an approval of `procedure` produces.
    async fn approve(
        &self,
        tx: &mut Tx<'_>,
        procedure: Procedure,
        row: &applications::ApplicationRow,
    ) -> ApiResult<Outcome> {
        match procedure {
            Procedure::IinAssignment => {
                let person = persons::get_for_update(tx, row.applicant_id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("applicant"))?;
                if person.iin.is_some() {
                    return Err(failed_precondition(
                        "IIN_ALREADY_ASSIGNED",
                        "the person already holds an IIN",
                        vec![Violation::new(
                            "IIN_ALREADY_ASSIGNED",
                            "applicant",
                            "an IIN is never reissued (SPEC 2.1)",
                        )],
                    ));
                }
                let iin = persons::issue_iin(tx, &person).await.map_err(|e| match e {
                    IssueError::Database(db) => ApiError::from(db),
                    IssueError::SerialsExhausted => ApiError::ResourceExhausted {
                        reason: "IIN_SERIALS_EXHAUSTED",
                        message: "every IIN serial for this birth date and sex has been issued"
                            .into(),
                        violations: vec![(
                            "iin_serials".into(),
                            "no free serial for this prefix".into(),
                        )],
                    },
                    IssueError::Unencodable => failed_precondition(
                        "BIRTH_DATE_NOT_ENCODABLE",
                        "the birth date cannot be encoded in an IIN",
                        vec![Violation::new(
                            "BIRTH_DATE_NOT_ENCODABLE",
                            "applicant",
                            "IINs encode births from 1800 to 2099",
                        )],
                    ),
                })?;
                Ok(Outcome::IinAssigned {
                    iin: iin.as_str().to_string(),
                })
            }
            other => Err(not_yet(other)),
        }
    }

    async fn withdraw(
        &self,
        caller: &Caller,
        req: &pb::WithdrawApplicationRequest,
    ) -> ApiResult<pb::Application> {
        let mut errors = Vec::new();
        let request_id = parse_request_id(&req.request_id)
            .map_err(|e| errors.push(e))
            .ok();
        let id = parse_name("name", &req.name, "applications")
            .map_err(|e| errors.push(e))
            .ok();
        if req.reason.chars().count() > 2000 {
            errors.push(FieldError::new("reason", "at most 2000 characters"));
        }
        check_fields(errors)?;
        let (Some(request_id), Some(id)) = (request_id, id) else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "validated request lost a field"
            )));
        };
        let mut tx = self.state.pool.begin().await?;
        let row = applications::get_for_update(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application"))?;
        let procedure = Procedure::parse(&row.procedure).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "stored procedure {} unknown",
                row.procedure
            ))
        })?;
        ensure_may_submit(caller, procedure)?;
        if let Some(first) = replay_or_claim(&mut tx, caller, WITHDRAW, request_id, req).await? {
            return Ok(first);
        }
        ensure_fresh(&req.etag, row.version)?;
        ensure_open(&row.state)?;
        applications::set_state(&mut tx, id, "withdrawn").await?;
        let row = applications::get(&mut *tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application"))?;
        let application = application_to_proto(&row, self.state.clock.today());
        commit_mutation(
            tx,
            caller,
            WITHDRAW,
            request_id,
            &application.name,
            &application,
        )
        .await?;
        Ok(application)
    }
}

/// A stale etag means the caller decided on a version that has since changed.
fn ensure_fresh(etag: &str, version: i32) -> ApiResult<()> {
    if etag.is_empty() || etag == super::convert::etag(version) {
        Ok(())
    } else {
        Err(ApiError::Aborted {
            reason: "ETAG_MISMATCH",
            message: "the application changed since it was read; read it again and retry with the new etag".into(),
        })
    }
}

/// A decided or withdrawn application is final.
fn ensure_open(state: &str) -> ApiResult<()> {
    if state == "submitted" {
        Ok(())
    } else {
        Err(failed_precondition(
            "APPLICATION_FINAL",
            format!("the application is already {state}; a decision is final"),
            vec![Violation::new(
                "APPLICATION_FINAL",
                "application",
                format!("state is {state}"),
            )],
        ))
    }
}

fn not_yet(procedure: Procedure) -> ApiError {
    ApiError::FailedPrecondition {
        reason: "PROCEDURE_NOT_AVAILABLE",
        message: format!(
            "{} applications are not available in this version",
            procedure.as_str()
        ),
        violations: vec![Violation::new(
            "PROCEDURE_NOT_AVAILABLE",
            procedure.as_str(),
            "not yet served",
        )],
    }
}

#[tonic::async_trait]
impl ApplicationService for ApplicationApi {
    async fn submit_application(
        &self,
        request: Request<pb::SubmitApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.submit(&caller, &req).await;
        // A refused submission concerns the applicant: the audit names them.
        let subject = result
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_else(|_| req.applicant.chars().take(64).collect());
        respond(
            &self.state,
            &caller,
            SUBMIT,
            &subject,
            &req.request_id,
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
        let result = self.get(&req).await;
        let subject: String = req.name.chars().take(64).collect();
        respond(
            &self.state,
            &caller,
            "/kandas.v1.ApplicationService/GetApplication",
            &subject,
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
        let result = self.list(&req).await;
        let subject = if req.applicant.is_empty() {
            "applications".to_string()
        } else {
            req.applicant.chars().take(64).collect()
        };
        respond(
            &self.state,
            &caller,
            "/kandas.v1.ApplicationService/ListApplications",
            &subject,
            "",
            true,
            result,
        )
        .await
    }

    async fn check_documents(
        &self,
        request: Request<pb::CheckDocumentsRequest>,
    ) -> Result<Response<pb::CheckDocumentsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.check(&caller, &req).await;
        let subject: String = req.applicant.chars().take(64).collect();
        respond(
            &self.state,
            &caller,
            "/kandas.v1.ApplicationService/CheckDocuments",
            &subject,
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
        self.required(&caller, request.get_ref())
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn decide_application(
        &self,
        request: Request<pb::DecideApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.decide(&caller, &req).await;
        let subject: String = req.name.chars().take(64).collect();
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
        let result = self.withdraw(&caller, &req).await;
        let subject: String = req.name.chars().take(64).collect();
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
