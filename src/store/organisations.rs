//! The organisation registry (SPEC 1.1). Every change is announced on [`ORGANISATIONS_CHANNEL`]
//! by a trigger in the same transaction, so each replica re-reads the registry after it commits.

use super::Tx;
use crate::domain::organisation::{Jurisdiction, Organisation, OrganisationState};
use crate::domain::regions::Region;
use crate::domain::role::Role;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Channel the `organisations_announce` trigger notifies on every change.
pub const ORGANISATIONS_CHANNEL: &str = "kandas_organisations";

/// One organisation as stored, with the version its etag is made of.
#[derive(Debug, Clone)]
pub struct OrganisationRow {
    pub organisation: Organisation,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

struct Stored {
    id: String,
    role: Role,
    display_name: String,
    regions: Vec<Region>,
    national: bool,
    state: OrganisationState,
    accepts_sms_confirmation: bool,
    version: i32,
    updated_at: DateTime<Utc>,
}

impl From<Stored> for OrganisationRow {
    fn from(row: Stored) -> Self {
        // The table's check keeps `national` and `regions` exclusive.
        let jurisdiction = if row.national {
            Jurisdiction::National
        } else {
            Jurisdiction::Regions(row.regions)
        };
        OrganisationRow {
            organisation: Organisation {
                id: row.id,
                role: row.role,
                display_name: row.display_name,
                jurisdiction,
                state: row.state,
                accepts_sms_confirmation: row.accepts_sms_confirmation,
            },
            version: row.version,
            updated_at: row.updated_at,
        }
    }
}

/// Every organisation registered.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.organisations.all", db.system.name = "postgresql"))]
pub async fn all<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<Organisation>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Stored,
        r#"SELECT id, role AS "role: Role", display_name, regions AS "regions: Vec<Region>", national,
            state AS "state: OrganisationState", accepts_sms_confirmation, version, updated_at
         FROM organisations"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| OrganisationRow::from(row).organisation)
        .collect())
}

/// Up to `limit` organisations in id order, after `after` when given.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.organisations.page", db.system.name = "postgresql"))]
pub async fn page<'e>(
    executor: impl PgExecutor<'e>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<OrganisationRow>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Stored,
        r#"SELECT id, role AS "role: Role", display_name, regions AS "regions: Vec<Region>", national,
            state AS "state: OrganisationState", accepts_sms_confirmation, version, updated_at
         FROM organisations WHERE $1::text IS NULL OR id > $1
         ORDER BY id LIMIT $2"#,
        after,
        limit
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(OrganisationRow::from).collect())
}

/// One organisation, locked until the transaction ends so a concurrent change waits.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.organisations.lock", db.system.name = "postgresql"))]
pub async fn lock(tx: &mut Tx<'_>, id: &str) -> Result<Option<OrganisationRow>, sqlx::Error> {
    let row = sqlx::query_as!(
        Stored,
        r#"SELECT id, role AS "role: Role", display_name, regions AS "regions: Vec<Region>", national,
            state AS "state: OrganisationState", accepts_sms_confirmation, version, updated_at
         FROM organisations WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(OrganisationRow::from))
}

fn national_and_regions(organisation: &Organisation) -> (bool, Vec<Region>) {
    (
        organisation.jurisdiction == Jurisdiction::National,
        organisation.jurisdiction.regions().to_vec(),
    )
}

/// Registers a new organisation; an id already taken fails on
/// `organisations_already_registered`.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.organisations.insert", db.system.name = "postgresql"))]
pub async fn insert(
    tx: &mut Tx<'_>,
    organisation: &Organisation,
) -> Result<OrganisationRow, sqlx::Error> {
    let (national, regions) = national_and_regions(organisation);
    let row = sqlx::query_as!(
        Stored,
        r#"INSERT INTO organisations (id, role, display_name, regions, national, state,
             accepts_sms_confirmation)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, role AS "role: Role", display_name, regions AS "regions: Vec<Region>", national,
            state AS "state: OrganisationState", accepts_sms_confirmation, version, updated_at"#,
        &organisation.id,
        organisation.role.as_str(),
        &organisation.display_name,
        &regions as _,
        national,
        organisation.state.as_str(),
        organisation.accepts_sms_confirmation
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.into())
}

/// Registers `organisation` unless its id is taken, whatever is registered under it: seeding
/// never overrides what an operator changed. True when it was added.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.organisations.insert_if_absent", db.system.name = "postgresql"))]
pub async fn insert_if_absent<'e>(
    executor: impl PgExecutor<'e>,
    organisation: &Organisation,
) -> Result<bool, sqlx::Error> {
    let (national, regions) = national_and_regions(organisation);
    let done = sqlx::query!(
        "INSERT INTO organisations (id, role, display_name, regions, national, state,
             accepts_sms_confirmation)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        &organisation.id,
        organisation.role.as_str(),
        &organisation.display_name,
        &regions as _,
        national,
        organisation.state.as_str(),
        organisation.accepts_sms_confirmation
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores a changed organisation if it is still at `version`; `None` when another change
/// came first.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.organisations.update", db.system.name = "postgresql"))]
pub async fn update(
    tx: &mut Tx<'_>,
    organisation: &Organisation,
    version: i32,
) -> Result<Option<OrganisationRow>, sqlx::Error> {
    let (national, regions) = national_and_regions(organisation);
    let row = sqlx::query_as!(
        Stored,
        r#"UPDATE organisations SET display_name = $2, regions = $3, national = $4, state = $5,
             accepts_sms_confirmation = $7, version = version + 1, updated_at = now()
         WHERE id = $1 AND version = $6
         RETURNING id, role AS "role: Role", display_name, regions AS "regions: Vec<Region>", national,
            state AS "state: OrganisationState", accepts_sms_confirmation, version, updated_at"#,
        &organisation.id,
        &organisation.display_name,
        &regions as _,
        national,
        organisation.state.as_str(),
        version,
        organisation.accepts_sms_confirmation
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(OrganisationRow::from))
}
