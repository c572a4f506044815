//! The service's own periodic jobs (retention, missed deadlines). Each runs on every replica,
//! at start and then once a period, and is safe to run on several at once; a failed run is
//! logged and tried again at the next period. Every run is recorded (`service::job_runs`).

use crate::audit::{Evidence, TagKey};
use crate::service::job_runs;
use crate::state::Clock;
use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// One run of a job on the day given: what it did. Its audit events are tagged with the key
/// given, as every event the service writes.
pub type RunOnce = for<'a> fn(
    &'a PgPool,
    Option<&'a TagKey>,
    NaiveDate,
) -> BoxFuture<'a, Result<Done, sqlx::Error>>;

/// What one run of a job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Done {
    /// How many things it did (applications erased, applicants told).
    pub count: u64,
    /// Another replica held the job's lock, so this run did nothing more. Only a job that
    /// skips its turn says so; one that waits for its turn never does.
    pub lock_held: bool,
}

impl Done {
    /// A run that did `count` things.
    pub fn counted(count: u64) -> Done {
        Done {
            count,
            lock_held: false,
        }
    }
}

/// A periodic job and what its log lines say.
pub struct Job {
    /// E.g. `retention`, in the log when a run fails and in `job_runs`.
    pub name: &'static str,
    /// What a run that did something logs, with the count, e.g. "retention erased kandas
    /// documents".
    pub done: &'static str,
    pub run_once: RunOnce,
}

/// Runs `job` at once and then every `every` until the process ends, each run recorded as
/// the schedule's on `replica`.
pub async fn run_every(
    job: Job,
    pool: PgPool,
    evidence: Arc<Evidence>,
    clock: Clock,
    every: Duration,
    replica: Arc<str>,
) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let trigger = job_runs::Trigger::Schedule;
        let run = job_runs::run_recorded(
            &job,
            &pool,
            evidence.tag_key(),
            clock.today(),
            &replica,
            &trigger,
        );
        match run.await {
            Ok(done) if done.count > 0 => {
                tracing::info!(count = done.count, job = job.name, "{}", job.done)
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, job = job.name, "job run failed; retrying later"),
        }
    }
}
