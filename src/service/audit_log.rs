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

/// Seals what is waiting first, so the answer covers everything written so far.
pub async fn verify(state: &AppState) -> ApiResult<Verification> {
    audit::seal_pending(&state.pool).await?;
    Ok(audit::verify(&state.pool).await?)
}
