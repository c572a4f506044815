//! The application's use cases: submission checked at the door, reads, decisions and
//! withdrawal. Commands arrive parsed; each use case owns its transaction.

pub mod appeal;
mod decision;
mod issuance;
mod reading;
mod submission;

pub use decision::{decide, withdraw};
pub use reading::{ensure_within, get, list};
pub use submission::{Evaluated, check_documents, quota_facts, required_documents, submit};

use crate::domain::admission::{People, Submission};
use crate::domain::caller::Caller;
use crate::domain::details::Details;
use crate::domain::ids::{ApplicationId, PersonId};
use crate::domain::lifecycle::Refusal;
use crate::domain::notification::{Facts, NewNotification};
use crate::domain::procedure::Procedure;
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult, Reason, Violation, failed_precondition};
use crate::service::confirmation::Presented;
use crate::service::mutation::Idempotency;
use crate::store::applications::ApplicationRow;
use crate::store::records;
use uuid::Uuid;

/// SubmitApplication, parsed.
pub struct Submit {
    pub key: Idempotency,
    pub submission: Submission,
    /// How the applicant confirmed it (a portal's call).
    pub confirmation: Presented,
    /// The region the submitter names, where the application cannot say it itself.
    pub region: Option<crate::domain::regions::Region>,
}

/// ListRequiredDocuments, parsed: for a registered applicant or one merely described.
pub enum RequiredFor {
    Registered {
        applicant: PersonId,
        details: Details,
    },
    /// Stand-in records carry the ages that matter; `labels` names each stand-in family
    /// member as the request did (`family[i]`).
    Described {
        people: Box<People>,
        details: Details,
        labels: Vec<(Uuid, String)>,
    },
}

/// DecideApplication, parsed.
pub struct Decide {
    pub key: Idempotency,
    pub application: ApplicationId,
    pub etag: String,
    pub verdict: Verdict,
}

pub enum Verdict {
    Approve(Approval),
    Refuse { code: String, text: String },
}

/// What the deciding office adds to an approval. Only quota inclusion uses it, and checks it
/// once the application is known to be one (SPEC 6).
#[derive(Debug, Clone, Copy, Default)]
pub struct Approval {
    pub rent_mci: i32,
    pub housing_cost_tenge: i64,
}

/// WithdrawApplication, parsed.
pub struct Withdraw {
    pub key: Idempotency,
    pub application: ApplicationId,
    pub etag: String,
    /// How the applicant confirmed it (a portal's call).
    pub confirmation: Presented,
}

/// ListApplications, parsed.
pub struct ListQuery {
    pub procedures: Option<Vec<Procedure>>,
    pub state: Option<crate::domain::lifecycle::State>,
    pub applicant: Option<PersonId>,
    pub overdue_only: bool,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// Only the roles SPEC names may submit each procedure.
pub fn ensure_may_submit(caller: &Caller, procedure: Procedure) -> ApiResult<()> {
    if procedure.submitters().contains(&caller.role) {
        Ok(())
    } else {
        Err(ApiError::PermissionDenied {
            reason: Reason::RoleMayNotSubmitProcedure,
            message: format!(
                "role `{}` may not submit {} applications",
                caller.role,
                procedure.as_str()
            ),
        })
    }
}

/// Only the one role SPEC names decides each procedure.
fn ensure_may_decide(role: Role, procedure: Procedure) -> ApiResult<()> {
    if role == procedure.decider() {
        Ok(())
    } else {
        Err(ApiError::PermissionDenied {
            reason: Reason::RoleMayNotDecideProcedure,
            message: format!(
                "only `{}` decides {} applications",
                procedure.decider(),
                procedure.as_str()
            ),
        })
    }
}

pub use crate::service::mutation::etag;

/// A stale etag means the caller decided on a version that has since changed.
fn ensure_fresh(given: &str, version: i32) -> ApiResult<()> {
    crate::service::mutation::ensure_fresh("application", given, version)
}

/// The lifecycle's refusal of a move, as the caller is told it.
fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Final(state) => failed_precondition(
            Reason::ApplicationFinal,
            format!("the application is already {state}; a decision is final"),
            vec![Violation::new(
                "APPLICATION_FINAL",
                "application",
                format!("state is {state}"),
            )],
        ),
        Refusal::NotForwarded => failed_precondition(
            Reason::NotForwarded,
            "the employment center has not forwarded this application to the commission yet",
            vec![Violation::new(
                "FORWARDED",
                "application",
                "forwarded to the commission by the employment center",
            )],
        ),
        Refusal::WrongStep(step) => failed_precondition(
            Reason::WrongStep,
            format!("the application waits for `{step}`"),
            vec![Violation::new(
                "PENDING_STEP",
                "application",
                format!("pending step is `{step}`"),
            )],
        ),
    }
}

/// The notifications of a step of `row`'s file, in order: each for its applicant alone (a
/// family member is told nothing of the applicant's file), and read by the office that
/// submitted it.
fn to_applicant(row: &ApplicationRow, told: Vec<Facts>) -> Vec<NewNotification> {
    told.into_iter()
        .map(|facts| NewNotification {
            person_id: row.applicant_id,
            application_id: Some(row.id),
            submitted_by: Some(row.submitted_by.clone()),
            facts,
        })
        .collect()
}

/// The applicant and every family member with their records.
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
