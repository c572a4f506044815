//! Assembles what the service holds about a person ([`PersonRecords`]) and writes what
//! approvals issue.

use super::Tx;
use super::columns::Stored;
use crate::domain::details::Relation;
use crate::domain::documents::Document;
use crate::domain::lifecycle::State;
use crate::domain::procedure::Procedure;
use crate::domain::record_life::{
    AnnullableKind, Annulment, AnnulmentGround, EndReason, RegistrationEnd,
};
use crate::domain::records::{
    CardRecord, CitizenshipRecord, KandasStatusRecord, ListedRecords, OffenceField, OffenceRecord,
    PermitRecord, PersonRecords, PresentedDocument, QuotaInclusionRecord, RefusalRecord,
    RegistrationKind, RegistrationRecord, StatelessCertificateRecord,
};
use crate::domain::regions::Region;
use chrono::NaiveDate;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

fn app_name(id: Uuid) -> String {
    format!("applications/{id}")
}

/// The three annulment columns (`annulled_on`, `annulment_ground`, `annulment_basis`), all
/// set or none (a table constraint).
pub(super) type AnnulmentColumns = (Option<NaiveDate>, Option<AnnulmentGround>, Option<String>);

pub(super) fn annulment((from, ground, basis): AnnulmentColumns) -> Option<Annulment> {
    match (from, ground, basis) {
        (Some(from), Some(ground), Some(legal_basis)) => Some(Annulment {
            from,
            ground,
            legal_basis,
        }),
        _ => None,
    }
}

fn ending(ended_on: Option<NaiveDate>, reason: Option<EndReason>) -> Option<RegistrationEnd> {
    match (ended_on, reason) {
        (Some(last_day), Some(reason)) => Some(RegistrationEnd { last_day, reason }),
        _ => None,
    }
}

/// Everything on record for a person, or `None` when there is no such person. Applications
/// count whether the person applied or was a family member in them.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.load", db.system.name = "postgresql"))]
pub async fn load(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<Option<PersonRecords>, sqlx::Error> {
    // Everything this reads, in one statement: a person's records are in seven tables, and
    // one round trip instead of seven is what a check of prerequisites, and every submission
    // and decision that judges them, costs both the service and PostgreSQL (each round trip is
    // a wake-up of the backend and of the service's task). Each table's rows arrive as a JSON
    // array of arrays, in the order the code used to ask for them.
    let Some(row) = sqlx::query_as!(
        RecordsRow,
        r#"SELECT p.iin, p.birth_date, p.ethnic_kazakh, p.citizenship,
        p.kazakh_citizenship_since, p.kazakh_citizenship_application,
        (SELECT coalesce(json_agg(json_build_array(application_id, certificate_number, valid_from,
                    valid_until, annulled_on, annulment_ground, annulment_basis) ORDER BY valid_from), '[]')
         FROM kandas_statuses WHERE person_id = $1) AS "kandas_statuses!: Json<Vec<StoredStatus>>",
        (SELECT coalesce(json_agg(json_build_array(application_id, number, granted_on, annulled_on,
                    annulment_ground, annulment_basis) ORDER BY granted_on), '[]')
         FROM permits WHERE person_id = $1) AS "permits!: Json<Vec<StoredPermit>>",
        (SELECT coalesce(json_agg(json_build_array(application_id, number, issued_on, valid_until)
                    ORDER BY issued_on), '[]')
         FROM cards WHERE person_id = $1) AS "cards!: Json<Vec<(Uuid, String, NaiveDate, NaiveDate)>>",
        (SELECT coalesce(json_agg(json_build_array(application_id, kind, region, registered_on, until,
                    ended_on, end_reason) ORDER BY registered_on), '[]')
         FROM registrations WHERE person_id = $1) AS "registrations!: Json<Vec<StoredRegistration>>",
        (SELECT coalesce(json_agg(json_build_array(id, field, offence_date) ORDER BY offence_date), '[]')
         FROM offences WHERE person_id = $1) AS "offences!: Json<Vec<(Uuid, Stored<OffenceField>, NaiveDate)>>",
        -- Applications the person was part of, as applicant or family member: two index
        -- lookups; an OR across the two sources would scan every application.
        (SELECT coalesce(json_agg(json_build_array(a.id, a.procedure, a.state, a.submission_date,
                    d.decision_date, d.outcome, a.documents, a.applicant_id = $1) ORDER BY a.id), '[]')
         FROM applications a LEFT JOIN decisions d ON d.application_id = a.id
         WHERE a.id IN (SELECT id FROM applications WHERE applicant_id = $1
                        UNION ALL
                        SELECT application_id FROM application_members WHERE person_id = $1))
         AS "applications!: Json<Vec<StoredApplication>>"
     FROM persons p WHERE p.id = $1"#,
        person_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let mut records = PersonRecords::new(person_id, row.birth_date);
    records.iin = row.iin.map(|s| s.trim().to_string());
    records.ethnic_kazakh = row.ethnic_kazakh;
    records.citizenship = row.citizenship;
    records.kazakh_citizenship = row
        .kazakh_citizenship_since
        .map(|granted_on| CitizenshipRecord {
            evidence: row
                .kazakh_citizenship_application
                .map(app_name)
                .unwrap_or_else(|| records.person.clone()),
            granted_on,
        });
    records.kandas_statuses = row
        .kandas_statuses
        .0
        .into_iter()
        .map(
            |(app, number, from, until, on, ground, basis)| KandasStatusRecord {
                evidence: app_name(app),
                certificate_number: number,
                valid_from: from,
                valid_until: until,
                annulment: annulment((on, ground.map(|g| g.0), basis)),
            },
        )
        .collect();
    records.permits = row
        .permits
        .0
        .into_iter()
        .map(
            |(app, number, granted_on, on, ground, basis)| PermitRecord {
                evidence: app_name(app),
                number,
                granted_on,
                annulment: annulment((on, ground.map(|g| g.0), basis)),
            },
        )
        .collect();
    records.cards = row
        .cards
        .0
        .into_iter()
        .map(|(app, number, issued_on, valid_until)| CardRecord {
            evidence: app_name(app),
            number,
            issued_on,
            valid_until,
        })
        .collect();
    records.registrations = row
        .registrations
        .0
        .into_iter()
        .map(
            |(app, kind, region, registered_on, until, ended_on, end_reason)| RegistrationRecord {
                evidence: app_name(app),
                kind: kind.0,
                region: region.0,
                registered_on,
                until,
                ended: ending(ended_on, end_reason.map(|r| r.0)),
            },
        )
        .collect();
    records.offences = row
        .offences
        .0
        .into_iter()
        .map(|(id, field, date)| OffenceRecord {
            evidence: format!("offences/{id}"),
            field: field.0,
            date,
        })
        .collect();
    for (id, procedure, state, submitted, decided, outcome, documents, as_applicant) in
        row.applications.0
    {
        let (procedure, state, outcome) = (procedure.0, state.0, outcome.map(|o| o.0));
        if state.is_open() && as_applicant {
            records.open_applications.push((procedure, app_name(id)));
        }
        if let (Some(State::Refused), Some(decision_date)) = (outcome, decided) {
            records.refusals.push(RefusalRecord {
                evidence: app_name(id),
                procedure,
                decision_date,
            });
        }
        // Withdrawn applications' documents were never accepted; refused ones were presented.
        if state == State::Withdrawn {
            continue;
        }
        let own = |d: &Document| {
            if as_applicant {
                d.holder.is_none()
            } else {
                d.holder == Some(person_id)
            }
        };
        for mut document in documents.into_iter().filter(|d| own(d)) {
            document.holder = None;
            records.presented.push(PresentedDocument {
                evidence: app_name(id),
                presented_on: submitted,
                document,
            });
        }
    }
    Ok(Some(records))
}

/// One kandas status as the statement lists it: application, certificate, validity, annulment.
type StoredStatus = (
    Uuid,
    String,
    NaiveDate,
    NaiveDate,
    Option<NaiveDate>,
    Option<Stored<AnnulmentGround>>,
    Option<String>,
);
/// One permit: application, number, granted on, annulment.
type StoredPermit = (
    Uuid,
    String,
    NaiveDate,
    Option<NaiveDate>,
    Option<Stored<AnnulmentGround>>,
    Option<String>,
);
/// One registration: application, kind, region, from, until, ending.
type StoredRegistration = (
    Uuid,
    Stored<RegistrationKind>,
    Stored<Region>,
    NaiveDate,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<Stored<EndReason>>,
);
/// One application the person was part of, with its decision and whether as the applicant.
type StoredApplication = (
    Uuid,
    Stored<Procedure>,
    Stored<State>,
    NaiveDate,
    Option<NaiveDate>,
    Option<Stored<State>>,
    Vec<Document>,
    bool,
);

struct RecordsRow {
    iin: Option<String>,
    birth_date: NaiveDate,
    ethnic_kazakh: bool,
    citizenship: String,
    kazakh_citizenship_since: Option<NaiveDate>,
    kazakh_citizenship_application: Option<Uuid>,
    kandas_statuses: Json<Vec<StoredStatus>>,
    permits: Json<Vec<StoredPermit>>,
    cards: Json<Vec<(Uuid, String, NaiveDate, NaiveDate)>>,
    registrations: Json<Vec<StoredRegistration>>,
    offences: Json<Vec<(Uuid, Stored<OffenceField>, NaiveDate)>>,
    applications: Json<Vec<StoredApplication>>,
}

/// The records of a person that only the list of records shows.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.load_listed", db.system.name = "postgresql"))]
pub async fn load_listed(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<ListedRecords, sqlx::Error> {
    let certificates = sqlx::query!(
        "SELECT application_id, number, issued_on FROM stateless_certificates
         WHERE person_id = $1 ORDER BY issued_on, number",
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let inclusion = sqlx::query!(
        r#"SELECT i.application_id, i.region AS "region: Region", i.year, d.decision_date
         FROM quota_inclusions i JOIN decisions d ON d.application_id = i.application_id
         WHERE i.person_id = $1"#,
        person_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(ListedRecords {
        stateless_certificates: certificates
            .into_iter()
            .map(|row| StatelessCertificateRecord {
                evidence: app_name(row.application_id),
                number: row.number,
                issued_on: row.issued_on,
            })
            .collect(),
        quota_inclusion: inclusion.map(|row| QuotaInclusionRecord {
            evidence: app_name(row.application_id),
            region: row.region,
            year: row.year,
            decided_on: row.decision_date,
        }),
    })
}

/// The next number of an issued document, e.g. `KC-2026-000042`.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.next_number", db.system.name = "postgresql"))]
pub async fn next_number(tx: &mut Tx<'_>, prefix: &str, year: i32) -> Result<String, sqlx::Error> {
    let n: i64 = sqlx::query_scalar!(r#"SELECT nextval('issued_numbers') AS "n!""#)
        .fetch_one(&mut **tx)
        .await?;
    Ok(format!("{prefix}-{year}-{n:06}"))
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.insert_kandas_status", db.system.name = "postgresql"))]
pub async fn insert_kandas_status(
    tx: &mut Tx<'_>,
    person_id: Uuid,
    application_id: Uuid,
    number: &str,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    extension: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO kandas_statuses (id, person_id, application_id, certificate_number, valid_from, valid_until, extension)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        Uuid::now_v7(),
        person_id,
        application_id,
        number,
        valid_from,
        valid_until,
        extension
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.insert_permit", db.system.name = "postgresql"))]
pub async fn insert_permit(
    tx: &mut Tx<'_>,
    person_id: Uuid,
    application_id: Uuid,
    number: &str,
    granted_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO permits (id, person_id, application_id, number, granted_on) VALUES ($1, $2, $3, $4, $5)",
        Uuid::now_v7(),
        person_id,
        application_id,
        number,
        granted_on
    )
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.insert_card", db.system.name = "postgresql"))]
pub async fn insert_card(
    tx: &mut Tx<'_>,
    person_id: Uuid,
    application_id: Uuid,
    number: &str,
    issued_on: NaiveDate,
    valid_until: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO cards (id, person_id, application_id, number, issued_on, valid_until) VALUES ($1, $2, $3, $4, $5, $6)",
        Uuid::now_v7(),
        person_id,
        application_id,
        number,
        issued_on,
        valid_until
    )
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.insert_stateless_certificate", db.system.name = "postgresql"))]
pub async fn insert_stateless_certificate(
    tx: &mut Tx<'_>,
    person_id: Uuid,
    application_id: Uuid,
    number: &str,
    issued_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO stateless_certificates (id, person_id, application_id, number, issued_on) VALUES ($1, $2, $3, $4, $5)",
        Uuid::now_v7(),
        person_id,
        application_id,
        number,
        issued_on
    )
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Registers a person at an address; a new permanent registration ends the open one the day
/// before.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.insert_registration", db.system.name = "postgresql"))]
pub async fn insert_registration(
    tx: &mut Tx<'_>,
    person_id: Uuid,
    application_id: Uuid,
    kind: RegistrationKind,
    region: Region,
    address: &str,
    registered_on: NaiveDate,
    until: Option<NaiveDate>,
) -> Result<Uuid, sqlx::Error> {
    if kind == RegistrationKind::Permanent {
        sqlx::query!(
            "UPDATE registrations SET until = $2::date - 1
             WHERE person_id = $1 AND kind = 'permanent' AND until IS NULL AND ended_on IS NULL",
            person_id,
            registered_on
        )
        .execute(&mut **tx)
        .await?;
    }
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO registrations (id, person_id, application_id, kind, region, address, registered_on, until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        person_id,
        application_id,
        kind.as_str(),
        region.code(),
        address,
        registered_on,
        until
    )
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.grant_citizenship", db.system.name = "postgresql"))]
pub async fn grant_citizenship(
    tx: &mut Tx<'_>,
    person_id: Uuid,
    application_id: Uuid,
    granted_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE persons SET kazakh_citizenship_since = $2, kazakh_citizenship_application = $3, version = version + 1
         WHERE id = $1 AND kazakh_citizenship_since IS NULL",
        person_id,
        granted_on,
        application_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.insert_members", db.system.name = "postgresql"))]
pub async fn insert_members(
    tx: &mut Tx<'_>,
    application_id: Uuid,
    members: &[(Uuid, Relation)],
) -> Result<(), sqlx::Error> {
    for (position, (person_id, relation)) in members.iter().enumerate() {
        sqlx::query!(
            "INSERT INTO application_members (application_id, person_id, relation, position) VALUES ($1, $2, $3, $4)",
            application_id,
            person_id,
            relation.as_str(),
            position as i32
        )
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.insert_offence", db.system.name = "postgresql"))]
pub async fn insert_offence(
    conn: &mut PgConnection,
    id: Uuid,
    person_id: Uuid,
    field: OffenceField,
    date: NaiveDate,
    description: &str,
    recorded_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO offences (id, person_id, field, offence_date, description, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        person_id,
        field.as_str(),
        date,
        description,
        recorded_by
    )
        .execute(conn)
        .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.insert_arrival_notification", db.system.name = "postgresql"))]
pub async fn insert_arrival_notification(
    conn: &mut PgConnection,
    id: Uuid,
    person_id: Uuid,
    entry_date: NaiveDate,
    notified_on: NaiveDate,
    due_date: NaiveDate,
    host: &str,
    recorded_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO arrival_notifications (id, person_id, entry_date, notified_on, due_date, late, host, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        person_id,
        entry_date,
        notified_on,
        due_date,
        notified_on > due_date,
        host,
        recorded_by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A registration as police end it, with where its application lies.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistrationRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub application_id: Uuid,
    pub kind: RegistrationKind,
    pub region: Region,
    pub address: String,
    pub registered_on: NaiveDate,
    pub until: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<EndReason>,
    /// The client that submitted the application it was granted on.
    pub submitted_by: String,
}

impl RegistrationRow {
    pub fn ended(&self) -> Option<RegistrationEnd> {
        ending(self.ended_on, self.end_reason)
    }
}

/// The registration `id` of `person_id`, locked until the transaction ends.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.registration_for_update", db.system.name = "postgresql"))]
pub async fn registration_for_update(
    tx: &mut Tx<'_>,
    person_id: Uuid,
    id: Uuid,
) -> Result<Option<RegistrationRow>, sqlx::Error> {
    sqlx::query_as!(
        RegistrationRow,
        r#"SELECT r.id, r.person_id, r.application_id, r.kind AS "kind: RegistrationKind",
                r.region AS "region: Region", r.address, r.registered_on, r.until, r.ended_on,
                r.end_reason AS "end_reason: EndReason", a.submitted_by
         FROM registrations r JOIN applications a ON a.id = r.application_id
         WHERE r.id = $1 AND r.person_id = $2
         FOR UPDATE OF r"#,
        id,
        person_id
    )
    .fetch_optional(&mut **tx)
    .await
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.end_registration", db.system.name = "postgresql"))]
pub async fn end_registration(
    tx: &mut Tx<'_>,
    id: Uuid,
    end: RegistrationEnd,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE registrations SET ended_on = $2, end_reason = $3 WHERE id = $1",
        id,
        end.last_day,
        end.reason.as_str()
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A kandas status or permit as it is annulled. A kandas certificate's number is shared by
/// its extensions: the row stands for the whole chain, from its first day to its last.
#[derive(Debug, Clone)]
pub struct AnnullableRow {
    pub person_id: Uuid,
    /// The application of the latest grant or extension.
    pub application_id: Uuid,
    pub number: String,
    pub valid_from: NaiveDate,
    /// The last day of a kandas status; `None` for a permit, which does not expire.
    pub valid_until: Option<NaiveDate>,
    pub annulment: Option<Annulment>,
}

/// One row of a kandas status chain or a permit; `valid_until` is `None` for a permit.
struct AnnullableColumns {
    application_id: Uuid,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    annulled_on: Option<NaiveDate>,
    annulment_ground: Option<AnnulmentGround>,
    annulment_basis: Option<String>,
}

/// The record of `kind` numbered `number` of `person_id`, its rows locked until the
/// transaction ends.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.annullable_for_update", db.system.name = "postgresql"))]
pub async fn annullable_for_update(
    tx: &mut Tx<'_>,
    kind: AnnullableKind,
    person_id: Uuid,
    number: &str,
) -> Result<Option<AnnullableRow>, sqlx::Error> {
    // A kandas status and a permit keep their rows in tables of different shapes.
    let rows: Vec<AnnullableColumns> = match kind {
        AnnullableKind::KandasStatus => {
            sqlx::query_as!(
                AnnullableColumns,
                r#"SELECT application_id, valid_from, valid_until AS "valid_until?",
                    annulled_on, annulment_ground AS "annulment_ground: AnnulmentGround",
                    annulment_basis
             FROM kandas_statuses WHERE person_id = $1 AND certificate_number = $2
             ORDER BY valid_from, id
             FOR UPDATE"#,
                person_id,
                number
            )
            .fetch_all(&mut **tx)
            .await?
        }
        AnnullableKind::Permit => {
            sqlx::query_as!(
                AnnullableColumns,
                r#"SELECT application_id, granted_on AS valid_from, NULL::date AS valid_until,
                    annulled_on, annulment_ground AS "annulment_ground: AnnulmentGround",
                    annulment_basis
             FROM permits WHERE person_id = $1 AND number = $2
             ORDER BY granted_on, id
             FOR UPDATE"#,
                person_id,
                number
            )
            .fetch_all(&mut **tx)
            .await?
        }
    };
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(None);
    };
    Ok(Some(AnnullableRow {
        person_id,
        application_id: last.application_id,
        number: number.to_string(),
        valid_from: first.valid_from,
        valid_until: rows.iter().filter_map(|r| r.valid_until).max(),
        annulment: rows.iter().rev().find_map(|r| {
            annulment((r.annulled_on, r.annulment_ground, r.annulment_basis.clone()))
        }),
    }))
}

/// Annuls the rows of a record still in force on or after the annulment's date; rows that
/// expired before it stay as they were, valid in their time.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.records.annul", db.system.name = "postgresql"))]
pub async fn annul(
    tx: &mut Tx<'_>,
    kind: AnnullableKind,
    person_id: Uuid,
    number: &str,
    annulment: &Annulment,
) -> Result<(), sqlx::Error> {
    // As in `annullable_for_update`: one statement per table.
    match kind {
        AnnullableKind::KandasStatus => {
            sqlx::query!(
                "UPDATE kandas_statuses
             SET annulled_on = $3, annulment_ground = $4, annulment_basis = $5
             WHERE person_id = $1 AND certificate_number = $2 AND annulled_on IS NULL
               AND valid_until >= $3",
                person_id,
                number,
                annulment.from,
                annulment.ground.as_str(),
                &annulment.legal_basis
            )
            .execute(&mut **tx)
            .await?
        }
        AnnullableKind::Permit => {
            sqlx::query!(
                "UPDATE permits SET annulled_on = $3, annulment_ground = $4, annulment_basis = $5
             WHERE person_id = $1 AND number = $2 AND annulled_on IS NULL",
                person_id,
                number,
                annulment.from,
                annulment.ground.as_str(),
                &annulment.legal_basis
            )
            .execute(&mut **tx)
            .await?
        }
    };
    Ok(())
}
