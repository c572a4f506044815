//! An idempotent mutation: claim the `(client, request_id)` key inside the change's
//! transaction, and store the answer and the audit event in the same commit, so a retry after
//! a crash or a timeout gets the first answer and nothing is done twice.

use crate::audit::{AuditWriter, Entry};
use crate::domain::call::Call;
use crate::error::{ApiError, ApiResult, Reason};
use crate::store::{Tx, idempotency};
use prost::Message;
use uuid::Uuid;

/// The idempotency key of one mutating call and the request it names.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub request_id: Uuid,
    /// The request as encoded on the wire: a different request under the same id is refused.
    pub request: Vec<u8>,
}

impl Idempotency {
    pub fn new(request_id: Uuid, request: &impl Message) -> Self {
        Self {
            request_id,
            request: request.encode_to_vec(),
        }
    }
}

/// Starts an idempotent mutation inside `tx`: `Some(first response)` when this is a retry.
pub async fn claim<Resp: Message + Default>(
    tx: &mut Tx<'_>,
    call: &Call,
    key: &Idempotency,
) -> ApiResult<Option<Resp>> {
    let hash = idempotency::request_hash(call.rpc, &key.request);
    let client = call.caller.client();
    match idempotency::claim(tx, &client, key.request_id, call.rpc, &hash).await? {
        idempotency::Claim::New => Ok(None),
        idempotency::Claim::Replay(bytes) => Resp::decode(bytes.as_slice())
            .map(Some)
            .map_err(ApiError::internal),
        idempotency::Claim::Mismatch => Err(ApiError::field(
            "request_id",
            "already used for a different request; use a new request_id for a new request",
        )),
    }
}

/// Stores the response of an idempotent mutation, records it in the audit log under
/// `subject` (the resource as it now is: a new application's own name), and commits.
pub async fn commit<Resp: Message>(
    audit: &AuditWriter,
    mut tx: Tx<'_>,
    call: &Call,
    key: &Idempotency,
    subject: &str,
    response: &Resp,
) -> ApiResult<()> {
    let client = call.caller.client();
    idempotency::complete(&mut tx, &client, key.request_id, &response.encode_to_vec()).await?;
    let request_id = key.request_id.to_string();
    let call = Call {
        subject: subject.to_string(),
        request_id,
        ..call.clone()
    };
    crate::audit::record(&mut *tx, audit.tag_key(), &Entry::of(&call, "OK")).await?;
    tx.commit().await?;
    Ok(())
}

/// The etag of a stored version, as callers see it.
pub fn etag(version: i32) -> String {
    format!("v{version}")
}

/// Refuses a change made on a version of `what` that has since changed; an empty etag asks for
/// no check.
pub fn ensure_fresh(what: &str, given: &str, version: i32) -> ApiResult<()> {
    if given.is_empty() || given == etag(version) {
        Ok(())
    } else {
        Err(stale(what))
    }
}

/// The refusal of a change to `what` made on a version that is no longer current.
pub fn stale(what: &str) -> ApiError {
    ApiError::Aborted {
        reason: Reason::EtagMismatch,
        message: format!(
            "the {what} changed since it was read; read it again and retry with the new etag"
        ),
    }
}
