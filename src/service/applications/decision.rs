//! Deciding an application, and withdrawing one. Both lock the application's row, so of two
//! concurrent moves exactly one wins and the other sees it final.

use super::{Decide, Verdict, Withdraw, ensure_fresh, ensure_may_decide, ensure_may_submit};
use super::{issuance, refused, to_applicant};
use crate::domain::call::Call;
use crate::domain::details::{Details, Outcome};
use crate::domain::lifecycle::{self, State, Step};
use crate::domain::notification::steps;
use crate::error::{ApiError, ApiResult};
use crate::service::{confirmation, mutation};
use crate::state::AppState;
use crate::store::applications::{self, ApplicationRow};
use crate::store::{self, Tx};
use chrono::NaiveDate;
use prost::Message;

/// Approves (issuing what the procedure produces) or refuses, once.
pub async fn decide<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: Decide,
    present: impl Fn(&ApplicationRow, NaiveDate) -> R,
) -> ApiResult<R> {
    let Decide {
        key,
        application,
        etag,
        verdict,
    } = command;
    let id = application.uuid();
    let mut tx = state.pool.begin().await?;
    let row = applications::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::missing(call, "application"))?;
    call.scope().check(row.placement(), &call.subject)?;
    ensure_may_decide(call.caller.role, row.procedure)?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    ensure_fresh(&etag, row.version)?;
    lifecycle::may_decide(row.state, row.pending_step).map_err(refused)?;
    let today = state.clock.today();
    let (outcome, events, reason_code, reason_text, rent_mci) = match &verdict {
        Verdict::Approve(approval) => {
            let approved = issuance::approve(&mut tx, &row, approval, today).await?;
            (approved.outcome, approved.events, "", "", approval.rent_mci)
        }
        // A refusal issues nothing, so no registry hears of it.
        Verdict::Refuse { code, text } => {
            (Outcome::Refused, Vec::new(), code.as_str(), text.trim(), 0)
        }
    };
    let approved = outcome != Outcome::Refused;
    let next_step = lifecycle::step_after_decision(row.procedure);
    let next_step_deadline = (next_step == Step::Notify).then(|| {
        state
            .calendar
            .current()
            .deadline(today, lifecycle::QUOTA_NOTIFY_TERM)
            .date
    });
    applications::decide(
        &mut tx,
        id,
        &applications::Decision {
            outcome: if approved {
                State::Approved
            } else {
                State::Refused
            },
            decided_by: &call.caller.client(),
            operator_id: &call.caller.operator_id,
            decision_date: today,
            reason_code,
            reason_text,
            result: &outcome,
            next_step,
            next_step_deadline,
        },
    )
    .await?;
    enter_quota_feed(&mut tx, &row, approved, rent_mci, reason_code).await?;
    // The decision is told to the applicant (SPEC 5.8), after the quota feed's head and before
    // the record feed's, the order every act takes them in.
    let told = steps::decided(&steps::Decision {
        details: &row.details.0,
        applicant: row.applicant_id,
        decided_on: today,
        outcome: &outcome,
        reason_code,
        reason_text,
        rent_mci,
    });
    store::notifications::append(&mut tx, &to_applicant(&row, told)).await?;
    let row = applications::get(&mut *tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("application"))?;
    let answer = present(&row, today);
    let name = application.to_string();
    // Last before the commit, after the quota feed's head: the record feed's head lock is
    // held briefly and always taken second.
    store::record_events::append(&mut tx, &events).await?;
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

/// Every quota decision enters the feed employment centers consume (SPEC 6); other
/// procedures have no feed.
async fn enter_quota_feed(
    tx: &mut Tx<'_>,
    row: &ApplicationRow,
    approved: bool,
    rent_mci: i32,
    reason_code: &str,
) -> ApiResult<()> {
    let Details::RegionalQuotaInclusion {
        region,
        year,
        family,
    } = &row.details.0
    else {
        return Ok(());
    };
    let family_size = family.len() as i32 + 1;
    store::quota::append_decision(
        tx,
        &store::quota::NewDecision {
            application_id: row.id,
            applicant_id: row.applicant_id,
            region: *region,
            year: *year,
            approved,
            family_size,
            places: if approved { family_size } else { 0 },
            rent_mci: if approved { rent_mci } else { 0 },
            reason_code: if approved { "" } else { reason_code },
        },
    )
    .await?;
    Ok(())
}

/// A submitter takes back an application not yet decided.
pub async fn withdraw<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: Withdraw,
    present: impl Fn(&ApplicationRow, NaiveDate) -> R,
) -> ApiResult<R> {
    let Withdraw {
        key,
        application,
        etag,
        confirmation,
    } = command;
    let id = application.uuid();
    let mut tx = state.pool.begin().await?;
    let row = applications::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::missing(call, "application"))?;
    call.scope().check(row.placement(), &call.subject)?;
    ensure_may_submit(&call.caller, row.procedure)?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    ensure_fresh(&etag, row.version)?;
    lifecycle::may_withdraw(row.state).map_err(refused)?;
    let confirmed =
        confirmation::check(state, &mut tx, call, row.applicant_id, &confirmation).await?;
    // No notification: a withdrawal is the applicant's own act (confirmed by them above), not
    // a step the state takes in their file.
    applications::set_state(&mut tx, id, State::Withdrawn, Step::Done, None).await?;
    applications::set_withdrawal_assurance(&mut tx, id, confirmed.assurance).await?;
    confirmation::record(&mut tx, call, key.request_id, id, None, &confirmed).await?;
    let row = applications::get(&mut *tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("application"))?;
    let today = state.clock.today();
    let answer = present(&row, today);
    let name = application.to_string();
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    Ok(answer)
}
