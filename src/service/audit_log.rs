//! Reading the audit log a page at a time, and verifying its chain.

use crate::audit::{self, EventRow, ListFilter, Verification};
use crate::error::ApiResult;
use crate::state::AppState;

/// ListAuditEvents, parsed.
pub struct EventQuery {
    pub filter: ListFilter,
    pub limit: i64,
}

/// One more row than the page holds, so the caller can tell whether another page follows.
pub async fn list(state: &AppState, query: EventQuery) -> ApiResult<Vec<EventRow>> {
    Ok(audit::list(&state.pool, &query.filter, query.limit + 1).await?)
}

/// Seals (and signs) what is waiting first, so the answer covers everything written so far.
/// The signed heads are checked with this server's public key and the earlier ones.
pub async fn verify(state: &AppState) -> ApiResult<Verification> {
    let evidence = state.audit.evidence();
    audit::seal_pending(&state.pool, evidence).await?;
    let mut keys = state.audit_previous_keys.clone();
    if let Some(signer) = &evidence.signer {
        match audit::sign_if_moved(&state.pool, evidence).await {
            Ok(_) => {}
            Err(audit::SignError::Database(error)) => return Err(error.into()),
            // Refused because the log contradicts its heads, or the head file could not be
            // written: the verification below says where, the log says why.
            Err(error) => tracing::debug!(%error, "audit head not signed before verifying"),
        }
        keys.push(signer.public_key());
    }
    Ok(audit::verify(&state.pool, &keys, evidence).await?)
}
