//! gRPC services: proto ⟷ domain conversion at the edge, one error mapping, and the helpers
//! every handler shares (caller, resource names, dates, paging, idempotency, audit).

pub mod admin;
pub mod application;
pub mod audit;
pub mod convert;
pub mod person;
pub mod prerequisite;
pub mod quota;
pub mod support;

use crate::audit::Entry;
use crate::domain::caller::Caller;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;
use crate::store::{Tx, idempotency};
use base64::Engine;
use prost::Message;
use tonic::{Request, Response, Status};
use uuid::Uuid;

/// The authenticated caller the auth layer put on the request.
pub fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| {
            ApiError::Unauthenticated {
                reason: "CLIENT_IDENTITY_MISSING",
                message: "no verified client identity".into(),
            }
            .into()
        })
}

/// Parses `collection/{uuid}`.
pub fn parse_name(field: &str, value: &str, collection: &str) -> Result<Uuid, FieldError> {
    value
        .strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| {
            FieldError::new(
                field,
                format!("must be a resource name `{collection}/{{uuid}}`"),
            )
        })
}

pub fn name_of(collection: &str, id: Uuid) -> String {
    format!("{collection}/{id}")
}

/// A required `request_id`: a UUID the caller chose.
pub fn parse_request_id(value: &str) -> Result<Uuid, FieldError> {
    Uuid::parse_str(value)
        .ok()
        .filter(|id| !id.is_nil())
        .ok_or_else(|| {
            FieldError::new(
                "request_id",
                "required: a UUID chosen by the caller, reused on retry",
            )
        })
}

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// AIP-158 page size: 0 means the default, larger than the maximum is clamped.
pub fn page_size(value: i32) -> Result<i64, FieldError> {
    match value {
        v if v < 0 => Err(FieldError::new("page_size", "must not be negative")),
        0 => Ok(DEFAULT_PAGE_SIZE),
        v => Ok(i64::from(v).min(MAX_PAGE_SIZE)),
    }
}

const TOKEN_PREFIX: &str = "k1:";

/// An opaque page token carrying the last key of the previous page.
pub fn encode_page_token(last_key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{last_key}"))
}

pub fn decode_page_token(token: &str) -> Result<Option<String>, FieldError> {
    if token.is_empty() {
        return Ok(None);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(TOKEN_PREFIX).map(str::to_string))
        .map(Some)
        .ok_or_else(|| FieldError::new("page_token", "not a token returned by this service"))
}

/// Trims a page fetched with `limit + 1` rows to `limit` and returns the token of the next
/// page (empty on the last one), keyed by the last row kept.
pub fn next_page<T>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> String {
    if rows.len() as i64 <= limit {
        return String::new();
    }
    rows.truncate(limit as usize);
    rows.last()
        .map(|r| encode_page_token(&key(r)))
        .unwrap_or_default()
}

/// A field the validation above guaranteed is missing after all: a bug, not the caller's.
pub fn lost_field() -> ApiError {
    ApiError::internal(anyhow::anyhow!("validated request lost a field"))
}

/// Starts an idempotent mutation inside `tx`: `Some(first response)` when this is a retry.
pub async fn replay_or_claim<Resp: Message + Default>(
    tx: &mut Tx<'_>,
    caller: &Caller,
    rpc: &str,
    request_id: Uuid,
    request: &impl Message,
) -> ApiResult<Option<Resp>> {
    let hash = idempotency::request_hash(rpc, &request.encode_to_vec());
    match idempotency::claim(tx, &caller.client(), request_id, rpc, &hash).await? {
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
pub async fn commit_mutation<Resp: Message>(
    mut tx: Tx<'_>,
    caller: &Caller,
    rpc: &str,
    request_id: Uuid,
    subject: &str,
    response: &Resp,
) -> ApiResult<()> {
    idempotency::complete(
        &mut tx,
        &caller.client(),
        request_id,
        &response.encode_to_vec(),
    )
    .await?;
    crate::audit::record(
        &mut *tx,
        &Entry {
            caller,
            rpc,
            subject,
            request_id: &request_id.to_string(),
            outcome: "OK",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Finishes a handler: audits a read of personal data or a failed attempt, maps the error.
/// `audit_success` is false for mutations, which audit inside their own transaction.
pub async fn respond<T>(
    state: &AppState,
    caller: &Caller,
    rpc: &str,
    subject: &str,
    request_id: &str,
    audit_success: bool,
    result: ApiResult<T>,
) -> Result<Response<T>, Status> {
    let outcome = match &result {
        Ok(_) if !audit_success => None,
        Ok(_) => Some("OK".to_string()),
        Err(error) => Some(format!("{:?}", error.code())),
    };
    if let Some(outcome) = outcome {
        let entry = Entry {
            caller,
            rpc,
            subject,
            request_id,
            outcome: &outcome,
        };
        if let Err(error) = state.audit.record(&entry).await {
            if result.is_ok() {
                // A read of personal data that cannot be audited is not served. The attempt
                // is still worth a record if the log takes one (the failure may have been in
                // the commit it shared, not in the log itself).
                let refused = ApiError::from(error);
                let outcome = format!("{:?}", refused.code());
                let entry = Entry {
                    outcome: &outcome,
                    ..entry
                };
                if let Err(error) = state.audit.record(&entry).await {
                    tracing::warn!(%error, rpc, "could not audit a refused read");
                }
                return Err(refused.into());
            }
            tracing::warn!(%error, rpc, "could not audit a failed call");
        }
    }
    result.map(Response::new).map_err(Status::from)
}

/// Collects every malformed field of a request, so one INVALID_ARGUMENT names them all.
#[derive(Debug, Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parsed value, or `None` with its error kept.
    pub fn check<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        parsed.map_err(|e| self.push(e)).ok()
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Whether `field` already has an error, so a later rule does not report it twice.
    pub fn reported(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// How many errors so far: a parser compares it to tell whether its own part failed.
    pub fn count(&self) -> usize {
        self.errors.len()
    }

    /// `INVALID_ARGUMENT` with every collected violation, or Ok.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidArgument(self.errors))
        }
    }
}
