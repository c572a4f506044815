//! Reading applications: one by name, or a page of them by filter.

use super::ListQuery;
use crate::domain::call::Call;
use crate::domain::ids::{ApplicationId, PersonId};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::applications::{self, ApplicationRow, ListFilter};

/// One application, if it lies within the caller's scope.
pub async fn get(state: &AppState, call: &Call, id: ApplicationId) -> ApiResult<ApplicationRow> {
    let row = applications::get(&state.pool, id.uuid())
        .await?
        .ok_or_else(|| ApiError::missing(call, "application"))?;
    call.scope().check(row.placement(), &call.subject)?;
    Ok(row)
}

/// One more row than the page holds, so the caller can tell whether another page follows.
/// Refuses a call about an application outside the caller's scope, or about one that does not
/// exist in the words [`ApiError::missing`] gives.
pub async fn ensure_within(
    executor: impl sqlx::PgExecutor<'_>,
    call: &Call,
    id: ApplicationId,
) -> ApiResult<()> {
    let row = applications::get(executor, id.uuid())
        .await?
        .ok_or_else(|| ApiError::missing(call, "application"))?;
    call.scope().check(row.placement(), &call.subject)?;
    Ok(())
}

/// Only what lies within the caller's scope is listed, so a page never hints at others' files.
pub async fn list(
    state: &AppState,
    call: &Call,
    query: ListQuery,
) -> ApiResult<Vec<ApplicationRow>> {
    let filter = ListFilter {
        scope: call.scope(),
        procedures: query.procedures,
        state: query.state,
        applicant_id: query.applicant.map(PersonId::uuid),
        overdue_on: query.overdue_only.then(|| state.clock.today()),
        after: query.after,
    };
    Ok(applications::list(&state.pool, &filter, query.limit + 1).await?)
}
