//! The last run of each periodic job on each replica, by each trigger (`job_runs`): one row
//! per (job, replica, trigger), replaced by the next such run.

use chrono::{DateTime, Utc};

/// One run as stored. Outcome and trigger are the column's words (`service::job_runs` names
/// them); the error is its class only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRunRow {
    pub job: String,
    pub replica: String,
    pub trigger: String,
    /// The operator's organisation id; `None` for the schedule.
    pub organisation: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub count: i64,
    pub outcome: String,
    pub error_class: Option<String>,
}

/// Stores `run` in place of the last one of its job, replica and trigger.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.job_runs.record", db.system.name = "postgresql"))]
pub async fn record<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    run: &JobRunRow,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO job_runs (job, replica, trigger, organisation, started_at, finished_at,
                               count, outcome, error_class)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (job, replica, trigger) DO UPDATE SET
             organisation = EXCLUDED.organisation, started_at = EXCLUDED.started_at,
             finished_at = EXCLUDED.finished_at, count = EXCLUDED.count,
             outcome = EXCLUDED.outcome, error_class = EXCLUDED.error_class",
        run.job,
        run.replica,
        run.trigger,
        run.organisation,
        run.started_at,
        run.finished_at,
        run.count,
        run.outcome,
        run.error_class,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The last runs of `job`, newest first, at most `limit`.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.job_runs.latest", db.system.name = "postgresql"))]
pub async fn latest<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    job: &str,
    limit: i64,
) -> Result<Vec<JobRunRow>, sqlx::Error> {
    sqlx::query_as!(
        JobRunRow,
        "SELECT job, replica, trigger, organisation, started_at, finished_at, count, outcome,
                error_class
         FROM job_runs WHERE job = $1
         ORDER BY started_at DESC, replica, trigger LIMIT $2",
        job,
        limit
    )
    .fetch_all(executor)
    .await
}
