//! An idempotent mutation: claim the `(client, request_id)` key inside the change's
//! transaction, and store the answer and the audit event in the same commit, so a retry after
//! a crash or a timeout gets the first answer and nothing is done twice.

use crate::audit::Entry;
use crate::domain::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::store::{Tx, idempotency};
use prost::Message;
use uuid::Uuid;

/// The idempotency key of one mutating call and the request it names.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub rpc: &'static str,
    pub request_id: Uuid,
    /// The request as encoded on the wire: a different request under the same id is refused.
    pub request: Vec<u8>,
}

impl Idempotency {
    pub fn new(rpc: &'static str, request_id: Uuid, request: &impl Message) -> Self {
        Self {
            rpc,
            request_id,
            request: request.encode_to_vec(),
        }
    }
}

/// Starts an idempotent mutation inside `tx`: `Some(first response)` when this is a retry.
pub async fn claim<Resp: Message + Default>(
    tx: &mut Tx<'_>,
    caller: &Caller,
    key: &Idempotency,
) -> ApiResult<Option<Resp>> {
    let hash = idempotency::request_hash(key.rpc, &key.request);
    match idempotency::claim(tx, &caller.client(), key.request_id, key.rpc, &hash).await? {
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

/// Stores the response of an idempotent mutation, records it in the audit log, and commits.
pub async fn commit<Resp: Message>(
    mut tx: Tx<'_>,
    caller: &Caller,
    key: &Idempotency,
    subject: &str,
    response: &Resp,
) -> ApiResult<()> {
    idempotency::complete(
        &mut tx,
        &caller.client(),
        key.request_id,
        &response.encode_to_vec(),
    )
    .await?;
    crate::audit::record(
        &mut *tx,
        &Entry {
            caller,
            rpc: key.rpc,
            subject,
            request_id: &key.request_id.to_string(),
            outcome: "OK",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
