//! The audit log of SPEC §7: append-only and tamper-evident.
//!
//! Writers only INSERT an event (in the same transaction as the change it records), so
//! unrelated writes never wait on each other. A sealer then links unsealed events into one
//! hash chain, in the order it finds them: `hash = SHA-256(prev_hash ‖ seq ‖ content)`. It holds
//! the row lock of the chain head while it works, so replicas sharing a database seal one at a
//! time. Verification recomputes the chain: an edited event breaks its own hash, a deleted one
//! leaves a gap in `seq` or a broken `prev_hash`, and a deleted tail no longer meets the head.
//!
//! Whoever controls the database can still recompute the chain and move the head, so the
//! sealer also signs the head with a key kept outside the database ([`signing`]); the signed
//! heads are stored beside the events, exported with them ([`export`]) and checked offline
//! ([`offline`]) as well as here.

pub mod export;
mod group_commit;
pub mod offline;
pub mod signing;

pub use group_commit::{AuditError, AuditWriter};
pub use signing::{HeadSigner, PublicKey, SignedHead};

use crate::domain::call::Call;
use crate::domain::caller::Caller;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
// Queries built with format! join only constant fragments; values are always bound.
use sqlx::AssertSqlSafe;
use sqlx::{FromRow, PgExecutor, PgPool};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one audit event says.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub caller: &'a Caller,
    pub rpc: &'a str,
    pub subject: &'a str,
    pub request_id: &'a str,
    pub outcome: &'a str,
}

impl Entry<'_> {
    /// The portal's applicant the call acted for, as a resource name; empty otherwise.
    pub fn applicant(&self) -> String {
        self.caller
            .applicant
            .map(|id| format!("persons/{id}"))
            .unwrap_or_default()
    }
}

impl<'a> Entry<'a> {
    /// The event of `call` with its outcome (`OK` or a gRPC code name).
    pub fn of(call: &'a Call, outcome: &'a str) -> Self {
        Self {
            caller: &call.caller,
            rpc: call.rpc,
            subject: &call.subject,
            request_id: &call.request_id,
            outcome,
        }
    }
}

/// Appends one event.
pub async fn record<'e>(
    executor: impl PgExecutor<'e>,
    entry: &Entry<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (client, role, operator_id, rpc, subject, request_id, outcome, applicant)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entry.caller.client())
    .bind(entry.caller.role.as_str())
    .bind(&entry.caller.operator_id)
    .bind(entry.rpc)
    .bind(entry.subject)
    .bind(entry.request_id)
    .bind(entry.outcome)
    .bind(entry.applicant())
    .execute(executor)
    .await?;
    Ok(())
}

/// Appends one event of an act the service does by itself (no caller): `actor` names the job,
/// e.g. `retention`, recorded as client `urn:kandas:system:<actor>` in role `system`.
pub async fn record_system<'e>(
    executor: impl PgExecutor<'e>,
    actor: &str,
    act: &str,
    subject: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (client, role, operator_id, rpc, subject, request_id, outcome)
         VALUES ($1, 'system', '', $2, $3, '', 'OK')",
    )
    .bind(format!("urn:kandas:system:{actor}"))
    .bind(act)
    .bind(subject)
    .execute(executor)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub id: i64,
    pub recorded_at: DateTime<Utc>,
    pub client: String,
    pub role: String,
    pub operator_id: String,
    pub rpc: String,
    pub subject: String,
    pub request_id: String,
    pub outcome: String,
    pub applicant: String,
    pub seq: Option<i64>,
    pub prev_hash: Option<Vec<u8>>,
    pub hash: Option<Vec<u8>>,
}

const EVENT_COLUMNS: &str = "id, recorded_at, client, role, operator_id, rpc, subject, request_id, outcome, applicant, seq, prev_hash, hash";

/// The chain hash of one event. Every field is length-prefixed so no two different events
/// can serialise to the same bytes.
pub fn chain_hash(prev_hash: &[u8], seq: i64, event: &EventRow) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(seq.to_be_bytes());
    hasher.update(event.id.to_be_bytes());
    hasher.update(event.recorded_at.timestamp_micros().to_be_bytes());
    for field in [
        &event.client,
        &event.role,
        &event.operator_id,
        &event.rpc,
        &event.subject,
        &event.request_id,
        &event.outcome,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    // Appended only when present, so events recorded before applicants were kept hash as
    // they were sealed.
    if !event.applicant.is_empty() {
        hasher.update((event.applicant.len() as u64).to_be_bytes());
        hasher.update(event.applicant.as_bytes());
    }
    hasher.finalize().to_vec()
}

const SEAL_BATCH: i64 = 1000;

/// Seals every event written so far into the chain; returns how many it sealed.
pub async fn seal_pending(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let sealed = seal_batch(pool).await?;
        total += sealed;
        if sealed < SEAL_BATCH as u64 {
            return Ok(total);
        }
    }
}

async fn seal_batch(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (mut seq, mut hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_head FOR UPDATE")
            .fetch_one(&mut *tx)
            .await?;
    let events: Vec<EventRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq IS NULL ORDER BY id LIMIT $1"
    )))
    .bind(SEAL_BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(events.len());
    let mut seqs = Vec::with_capacity(events.len());
    let mut prevs = Vec::with_capacity(events.len());
    let mut hashes = Vec::with_capacity(events.len());
    for event in &events {
        seq += 1;
        let next = chain_hash(&hash, seq, event);
        ids.push(event.id);
        seqs.push(seq);
        prevs.push(std::mem::replace(&mut hash, next.clone()));
        hashes.push(next);
    }
    sqlx::query(
        "UPDATE audit_events e SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash
         FROM UNNEST($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS s(id, seq, prev_hash, hash)
         WHERE e.id = s.id AND e.id BETWEEN $5 AND $6",
    )
    .bind(&ids)
    .bind(&seqs)
    .bind(&prevs)
    .bind(&hashes)
    // The id range is redundant but keeps the plan an index range scan: without it, a batch
    // of a thousand ids made PostgreSQL hash-join against a sequential scan of the whole log.
    .bind(ids[0])
    .bind(ids[ids.len() - 1])
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE audit_chain_head SET seq = $1, hash = $2")
        .bind(seq)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(events.len() as u64)
}

/// A head is signed at least this often while the service runs (SPEC §7).
pub const SIGN_AT_LEAST_EVERY: Duration = Duration::from_secs(60);
/// New events are signed this soon after they are sealed, but no sooner: a busy log adds at
/// most one head row per this interval, not one per seal.
pub const SIGN_AT_MOST_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The head lies behind, or beside, what was signed: the log was cut or rewritten. The
    /// sealer refuses to vouch for it; verification names the place.
    #[error(
        "the audit chain head ({seq}) contradicts the last signed head ({signed}); not signing it"
    )]
    Contradicts { seq: i64, signed: i64 },
}

const HEAD_COLUMNS: &str = "seq, hash, signed_at, key_id, signature";

#[derive(FromRow)]
struct HeadRow {
    seq: i64,
    hash: Vec<u8>,
    signed_at: DateTime<Utc>,
    key_id: String,
    signature: Vec<u8>,
}

impl From<HeadRow> for SignedHead {
    fn from(row: HeadRow) -> Self {
        SignedHead {
            seq: row.seq,
            hash: row.hash,
            signed_at: row.signed_at,
            key_id: row.key_id,
            signature: row.signature,
        }
    }
}

/// Every signed head, in the order they were signed.
pub async fn signed_heads<'e>(
    executor: impl PgExecutor<'e>,
) -> Result<Vec<SignedHead>, sqlx::Error> {
    let rows: Vec<HeadRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {HEAD_COLUMNS} FROM audit_signed_heads ORDER BY id"
    )))
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(SignedHead::from).collect())
}

/// Signs the current chain head and stores the signature; `None` when the chain is empty or
/// the head is signed already.
pub async fn sign_head(
    pool: &PgPool,
    signer: &HeadSigner,
) -> Result<Option<SignedHead>, SignError> {
    let mut tx = pool.begin().await?;
    // Shared lock: no seal moves the head between reading and signing it.
    let (seq, hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_head FOR SHARE")
            .fetch_one(&mut *tx)
            .await?;
    if seq == 0 {
        return Ok(None);
    }
    let last: Option<HeadRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {HEAD_COLUMNS} FROM audit_signed_heads ORDER BY seq DESC, id DESC LIMIT 1"
    )))
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(last) = &last
        && (seq < last.seq || (seq == last.seq && hash != last.hash))
    {
        return Err(SignError::Contradicts {
            seq,
            signed: last.seq,
        });
    }
    let head = signer.sign(seq, &hash, Utc::now());
    sqlx::query(
        "INSERT INTO audit_signed_heads (seq, hash, signed_at, key_id, signature)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(head.seq)
    .bind(&head.hash)
    .bind(head.signed_at)
    .bind(&head.key_id)
    .bind(&head.signature)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(head))
}

/// Signs the head now if events were sealed since the last signature (or none was made
/// yet); used on demand, e.g. before verifying and at shutdown.
pub async fn sign_if_moved(
    pool: &PgPool,
    signer: &HeadSigner,
) -> Result<Option<SignedHead>, SignError> {
    let moved: bool = sqlx::query_scalar(
        "SELECT h.seq > coalesce((SELECT max(seq) FROM audit_signed_heads), 0) FROM audit_chain_head h",
    )
    .fetch_one(pool)
    .await?;
    if moved {
        sign_head(pool, signer).await
    } else {
        Ok(None)
    }
}

/// Seals in the background until the process stops, and signs the head: soon after new events
/// are sealed (at most every [`SIGN_AT_MOST_EVERY`]) and at least every
/// [`SIGN_AT_LEAST_EVERY`]. Failures (e.g. the database is down) are logged and retried on the
/// next tick; nothing is lost because events wait unsealed.
pub async fn run_sealer(pool: PgPool, every: Duration, signer: Option<Arc<HeadSigner>>) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_signed: Option<Instant> = None;
    let mut unsigned = false;
    loop {
        ticker.tick().await;
        match seal_pending(&pool).await {
            Ok(sealed) => unsigned |= sealed > 0,
            Err(error) => {
                tracing::debug!(%error, "audit sealing deferred");
                continue;
            }
        }
        let Some(signer) = &signer else { continue };
        let due = match last_signed {
            None => true,
            Some(at) => {
                at.elapsed() >= SIGN_AT_LEAST_EVERY
                    || (unsigned && at.elapsed() >= SIGN_AT_MOST_EVERY)
            }
        };
        if !due {
            continue;
        }
        match sign_head(&pool, signer).await {
            Ok(_) => {
                last_signed = Some(Instant::now());
                unsigned = false;
            }
            Err(error @ SignError::Contradicts { .. }) => {
                tracing::error!(%error, "audit log does not match its signed heads");
                last_signed = Some(Instant::now());
            }
            Err(error) => tracing::debug!(%error, "audit head signing deferred"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub seq: i64,
    pub problem: String,
}

#[derive(Debug, Clone)]
pub struct Verification {
    pub verified: i64,
    pub pending: i64,
    pub head_hash: Vec<u8>,
    /// Signed heads checked against the chain.
    pub signed_heads: i64,
    /// The position of the furthest signed head (0: none).
    pub last_signed: i64,
    /// Sorted by position: the first is where the log first stops being what was written.
    pub problems: Vec<Problem>,
}

impl Verification {
    pub fn first_bad(&self) -> Option<i64> {
        self.problems.iter().map(|p| p.seq).min()
    }
}

const VERIFY_PAGE: i64 = 5000;

/// Walks the whole chain in `seq` order and reports every inconsistency, then checks every
/// signed head against it with `keys` (the current public key, and older ones after a
/// rotation).
pub async fn verify(pool: &PgPool, keys: &[PublicKey]) -> Result<Verification, sqlx::Error> {
    let (head_seq, head_hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_head")
            .fetch_one(pool)
            .await?;
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE seq IS NULL")
        .fetch_one(pool)
        .await?;
    let mut problems = Vec::new();
    let mut expected_seq = 1_i64;
    let mut prev = vec![0u8; 32];
    let mut verified = 0_i64;
    loop {
        let page: Vec<EventRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3"
        )))
        .bind(expected_seq)
        .bind(head_seq)
        .bind(VERIFY_PAGE)
        .fetch_all(pool)
        .await?;
        let Some(last) = page.last().and_then(|e| e.seq) else {
            break;
        };
        for event in &page {
            let seq = event.seq.unwrap_or_default();
            if seq != expected_seq {
                problems.push(Problem {
                    seq: expected_seq,
                    problem: format!("events {expected_seq}..{} are missing", seq - 1),
                });
            }
            if event.prev_hash.as_deref() != Some(prev.as_slice()) {
                problems.push(Problem {
                    seq,
                    problem: "does not link to the previous event (an event before it was removed or altered)".into(),
                });
            }
            let recomputed = chain_hash(event.prev_hash.as_deref().unwrap_or_default(), seq, event);
            if event.hash.as_deref() != Some(recomputed.as_slice()) {
                problems.push(Problem {
                    seq,
                    problem: "content does not match its hash (the event was altered)".into(),
                });
            }
            prev = event.hash.clone().unwrap_or_default();
            expected_seq = seq + 1;
            verified += 1;
        }
        if last >= head_seq {
            break;
        }
    }
    if expected_seq <= head_seq {
        problems.push(Problem {
            seq: expected_seq,
            problem: format!(
                "events {expected_seq}..{head_seq} are missing at the end of the chain"
            ),
        });
    } else if head_seq > 0 && prev != head_hash {
        problems.push(Problem {
            seq: head_seq,
            problem: "the last event does not match the chain head".into(),
        });
    }
    let chain_end = expected_seq - 1;
    let heads = signed_heads(pool).await?;
    let positions: Vec<i64> = heads.iter().map(|h| h.seq).collect();
    let hashes: std::collections::HashMap<i64, Vec<u8>> =
        sqlx::query_as("SELECT seq, hash FROM audit_events WHERE seq = ANY($1)")
            .bind(&positions)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    problems.extend(offline::check_heads(
        &heads,
        keys,
        |seq| hashes.get(&seq).map(Vec::as_slice),
        chain_end,
    ));
    problems.sort_by_key(|p| p.seq);
    Ok(Verification {
        verified,
        pending,
        head_hash,
        signed_heads: heads.len() as i64,
        last_signed: positions.iter().copied().max().unwrap_or(0),
        problems,
    })
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub subject: Option<String>,
    pub client: Option<String>,
    pub after_id: Option<i64>,
}

pub async fn list(
    pool: &PgPool,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events WHERE true"
    ));
    if let Some(subject) = &filter.subject {
        query.push(" AND subject = ").push_bind(subject.clone());
    }
    if let Some(client) = &filter.client {
        query.push(" AND client = ").push_bind(client.clone());
    }
    if let Some(after) = filter.after_id {
        query.push(" AND id > ").push_bind(after);
    }
    query.push(" ORDER BY id LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(pool).await
}
