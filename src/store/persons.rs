//! Persons and the issuing of IINs.

use super::Tx;
use crate::domain::correction::SupportingDocument;
use crate::domain::iin::{Iin, Sex};
use crate::domain::jurisdiction::Scope;
use crate::domain::person::{IdentityDocument, PersonDetails, RawPerson};
use crate::domain::record_event::Identity;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgExecutor};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    pub iin: Option<String>,
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub citizenship: String,
    pub ethnic_kazakh: bool,
    pub created_at: DateTime<Utc>,
    pub version: i32,
    pub kazakh_citizenship_since: Option<NaiveDate>,
    /// The client URI that registered the person; `None` for persons registered before it was
    /// kept.
    pub registered_by: Option<String>,
}

impl PersonRow {
    /// The identity the IIN registry is told of, as stored: a row from before SPEC §2.3 is
    /// told as it stands.
    pub fn identity(&self) -> Identity {
        Identity {
            surname: self.surname.clone(),
            given_name: self.given_name.clone(),
            patronymic: self.patronymic.clone(),
            birth_date: self.birth_date,
            sex: self.sex.as_str().to_string(),
            citizenship: self.citizenship.clone(),
        }
    }

    /// The correctable fields as stored, for a correction to parse together with the new ones.
    pub fn as_raw(&self) -> RawPerson<'_> {
        RawPerson {
            surname: &self.surname,
            given_name: &self.given_name,
            patronymic: &self.patronymic,
            birth_date: Some(self.birth_date),
            sex: Some(self.sex),
            citizenship: &self.citizenship,
            ethnic_kazakh: self.ethnic_kazakh,
        }
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.insert", db.system.name = "postgresql"))]
pub async fn insert(
    tx: &mut Tx<'_>,
    id: Uuid,
    iin: Option<&Iin>,
    details: &PersonDetails,
    registered_by: &str,
) -> Result<PersonRow, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        r#"INSERT INTO persons (id, iin, surname, given_name, patronymic, birth_date, sex, citizenship, ethnic_kazakh, registered_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING id, iin, surname, given_name, patronymic, birth_date, sex AS "sex: Sex", citizenship,
            ethnic_kazakh, created_at, version, kazakh_citizenship_since, registered_by"#,
        id,
        iin.map(Iin::as_str),
        details.surname.as_str(),
        details.given_name.as_str(),
        details.patronymic_str(),
        details.birth_date,
        details.sex.as_str(),
        details.citizenship_str(),
        details.ethnic_kazakh,
        registered_by,
    )
    .fetch_one(&mut **tx)
    .await
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.get", db.system.name = "postgresql"))]
pub async fn get<'e>(
    executor: impl PgExecutor<'e>,
    id: Uuid,
) -> Result<Option<PersonRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        r#"SELECT id, iin, surname, given_name, patronymic, birth_date, sex AS "sex: Sex", citizenship,
            ethnic_kazakh, created_at, version, kazakh_citizenship_since, registered_by
         FROM persons WHERE id = $1"#,
        id
    )
    .fetch_optional(executor)
    .await
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.get_by_iin", db.system.name = "postgresql"))]
pub async fn get_by_iin<'e>(
    executor: impl PgExecutor<'e>,
    iin: &Iin,
) -> Result<Option<PersonRow>, sqlx::Error> {
    // `iin` is char(12): compared with a text parameter the column would be cast to text,
    // which no index serves, and every lookup would read the whole table.
    sqlx::query_as!(
        PersonRow,
        r#"SELECT id, iin, surname, given_name, patronymic, birth_date, sex AS "sex: Sex", citizenship,
            ethnic_kazakh, created_at, version, kazakh_citizenship_since, registered_by
         FROM persons WHERE iin = $1::char(12)"#,
        iin.as_str()
    )
    .fetch_optional(executor)
    .await
}

/// The IIN each of `ids` holds; a person without one is absent.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.iins", db.system.name = "postgresql"))]
pub async fn iins<'e>(
    executor: impl PgExecutor<'e>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, iin AS "iin!" FROM persons WHERE id = ANY($1) AND iin IS NOT NULL"#,
        ids
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.iin)).collect())
}

/// The person who holds an identity document, if anyone does.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.holder_of_document", db.system.name = "postgresql"))]
pub async fn holder_of_document<'e>(
    executor: impl PgExecutor<'e>,
    document: &IdentityDocument,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT person_id FROM person_documents WHERE number = $1 AND issuing_country = $2",
        &document.number,
        document.issuing_country.as_str()
    )
    .fetch_optional(executor)
    .await
}

/// Records the identity document a person holds; the unique constraint refuses a second holder.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.insert_document", db.system.name = "postgresql"))]
pub async fn insert_document(
    tx: &mut Tx<'_>,
    person: Uuid,
    document: &IdentityDocument,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO person_documents (person_id, number, issuing_country) VALUES ($1, $2, $3)",
        person,
        &document.number,
        document.issuing_country.as_str()
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Persons with the same surname and given name (in any case), birth date and sex.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.same_identity", db.system.name = "postgresql"))]
pub async fn same_identity<'e>(
    executor: impl PgExecutor<'e>,
    details: &PersonDetails,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM persons
         WHERE lower(surname) = lower($1) AND lower(given_name) = lower($2)
           AND birth_date = $3 AND sex = $4
         ORDER BY id LIMIT 20",
        details.surname.as_str(),
        details.given_name.as_str(),
        details.birth_date,
        details.sex.as_str()
    )
    .fetch_all(executor)
    .await
}

/// Who made a version of a person, and why.
pub struct Change<'a> {
    pub changed_by: &'a str,
    pub operator_id: &'a str,
    pub reason: &'a str,
    pub document: Option<&'a SupportingDocument>,
}

/// Keeps the person as it now stands as its next version; returns that version's revision.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.record_version", db.system.name = "postgresql"))]
pub async fn record_version(
    tx: &mut Tx<'_>,
    person: &PersonRow,
    change: &Change<'_>,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO person_versions (person_id, revision, surname, given_name, patronymic,
            birth_date, sex, citizenship, ethnic_kazakh, changed_by, operator_id, reason, document)
         SELECT $1, COALESCE(max(revision), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
         FROM person_versions WHERE person_id = $1
         RETURNING revision",
        person.id,
        &person.surname,
        &person.given_name,
        &person.patronymic,
        person.birth_date,
        person.sex.as_str(),
        &person.citizenship,
        person.ethnic_kazakh,
        change.changed_by,
        change.operator_id,
        change.reason,
        change.document.map(Json) as _
    )
    .fetch_one(&mut **tx)
    .await
}

/// Replaces a person's correctable fields; the version (and so the etag) moves on.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.update", db.system.name = "postgresql"))]
pub async fn update(
    tx: &mut Tx<'_>,
    id: Uuid,
    details: &PersonDetails,
) -> Result<PersonRow, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        r#"UPDATE persons SET surname = $2, given_name = $3, patronymic = $4, birth_date = $5,
            sex = $6, citizenship = $7, ethnic_kazakh = $8, version = version + 1
         WHERE id = $1
         RETURNING id, iin, surname, given_name, patronymic, birth_date, sex AS "sex: Sex", citizenship,
            ethnic_kazakh, created_at, version, kazakh_citizenship_since, registered_by"#,
        id,
        details.surname.as_str(),
        details.given_name.as_str(),
        details.patronymic_str(),
        details.birth_date,
        details.sex.as_str(),
        details.citizenship_str(),
        details.ethnic_kazakh,
    )
    .fetch_one(&mut **tx)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct VersionRow {
    pub revision: i32,
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub citizenship: String,
    pub ethnic_kazakh: bool,
    pub changed_by: String,
    pub operator_id: String,
    pub reason: String,
    pub document: Option<Json<SupportingDocument>>,
    pub changed_at: DateTime<Utc>,
}

/// Every version of a person, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.versions", db.system.name = "postgresql"))]
pub async fn versions<'e>(
    executor: impl PgExecutor<'e>,
    id: Uuid,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as!(
        VersionRow,
        r#"SELECT revision, surname, given_name, patronymic, birth_date, sex AS "sex: Sex",
            citizenship, ethnic_kazakh, changed_by, operator_id, reason,
            document AS "document: Json<SupportingDocument>", changed_at
         FROM person_versions WHERE person_id = $1 ORDER BY revision"#,
        id
    )
    .fetch_all(executor)
    .await
}

/// Whether a person is within `scope` (SPEC 1.1) for the caller `client`: they have an
/// application (as applicant or family member) or a registration in its regions, or the
/// caller registered them; for a mission or an intermediary (their own work), it registered
/// them or submitted an application that includes them; for the portal, they are its applicant.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.in_scope", db.system.name = "postgresql"))]
pub async fn in_scope<'e>(
    executor: impl PgExecutor<'e>,
    id: Uuid,
    scope: &Scope,
    client: &str,
) -> Result<bool, sqlx::Error> {
    // Own work and a region's scope differ in which applications count, and a
    // region also counts registrations: two statements rather than one assembled from parts.
    let included =
        match scope {
            Scope::Everywhere => return Ok(true),
            Scope::Applicant(applicant) => return Ok(*applicant == id),
            Scope::Nothing => return Ok(false),
            Scope::OwnWork { .. } => sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM persons p WHERE p.id = $1 AND p.registered_by = $2)
                    OR EXISTS (SELECT 1 FROM applications a
                               WHERE a.applicant_id = $1 AND a.submitted_by = $2)
                    OR EXISTS (SELECT 1 FROM application_members m
                               JOIN applications a ON a.id = m.application_id
                               WHERE m.person_id = $1 AND a.submitted_by = $2) AS "included!""#,
                id,
                client
            )
            .fetch_one(executor)
            .await?,
            Scope::Regions(regions) => {
                let codes: Vec<String> = regions.iter().map(|r| r.code().to_string()).collect();
                sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM persons p WHERE p.id = $1 AND p.registered_by = $2)
                    OR EXISTS (SELECT 1 FROM applications a
                               WHERE a.applicant_id = $1 AND a.region = ANY($3))
                    OR EXISTS (SELECT 1 FROM application_members m
                               JOIN applications a ON a.id = m.application_id
                               WHERE m.person_id = $1 AND a.region = ANY($3))
                    OR EXISTS (SELECT 1 FROM registrations r
                               WHERE r.person_id = $1 AND r.region = ANY($3)) AS "included!""#,
                id,
                client,
                &codes
            )
            .fetch_one(executor)
            .await?
            }
        };
    Ok(included)
}

/// Reads a person and locks the row for the rest of the transaction.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.get_for_update", db.system.name = "postgresql"))]
pub async fn get_for_update(tx: &mut Tx<'_>, id: Uuid) -> Result<Option<PersonRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        r#"SELECT id, iin, surname, given_name, patronymic, birth_date, sex AS "sex: Sex", citizenship,
            ethnic_kazakh, created_at, version, kazakh_citizenship_since, registered_by
         FROM persons WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("every serial for this birth date and sex is taken")]
    SerialsExhausted,
    #[error("the birth date cannot be encoded in an IIN")]
    Unencodable,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Issues a fresh IIN for the person (SPEC 2.1): the next free serial of their prefix whose
/// check digit is valid and that no one holds yet, then stores it on the person.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.persons.issue_iin", db.system.name = "postgresql"))]
pub async fn issue_iin(tx: &mut Tx<'_>, person: &PersonRow) -> Result<Iin, IssueError> {
    let prefix = Iin::prefix(person.birth_date, person.sex).map_err(|_| IssueError::Unencodable)?;
    loop {
        let serial: i32 = sqlx::query_scalar!(
            "INSERT INTO iin_serials (prefix, last_serial) VALUES ($1, 1)
             ON CONFLICT (prefix) DO UPDATE SET last_serial = iin_serials.last_serial + 1
             RETURNING last_serial",
            &prefix
        )
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match super::violated_constraint(&e) {
            Some(c) if c.starts_with("iin_serials") => IssueError::SerialsExhausted,
            _ => IssueError::Database(e),
        })?;
        let Ok(serial) = u16::try_from(serial) else {
            return Err(IssueError::SerialsExhausted);
        };
        let Some(candidate) = Iin::from_prefix_and_serial(&prefix, serial) else {
            continue; // this serial's check digit cannot exist: never issued
        };
        // A person registered with an IIN issued elsewhere may already hold this number.
        if get_by_iin(&mut **tx, &candidate).await?.is_some() {
            continue;
        }
        sqlx::query!(
            "UPDATE persons SET iin = $2, version = version + 1 WHERE id = $1",
            person.id,
            candidate.as_str()
        )
        .execute(&mut **tx)
        .await?;
        return Ok(candidate);
    }
}
