//! Official calendar years loaded by administrators (SPEC 3).

use super::Tx;
use crate::domain::calendar::{Calendar, CalendarData, DatedDayOff, OfficialYear, Transfer};
use sqlx::PgExecutor;
use sqlx::types::Json;

/// Channel on which a loaded year is announced, so every replica rebuilds its calendar.
pub const CALENDAR_CHANNEL: &str = "kandas_calendar";

/// Every loaded year, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.calendar.official_years", db.system.name = "postgresql"))]
pub async fn official_years<'e>(
    executor: impl PgExecutor<'e>,
) -> Result<Vec<OfficialYear>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT year, dated_days_off AS "dated_days_off: Json<Vec<DatedDayOff>>",
                transfers AS "transfers: Json<Vec<Transfer>>"
         FROM calendar_years ORDER BY year"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| OfficialYear {
            year: row.year,
            dated_days_off: row.dated_days_off.0,
            transfers: row.transfers.0,
        })
        .collect())
}

/// The calendar in force: the shipped data with every loaded year applied.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.calendar.current", db.system.name = "postgresql"))]
pub async fn current<'e>(executor: impl PgExecutor<'e>) -> anyhow::Result<Calendar> {
    let data = official_years(executor)
        .await?
        .iter()
        .fold(CalendarData::kazakhstan_default(), |data, year| {
            data.with_official_year(year)
        });
    Ok(Calendar::from_data(data)?)
}

/// Loads (or reloads) a year and tells every replica.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.calendar.save", db.system.name = "postgresql"))]
pub async fn save(tx: &mut Tx<'_>, year: &OfficialYear, set_by: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO calendar_years (year, dated_days_off, transfers, set_by)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (year) DO UPDATE SET dated_days_off = EXCLUDED.dated_days_off,
             transfers = EXCLUDED.transfers, set_by = EXCLUDED.set_by, set_at = now()",
        year.year,
        Json(&year.dated_days_off) as _,
        Json(&year.transfers) as _,
        set_by
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "SELECT pg_notify($1, $2)",
        CALENDAR_CHANNEL,
        year.year.to_string()
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
