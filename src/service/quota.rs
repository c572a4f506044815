//! The quota's use cases: reading places and the decision feed, forwarding quota applications
//! to the commission, and recording that an applicant was told of the decision (SPEC 6).

use crate::domain::call::Call;
use crate::domain::ids::ApplicationId;
use crate::domain::jurisdiction::Scope;
use crate::domain::lifecycle;
use crate::domain::procedure::Procedure;
use crate::domain::regions::Region;
use crate::error::{ApiError, ApiResult, Reason, Violation, failed_precondition};
use crate::service::mutation::{self, Idempotency};
use crate::state::AppState;
use crate::store::applications;
use crate::store::quota::{self, DecisionRow, QuotaRow};
use crate::store::wakeups::woken_or_after;
use chrono::NaiveDate;
use prost::Message;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Most decisions one read of the feed fetches.
const FEED_PAGE: i64 = 500;
/// How long the feed waits for a wake-up before reading again anyway.
const FEED_REREAD: Duration = Duration::from_secs(2);

/// GetQuota, parsed.
pub struct QuotaKey {
    pub region: Region,
    pub year: i32,
}

/// ListQuotaDecisions, parsed: the decisions after feed position `after`.
pub struct DecisionsQuery {
    pub after: i64,
    pub limit: i64,
    /// Only this region's decisions; `None` for every region the caller sees.
    pub region: Option<Region>,
}

/// ForwardQuotaApplications, parsed.
pub struct Forward {
    pub key: Idempotency,
    pub applications: Vec<ApplicationId>,
}

/// RecordApplicantNotified, parsed. `name` is the application as the caller named it, which
/// the answer and the audit event repeat.
pub struct RecordNotified {
    pub key: Idempotency,
    pub application: ApplicationId,
    pub name: String,
    /// The day the applicant was told; today when unset.
    pub notified_on: Option<NaiveDate>,
}

pub async fn get(state: &AppState, key: QuotaKey) -> ApiResult<QuotaRow> {
    let QuotaKey { region, year } = key;
    quota::get(&state.pool, region, year)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("quota of {region} for {year}")))
}

/// ListQuotas, parsed: one year or all, after the last quota of the previous page.
pub struct QuotasQuery {
    pub year: Option<i32>,
    pub after: Option<(i32, Region)>,
    pub limit: i64,
}

/// One more quota than the page holds, so the caller can tell whether another page follows.
pub async fn list(state: &AppState, query: QuotasQuery) -> ApiResult<Vec<QuotaRow>> {
    Ok(quota::list(&state.pool, query.year, query.after, query.limit + 1).await?)
}

/// The regions a feed shows: those `scope` sees, narrowed to `asked` when the caller names
/// one. A region outside the scope leaves nothing, as if it had no decisions.
pub fn regions_asked(scope: &Scope, asked: Option<Region>) -> Option<Vec<Region>> {
    match (scope.regions_listed(), asked) {
        (seen, None) => seen,
        (None, Some(region)) => Some(vec![region]),
        (Some(seen), Some(region)) => Some(seen.into_iter().filter(|r| *r == region).collect()),
    }
}

/// A page of decisions, of the regions in the caller's scope only.
pub async fn decisions(
    state: &AppState,
    call: &Call,
    query: DecisionsQuery,
) -> ApiResult<Vec<DecisionRow>> {
    let regions = regions_asked(&call.scope(), query.region);
    Ok(quota::decisions_after(&state.pool, query.after, query.limit, regions.as_deref()).await?)
}

/// Hands the listed applications to the commission, all or none: any that cannot be
/// forwarded is named, and nothing is. `present` turns the forwarded ids into the answer.
pub async fn forward<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: Forward,
    present: impl FnOnce(&[ApplicationId]) -> R,
) -> ApiResult<R> {
    let Forward { key, applications } = command;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let today = state.clock.today();
    // The commission's 10 working days count from receiving the list (SPEC 6).
    let decide_by = state
        .calendar
        .current()
        .deadline(today, lifecycle::QUOTA_DECIDE_TERM)
        .date;
    let mut problems = Vec::new();
    let mut forwarded = Vec::new();
    for application in applications {
        let name = application.to_string();
        let id = application.uuid();
        let row = applications::get_for_update(&mut tx, id).await?;
        match &row {
            Some(row) => call.scope().check(row.placement(), &name)?,
            None => {
                if let Some(refusal) = call.scope().missing(&name) {
                    return Err(refusal.into());
                }
            }
        }
        match row {
            Some(row)
                if row.procedure == Procedure::RegionalQuotaInclusion
                    && lifecycle::may_forward(row.state, row.pending_step).is_ok() =>
            {
                applications::mark_forwarded(&mut tx, id, today, decide_by).await?;
                forwarded.push(application);
            }
            Some(row) if row.procedure == Procedure::RegionalQuotaInclusion => {
                problems.push(Violation::new(
                    "NOT_AWAITING_FORWARDING",
                    name,
                    format!(
                        "the application waits for `{}`, not for forwarding",
                        row.pending_step
                    ),
                ))
            }
            Some(_) => problems.push(Violation::new(
                "NOT_A_QUOTA_APPLICATION",
                name,
                "only quota inclusion applications are forwarded",
            )),
            None => problems.push(Violation::new("NOT_FOUND", name, "no such application")),
        }
    }
    if !problems.is_empty() {
        return Err(failed_precondition(
            Reason::NotForwardable,
            "some applications cannot be forwarded; nothing was forwarded",
            problems,
        ));
    }
    let answer = present(&forwarded);
    mutation::commit(&state.audit, tx, call, &key, "applications", &answer).await?;
    Ok(answer)
}

/// Records that the applicant of a decided quota application was told, once. `present` is
/// told whether that was after the step's deadline.
pub async fn record_notified<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: RecordNotified,
    present: impl FnOnce(bool) -> R,
) -> ApiResult<R> {
    let RecordNotified {
        key,
        application: id,
        name,
        notified_on,
    } = command;
    let id = id.uuid();
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let row = applications::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::missing(call, "application"))?;
    call.scope().check(row.placement(), &name)?;
    if row.procedure != Procedure::RegionalQuotaInclusion
        || lifecycle::may_record_notified(row.pending_step).is_err()
    {
        return Err(failed_precondition(
            Reason::NotAwaitingNotification,
            "only a decided quota application whose applicant was not yet notified",
            vec![Violation::new(
                "AWAITING_NOTIFICATION",
                name,
                format!("pending step is `{}`", row.pending_step),
            )],
        ));
    }
    let today = state.clock.today();
    let on = notified_on.unwrap_or(today);
    // A quota application waiting for notification was decided, so it has a decision date.
    let decided_on = row.decision.decision_date.unwrap_or(today);
    if !lifecycle::may_be_notified_on(on, decided_on, today) {
        return Err(ApiError::field(
            "notified_on",
            format!(
                "the day the applicant was told: from the decision date {decided_on} through today {today}"
            ),
        ));
    }
    applications::mark_notified(&mut tx, id, on).await?;
    let answer = present(row.step_deadline.is_some_and(|due| on > due));
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

/// Sends every decision after `last`, then each new one as it commits on any replica: the
/// replica's notification relay bumps `decided` to wake the feed, and a periodic re-read
/// covers anything the relay missed. It ends when the receiver goes away or the server shuts
/// down, and after sending the first error.
pub async fn feed(
    state: AppState,
    regions: Option<Vec<Region>>,
    mut decided: watch::Receiver<u64>,
    mut last: i64,
    sender: mpsc::Sender<ApiResult<DecisionRow>>,
) {
    loop {
        // Marks what this read covers: a notification from now on wakes the next one.
        decided.borrow_and_update();
        // Everything committed after `last`, in order.
        loop {
            let page = quota::decisions_after(&state.pool, last, FEED_PAGE, regions.as_deref());
            let rows = match page.await {
                Ok(rows) => rows,
                Err(error) => {
                    let _ = sender.send(Err(ApiError::from(error))).await;
                    return;
                }
            };
            let fetched = rows.len() as i64;
            for row in rows {
                let seq = row.seq;
                if sender.send(Ok(row)).await.is_err() {
                    return;
                }
                last = seq;
            }
            if fetched < FEED_PAGE {
                break;
            }
        }
        tokio::select! {
            () = woken_or_after(&mut decided, FEED_REREAD) => {}
            () = sender.closed() => return,
            () = state.shutdown.cancelled() => return,
        }
    }
}
