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

pub mod evidence;
pub mod export;
mod group_commit;
pub mod kept_head;
mod listing;
pub mod offline;
pub mod signing;
pub mod tag;
mod verify;

pub use evidence::Evidence;
pub use group_commit::{AuditError, AuditWriter};
pub use kept_head::{Contradiction, HeadKeeper};
pub use listing::{ListFilter, list};
use listing::{hashes_at, sealed_after};
pub use signing::{HeadSigner, PublicKey, SignedHead};
pub use tag::TagKey;
pub use verify::{Problem, Verification, verify};

use crate::domain::call::Call;
use crate::domain::caller::Caller;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool};
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
            .map(|id| crate::domain::ids::PersonId::from(id).to_string())
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

/// Appends one event, stamped with the time now and tagged with `tag_key` (the service's
/// own key; `None` only where no signing key was given, and then nothing is tagged).
pub async fn record<'e>(
    executor: impl PgExecutor<'e>,
    tag_key: Option<&TagKey>,
    entry: &Entry<'_>,
) -> Result<(), sqlx::Error> {
    let client = entry.caller.client();
    let applicant = entry.applicant();
    insert_one(
        executor,
        tag_key,
        &tag::Tagged {
            recorded_at: tag::recording_time(Utc::now()),
            client: &client,
            role: entry.caller.role.as_str(),
            operator_id: &entry.caller.operator_id,
            rpc: entry.rpc,
            subject: entry.subject,
            request_id: entry.request_id,
            outcome: entry.outcome,
            applicant: &applicant,
        },
    )
    .await
}

/// Appends one event of an act the service does by itself (no caller): `actor` names the job,
/// e.g. `retention`, recorded as client `urn:kandas:system:<actor>` in role `system`.
pub async fn record_system<'e>(
    executor: impl PgExecutor<'e>,
    tag_key: Option<&TagKey>,
    actor: &str,
    act: &str,
    subject: &str,
) -> Result<(), sqlx::Error> {
    let client = format!("urn:kandas:system:{actor}");
    insert_one(
        executor,
        tag_key,
        &tag::Tagged {
            recorded_at: tag::recording_time(Utc::now()),
            client: &client,
            role: "system",
            operator_id: "",
            rpc: act,
            subject,
            request_id: "",
            outcome: "OK",
            applicant: "",
        },
    )
    .await
}

async fn insert_one<'e>(
    executor: impl PgExecutor<'e>,
    tag_key: Option<&TagKey>,
    event: &tag::Tagged<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_events (recorded_at, client, role, operator_id, rpc, subject, request_id, outcome, applicant, tag)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        event.recorded_at,
        event.client,
        event.role,
        event.operator_id,
        event.rpc,
        event.subject,
        event.request_id,
        event.outcome,
        event.applicant,
        tag_key.map(|key| key.tag(event)),
    )
    .execute(executor)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
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
    /// The service's tag ([`tag`]); `None` on events written before tags, or not by it.
    pub tag: Option<Vec<u8>>,
    pub seq: Option<i64>,
    pub prev_hash: Option<Vec<u8>>,
    pub hash: Option<Vec<u8>>,
}

impl EventRow {
    /// The content the event's tag covers.
    pub fn tagged(&self) -> tag::Tagged<'_> {
        tag::Tagged {
            recorded_at: self.recorded_at,
            client: &self.client,
            role: &self.role,
            operator_id: &self.operator_id,
            rpc: &self.rpc,
            subject: &self.subject,
            request_id: &self.request_id,
            outcome: &self.outcome,
            applicant: &self.applicant,
        }
    }
}

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
    // Likewise the tag, so a sealed event's tag is part of what the chain (and a signed head)
    // vouches for, and events sealed before tags hash as they were.
    if let Some(tag) = &event.tag {
        hasher.update([b't']);
        hasher.update((tag.len() as u64).to_be_bytes());
        hasher.update(tag);
    }
    hasher.finalize().to_vec()
}

const SEAL_BATCH: i64 = 1000;

/// What one round of sealing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sealed {
    /// Events linked into the chain.
    pub sealed: u64,
    /// Events refused: kept out of the chain and listed in `audit_refusals`.
    pub refused: u64,
}

/// Seals every event written so far into the chain, except those whose tag does not verify
/// with the tag key of `evidence` (none: nothing is tagged, everything is sealed as written).
/// Refusals are counted in `evidence`, and the positions sealed remembered by its keeper.
pub async fn seal_pending(pool: &PgPool, evidence: &Evidence) -> Result<Sealed, sqlx::Error> {
    let mut total = Sealed::default();
    loop {
        let (batch, seen) = seal_batch(pool, evidence).await?;
        total.sealed += batch.sealed;
        total.refused += batch.refused;
        evidence.count_refused(batch.refused);
        if seen < SEAL_BATCH as u64 {
            return Ok(total);
        }
    }
}

/// One batch; also returns how many unsealed events it looked at.
async fn seal_batch(pool: &PgPool, evidence: &Evidence) -> Result<(Sealed, u64), sqlx::Error> {
    let tag_key = evidence.tag_key();
    let mut tx = pool.begin().await?;
    let head = sqlx::query!("SELECT seq, hash FROM audit_chain_head FOR UPDATE")
        .fetch_one(&mut *tx)
        .await?;
    let (mut seq, mut hash) = (head.seq, head.hash);
    // Refused events stay unsealed for good; the sealer passes over them.
    let events = sqlx::query_as!(
        EventRow,
        "SELECT id, recorded_at, client, role, operator_id, rpc, subject, request_id, outcome,
                applicant, tag, seq, prev_hash, hash
         FROM audit_events e WHERE seq IS NULL
           AND NOT EXISTS (SELECT 1 FROM audit_refusals r WHERE r.event_id = e.id)
         ORDER BY id LIMIT $1",
        SEAL_BATCH
    )
    .fetch_all(&mut *tx)
    .await?;
    if events.is_empty() {
        return Ok((Sealed::default(), 0));
    }
    let seen = events.len() as u64;
    let mut ids = Vec::with_capacity(events.len());
    let mut seqs = Vec::with_capacity(events.len());
    let mut prevs = Vec::with_capacity(events.len());
    let mut hashes = Vec::with_capacity(events.len());
    let (mut refused_ids, mut reasons, mut afters) = (Vec::new(), Vec::new(), Vec::new());
    for event in &events {
        if let Some(key) = tag_key
            && let Some(refusal) = tag::judge(key, &event.tagged(), event.tag.as_deref())
        {
            // Only the id and the reason: the event names a person by resource name, and
            // a log line is no place for it.
            tracing::warn!(
                event_id = event.id,
                reason = refusal.as_str(),
                after_seq = seq,
                "audit event refused: not sealed into the chain"
            );
            refused_ids.push(event.id);
            reasons.push(refusal.as_str());
            afters.push(seq);
            continue;
        }
        seq += 1;
        let next = chain_hash(&hash, seq, event);
        ids.push(event.id);
        seqs.push(seq);
        prevs.push(std::mem::replace(&mut hash, next.clone()));
        hashes.push(next);
    }
    if !refused_ids.is_empty() {
        sqlx::query!(
            "INSERT INTO audit_refusals (event_id, reason, after_seq)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[])",
            &refused_ids,
            &reasons as &[&str],
            &afters,
        )
        .execute(&mut *tx)
        .await?;
    }
    if !ids.is_empty() {
        sqlx::query!(
            "UPDATE audit_events e SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash
             FROM UNNEST($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS s(id, seq, prev_hash, hash)
             WHERE e.id = s.id AND e.id BETWEEN $5 AND $6",
            &ids,
            &seqs,
            &prevs,
            &hashes,
            // The id range is redundant but keeps the plan an index range scan: without it, a
            // batch of a thousand ids made PostgreSQL hash-join against a sequential scan of
            // the whole log.
            ids[0],
            ids[ids.len() - 1],
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE audit_chain_head SET seq = $1, hash = $2",
            seq,
            &hash
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    evidence.keeper.remember(&seqs, &hashes);
    Ok((
        Sealed {
            sealed: ids.len() as u64,
            refused: refused_ids.len() as u64,
        },
        seen,
    ))
}

/// An event the sealer refused, as verification reports it.
#[derive(Debug, Clone)]
pub struct RefusalRow {
    pub event_id: i64,
    pub reason: String,
    pub after_seq: i64,
    pub recorded_at: Option<DateTime<Utc>>,
}

/// Every refused event, oldest first, with the time it claims (if the row still exists).
pub async fn refusals<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<RefusalRow>, sqlx::Error> {
    sqlx::query_as!(
        RefusalRow,
        r#"SELECT r.event_id, r.reason, r.after_seq, e.recorded_at AS "recorded_at?"
         FROM audit_refusals r LEFT JOIN audit_events e ON e.id = r.event_id
         ORDER BY r.event_id"#
    )
    .fetch_all(executor)
    .await
}

/// Events read per round trip when walking the chain.
const VERIFY_PAGE: i64 = 5000;

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
    /// The log does not extend the head this service kept outside the database: signing
    /// stops until an operator has looked.
    #[error("{0}; audit head signing has stopped")]
    Contradiction(#[from] Contradiction),
    /// Signing stopped earlier, for this contradiction.
    #[error("audit head signing stopped earlier: {0}")]
    Stopped(Contradiction),
    #[error(transparent)]
    Keep(#[from] kept_head::KeptHeadError),
}

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
    let rows = sqlx::query_as!(
        HeadRow,
        "SELECT seq, hash, signed_at, key_id, signature FROM audit_signed_heads ORDER BY id"
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(SignedHead::from).collect())
}

/// Signs the current chain head and stores the signature; `None` when the chain is empty, has
/// not moved past the last signed head, or there is no signing key. Refuses (and stops signing for good) when the chain does not extend
/// the head kept outside the database ([`kept_head`]).
pub async fn sign_head(
    pool: &PgPool,
    evidence: &Evidence,
) -> Result<Option<SignedHead>, SignError> {
    if let Some(stopped) = evidence.keeper.stopped() {
        return Err(SignError::Stopped(stopped));
    }
    let Some(signer) = &evidence.signer else {
        return Ok(None);
    };
    let mut tx = pool.begin().await?;
    // No seal moves the head between reading and signing it, and signers take turns (the
    // sealer's tick, VerifyAuditChain, another replica): the second finds the head signed.
    let head = sqlx::query!("SELECT seq, hash FROM audit_chain_head FOR UPDATE")
        .fetch_one(&mut *tx)
        .await?;
    let (seq, hash) = (head.seq, head.hash);
    if let Some(kept) = evidence.keeper.last()
        && let Err(found) = still_extends(
            &mut tx,
            &kept,
            evidence.keeper.replaced().as_ref(),
            seq,
            evidence.tag_key(),
        )
        .await?
    {
        // The kept head shows that the log is bad, not where it starts to be: the hashes
        // this replica sealed, and those of witness exports, can show an earlier place.
        let known = evidence.keeper.known_upto(found.first_bad);
        let positions: Vec<i64> = known.iter().map(|(seq, _)| *seq).collect();
        let logged = hashes_at(&mut *tx, &positions).await?;
        let contradiction = kept_head::refine(found, &known, &logged);
        tracing::error!(
            first_bad = contradiction.first_bad,
            kept_seq = contradiction.kept_seq,
            error = %contradiction,
            "audit log contradicts the head this service signed: head signing stopped"
        );
        evidence.keeper.stop(contradiction.clone());
        return Err(contradiction.into());
    }
    if seq == 0 {
        return Ok(None);
    }
    let last = sqlx::query_as!(
        HeadRow,
        "SELECT seq, hash, signed_at, key_id, signature FROM audit_signed_heads
         ORDER BY seq DESC, id DESC LIMIT 1"
    )
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
    // Nothing sealed since the last signature: that head already vouches for this chain, and a
    // second row at the same position would add nothing. The kept head was checked all the same.
    if last.as_ref().is_some_and(|last| seq == last.seq) {
        return Ok(None);
    }
    let head = signer.sign(seq, &hash, Utc::now());
    sqlx::query!(
        "INSERT INTO audit_signed_heads (seq, hash, signed_at, key_id, signature)
         VALUES ($1, $2, $3, $4, $5)",
        head.seq,
        &head.hash,
        head.signed_at,
        &head.key_id,
        &head.signature,
    )
    .execute(&mut *tx)
    .await?;
    // Published to the registries in the same transaction: the feed holds every head the
    // database does, and a head that rolls back is never published.
    let published = crate::domain::record_event::NewEvent::audit_head_signed(
        head.seq,
        &head.hash,
        head.signed_at,
        &head.key_id,
        &head.signature,
    );
    crate::store::record_events::append(&mut tx, &[published]).await?;
    tx.commit().await?;
    // Kept only once committed: a head that was never stored must not become the one every
    // later head has to extend.
    evidence.keeper.keep(&head)?;
    Ok(Some(head))
}

/// Whether the chain, now ending at `chain_end`, extends `kept`: the kept position still has
/// the kept hash, the database still holds the kept head and the one it `replaced` (a deletion
/// that raced the signature of the kept head removed that one), and every event sealed after
/// it links to the one before and carries the service's tag.
async fn still_extends(
    tx: &mut sqlx::PgConnection,
    kept: &SignedHead,
    replaced: Option<&SignedHead>,
    chain_end: i64,
    tag_key: Option<&TagKey>,
) -> Result<Result<(), Contradiction>, sqlx::Error> {
    let hash_at_kept =
        sqlx::query_scalar!("SELECT hash FROM audit_events WHERE seq = $1", kept.seq)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
    let kept_in_log = holds(&mut *tx, kept).await?;
    let replaced_in_log = match replaced {
        Some(replaced) => holds(&mut *tx, replaced).await?,
        None => true,
    };
    let seen = kept_head::Seen {
        chain_end,
        hash_at_kept,
        kept_in_log,
        replaced_in_log,
    };
    if let Err(contradiction) = kept_head::extends(kept, replaced, &seen) {
        return Ok(Err(contradiction));
    }
    let mut prev = kept.hash.clone();
    let mut after = kept.seq;
    while after < chain_end {
        let page = sealed_after(&mut *tx, after, chain_end, VERIFY_PAGE).await?;
        if page.is_empty() {
            // The head claims events that are not there.
            return Ok(Err(Contradiction {
                first_bad: after + 1,
                kept_seq: kept.seq,
                kind: kept_head::ContradictionKind::Unlinked,
            }));
        }
        if let Some((seq, kind)) = segment_fault(&mut prev, after, &page, tag_key) {
            return Ok(Err(Contradiction {
                first_bad: seq,
                kept_seq: kept.seq,
                kind,
            }));
        }
        after = page.last().and_then(|e| e.seq).unwrap_or(chain_end);
    }
    Ok(Ok(()))
}

/// Whether `audit_signed_heads` holds `head` (same position, hash and signature).
async fn holds(tx: &mut sqlx::PgConnection, head: &SignedHead) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM audit_signed_heads
                          WHERE seq = $1 AND hash = $2 AND signature = $3) AS "held!""#,
        head.seq,
        &head.hash,
        &head.signature,
    )
    .fetch_one(tx)
    .await
}

/// The first event of `page` (sealed after position `after`, whose hash is `prev`) that does
/// not follow on, or is not the service's; advances `prev` past the page when all do.
fn segment_fault(
    prev: &mut Vec<u8>,
    after: i64,
    page: &[EventRow],
    tag_key: Option<&TagKey>,
) -> Option<(i64, kept_head::ContradictionKind)> {
    use kept_head::ContradictionKind::{Unlinked, Untagged};
    let mut expected = after + 1;
    for event in page {
        let seq = event.seq.unwrap_or_default();
        if seq != expected || event.prev_hash.as_deref() != Some(prev.as_slice()) {
            return Some((expected, Unlinked));
        }
        if event.hash.as_deref() != Some(chain_hash(prev, seq, event).as_slice()) {
            return Some((seq, Unlinked));
        }
        if let Some(key) = tag_key
            && tag::judge(key, &event.tagged(), event.tag.as_deref()).is_some()
        {
            return Some((seq, Untagged));
        }
        *prev = event.hash.clone().unwrap_or_default();
        expected = seq + 1;
    }
    None
}

/// Checks the kept head, and signs the head now if events were sealed since the last
/// signature (or none was made yet); used on demand, e.g. before verifying and at shutdown.
pub async fn sign_if_moved(
    pool: &PgPool,
    evidence: &Evidence,
) -> Result<Option<SignedHead>, SignError> {
    let moved = sqlx::query_scalar!(
        r#"SELECT h.seq > coalesce((SELECT max(seq) FROM audit_signed_heads), 0) AS "moved!"
         FROM audit_chain_head h"#
    )
    .fetch_one(pool)
    .await?;
    // The kept head is checked whenever one is known, moved or not: a log cut together with
    // its heads looks unmoved to the database.
    if moved || evidence.keeper.last().is_some() {
        sign_head(pool, evidence).await
    } else {
        Ok(None)
    }
}

/// The health name that reports whether this replica signs audit heads: NOT_SERVING once the
/// log has contradicted a head it signed.
pub const HEAD_SIGNING_HEALTH: &str = "kandas.audit.HeadSigning";

/// Seals in the background until the process stops, and signs the head: soon after new events
/// are sealed (at most every [`SIGN_AT_MOST_EVERY`]) and at least every
/// [`SIGN_AT_LEAST_EVERY`]. Failures (e.g. the database is down) are logged and retried on the
/// next tick; nothing is lost because events wait unsealed. A contradiction stops signing (not
/// sealing) and sets [`HEAD_SIGNING_HEALTH`] NOT_SERVING.
pub async fn run_sealer(
    pool: PgPool,
    every: Duration,
    evidence: Arc<Evidence>,
    health: Option<tonic_health::server::HealthReporter>,
) {
    use tonic_health::ServingStatus;
    if let Some(health) = &health {
        let status = if evidence.signer.is_some() {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        health.set_service_status(HEAD_SIGNING_HEALTH, status).await;
    }
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_signed: Option<Instant> = None;
    let mut unsigned = false;
    let mut reported_stop = false;
    loop {
        ticker.tick().await;
        match seal_pending(&pool, &evidence).await {
            Ok(done) => unsigned |= done.sealed > 0,
            Err(error) => {
                tracing::debug!(%error, "audit sealing deferred");
                continue;
            }
        }
        if evidence.signer.is_none() {
            continue;
        }
        if let Some(stopped) = evidence.keeper.stopped() {
            if !reported_stop {
                if let Some(health) = &health {
                    health
                        .set_service_status(HEAD_SIGNING_HEALTH, ServingStatus::NotServing)
                        .await;
                }
                tracing::error!(
                    first_bad = stopped.first_bad,
                    "audit head signing is stopped until the contradiction is resolved (docs/src/operating/audit-against-administrator.md)"
                );
                reported_stop = true;
            }
            continue;
        }
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
        match sign_head(&pool, &evidence).await {
            Ok(_) => {
                last_signed = Some(Instant::now());
                unsigned = false;
            }
            Err(error @ SignError::Contradicts { .. }) => {
                tracing::error!(%error, "audit log does not match its signed heads");
                last_signed = Some(Instant::now());
            }
            // Logged where it was found; the next tick reports the stop.
            Err(SignError::Contradiction(_) | SignError::Stopped(_)) => {}
            Err(error) => tracing::debug!(%error, "audit head signing deferred"),
        }
    }
}
