//! Retention as an operator sees it: an operator's run and where retention stands, converted
//! to the contract. Counts, times and replica names only.

use crate::api::convert::{date_to_proto, timestamp};
use crate::pb::{self, job_run};
use crate::service::organisations;
use crate::service::retention_operator::{RunNow, Status};
use crate::store::job_runs::JobRunRow;

pub(super) fn run_to_proto(run: &RunNow) -> pb::RunRetentionResponse {
    pb::RunRetentionResponse {
        erased: i64::try_from(run.done.count).unwrap_or(i64::MAX),
        lock_held: run.done.lock_held,
        replica: run.replica.clone(),
        today: Some(date_to_proto(run.today)),
    }
}

pub(super) fn status_to_proto(status: &Status) -> pb::RetentionStatus {
    pb::RetentionStatus {
        today: Some(date_to_proto(status.today)),
        due: status.outlook.due,
        next_due_date: status.outlook.next_due.map(date_to_proto),
        erased: status.erased,
        runs: status.runs.iter().map(job_run_to_proto).collect(),
    }
}

fn job_run_to_proto(row: &JobRunRow) -> pb::JobRun {
    let trigger = match row.trigger.as_str() {
        "schedule" => job_run::Trigger::Schedule,
        "operator" => job_run::Trigger::Operator,
        _ => job_run::Trigger::Unspecified,
    };
    let outcome = match row.outcome.as_str() {
        "done" => job_run::Outcome::Done,
        "lock_held" => job_run::Outcome::LockHeld,
        "failed" => job_run::Outcome::Failed,
        _ => job_run::Outcome::Unspecified,
    };
    pb::JobRun {
        job: row.job.clone(),
        replica: row.replica.clone(),
        trigger: trigger as i32,
        organisation: row
            .organisation
            .as_deref()
            .map(organisations::name_of)
            .unwrap_or_default(),
        start_time: Some(timestamp(row.started_at)),
        finish_time: Some(timestamp(row.finished_at)),
        count: row.count,
        outcome: outcome as i32,
        error_class: row.error_class.clone().unwrap_or_default(),
    }
}
