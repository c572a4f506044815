//! Appeals of refusals (SPEC 5.7): filed through a channel that may submit the procedure,
//! decided by the deciding role at another organisation. An overturned refusal opens the
//! application again with a new legal deadline and no longer bars a new application.

use super::{ensure_may_submit, to_applicant};
use crate::domain::appeal::{self, AppealRefusal, AppealState};
use crate::domain::call::Call;
use crate::domain::ids::{AppealId, ApplicationId};
use crate::domain::lifecycle::{self, State};
use crate::domain::notification::steps;
use crate::error::{ApiError, ApiResult, Reason, Violation, failed_precondition};
use crate::service::confirmation::{self, Presented};
use crate::service::mutation::{self, Idempotency};
use crate::state::AppState;
use crate::store::appeals::{self, AppealRow, NewAppeal};
use crate::store::{self, applications};
use prost::Message;
use uuid::Uuid;

/// FileAppeal, parsed.
pub struct FileAppeal {
    pub key: Idempotency,
    pub application: ApplicationId,
    pub grounds: String,
    /// How the applicant confirmed it (a portal's call).
    pub confirmation: Presented,
}

/// DecideAppeal, parsed.
pub struct DecideAppeal {
    pub key: Idempotency,
    pub appeal: AppealId,
    pub overturn: bool,
    pub reason: String,
}

/// Files an appeal against an application's refusal, once.
pub async fn file<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: FileAppeal,
    present: impl Fn(&AppealRow) -> R,
) -> ApiResult<R> {
    let FileAppeal {
        key,
        application,
        grounds,
        confirmation,
    } = command;
    let application = application.uuid();
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let row = applications::get_for_update(&mut tx, application)
        .await?
        .ok_or_else(|| ApiError::missing(call, "application"))?;
    call.scope().check(row.placement(), &call.subject)?;
    ensure_may_submit(&call.caller, row.procedure)?;
    let (Some(refused_by), Some(refused_on), State::Refused) = (
        row.decision.decided_by.as_deref(),
        row.decision.decision_date,
        row.state,
    ) else {
        return Err(refusal(AppealRefusal::NotRefused, &call.subject));
    };
    let today = state.clock.today();
    let calendar = state.calendar.current();
    appeal::may_file(today, refused_on).map_err(|r| refusal(r, &call.subject))?;
    let confirmed =
        confirmation::check(state, &mut tx, call, row.applicant_id, &confirmation).await?;
    let appeal = appeals::insert(
        &mut tx,
        &NewAppeal {
            id: Uuid::now_v7(),
            application_id: application,
            filed_by: &call.caller.client(),
            operator_id: &call.caller.operator_id,
            filed_on: today,
            grounds: &grounds,
            refused_by,
            refused_on,
            refusal_code: row.decision.reason_code.as_deref().unwrap_or(""),
            refusal_text: row.decision.reason_text.as_deref().unwrap_or(""),
            deadline: calendar.deadline(today, appeal::DECISION_TERM).date,
            assurance: confirmed.assurance,
        },
    )
    .await?;
    confirmation::record(
        &mut tx,
        call,
        key.request_id,
        application,
        Some(appeal.id),
        &confirmed,
    )
    .await?;
    let filed = steps::appeal_filed(AppealId::from(appeal.id), appeal.filed_on, appeal.deadline);
    store::notifications::append(&mut tx, &to_applicant(&row, vec![filed])).await?;
    let answer = present(&appeal);
    mutation::commit(&state.audit, tx, call, &key, &call.subject, &answer).await?;
    Ok(answer)
}

/// Decides an appeal, once: upheld, the refusal stands; overturned, the application waits for
/// a new decision by a deadline counted from today.
pub async fn decide<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: DecideAppeal,
    present: impl Fn(&AppealRow) -> R,
) -> ApiResult<R> {
    let DecideAppeal {
        key,
        appeal: id,
        overturn,
        reason,
    } = command;
    let id = id.uuid();
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let appeal = appeals::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::missing(call, "appeal"))?;
    let row = applications::get_for_update(&mut tx, appeal.application_id)
        .await?
        .ok_or_else(|| ApiError::not_found("application"))?;
    call.scope().check(row.placement(), &call.subject)?;
    if call.caller.role != row.procedure.decider() {
        return Err(ApiError::PermissionDenied {
            reason: Reason::RoleMayNotDecideProcedure,
            message: format!(
                "only `{}` decides appeals of {} applications",
                row.procedure.decider(),
                row.procedure.as_str()
            ),
        });
    }
    appeal::may_decide(appeal.state, &appeal.refused_by, &call.caller.client())
        .map_err(|r| refusal(r, &call.subject))?;
    let today = state.clock.today();
    let (outcome, new_deadline) = if overturn {
        let deadline = lifecycle::legal_term(&row.details.0)
            .map(|term| state.calendar.current().deadline(today, term));
        applications::reopen(
            &mut tx,
            row.id,
            deadline.map(|d| d.date),
            deadline.is_some_and(|d| d.provisional),
        )
        .await?;
        (AppealState::Overturned, deadline.map(|d| d.date))
    } else {
        (AppealState::Upheld, None)
    };
    let decided =
        appeals::decide(&mut tx, id, outcome, &call.caller.client(), today, &reason).await?;
    let told = steps::appeal_decided(AppealId::from(id), today, overturn, new_deadline);
    store::notifications::append(&mut tx, &to_applicant(&row, vec![told])).await?;
    let answer = present(&decided);
    mutation::commit(&state.audit, tx, call, &key, &call.subject, &answer).await?;
    Ok(answer)
}

/// Pending appeals within the caller's scope; with `overdue_only`, those past their term.
pub async fn pending(
    state: &AppState,
    call: &Call,
    overdue_only: bool,
    limit: i64,
) -> ApiResult<Vec<AppealRow>> {
    let overdue_on = overdue_only.then(|| state.clock.today());
    Ok(appeals::pending(&state.pool, &call.scope(), overdue_on, limit).await?)
}

fn refusal(refusal: AppealRefusal, subject: &str) -> ApiError {
    let (reason, message) = match refusal {
        // Who is calling decides whether it may decide at all (SPEC 5.7): a permission, not a
        // state of the appeal.
        AppealRefusal::SameOrganisation => {
            return ApiError::PermissionDenied {
                reason: Reason::SameOrganisation,
                message: "the organisation that refused does not decide the appeal against its refusal; another office of the deciding role does".into(),
            };
        }
        AppealRefusal::NotRefused => (
            Reason::NotRefused,
            "only a refused application is appealed".to_string(),
        ),
        AppealRefusal::WindowClosed { last_day } => (
            Reason::AppealWindowClosed,
            format!("the refusal could be appealed until {last_day} (3 months of the decision)"),
        ),
        AppealRefusal::Decided(state) => (
            Reason::AppealDecided,
            format!("the appeal was decided already: {}", state.as_str()),
        ),
    };
    failed_precondition(
        reason,
        message.clone(),
        vec![Violation::new(
            reason.as_str(),
            subject.to_string(),
            message,
        )],
    )
}
