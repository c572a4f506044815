//! Reading applications: one by name, or a page of them by filter.

use super::ListQuery;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::applications::{self, ApplicationRow, ListFilter};
use uuid::Uuid;

pub async fn get(state: &AppState, id: Uuid) -> ApiResult<ApplicationRow> {
    applications::get(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("application"))
}

/// One more row than the page holds, so the caller can tell whether another page follows.
pub async fn list(state: &AppState, query: ListQuery) -> ApiResult<Vec<ApplicationRow>> {
    let filter = ListFilter {
        procedures: query.procedures,
        state: query.state,
        applicant_id: query.applicant,
        overdue_on: query.overdue_only.then(|| state.clock.today()),
        after: query.after,
    };
    Ok(applications::list(&state.pool, &filter, query.limit + 1).await?)
}
