//! Data: a real submission as the template of every generated row.

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use kandas::pb;
use prost::Message;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::target::Target;

/// What one real IIN submission stored, copied into every generated row so rows look real.
#[derive(Clone)]
pub(crate) struct Template {
    pub(crate) submission_date: NaiveDate,
    pub(crate) deadline: Option<NaiveDate>,
    pub(crate) details: serde_json::Value,
    pub(crate) documents: serde_json::Value,
    pub(crate) checklist: serde_json::Value,
    /// The encoded response, stored with the idempotency key by the storage ceiling.
    pub(crate) response: Vec<u8>,
}

pub(crate) fn date(d: NaiveDate) -> pb::Date {
    pb::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// The person every submission is for (RegisterPerson's fields as generated rows have them).
pub(crate) fn bench_person(surname: String) -> pb::Person {
    pb::Person {
        surname,
        given_name: "Aidos".into(),
        birth_date: Some(date(NaiveDate::from_ymd_opt(1987, 10, 8).unwrap())),
        sex: pb::Sex::Male as i32,
        citizenship: "CHN".into(),
        ethnic_kazakh: true,
        ..Default::default()
    }
}

/// `prefix` and then `n` spelt in letters (`0` as `a` up to `9` as `j`): a name holds no
/// digits (SPEC §2.3).
pub(crate) fn numbered_surname(prefix: &str, n: usize) -> String {
    let spelt: String = n
        .to_string()
        .bytes()
        .map(|digit| char::from(b'a' + (digit - b'0')))
        .collect();
    format!("{prefix}{spelt}")
}

/// An IIN assignment with a Chinese passport and its notarized Russian translation.
pub(crate) fn iin_submission(applicant: &str) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        request_id: Uuid::new_v4().to_string(),
        applicant: applicant.into(),
        documents: vec![passport(NaiveDate::from_ymd_opt(2030, 1, 14).unwrap())],
        details: Some(procedure(
            pb::application_details::Procedure::IinAssignment(pb::IinAssignment::default()),
        )),
        region: "KZ-75".into(),
        applicant_confirmation: None,
    }
}

pub(crate) fn passport(expiry: NaiveDate) -> pb::Document {
    pb::Document {
        r#type: pb::DocumentType::IdentityDocument as i32,
        form: pb::DocumentForm::Original as i32,
        language: "zh".into(),
        translation: Some(pb::Translation {
            language: "ru".into(),
            notarized: true,
        }),
        number: "E12345678".into(),
        issuing_country: "CHN".into(),
        issue_date: Some(date(NaiveDate::from_ymd_opt(2020, 1, 15).unwrap())),
        expiry_date: Some(date(expiry)),
        ..Default::default()
    }
}

pub(crate) fn procedure(p: pb::application_details::Procedure) -> pb::ApplicationDetails {
    pb::ApplicationDetails { procedure: Some(p) }
}

impl Template {
    pub(crate) async fn capture(target: &Target, today: NaiveDate) -> anyhow::Result<Template> {
        let channel = target.channel("psc").await?;
        let mut people = pb::person_service_client::PersonServiceClient::new(channel.clone());
        let person = people
            .register_person(pb::RegisterPersonRequest {
                request_id: Uuid::new_v4().to_string(),
                person: Some(bench_person("Template".into())),
                // Synthetic persons share names by design; none is a duplicate.
                confirmed_distinct: true,
                identity_document: None,
            })
            .await?
            .into_inner();
        let application = pb::application_service_client::ApplicationServiceClient::new(channel)
            .submit_application(iin_submission(&person.name))
            .await
            .context("the template IIN submission was refused")?
            .into_inner();
        let id = Uuid::parse_str(application.name.trim_start_matches("applications/"))?;
        let stored = sqlx::query!(
            "SELECT deadline, details, documents, checklist FROM applications WHERE id = $1",
            id
        )
        .fetch_one(&target.db)
        .await?;
        Ok(Template {
            submission_date: today,
            deadline: stored.deadline,
            details: stored.details,
            documents: stored.documents,
            checklist: stored.checklist,
            response: application.encode_to_vec(),
        })
    }
}

/// Audit events stored per filled application: the reads and changes a file collects over its
/// life, so a million applications come with ten million events, as the issue's scale asks.
pub(crate) const AUDIT_EVENTS_PER_APPLICATION: i64 = 10;

/// Brings the number of stored applications up to `total`: persons and their open IIN
/// applications made by generate_series in batches, spread over the twenty regions; every
/// second person with a kandas status and a permanent registration, every fourth with a permit
/// too; and [`AUDIT_EVENTS_PER_APPLICATION`] sealed audit events each, then ANALYZE. Measured
/// rows go through gRPC; these only make the tables the size they would be.
pub(crate) async fn fill(db: &PgPool, template: &Template, total: u64) -> anyhow::Result<()> {
    let have: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM applications"#)
        .fetch_one(db)
        .await?;
    let started = Instant::now();
    let regions: Vec<String> = kandas::domain::regions::Region::all()
        .iter()
        .map(|r| r.code().to_string())
        .collect();
    let mut next = have as u64;
    const BATCH: u64 = 100_000;
    while next < total {
        let end = (next + BATCH).min(total);
        let mut tx = db.begin().await?;
        // One person per application; dates spread over a year, passport numbers distinct.
        sqlx::query!(
            "WITH p AS (
                INSERT INTO persons (id, surname, given_name, birth_date, sex, citizenship, ethnic_kazakh)
                SELECT gen_random_uuid(), 'Filled' || g, 'Aidos', date '1960-01-01' + (g % 15000)::int,
                       CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END, 'CHN', true
                FROM generate_series($1::bigint, $2::bigint - 1) g
                RETURNING id, (substr(surname, 7))::bigint AS g
             ), a AS (
                INSERT INTO applications (id, procedure, applicant_id, state, submitted_by, submission_date,
                    deadline, details, documents, checklist, pending_step, step_deadline, region)
                SELECT gen_random_uuid(), 'iin_assignment', p.id, 'submitted', 'urn:kandas:psc:bench-fill',
                       $3::date - (p.g % 365)::int, $4::date - (p.g % 365)::int, $5,
                       jsonb_set($6, '{0,number}', to_jsonb('E' || p.g)), $7, 'decide',
                       $4::date - (p.g % 365)::int, ($8::text[])[1 + p.g % array_length($8::text[], 1)]
                FROM p
                RETURNING id, applicant_id, region
             ), k AS (
                INSERT INTO kandas_statuses (id, person_id, application_id, certificate_number,
                    valid_from, valid_until, extension)
                SELECT gen_random_uuid(), a.applicant_id, a.id, 'K-' || p.g,
                       $3::date - 200 - (p.g % 300)::int, $3::date + 165 + (p.g % 300)::int, false
                FROM a JOIN p ON p.id = a.applicant_id WHERE p.g % 2 = 0
             ), r AS (
                INSERT INTO registrations (id, person_id, application_id, kind, region, address, registered_on)
                SELECT gen_random_uuid(), a.applicant_id, a.id, 'permanent', a.region,
                       'Street ' || p.g, $3::date - 100 - (p.g % 300)::int
                FROM a JOIN p ON p.id = a.applicant_id WHERE p.g % 2 = 0
             )
             INSERT INTO permits (id, person_id, application_id, number, granted_on)
             SELECT gen_random_uuid(), a.applicant_id, a.id, 'BF' || p.g, $3::date - 150 - (p.g % 300)::int
             FROM a JOIN p ON p.id = a.applicant_id WHERE p.g % 4 = 0",
            next as i64,
            end as i64,
            template.submission_date,
            template.deadline,
            &template.details,
            &template.documents,
            &template.checklist,
            &regions
        )
        .execute(&mut *tx)
        .await
        .context("filling applications")?;
        fill_audit_events(&mut tx, (end - next) as i64 * AUDIT_EVENTS_PER_APPLICATION).await?;
        tx.commit().await?;
        next = end;
    }
    sqlx::query!("ANALYZE").execute(db).await?;
    if total > have as u64 {
        println!(
            "filled {} applications (now {total}) with their records and audit events in {:.1} s",
            total - have as u64,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Appends `count` audit events already sealed, after the chain's head, and moves the head
/// past them while holding it, so the service's sealer chains its next events on from there.
/// Their hashes are not a chain (the bench verifies nothing): they only give the log its size.
async fn fill_audit_events(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    count: i64,
) -> anyhow::Result<()> {
    let head: i64 = sqlx::query_scalar!("SELECT seq FROM audit_chain_head FOR UPDATE")
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query!(
        "INSERT INTO audit_events (client, role, operator_id, rpc, subject, request_id, outcome,
             seq, prev_hash, hash)
         SELECT 'urn:kandas:psc:bench-fill', 'psc', '', '/kandas.v1.ApplicationService/GetApplication',
                'applications/' || gen_random_uuid(), gen_random_uuid()::text, 'OK',
                s, sha256(int8send(s - 1)), sha256(int8send(s))
         FROM generate_series($1::bigint + 1, $1::bigint + $2::bigint) s",
        head,
        count
    )
    .execute(&mut **tx)
    .await
    .context("filling audit events")?;
    sqlx::query!(
        "UPDATE audit_chain_head SET seq = $1, hash = sha256(int8send($1))",
        head + count
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `n` new persons, as RegisterPerson would have stored them (registration is not measured).
pub(crate) async fn new_persons(db: &PgPool, n: usize) -> anyhow::Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO persons (id, surname, given_name, birth_date, sex, citizenship, ethnic_kazakh)
         SELECT gen_random_uuid(), 'Fresh' || g, 'Aidos', date '1987-10-08', 'male', 'CHN', true
         FROM generate_series(1, $1) g RETURNING id",
        n as i64
    )
    .fetch_all(db)
    .await?)
}

/// Deletes what a write scenario added for `applicants` and vacuums, so every scenario runs
/// against the same number of stored applications (--rows), not one grown by the last.
pub(crate) async fn forget(db: &PgPool, applicants: &[Uuid]) -> anyhow::Result<()> {
    // What the applicants were told of their applications goes with them.
    sqlx::query(
        "DELETE FROM notifications WHERE application_id IN
            (SELECT id FROM applications WHERE applicant_id = ANY($1))",
    )
    .bind(applicants)
    .execute(db)
    .await?;
    sqlx::query!(
        "DELETE FROM applications WHERE applicant_id = ANY($1)",
        applicants
    )
    .execute(db)
    .await?;
    sqlx::query!("VACUUM ANALYZE applications")
        .execute(db)
        .await?;
    Ok(())
}

/// How many fresh persons a write scenario may use: more than 2,000 submissions a second on
/// this kind of machine would be a surprise; a worker that runs out stops early.
pub(crate) fn write_budget(duration: Duration) -> usize {
    2_000 * duration.as_secs().max(1) as usize
}
