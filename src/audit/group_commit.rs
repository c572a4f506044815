//! Group commit for audit events that stand alone: reads of personal data and failed calls.
//!
//! A read is served only once its event is durable (SPEC §7), but one commit per read made
//! the log, not the read, the cost of every GetApplication. Callers hand their event to one
//! writer task per replica and wait for its acknowledgement; the writer inserts whatever has
//! queued up in a single statement and commits once. Under load many reads share one commit;
//! alone, an event is written at once (the writer never waits to fill a batch). A failed batch
//! is retried event by event, so a read is refused exactly when its own event cannot be written
//! and nothing is ever served unaudited.
//!
//! Mutations do not come here: their event belongs to the transaction of the change.

use super::{Entry, Evidence, tag};
use crate::domain::call::Call;
use crate::store::is_unavailable;
use sqlx::Postgres;
use sqlx::pool::PoolConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Mutex, mpsc, oneshot};

/// Most events in one INSERT. Large enough that a full pool of waiting reads fits in a few
/// batches; small enough that one statement stays well under a millisecond of server work.
const MAX_BATCH: usize = 512;
/// Batches being committed at once (the writer's lanes). More than one lets a batch fill while
/// another commits (PostgreSQL flushes their WAL together); few, so the log never takes the
/// pool from reads.
const BATCHES_IN_FLIGHT: usize = 2;
/// Events waiting for the writer. When full, callers wait: the shedding layer bounds how
/// many calls there are, so this is only a second line.
const QUEUE: usize = 4096;

/// Why an event could not be written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    #[error("writing the audit log failed: {0}")]
    Database(Arc<sqlx::Error>),
    #[error("the audit writer has stopped")]
    Stopped,
}

/// One event, owned, on its way to the writer.
struct Pending {
    recorded_at: chrono::DateTime<chrono::Utc>,
    client: String,
    role: &'static str,
    operator_id: String,
    applicant: String,
    rpc: String,
    subject: String,
    request_id: String,
    outcome: String,
    tag: Option<Vec<u8>>,
    done: oneshot::Sender<Result<(), AuditError>>,
}

/// A handle to this replica's audit writer; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<Pending>,
    counts: Arc<Counts>,
    evidence: Arc<Evidence>,
}

/// What the writer has done since it started, for `/metrics`.
#[derive(Debug, Default)]
pub struct Counts {
    /// Commits, successful or not.
    pub batches: AtomicU64,
    /// Events in those commits.
    pub events: AtomicU64,
    /// Commits that failed; their events were then tried one by one.
    pub failed_batches: AtomicU64,
}

impl AuditWriter {
    /// Starts the writer task. It ends when the last handle is dropped. Events are tagged
    /// with the key of `evidence`.
    pub fn start(pool: sqlx::PgPool, evidence: Arc<Evidence>) -> AuditWriter {
        let (queue, events) = mpsc::channel(QUEUE);
        let counts = Arc::new(Counts::default());
        tokio::spawn(write_batches(pool, events, counts.clone()));
        AuditWriter {
            queue,
            counts,
            evidence,
        }
    }

    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The replica's audit evidence: its keys, its kept head, what its sealer refused.
    pub fn evidence(&self) -> &Arc<Evidence> {
        &self.evidence
    }

    /// The key that tags events written in a transaction of their own ([`super::record`]).
    pub fn tag_key(&self) -> Option<&tag::TagKey> {
        self.evidence.tag_key()
    }

    /// One event of `call` about each distinct one of `subjects` (a list or a feed page that
    /// shows many persons, some more than once), all queued at once so they share the
    /// writer's batches; returns once every one is committed, or with the first failure.
    pub async fn record_reads(
        &self,
        call: &Call,
        subjects: impl IntoIterator<Item = String>,
    ) -> Result<(), AuditError> {
        let subjects: std::collections::BTreeSet<String> = subjects.into_iter().collect();
        let calls: Vec<Call> = subjects
            .iter()
            .map(|subject| call.clone().about(subject))
            .collect();
        let recorded = futures_util::future::join_all(
            calls
                .iter()
                .map(|each| async move { self.record(&Entry::of(each, "OK")).await }),
        )
        .await;
        recorded.into_iter().collect()
    }

    /// Appends one event and returns once it is committed.
    pub async fn record(&self, entry: &Entry<'_>) -> Result<(), AuditError> {
        let (done, committed) = oneshot::channel();
        let client = entry.caller.client();
        let applicant = entry.applicant();
        let content = tag::Tagged {
            recorded_at: tag::recording_time(chrono::Utc::now()),
            client: &client,
            role: entry.caller.role.as_str(),
            operator_id: &entry.caller.operator_id,
            rpc: entry.rpc,
            subject: entry.subject,
            request_id: entry.request_id,
            outcome: entry.outcome,
            applicant: &applicant,
        };
        let tag = self.tag_key().map(|key| key.tag(&content));
        let pending = Pending {
            recorded_at: content.recorded_at,
            role: entry.caller.role.as_str(),
            operator_id: entry.caller.operator_id.clone(),
            rpc: entry.rpc.to_string(),
            subject: entry.subject.to_string(),
            request_id: entry.request_id.to_string(),
            outcome: entry.outcome.to_string(),
            tag,
            client,
            applicant,
            done,
        };
        self.queue
            .send(pending)
            .await
            .map_err(|_| AuditError::Stopped)?;
        committed.await.map_err(|_| AuditError::Stopped)?
    }
}

/// The writer: [`BATCHES_IN_FLIGHT`] lanes, each taking whatever has queued while it was busy
/// and committing it as one batch. A lane keeps its database connection for as long as events
/// keep arriving, and gives it back once the queue is empty: sqlx tests every connection given
/// back to the pool with a round trip of its own, which, paid per batch, cost as much as the
/// batch's INSERT.
async fn write_batches(pool: sqlx::PgPool, events: mpsc::Receiver<Pending>, counts: Arc<Counts>) {
    let events = Arc::new(Mutex::new(events));
    let lanes: Vec<_> = (0..BATCHES_IN_FLIGHT)
        .map(|_| tokio::spawn(lane(pool.clone(), events.clone(), counts.clone())))
        .collect();
    for lane in lanes {
        let _ = lane.await;
    }
}

/// One lane of the writer; ends when the last handle is dropped and the queue is empty.
async fn lane(
    pool: sqlx::PgPool,
    events: Arc<Mutex<mpsc::Receiver<Pending>>>,
    counts: Arc<Counts>,
) {
    loop {
        // One lane at a time waits for the queue; the events that pile up meanwhile, while
        // the other commits, are its next batch.
        let mut batch = Vec::new();
        if events.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let mut connection = None;
        while !batch.is_empty() {
            commit(&pool, &mut connection, std::mem::take(&mut batch), &counts).await;
            // More queued while this batch committed: the same connection takes it. A lane
            // waiting for the queue (holding it) means nothing is queued.
            if let Ok(mut queue) = events.try_lock() {
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(event) => batch.push(event),
                        Err(_) => break,
                    }
                }
            }
        }
    }
}

/// Commits `batch` on the lane's connection (taken from the pool if it holds none) and
/// acknowledges each event. A connection that failed is given back, so the next batch takes
/// another.
async fn commit(
    pool: &sqlx::PgPool,
    connection: &mut Option<PoolConnection<Postgres>>,
    batch: Vec<Pending>,
    counts: &Counts,
) {
    let result = match held(pool, connection).await {
        Ok(held) => insert(&mut **held, &batch).await,
        Err(error) => Err(error),
    };
    counts.batches.fetch_add(1, Ordering::Relaxed);
    counts
        .events
        .fetch_add(batch.len() as u64, Ordering::Relaxed);
    let Err(error) = result else {
        acknowledge(batch, &Ok(()));
        return;
    };
    counts.failed_batches.fetch_add(1, Ordering::Relaxed);
    *connection = None;
    if batch.len() > 1 && !is_unavailable(&error) {
        // One event the log refuses must not cost the others their read: each is tried
        // alone, and only its own failure refuses its call.
        for event in batch {
            let alone = insert(pool, std::slice::from_ref(&event)).await;
            acknowledge(vec![event], &alone.map_err(shared));
        }
    } else {
        acknowledge(batch, &Err(shared(error)));
    }
}

/// The lane's connection, taken from the pool when it holds none.
async fn held<'c>(
    pool: &sqlx::PgPool,
    connection: &'c mut Option<PoolConnection<Postgres>>,
) -> Result<&'c mut PoolConnection<Postgres>, sqlx::Error> {
    if connection.is_none() {
        *connection = Some(pool.acquire().await?);
    }
    Ok(connection.as_mut().expect("a connection was just taken"))
}

fn shared(error: sqlx::Error) -> AuditError {
    AuditError::Database(Arc::new(error))
}

fn acknowledge(batch: Vec<Pending>, result: &Result<(), AuditError>) {
    for event in batch {
        // A caller that gave up (deadline, disconnect) no longer listens; its event is
        // written all the same.
        let _ = event.done.send(result.clone());
    }
}

/// One statement, one commit, for the whole batch.
async fn insert(executor: impl sqlx::PgExecutor<'_>, batch: &[Pending]) -> Result<(), sqlx::Error> {
    fn column<'a>(batch: &'a [Pending], field: impl Fn(&'a Pending) -> &'a str) -> Vec<&'a str> {
        batch.iter().map(field).collect()
    }
    sqlx::query!(
        "INSERT INTO audit_events (client, role, operator_id, rpc, subject, request_id, outcome, applicant, recorded_at, tag)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::bytea[])",
        &column(batch, |e| &e.client) as &[&str],
        &column(batch, |e| e.role) as &[&str],
        &column(batch, |e| &e.operator_id) as &[&str],
        &column(batch, |e| &e.rpc) as &[&str],
        &column(batch, |e| &e.subject) as &[&str],
        &column(batch, |e| &e.request_id) as &[&str],
        &column(batch, |e| &e.outcome) as &[&str],
        &column(batch, |e| &e.applicant) as &[&str],
        &batch.iter().map(|e| e.recorded_at).collect::<Vec<_>>(),
        &batch.iter().map(|e| e.tag.clone()).collect::<Vec<_>>() as &[Option<Vec<u8>>],
    )
    .execute(executor)
    .await?;
    Ok(())
}
