//! The documents of closed kandas status applications, as retention finds and erases them.

use super::Tx;
use crate::domain::documents::Document;
use crate::domain::regions::Region;
use chrono::NaiveDate;
use sqlx::types::Json;
use uuid::Uuid;

/// A closed application whose documents are still kept.
#[derive(Debug, Clone)]
pub struct Kept {
    pub id: Uuid,
    pub applicant_id: Uuid,
    /// The applicant's IIN, by which the registries know whose papers they were.
    pub applicant_iin: Option<String>,
    pub region: Option<Region>,
    /// The local date of its decision or withdrawal.
    pub closed_on: NaiveDate,
    pub documents: Json<Vec<Document>>,
}

/// Takes the retention lock for this transaction, if no other replica holds it.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.retention.try_lock", db.system.name = "postgresql"))]
pub async fn try_lock(tx: &mut Tx<'_>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_xact_lock(hashtext('kandas.retention')) AS "locked!""#
    )
    .fetch_one(&mut **tx)
    .await
}

/// Kandas status applications closed on or before `closed_by` whose documents are kept,
/// oldest first, locked for erasure.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.retention.kept", db.system.name = "postgresql"))]
pub async fn kept(
    tx: &mut Tx<'_>,
    closed_by: NaiveDate,
    limit: i64,
) -> Result<Vec<Kept>, sqlx::Error> {
    // A withdrawal has no decision: its day is the local date (UTC+05:00) of the last change.
    sqlx::query_as!(
        Kept,
        r#"SELECT id AS "id!", applicant_id AS "applicant_id!", applicant_iin,
                region AS "region: Region", closed_on AS "closed_on!",
                documents AS "documents!: Json<Vec<Document>>"
         FROM (
            SELECT a.id, a.applicant_id, p.iin AS applicant_iin, a.region, a.documents,
                   COALESCE(d.decision_date,
                            ((a.updated_at AT TIME ZONE 'UTC') + interval '5 hours')::date) AS closed_on
            FROM applications a LEFT JOIN decisions d ON d.application_id = a.id
                 JOIN persons p ON p.id = a.applicant_id
            WHERE a.procedure IN ('kandas_status_assignment', 'kandas_status_extension')
              AND a.state <> 'submitted' AND a.documents_erased_on IS NULL
         ) closed
         WHERE closed_on <= $1
         ORDER BY closed_on, id LIMIT $2"#,
        closed_by,
        limit
    )
    .fetch_all(&mut **tx)
    .await
}

/// How many applications' documents retention has erased, on every replica.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.retention.erased_count", db.system.name = "postgresql"))]
pub async fn erased_count<'e>(executor: impl sqlx::PgExecutor<'e>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "erased!" FROM applications WHERE documents_erased_on IS NOT NULL"#
    )
    .fetch_one(executor)
    .await
}

/// Replaces an application's documents with what is left of them once erased; `false` when
/// they were erased already.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.retention.erase", db.system.name = "postgresql"))]
pub async fn erase(
    tx: &mut Tx<'_>,
    id: Uuid,
    documents: &[Document],
    on: NaiveDate,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE applications SET documents = $2, documents_erased_on = $3
         WHERE id = $1 AND documents_erased_on IS NULL",
        id,
        Json(documents) as _,
        on
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The closing days of the closed kandas status applications whose documents are kept, each
/// with how many closed that day, oldest first: what retention has still to erase, now or
/// later, for `service::retention_operator` to judge by the domain's rule.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.retention.waiting", db.system.name = "postgresql"))]
pub async fn waiting<'e>(
    executor: impl sqlx::PgExecutor<'e>,
) -> Result<Vec<(NaiveDate, i64)>, sqlx::Error> {
    // The closing day as `kept` reads it: the decision's date, else (a withdrawal) the local
    // date (UTC+05:00) of the last change.
    let rows = sqlx::query!(
        r#"SELECT closed_on AS "closed_on!", count(*) AS "applications!"
         FROM (
            SELECT COALESCE(d.decision_date,
                            ((a.updated_at AT TIME ZONE 'UTC') + interval '5 hours')::date) AS closed_on
            FROM applications a LEFT JOIN decisions d ON d.application_id = a.id
            WHERE a.procedure IN ('kandas_status_assignment', 'kandas_status_extension')
              AND a.state <> 'submitted' AND a.documents_erased_on IS NULL
         ) closed
         GROUP BY closed_on ORDER BY closed_on"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.closed_on, row.applications))
        .collect())
}
