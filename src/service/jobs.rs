//! The service's own periodic jobs (retention, missed deadlines). Each runs on every replica,
//! at start and then once a period, and is safe to run on several at once; a failed run is
//! logged and tried again at the next period.

use crate::audit::{Evidence, TagKey};
use crate::state::Clock;
use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// One run of a job on the day given: how many things it did. Its audit events are tagged
/// with the key given, as every event the service writes.
pub type RunOnce = for<'a> fn(
    &'a PgPool,
    Option<&'a TagKey>,
    NaiveDate,
) -> BoxFuture<'a, Result<u64, sqlx::Error>>;

/// A periodic job and what its log lines say.
pub struct Job {
    /// E.g. `retention`, in the log when a run fails.
    pub name: &'static str,
    /// What a run that did something logs, with the count, e.g. "retention erased kandas
    /// documents".
    pub done: &'static str,
    pub run_once: RunOnce,
}

/// Runs `job` at once and then every `every` until the process ends.
pub async fn run_every(
    job: Job,
    pool: PgPool,
    evidence: Arc<Evidence>,
    clock: Clock,
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match (job.run_once)(&pool, evidence.tag_key(), clock.today()).await {
            Ok(count) if count > 0 => tracing::info!(count, job = job.name, "{}", job.done),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, job = job.name, "job run failed; retrying later"),
        }
    }
}
