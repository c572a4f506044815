//! The yearly figures set by law: regional quotas, MCI values and the official calendar.
//! Commands arrive parsed; each change owns its transaction.

use crate::domain::calendar::{Calendar, OfficialYear};
use crate::domain::call::Call;
use crate::domain::money::Mci;
use crate::domain::regions::Region;
use crate::error::{ApiError, ApiResult, Reason, Violation, failed_precondition};
use crate::service::mutation::{self, Idempotency};
use crate::state::AppState;
use crate::store::calendar;
use crate::store::quota::{self, QuotaRow};
use prost::Message;

/// SetQuota, parsed.
pub struct SetQuota {
    pub key: Idempotency,
    pub region: Region,
    pub year: i32,
    pub places: i32,
}

/// SetMci, parsed.
pub struct SetMci {
    pub key: Idempotency,
    pub year: i32,
    pub tenge: Mci,
}

/// SetCalendarYear, parsed: a year whose every date is readable and whose rules hold.
pub struct SetCalendarYear {
    pub key: Idempotency,
    pub official: OfficialYear,
}

/// Sets or amends a region's quota of a year, never below the places already taken.
pub async fn set_quota<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: SetQuota,
    present: impl Fn(&QuotaRow) -> R,
) -> ApiResult<R> {
    let SetQuota {
        key,
        region,
        year,
        places,
    } = command;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let name = format!("quotas/{region}/{year}");
    let row = match quota::set(&mut tx, region, year, places).await? {
        quota::SetQuota::Set(row) => row,
        quota::SetQuota::BelowTaken { taken } => {
            return Err(failed_precondition(
                Reason::QuotaBelowTaken,
                format!(
                    "{taken} places of {region} {year} are already taken; the quota cannot be set to {places}"
                ),
                vec![Violation::new(
                    "QUOTA_AT_LEAST_TAKEN",
                    name,
                    format!("at least {taken}"),
                )],
            ));
        }
    };
    let answer = present(&row);
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

/// Sets the monthly calculation index of a year.
pub async fn set_mci<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: SetMci,
    present: impl Fn(i32, i64) -> R,
) -> ApiResult<R> {
    let SetMci { key, year, tenge } = command;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    quota::set_mci(&mut *tx, year, tenge).await?;
    let answer = present(year, tenge.tenge());
    mutation::commit(
        &state.audit,
        tx,
        call,
        &key,
        &format!("mci/{year}"),
        &answer,
    )
    .await?;
    Ok(answer)
}

/// Every MCI value set, oldest year first.
pub async fn list_mci(state: &AppState) -> ApiResult<Vec<(i32, i64)>> {
    Ok(quota::all_mci(&state.pool).await?)
}

/// Loads (or reloads) an official year; `present` sees the calendar with it applied. The
/// calendar in force is replaced only once the year is committed.
pub async fn set_calendar_year<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: SetCalendarYear,
    present: impl Fn(&Calendar, i32) -> R,
) -> ApiResult<R> {
    let SetCalendarYear { key, official } = command;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    calendar::save(&mut tx, &official, &call.caller.client()).await?;
    // Built from every stored year, inside the transaction: the same calendar each replica
    // rebuilds when it hears of this commit.
    let updated = calendar::current(&mut *tx)
        .await
        .map_err(ApiError::internal)?;
    let answer = present(&updated, official.year);
    let name = format!("calendar/{}", official.year);
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    state.calendar.replace(updated);
    Ok(answer)
}
