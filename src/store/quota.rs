//! Quota places, inclusions, the decision feed, MCI values and entitlement lines.

use super::Tx;
use crate::domain::money::{Mci, MciOutOfRange};
use crate::domain::regions::Region;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

/// Channel on which each committed quota decision is announced to every replica.
pub const FEED_CHANNEL: &str = "kandas_quota_decisions";

#[derive(Debug, Clone, FromRow)]
pub struct QuotaRow {
    pub region: Region,
    pub year: i32,
    pub places: i32,
    pub taken: i32,
}

pub enum Allocation {
    Taken,
    /// Too few places: what the quota has and what remains.
    TooFew {
        places: i32,
        remaining: i32,
    },
    NoQuota,
}

/// Takes `places` atomically. The row lock orders concurrent allocations on one region and
/// year; the WHERE is re-checked after the wait, and the table's CHECK refuses any write that
/// would over-commit, whatever the writer.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.allocate", db.system.name = "postgresql"))]
pub async fn allocate(
    tx: &mut Tx<'_>,
    region: Region,
    year: i32,
    places: i32,
) -> Result<Allocation, sqlx::Error> {
    let taken = sqlx::query!(
        "UPDATE quotas SET taken = taken + $3 WHERE region = $1 AND year = $2 AND taken + $3 <= places",
        region.code(),
        year,
        places
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if taken == 1 {
        return Ok(Allocation::Taken);
    }
    let row: Option<QuotaRow> = get(&mut **tx, region, year).await?;
    Ok(match row {
        Some(q) => Allocation::TooFew {
            places: q.places,
            remaining: q.places - q.taken,
        },
        None => Allocation::NoQuota,
    })
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.get", db.system.name = "postgresql"))]
pub async fn get<'e>(
    executor: impl PgExecutor<'e>,
    region: Region,
    year: i32,
) -> Result<Option<QuotaRow>, sqlx::Error> {
    sqlx::query_as!(
        QuotaRow,
        r#"SELECT region AS "region: Region", year, places, taken
           FROM quotas WHERE region = $1 AND year = $2"#,
        region.code(),
        year
    )
    .fetch_optional(executor)
    .await
}

/// Quotas of one year (or all) in (year, region) order, after `after`, `limit` at most.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.list", db.system.name = "postgresql"))]
pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    year: Option<i32>,
    after: Option<(i32, Region)>,
    limit: i64,
) -> Result<Vec<QuotaRow>, sqlx::Error> {
    sqlx::query_as!(
        QuotaRow,
        r#"SELECT region AS "region: Region", year, places, taken FROM quotas
         WHERE ($1::integer IS NULL OR year = $1)
           AND ($2::integer IS NULL OR (year, region) > ($2, $3::text))
         ORDER BY year, region LIMIT $4"#,
        year,
        after.map(|(year, _)| year),
        after.map(|(_, region)| region.code()),
        limit
    )
    .fetch_all(executor)
    .await
}

pub enum SetQuota {
    Set(QuotaRow),
    BelowTaken { taken: i32 },
}

/// Sets or amends a quota; never below the places already taken (the CHECK guarantees it
/// even against a concurrent allocation).
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.set", db.system.name = "postgresql"))]
pub async fn set(
    tx: &mut Tx<'_>,
    region: Region,
    year: i32,
    places: i32,
) -> Result<SetQuota, sqlx::Error> {
    let row: Option<QuotaRow> = sqlx::query_as!(
        QuotaRow,
        r#"INSERT INTO quotas (region, year, places) VALUES ($1, $2, $3)
         ON CONFLICT (region, year) DO UPDATE SET places = EXCLUDED.places WHERE quotas.taken <= EXCLUDED.places
         RETURNING region AS "region: Region", year, places, taken"#,
        region.code(),
        year,
        places
    )
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(row) => Ok(SetQuota::Set(row)),
        None => {
            let taken = get(&mut **tx, region, year)
                .await?
                .map(|q| q.taken)
                .unwrap_or(0);
            Ok(SetQuota::BelowTaken { taken })
        }
    }
}

/// Records that each person is included; `Err(person)` names one already included, ever.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.include", db.system.name = "postgresql"))]
pub async fn include(
    tx: &mut Tx<'_>,
    persons: &[Uuid],
    application_id: Uuid,
    region: Region,
    year: i32,
) -> Result<Result<(), Uuid>, sqlx::Error> {
    for person in persons {
        let inserted = sqlx::query!(
            "INSERT INTO quota_inclusions (person_id, application_id, region, year) VALUES ($1, $2, $3, $4)
             ON CONFLICT (person_id) DO NOTHING",
            person,
            application_id,
            region.code(),
            year
        )
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(Err(*person));
        }
    }
    Ok(Ok(()))
}

/// Persons of this list already included in a quota, with the application that included them.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.already_included", db.system.name = "postgresql"))]
pub async fn already_included<'e>(
    executor: impl PgExecutor<'e>,
    persons: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT person_id, application_id FROM quota_inclusions WHERE person_id = ANY($1)",
        persons
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.person_id, row.application_id))
        .collect())
}

#[derive(Debug, Clone, FromRow)]
pub struct DecisionRow {
    pub seq: i64,
    pub application_id: Uuid,
    pub region: Region,
    pub year: i32,
    pub approved: bool,
    pub places: i32,
    pub rent_mci: i32,
    pub decided_at: DateTime<Utc>,
    pub applicant_id: Uuid,
    pub family_size: i32,
    pub reason_code: String,
}

pub struct NewDecision<'a> {
    pub application_id: Uuid,
    pub applicant_id: Uuid,
    pub region: Region,
    pub year: i32,
    pub approved: bool,
    /// The applicant and each family member.
    pub family_size: i32,
    pub places: i32,
    pub rent_mci: i32,
    /// Empty when approved.
    pub reason_code: &'a str,
}

/// Appends a decision to the feed. The head row stays locked until the transaction ends, so
/// sequence numbers become visible in order; the notification is delivered on commit.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.append_decision", db.system.name = "postgresql"))]
pub async fn append_decision(
    tx: &mut Tx<'_>,
    decision: &NewDecision<'_>,
) -> Result<i64, sqlx::Error> {
    let seq: i64 = sqlx::query_scalar!("UPDATE quota_feed_head SET seq = seq + 1 RETURNING seq")
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query!(
        "INSERT INTO quota_decisions (seq, application_id, region, year, approved, places, rent_mci,
                                      applicant_id, family_size, reason_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        seq,
        decision.application_id,
        decision.region.code(),
        decision.year,
        decision.approved,
        decision.places,
        decision.rent_mci,
        decision.applicant_id,
        decision.family_size,
        decision.reason_code
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!("SELECT pg_notify($1, $2)", FEED_CHANNEL, seq.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

/// Decisions after `after` in the regions given (`None`: in every region).
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.decisions_after", db.system.name = "postgresql"))]
pub async fn decisions_after<'e>(
    executor: impl PgExecutor<'e>,
    after: i64,
    limit: i64,
    regions: Option<&[Region]>,
) -> Result<Vec<DecisionRow>, sqlx::Error> {
    let codes: Option<Vec<String>> =
        regions.map(|r| r.iter().map(|region| region.code().to_string()).collect());
    sqlx::query_as!(
        DecisionRow,
        r#"SELECT seq, application_id, region AS "region: Region", year, approved, places,
                rent_mci, decided_at, applicant_id, family_size, reason_code
         FROM quota_decisions WHERE seq > $1 AND ($3::text[] IS NULL OR region = ANY($3))
         ORDER BY seq LIMIT $2"#,
        after,
        limit,
        codes.as_deref()
    )
    .fetch_all(executor)
    .await
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.mci", db.system.name = "postgresql"))]
/// The MCI of `year`, `None` when not set. A value stored before SetMci kept to the range comes
/// back as the error that holds it, for the caller to refuse what depends on it.
pub async fn mci<'e>(
    executor: impl PgExecutor<'e>,
    year: i32,
) -> Result<Option<Result<Mci, MciOutOfRange>>, sqlx::Error> {
    let tenge: Option<i64> =
        sqlx::query_scalar!("SELECT tenge FROM mci_values WHERE year = $1", year)
            .fetch_optional(executor)
            .await?;
    Ok(tenge.map(Mci::new))
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.set_mci", db.system.name = "postgresql"))]
pub async fn set_mci<'e>(
    executor: impl PgExecutor<'e>,
    year: i32,
    tenge: Mci,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO mci_values (year, tenge) VALUES ($1, $2)
         ON CONFLICT (year) DO UPDATE SET tenge = EXCLUDED.tenge, updated_at = now()",
        year,
        tenge.tenge()
    )
    .execute(executor)
    .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.quota.all_mci", db.system.name = "postgresql"))]
pub async fn all_mci<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<(i32, i64)>, sqlx::Error> {
    let rows = sqlx::query!("SELECT year, tenge FROM mci_values ORDER BY year")
        .fetch_all(executor)
        .await?;
    Ok(rows.into_iter().map(|row| (row.year, row.tenge)).collect())
}
