//! Kandas certificates as re-issued (SPEC 5.7): the grant or extension a download prints, with
//! the decision it rests on, and the verification codes printed on them.

use super::Tx;
use super::records::annulment;
use crate::domain::record_life::AnnulmentGround;
use crate::domain::records::KandasStatusRecord;
use chrono::NaiveDate;
use sqlx::PgExecutor;
use uuid::Uuid;

/// One grant or extension of a kandas status as its certificate prints it.
#[derive(Debug, Clone)]
pub struct CertificateRow {
    /// The `kandas_statuses` row: the unit a verification code belongs to.
    pub status_id: Uuid,
    pub person_id: Uuid,
    pub status: KandasStatusRecord,
    pub extension: bool,
    pub decision_date: NaiveDate,
    /// The deciding organisation's id, from the client URI that decided.
    pub decided_by: String,
    /// Its display name, when it is registered.
    pub decided_by_name: Option<String>,
}

/// A status row with its decision and the deciding organisation.
struct Columns {
    status_id: Uuid,
    person_id: Uuid,
    application_id: Uuid,
    certificate_number: String,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    extension: bool,
    annulled_on: Option<NaiveDate>,
    annulment_ground: Option<AnnulmentGround>,
    annulment_basis: Option<String>,
    decision_date: NaiveDate,
    decided_by: String,
    decided_by_name: Option<String>,
}

impl From<Columns> for CertificateRow {
    fn from(c: Columns) -> Self {
        CertificateRow {
            status_id: c.status_id,
            person_id: c.person_id,
            status: KandasStatusRecord {
                evidence: format!("applications/{}", c.application_id),
                certificate_number: c.certificate_number,
                valid_from: c.valid_from,
                valid_until: c.valid_until,
                annulment: annulment((c.annulled_on, c.annulment_ground, c.annulment_basis)),
            },
            extension: c.extension,
            decision_date: c.decision_date,
            decided_by: c.decided_by,
            decided_by_name: c.decided_by_name,
        }
    }
}

/// The latest grant or extension of certificate `number` of `person_id`: the one a re-issue
/// prints, as it carries the validity in force last.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.certificates.latest", db.system.name = "postgresql"))]
pub async fn latest<'e>(
    executor: impl PgExecutor<'e>,
    person_id: Uuid,
    number: &str,
) -> Result<Option<CertificateRow>, sqlx::Error> {
    // `decided_by` is a client URI `urn:kandas:<role>:<organisation>`, and organisation ids
    // hold no colon.
    let row = sqlx::query_as!(
        Columns,
        r#"SELECT s.id AS status_id, s.person_id, s.application_id, s.certificate_number,
                s.valid_from, s.valid_until, s.extension, s.annulled_on,
                s.annulment_ground AS "annulment_ground: AnnulmentGround", s.annulment_basis,
                d.decision_date, split_part(d.decided_by, ':', 4) AS "decided_by!",
                o.display_name AS "decided_by_name?"
         FROM kandas_statuses s
         JOIN decisions d ON d.application_id = s.application_id
         LEFT JOIN organisations o ON o.id = split_part(d.decided_by, ':', 4)
         WHERE s.person_id = $1 AND s.certificate_number = $2
         ORDER BY s.valid_from DESC, s.id DESC LIMIT 1"#,
        person_id,
        number
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(CertificateRow::from))
}

/// The grant or extension whose certificate printed `code` (in its stored form).
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.certificates.by_code", db.system.name = "postgresql"))]
pub async fn by_code<'e>(
    executor: impl PgExecutor<'e>,
    code: &str,
) -> Result<Option<CertificateRow>, sqlx::Error> {
    // The same columns as `latest`, found through the code instead.
    let row = sqlx::query_as!(
        Columns,
        r#"SELECT s.id AS status_id, s.person_id, s.application_id, s.certificate_number,
                s.valid_from, s.valid_until, s.extension, s.annulled_on,
                s.annulment_ground AS "annulment_ground: AnnulmentGround", s.annulment_basis,
                d.decision_date, split_part(d.decided_by, ':', 4) AS "decided_by!",
                o.display_name AS "decided_by_name?"
         FROM kandas_statuses s
         JOIN decisions d ON d.application_id = s.application_id
         LEFT JOIN organisations o ON o.id = split_part(d.decided_by, ':', 4)
         JOIN certificate_codes c ON c.status_id = s.id WHERE c.code = $1"#,
        code
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(CertificateRow::from))
}

/// The code of status `status_id`: the one it has, or `candidate` stored as its first.
/// `None` when neither can be read in this statement: `candidate` is some other status's code,
/// or a concurrent first download stored another code this statement's snapshot does not
/// show yet; a new statement sees which.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.certificates.code_for", db.system.name = "postgresql"))]
pub async fn code_for(
    tx: &mut Tx<'_>,
    status_id: Uuid,
    candidate: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"WITH stored AS (
             INSERT INTO certificate_codes (status_id, code) VALUES ($1, $2)
             ON CONFLICT DO NOTHING
             RETURNING code)
         SELECT code AS "code!" FROM stored
         UNION ALL
         SELECT code FROM certificate_codes WHERE status_id = $1
         LIMIT 1"#,
        status_id,
        candidate
    )
    .fetch_optional(&mut **tx)
    .await
}
