//! Each run of a periodic job, recorded where operators read it (`kandas admin retention
//! status`): which job, on which replica, started by the schedule or by an operator, when, how
//! much it did and how it ended. A failure is recorded by its class only, never its text,
//! which may quote the data it failed on.

use crate::audit::TagKey;
use crate::service::jobs::{Done, Job};
use crate::store::job_runs::{self as store, JobRunRow};
use chrono::{NaiveDate, Utc};
use sqlx::PgPool;

/// How many of a job's last runs are shown: one per replica and trigger is kept, and more
/// replicas than this are rare.
pub const SHOWN: i64 = 50;

/// Who started a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The replica's own schedule.
    Schedule,
    /// An operator, by the id of the organisation their certificate names.
    Operator(String),
}

impl Trigger {
    /// The word `job_runs.trigger` stores.
    pub fn as_str(&self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Operator(_) => "operator",
        }
    }
}

/// Runs `job` once on `today` and records the run as `replica`'s, started by `trigger`.
/// A run that could not be recorded is still answered (and the failure logged): what it did
/// is done.
pub async fn run_recorded(
    job: &Job,
    pool: &PgPool,
    tag_key: Option<&TagKey>,
    today: NaiveDate,
    replica: &str,
    trigger: &Trigger,
) -> Result<Done, sqlx::Error> {
    let started_at = Utc::now();
    let result = (job.run_once)(pool, tag_key, today).await;
    let finished_at = Utc::now().max(started_at);
    let (count, outcome, error_class) = match &result {
        Ok(done) if done.lock_held => (done.count, "lock_held", None),
        Ok(done) => (done.count, "done", None),
        // What a failed run committed before it failed is not known here: it counts none.
        Err(error) => (0, "failed", Some(error_class(error))),
    };
    let row = JobRunRow {
        job: job.name.to_string(),
        replica: replica.to_string(),
        trigger: trigger.as_str().to_string(),
        organisation: match trigger {
            Trigger::Schedule => None,
            Trigger::Operator(organisation) => Some(organisation.clone()),
        },
        started_at,
        finished_at,
        count: i64::try_from(count).unwrap_or(i64::MAX),
        outcome: outcome.to_string(),
        error_class,
    };
    if let Err(error) = store::record(pool, &row).await {
        tracing::warn!(%error, job = job.name, "could not record the job's run");
    }
    result
}

/// The last runs of `job` on every replica, newest first.
pub async fn latest(pool: &PgPool, job: &str) -> Result<Vec<JobRunRow>, sqlx::Error> {
    store::latest(pool, job, SHOWN).await
}

/// What kind of error a run failed with, without its text: the SQLSTATE of a database error,
/// else the kind of failure.
pub fn error_class(error: &sqlx::Error) -> String {
    let class = match error {
        sqlx::Error::Database(error) => {
            return match error.code() {
                Some(code) => format!("database {code}"),
                None => "database".to_string(),
            };
        }
        sqlx::Error::PoolTimedOut => "pool_timed_out",
        sqlx::Error::PoolClosed => "pool_closed",
        sqlx::Error::Io(_) => "io",
        sqlx::Error::Tls(_) => "tls",
        sqlx::Error::Protocol(_) => "protocol",
        sqlx::Error::RowNotFound => "row_not_found",
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode",
        sqlx::Error::Encode(_) => "encode",
        _ => "other",
    };
    class.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_classed_without_its_text() {
        let io = sqlx::Error::Io(std::io::Error::other("Ivanov Ivan 871008401427"));
        assert_eq!(error_class(&io), "io");
        let protocol = sqlx::Error::Protocol("row for Ivanov".into());
        assert_eq!(error_class(&protocol), "protocol");
        assert_eq!(error_class(&sqlx::Error::PoolTimedOut), "pool_timed_out");
    }

    #[test]
    fn triggers_are_stored_as_the_table_names_them() {
        assert_eq!(Trigger::Schedule.as_str(), "schedule");
        assert_eq!(Trigger::Operator("ops".into()).as_str(), "operator");
    }
}
