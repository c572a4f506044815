//! `ApplicationService`: submission checked at the door, reads, and decisions, for every
//! procedure of the kandas path.

use super::convert::{
    application_to_proto, checklist_to_proto, date_from_proto, date_to_proto, details_from_proto,
    documents_from_proto, procedure_from_proto, state_from_proto,
};
use super::{
    Fields, caller, commit_mutation, decode_page_token, name_of, next_page, page_size, parse_name,
    parse_request_id, replay_or_claim, respond,
};
use crate::domain::calendar::Term;
use crate::domain::caller::Caller;
use crate::domain::catalogue;
use crate::domain::details::{Details, FamilyMember, Outcome, Relation};
use crate::domain::documents::{ChecklistItem, Document, DocumentType, ItemStatus};
use crate::domain::issuance::{self, Issued, IssuedKind};
use crate::domain::lifecycle;
use crate::domain::prerequisites::{self, PrerequisiteQuery};
use crate::domain::procedure::Procedure;
use crate::domain::records::PersonRecords;
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult, FieldError, Violation, failed_precondition};
use crate::pb::{self, application_service_server::ApplicationService};
use crate::state::AppState;
use crate::store::persons::{self, IssueError};
use crate::store::{self, Tx, applications, records};
use chrono::{Datelike, NaiveDate};
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

/// The applicant and each family member with what is on record for them.
struct People {
    applicant: PersonRecords,
    family: Vec<(FamilyMember, PersonRecords)>,
}

impl People {
    fn everyone(&self) -> impl Iterator<Item = &PersonRecords> {
        std::iter::once(&self.applicant).chain(self.family.iter().map(|(_, r)| r))
    }
}

/// An unmet blocking prerequisite of one person.
struct Unmet {
    person: String,
    check: prerequisites::Prerequisite,
}

/// What the door says about a submission: the checklist and every unmet prerequisite.
struct Assessment {
    checklist: Vec<ChecklistItem>,
    unmet: Vec<Unmet>,
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
                    .map(|id| name_of("persons", id))
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
        let prerequisites = self.unmet.iter().map(|u| {
            let mut description = format!("{} ({})", u.check.description, u.check.legal_basis);
            if let Some(earliest) = u.check.earliest_date {
                description.push_str(&format!("; a new application is accepted from {earliest}"));
            }
            Violation::new(u.check.code, u.person.clone(), description)
        });
        documents.chain(prerequisites).collect()
    }

    fn complete(&self) -> bool {
        self.unmet.is_empty() && !self.checklist.iter().any(ChecklistItem::is_problem)
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

async fn load_people(
    conn: &mut sqlx::PgConnection,
    applicant: Uuid,
    details: &Details,
) -> ApiResult<People> {
    let applicant = records::load(conn, applicant)
        .await?
        .ok_or_else(|| ApiError::not_found("applicant"))?;
    let mut family = Vec::new();
    for (i, member) in details.family().iter().enumerate() {
        let member_records = records::load(conn, member.person_id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("family member details.family[{i}]")))?;
        family.push((member.clone(), member_records));
    }
    Ok(People { applicant, family })
}

/// The identity document presented now for `holder`: the passport prerequisites judge by.
fn presented_passport(documents: &[Document], holder: Option<Uuid>) -> Option<(NaiveDate, String)> {
    documents
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.holder == holder
                && matches!(
                    d.kind,
                    DocumentType::IdentityDocument | DocumentType::StatelessPersonDocument
                )
        })
        .filter_map(|(i, d)| d.expiry_date.map(|e| (e, format!("documents[{i}]"))))
        .max_by_key(|(e, _)| *e)
}

/// What quota eligibility needs beyond the common prerequisites (SPEC 6): the permanent
/// registration is in the region applied for, that region has a quota that year, and nobody
/// in the family was ever included before.
async fn quota_eligibility(
    conn: &mut sqlx::PgConnection,
    people: &People,
    details: &Details,
    today: NaiveDate,
) -> ApiResult<Vec<Unmet>> {
    let Details::RegionalQuotaInclusion { region, year, .. } = details else {
        return Ok(Vec::new());
    };
    const BASIS: &str = "SPEC 6; seed 000";
    let unmet = |person: &PersonRecords,
                 code: prerequisites::PrerequisiteCode,
                 description: String,
                 evidence: Option<String>| Unmet {
        person: person.person.clone(),
        check: prerequisites::Prerequisite {
            code,
            description,
            satisfied: false,
            evidence,
            legal_basis: BASIS,
            earliest_date: None,
            blocking: true,
        },
    };
    let mut found = Vec::new();
    if store::quota::get(&mut *conn, region, *year)
        .await?
        .is_none()
    {
        found.push(unmet(
            &people.applicant,
            prerequisites::PrerequisiteCode::QuotaRegionOfYear,
            format!("{region} has no resettlement quota for {year}"),
            None,
        ));
    }
    let today_registration = people.applicant.permanent_registration_on(today);
    if let Some(registration) = today_registration
        && registration.region != *region
    {
        found.push(unmet(
            &people.applicant,
            prerequisites::PrerequisiteCode::RegisteredInQuotaRegion,
            format!(
                "the permanent registration is in {}, not in {region}",
                registration.region
            ),
            Some(registration.evidence.clone()),
        ));
    }
    let everyone: Vec<Uuid> = people.everyone().map(|p| p.person_id).collect();
    for (person, application) in store::quota::already_included(&mut *conn, &everyone).await? {
        if let Some(records) = people.everyone().find(|p| p.person_id == person) {
            found.push(unmet(
                records,
                prerequisites::PrerequisiteCode::NotIncludedBefore,
                "already included in a regional quota; nobody is included twice".into(),
                Some(name_of("applications", application)),
            ));
        }
    }
    Ok(found)
}

impl ApplicationApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The one evaluation behind CheckDocuments and SubmitApplication: the catalogue's
    /// checklist and the blocking prerequisites of everyone in the application.
    fn assess(
        &self,
        people: &People,
        submission: &Submission,
        today: NaiveDate,
        mci: Option<i64>,
    ) -> Assessment {
        let case = catalogue::Case {
            details: &submission.details,
            submission_date: today,
            applicant: &people.applicant,
            family: people.family.iter().map(|(m, r)| (m, r)).collect(),
            documents: &submission.documents,
            mci,
        };
        let checklist = catalogue::checklist(&case);
        let query = PrerequisiteQuery::from_details(&submission.details);
        let mut unmet = Vec::new();
        for person in people.everyone() {
            let holder =
                (person.person_id != people.applicant.person_id).then_some(person.person_id);
            let passport = presented_passport(&submission.documents, holder)
                .or_else(|| prerequisites::passport_on_record(person));
            // Decision: a family member under 16 is identified by a birth certificate (SPEC
            // 5.3), so the passport rules bind them only when they do hold a passport.
            let passportless_child = holder.is_some()
                && passport.is_none()
                && crate::domain::records::age_on(person.birth_date, today) < 16;
            let checks = prerequisites::check(&query, person, passport, today);
            unmet.extend(
                prerequisites::unmet(&checks)
                    .filter(|c| {
                        !(passportless_child
                            && [
                                prerequisites::PASSPORT_VALID_180_DAYS,
                                prerequisites::PASSPORT_VALID,
                            ]
                            .contains(&c.code))
                    })
                    .map(|check| Unmet {
                        person: person.person.clone(),
                        check: check.clone(),
                    }),
            );
        }
        Assessment { checklist, unmet }
    }

    async fn submit(
        &self,
        caller: &Caller,
        req: &pb::SubmitApplicationRequest,
    ) -> ApiResult<pb::Application> {
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

        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(&mut tx, caller, SUBMIT, request_id, req).await? {
            return Ok(first);
        }
        // The applicant's row lock orders concurrent submissions for one person.
        persons::get_for_update(&mut tx, submission.applicant)
            .await?
            .ok_or_else(|| ApiError::not_found("applicant"))?;
        let people = load_people(&mut tx, submission.applicant, &submission.details).await?;
        let today = self.state.clock.today();
        let mci = store::quota::mci(&mut *tx, today.year()).await?;
        let mut assessment = self.assess(&people, &submission, today, mci);
        assessment
            .unmet
            .extend(quota_eligibility(&mut tx, &people, &submission.details, today).await?);
        if !assessment.complete() {
            return Err(failed_precondition(
                "APPLICATION_INCOMPLETE",
                "the application cannot be accepted; every problem is listed in the details",
                assessment.violations(),
            ));
        }
        let procedure = submission.details.procedure();
        let deadline = lifecycle::legal_term(&submission.details)
            .map(|term| self.state.calendar.current().deadline(today, term));
        // Quota inclusion starts with the employment center forwarding it (SPEC 6).
        let pending_step = if procedure == Procedure::RegionalQuotaInclusion {
            "forward"
        } else {
            "decide"
        };
        let details = serde_json::to_value(&submission.details).map_err(ApiError::internal)?;
        let id = Uuid::now_v7();
        let row = applications::insert(
            &mut tx,
            &applications::NewApplication {
                id,
                procedure: procedure.as_str(),
                applicant_id: submission.applicant,
                submitted_by: &caller.client(),
                operator_id: &caller.operator_id,
                submission_date: today,
                deadline: deadline.as_ref().map(|d| d.date),
                deadline_provisional: deadline.as_ref().is_some_and(|d| d.provisional),
                pending_step,
                step_deadline: deadline.as_ref().map(|d| d.date),
                details,
                documents: &submission.documents,
                checklist: &assessment.checklist,
            },
        )
        .await
        .map_err(|e| match store::violated_constraint(&e) {
            Some(applications::ONE_OPEN_PER_PROCEDURE) => failed_precondition(
                "APPLICATION_ALREADY_OPEN",
                "an application of this procedure for this person is already waiting for a decision",
                vec![Violation::new(
                    "NO_OPEN_APPLICATION",
                    "applicant",
                    "one open application per person and procedure",
                )],
            ),
            _ => e.into(),
        })?;
        let members: Vec<(Uuid, Relation)> = submission
            .details
            .family()
            .iter()
            .map(|m| (m.person_id, m.relation))
            .collect();
        records::insert_members(&mut tx, id, &members).await?;
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
        let Some(submission) = submission else {
            return Err(super::lost_field());
        };
        let mut conn = self.state.pool.acquire().await?;
        let people = load_people(&mut conn, submission.applicant, &submission.details).await?;
        let today = self.state.clock.today();
        let mci = store::quota::mci(&mut *conn, today.year()).await?;
        let mut assessment = self.assess(&people, &submission, today, mci);
        assessment
            .unmet
            .extend(quota_eligibility(&mut conn, &people, &submission.details, today).await?);
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
                .map(|u| pb::UnmetPrerequisite {
                    code: u.check.code.to_string(),
                    description: u.check.description.clone(),
                    legal_basis: u.check.legal_basis.to_string(),
                    person: u.person.clone(),
                    evidence: u.check.evidence.clone().unwrap_or_default(),
                    earliest_date: u.check.earliest_date.map(date_to_proto),
                })
                .collect(),
        })
    }

    /// The checklist for an applicant described before submitting (or a registered one).
    async fn required(
        &self,
        caller: &Caller,
        req: &pb::ListRequiredDocumentsRequest,
    ) -> ApiResult<pb::ListRequiredDocumentsResponse> {
        let procedure = requested_procedure(req.details.as_ref()).ok_or_else(|| {
            ApiError::field("details", "required: the typed details of one procedure")
        })?;
        ensure_may_submit(caller, procedure)?;
        let today = self.state.clock.today();
        let mut fields = Fields::new();
        let mut labels: Vec<(Uuid, String)> = Vec::new();
        let (details, people) = if !req.applicant.is_empty() {
            let applicant = fields.check(parse_name("applicant", &req.applicant, "persons"));
            let details = details_from_proto("details", req.details.as_ref(), &mut fields);
            fields.finish()?;
            let (Some(applicant), Some(details)) = (applicant, details) else {
                return Err(super::lost_field());
            };
            let mut conn = self.state.pool.acquire().await?;
            let people = load_people(&mut conn, applicant, &details).await?;
            (details, people)
        } else {
            // Described, not registered: stand-in records carry the ages that matter.
            let description = req.description.clone().unwrap_or_default();
            let birth = fields
                .check(date_from_proto(
                    "description.birth_date",
                    description.birth_date.as_ref(),
                ))
                .flatten()
                .unwrap_or(today);
            let mut applicant = PersonRecords::new(Uuid::nil(), birth);
            applicant.ethnic_kazakh = description.ethnic_kazakh;
            let mut family = Vec::new();
            for (i, member) in description.family.iter().enumerate() {
                let id = Uuid::from_u128(i as u128 + 1);
                let birth = fields
                    .check(date_from_proto(
                        &format!("description.family[{i}].birth_date"),
                        member.birth_date.as_ref(),
                    ))
                    .flatten()
                    .unwrap_or(today);
                let relation = match pb::Relation::try_from(member.relation) {
                    Ok(pb::Relation::Spouse) => Relation::Spouse,
                    Ok(pb::Relation::Child) => Relation::Child,
                    Ok(pb::Relation::Parent) => Relation::Parent,
                    _ => Relation::Other,
                };
                labels.push((id, format!("family[{i}]")));
                family.push((
                    FamilyMember {
                        person_id: id,
                        relation,
                    },
                    PersonRecords::new(id, birth),
                ));
            }
            let mut details = details_from_proto("details", req.details.as_ref(), &mut fields);
            fields.finish()?;
            // The described family replaces any listed in the details.
            if let Some(d) = details.as_mut() {
                set_family(d, family.iter().map(|(m, _)| m.clone()).collect());
            }
            let Some(details) = details else {
                return Err(super::lost_field());
            };
            (details, People { applicant, family })
        };
        let submission = Submission {
            applicant: people.applicant.person_id,
            details,
            documents: Vec::new(),
        };
        let mci = store::quota::mci(&self.state.pool, today.year()).await?;
        let assessment = self.assess(&people, &submission, today, mci);
        let checklist = assessment
            .checklist
            .iter()
            .map(|item| {
                let mut proto = checklist_to_proto(item);
                if let Some((_, label)) = labels.iter().find(|(id, _)| Some(*id) == item.holder) {
                    proto.holder = label.clone();
                }
                proto
            })
            .collect();
        Ok(pb::ListRequiredDocumentsResponse { checklist })
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
            v => state_from_proto(v).map(str::to_string).or_else(|| {
                fields.push(FieldError::new("state", "not an Application.State"));
                None
            }),
        };
        let applicant_id = if req.applicant.is_empty() {
            None
        } else {
            fields.check(parse_name("applicant", &req.applicant, "persons"))
        };
        fields.finish()?;
        let today = self.state.clock.today();
        let filter = applications::ListFilter {
            procedures: procedures.map(|ps| ps.iter().map(|p| p.as_str().to_string()).collect()),
            state,
            applicant_id,
            overdue_on: req.overdue_only.then_some(today),
            after,
        };
        let mut rows = applications::list(&self.state.pool, &filter, limit + 1).await?;
        let next_page_token = next_page(&mut rows, limit, |r| r.id.to_string());
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
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        let id = fields.check(parse_name("name", &req.name, "applications"));
        match &req.decision {
            None => fields.push(FieldError::new("decision", "required: approve or refuse")),
            Some(pb::decide_application_request::Decision::Refuse(refusal)) => {
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
                if refusal.reason_text.trim().is_empty()
                    || refusal.reason_text.chars().count() > 2000
                {
                    fields.push(FieldError::new(
                        "refuse.reason_text",
                        "required: the reason in words, at most 2000 characters",
                    ));
                }
            }
            Some(pb::decide_application_request::Decision::Approve(_)) => {}
        }
        fields.finish()?;
        let (Some(request_id), Some(id)) = (request_id, id) else {
            return Err(super::lost_field());
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
        if row.pending_step == "forward" {
            return Err(failed_precondition(
                "NOT_FORWARDED",
                "the employment center has not forwarded this application to the commission yet",
                vec![Violation::new(
                    "FORWARDED",
                    "application",
                    "forwarded to the commission (SPEC 6)",
                )],
            ));
        }
        let today = self.state.clock.today();
        let outcome = match &req.decision {
            Some(pb::decide_application_request::Decision::Approve(approval)) => {
                self.approve(&mut tx, &row, approval, today).await?
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
        if procedure == Procedure::RegionalQuotaInclusion {
            let rent_mci = match &req.decision {
                Some(pb::decide_application_request::Decision::Approve(a)) => a.rent_mci,
                _ => 0,
            };
            self.after_quota_decision(&mut tx, &row, &outcome, rent_mci, today)
                .await?;
        }
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

    /// Carries out what an approval produces and records it.
    /// Every quota decision enters the feed, and the applicant is to be told within 5
    /// calendar days (SPEC 6).
    async fn after_quota_decision(
        &self,
        tx: &mut Tx<'_>,
        row: &applications::ApplicationRow,
        outcome: &Outcome,
        rent_mci: i32,
        today: NaiveDate,
    ) -> ApiResult<()> {
        let Ok(Details::RegionalQuotaInclusion {
            region,
            year,
            family,
        }) = serde_json::from_value::<Details>(row.details.0.clone())
        else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "quota details unreadable"
            )));
        };
        let approved = matches!(outcome, Outcome::Issued { .. });
        store::quota::append_decision(
            tx,
            &store::quota::NewDecision {
                application_id: row.id,
                region: &region,
                year,
                approved,
                places: if approved { family.len() as i32 + 1 } else { 0 },
                rent_mci: if approved { rent_mci } else { 0 },
            },
        )
        .await?;
        let notify_by = self
            .state
            .calendar
            .current()
            .deadline(today, Term::CalendarDays(5))
            .date;
        applications::set_step(tx, row.id, "notify", Some(notify_by)).await?;
        Ok(())
    }

    async fn approve(
        &self,
        tx: &mut Tx<'_>,
        row: &applications::ApplicationRow,
        approval: &pb::Approval,
        today: NaiveDate,
    ) -> ApiResult<Outcome> {
        let details: Details = serde_json::from_value(row.details.0.clone())
            .map_err(|e| ApiError::internal(anyhow::anyhow!("stored details unreadable: {e}")))?;
        let everyone: Vec<Uuid> = std::iter::once(row.applicant_id)
            .chain(details.family().iter().map(|m| m.person_id))
            .collect();
        let year = today.year();
        let mut issued = Vec::new();
        match &details {
            Details::IinAssignment { .. } => return self.assign_iin(tx, row.applicant_id).await,
            Details::KandasStatusAssignment { .. } => {
                let (from, until) = issuance::kandas_validity(today);
                for person in everyone {
                    let number = records::next_number(
                        tx,
                        IssuedKind::KandasCertificate.number_prefix(),
                        year,
                    )
                    .await?;
                    records::insert_kandas_status(tx, person, row.id, &number, from, until, false)
                        .await?;
                    issued.push(issue(
                        person,
                        IssuedKind::KandasCertificate,
                        number,
                        Some(from),
                        Some(until),
                    ));
                }
            }
            Details::KandasStatusExtension => {
                let current = records::load(tx, row.applicant_id)
                    .await?
                    .and_then(|r| r.kandas_statuses.into_iter().max_by_key(|s| s.valid_until))
                    .ok_or_else(|| {
                        failed_precondition(
                            "NO_KANDAS_STATUS",
                            "there is no kandas status to extend",
                            vec![Violation::new(
                                "KANDAS_STATUS_VALID",
                                "applicant",
                                "no kandas status on record",
                            )],
                        )
                    })?;
                let (from, until) = issuance::kandas_validity(today);
                records::insert_kandas_status(
                    tx,
                    row.applicant_id,
                    row.id,
                    &current.certificate_number,
                    from,
                    until,
                    true,
                )
                .await?;
                issued.push(issue(
                    row.applicant_id,
                    IssuedKind::KandasExtension,
                    current.certificate_number,
                    Some(from),
                    Some(until),
                ));
            }
            Details::PermanentResidencePermit { .. } => {
                for person in everyone {
                    let number = records::next_number(
                        tx,
                        IssuedKind::PermanentResidencePermit.number_prefix(),
                        year,
                    )
                    .await?;
                    records::insert_permit(tx, person, row.id, &number, today).await.map_err(|e| {
                        match store::violated_constraint(&e) {
                            Some("permits_one_per_person") => failed_precondition(
                                "PERMIT_ALREADY_GRANTED",
                                "a permanent residence permit is already granted to a person of this application",
                                vec![Violation::new("NO_PERMIT_YET", name_of("persons", person), "a permit is granted once")],
                            ),
                            _ => e.into(),
                        }
                    })?;
                    issued.push(issue(
                        person,
                        IssuedKind::PermanentResidencePermit,
                        number,
                        Some(today),
                        None,
                    ));
                }
            }
            Details::ResidencePermitCard { .. } => {
                let passport = presented_passport(&row.documents.0, None).or(records::load(
                    tx,
                    row.applicant_id,
                )
                .await?
                .and_then(|r| prerequisites::passport_on_record(&r)));
                let valid_until = passport
                    .and_then(|(expiry, _)| issuance::card_valid_until(today, expiry))
                    .ok_or_else(|| {
                        failed_precondition(
                            "PASSPORT_EXPIRED",
                            "the card cannot outlive the passport, which is no longer valid",
                            vec![Violation::new(
                                "PASSPORT_VALID",
                                "applicant",
                                "a valid national passport is required",
                            )],
                        )
                    })?;
                let number =
                    records::next_number(tx, IssuedKind::ResidencePermitCard.number_prefix(), year)
                        .await?;
                records::insert_card(tx, row.applicant_id, row.id, &number, today, valid_until)
                    .await?;
                issued.push(issue(
                    row.applicant_id,
                    IssuedKind::ResidencePermitCard,
                    number,
                    Some(today),
                    Some(valid_until),
                ));
            }
            Details::StatelessPersonCertificate { .. } => {
                let number = records::next_number(
                    tx,
                    IssuedKind::StatelessPersonCertificate.number_prefix(),
                    year,
                )
                .await?;
                records::insert_stateless_certificate(tx, row.applicant_id, row.id, &number, today)
                    .await?;
                issued.push(issue(
                    row.applicant_id,
                    IssuedKind::StatelessPersonCertificate,
                    number,
                    Some(today),
                    None,
                ));
            }
            Details::ResidenceRegistration {
                kind,
                region,
                address,
                until,
                ..
            } => {
                for person in everyone {
                    let id = records::insert_registration(
                        tx, person, row.id, *kind, region, address, today, *until,
                    )
                    .await?;
                    let mut record = issue(
                        person,
                        IssuedKind::Registration,
                        format!("registrations/{id}"),
                        Some(today),
                        *until,
                    );
                    record.region = region.clone();
                    record.address = address.clone();
                    issued.push(record);
                }
            }
            Details::RegionalQuotaInclusion { region, year, .. } => {
                return self
                    .include_in_quota(tx, row, &everyone, region, *year, approval, today)
                    .await;
            }
            Details::SimplifiedCitizenship { .. } => {
                for person in everyone {
                    records::grant_citizenship(tx, person, row.id, today).await?;
                    let number =
                        records::next_number(tx, IssuedKind::Citizenship.number_prefix(), year)
                            .await?;
                    issued.push(issue(
                        person,
                        IssuedKind::Citizenship,
                        number,
                        Some(today),
                        None,
                    ));
                }
            }
        }
        Ok(Outcome::Issued { records: issued })
    }

    /// Takes one place per person atomically, records the inclusion (never twice for anyone)
    /// and fixes the entitlement at the MCI of the decision year.
    #[allow(clippy::too_many_arguments)]
    async fn include_in_quota(
        &self,
        tx: &mut Tx<'_>,
        row: &applications::ApplicationRow,
        everyone: &[Uuid],
        region: &str,
        year: i32,
        approval: &pb::Approval,
        today: NaiveDate,
    ) -> ApiResult<Outcome> {
        let rent_mci = i64::from(approval.rent_mci);
        let housing_cost =
            (approval.housing_cost_tenge != 0).then_some(approval.housing_cost_tenge);
        let mut fields = Fields::new();
        if !crate::domain::support::RENT_MCI_RANGE.contains(&rent_mci) {
            fields.push(FieldError::new(
                "approve.rent_mci",
                "required for quota inclusion: 15 to 30 whole MCI a month",
            ));
        }
        if approval.housing_cost_tenge < 0 {
            fields.push(FieldError::new(
                "approve.housing_cost_tenge",
                "must not be negative",
            ));
        }
        fields.finish()?;
        let mci_year = today.year();
        let mci = store::quota::mci(&mut **tx, mci_year).await?.ok_or_else(|| {
            failed_precondition(
                "MCI_NOT_SET",
                format!("the MCI for {mci_year} is not set; an administrator sets it with AdminService.SetMci"),
                vec![Violation::new("MCI_SET", format!("mci/{mci_year}"), format!("MCI of {mci_year}"))],
            )
        })?;
        let lines =
            crate::domain::support::entitlement(everyone.len() as i64, rent_mci, housing_cost, mci)
                .map_err(|e| ApiError::field("approve", e.to_string()))?;
        let places = everyone.len() as i32;
        match store::quota::allocate(tx, region, year, places).await? {
            store::quota::Allocation::Taken => {}
            store::quota::Allocation::TooFew {
                places: total,
                remaining,
            } => {
                return Err(ApiError::ResourceExhausted {
                    reason: "QUOTA_EXHAUSTED",
                    message: format!(
                        "the {year} quota of {region} has {remaining} of {total} places left; {places} requested"
                    ),
                    violations: vec![(
                        format!("quotas/{region}/{year}"),
                        format!(
                            "region {region}, year {year}: requested {places}, remaining {remaining}"
                        ),
                    )],
                });
            }
            store::quota::Allocation::NoQuota => {
                return Err(failed_precondition(
                    "NOT_A_QUOTA_REGION",
                    format!("{region} has no quota for {year}"),
                    vec![Violation::new(
                        "QUOTA_REGION",
                        format!("quotas/{region}/{year}"),
                        "no quota set",
                    )],
                ));
            }
        }
        if let Err(person) = store::quota::include(tx, everyone, row.id, region, year).await? {
            return Err(failed_precondition(
                "ALREADY_INCLUDED",
                "a person of this family was already included in a quota; nobody is included twice",
                vec![Violation::new(
                    "NOT_INCLUDED_BEFORE",
                    name_of("persons", person),
                    "included in an earlier quota",
                )],
            ));
        }
        store::support::insert_lines(tx, row.id, mci_year, mci, &lines).await?;
        let number =
            records::next_number(tx, IssuedKind::QuotaInclusion.number_prefix(), year).await?;
        let issued = everyone
            .iter()
            .map(|person| {
                let mut record = issue(
                    *person,
                    IssuedKind::QuotaInclusion,
                    number.clone(),
                    Some(today),
                    None,
                );
                record.region = region.to_string();
                record
            })
            .collect();
        Ok(Outcome::Issued { records: issued })
    }

    async fn assign_iin(&self, tx: &mut Tx<'_>, applicant: Uuid) -> ApiResult<Outcome> {
        let person = persons::get_for_update(tx, applicant)
            .await?
            .ok_or_else(|| ApiError::not_found("applicant"))?;
        if person.iin.is_some() {
            return Err(failed_precondition(
                "IIN_ALREADY_ASSIGNED",
                "the person already holds an IIN",
                vec![Violation::new(
                    "IIN_NOT_YET_ASSIGNED",
                    "applicant",
                    "an IIN is never reissued (SPEC 2.1)",
                )],
            ));
        }
        let iin = persons::issue_iin(tx, &person).await.map_err(|e| match e {
            IssueError::Database(db) => ApiError::from(db),
            IssueError::SerialsExhausted => ApiError::ResourceExhausted {
                reason: "IIN_SERIALS_EXHAUSTED",
                message: "every IIN serial for this birth date and sex has been issued".into(),
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

    async fn withdraw(
        &self,
        caller: &Caller,
        req: &pb::WithdrawApplicationRequest,
    ) -> ApiResult<pb::Application> {
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        let id = fields.check(parse_name("name", &req.name, "applications"));
        if req.reason.chars().count() > 2000 {
            fields.push(FieldError::new("reason", "at most 2000 characters"));
        }
        fields.finish()?;
        let (Some(request_id), Some(id)) = (request_id, id) else {
            return Err(super::lost_field());
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

fn issue(
    person_id: Uuid,
    kind: IssuedKind,
    number: String,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
) -> Issued {
    Issued {
        person_id,
        kind,
        number,
        valid_from,
        valid_until,
        region: String::new(),
        address: String::new(),
    }
}

/// Replaces the family of a procedure that has one (for described applicants).
fn set_family(details: &mut Details, members: Vec<FamilyMember>) {
    match details {
        Details::KandasStatusAssignment { family, .. }
        | Details::PermanentResidencePermit { family, .. }
        | Details::ResidenceRegistration { family, .. }
        | Details::SimplifiedCitizenship { family, .. } => *family = members,
        _ => {}
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
            .await
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
