//! Idempotent retries: the first response to a `(client, request_id)` is stored in the same
//! transaction as the change it reports, so a retry returns it instead of acting twice.
//!
//! Concurrency: a second request with the same key blocks on the primary key until the first
//! transaction ends; if the first committed it then reads the stored response, if it rolled
//! back the second proceeds as new.

use super::Tx;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub enum Claim {
    /// First time: do the work, then `complete`.
    New,
    /// Seen before with the same request: the stored response.
    Replay(Vec<u8>),
    /// Seen before with a different request or RPC.
    Mismatch,
}

/// SHA-256 of the encoded request: what "the same request" means.
pub fn request_hash(rpc: &str, encoded_request: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(rpc.as_bytes());
    hasher.update([0u8]);
    hasher.update(encoded_request);
    hasher.finalize().to_vec()
}

/// Reserves the key inside `tx`, or reports what happened to it before.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.idempotency.claim", db.system.name = "postgresql"))]
pub async fn claim(
    tx: &mut Tx<'_>,
    client: &str,
    request_id: Uuid,
    rpc: &str,
    hash: &[u8],
) -> Result<Claim, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO idempotency_keys (client, request_id, rpc, request_hash, response)
         VALUES ($1, $2, $3, $4, '') ON CONFLICT DO NOTHING",
        client,
        request_id,
        rpc,
        hash
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let stored = sqlx::query!(
        "SELECT rpc, request_hash, response FROM idempotency_keys WHERE client = $1 AND request_id = $2",
        client,
        request_id
    )
    .fetch_one(&mut **tx)
    .await?;
    if stored.rpc == rpc && stored.request_hash == hash {
        Ok(Claim::Replay(stored.response))
    } else {
        Ok(Claim::Mismatch)
    }
}

/// Stores the response for a key claimed in the same transaction.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.idempotency.complete", db.system.name = "postgresql"))]
pub async fn complete(
    tx: &mut Tx<'_>,
    client: &str,
    request_id: Uuid,
    response: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE idempotency_keys SET response = $3 WHERE client = $1 AND request_id = $2",
        client,
        request_id,
        response
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
