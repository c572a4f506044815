//! Retention as an operator asks of it (`kandas admin retention run|status`): a run now on the
//! replica that takes the call, recorded as the operator's, and where retention stands. Counts
//! and times only: no one's data leaves here.

use crate::domain::call::Call;
use crate::domain::retention::{self, Outlook};
use crate::error::ApiResult;
use crate::service::job_runs::{self, Trigger};
use crate::service::jobs::Done;
use crate::service::retention::JOB;
use crate::state::AppState;
use crate::store::job_runs::JobRunRow;
use crate::store::retention as store;
use chrono::NaiveDate;

/// What an operator's run did, where and for which day.
#[derive(Debug, Clone)]
pub struct RunNow {
    pub done: Done,
    pub replica: String,
    pub today: NaiveDate,
}

/// Retention as it stands on `today`.
#[derive(Debug, Clone)]
pub struct Status {
    pub today: NaiveDate,
    pub outlook: Outlook,
    /// Applications whose documents were erased, in all.
    pub erased: i64,
    /// The last run on each replica by each trigger, newest first.
    pub runs: Vec<JobRunRow>,
}

/// Runs retention once for the service's today, as the schedule would, and records the run
/// as the calling organisation's. While another replica holds the lock it does nothing and
/// says so: the operator is never kept waiting behind a long run.
pub async fn run_now(state: &AppState, call: &Call) -> ApiResult<RunNow> {
    let today = state.clock.today();
    let trigger = Trigger::Operator(call.caller.organisation.clone());
    let done = job_runs::run_recorded(
        &JOB,
        &state.pool,
        state.audit.tag_key(),
        today,
        &state.replica,
        &trigger,
    )
    .await?;
    Ok(RunNow {
        done,
        replica: state.replica.to_string(),
        today,
    })
}

/// What is due today and when more will be, what has been erased, and the last runs.
pub async fn status(state: &AppState) -> ApiResult<Status> {
    let today = state.clock.today();
    let waiting = store::waiting(&state.pool).await?;
    let erased = store::erased_count(&state.pool).await?;
    let runs = job_runs::latest(&state.pool, JOB.name).await?;
    Ok(Status {
        today,
        outlook: retention::outlook(waiting, today),
        erased,
        runs,
    })
}
