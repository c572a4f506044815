//! Ceilings: the transport and storage limits each scenario is set against.

use anyhow::Context;
use chrono::Datelike;
use kandas::domain::documents::{ChecklistItem, Document};
use kandas::server::auth::{Caller, Role};
use kandas::store::{self, applications, idempotency, persons, records};
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::cost::Watch;
use crate::data::Template;
use crate::load::{Answer, Measured, drive, take};

pub(crate) async fn run_transport(
    watch: &Watch,
    channels: &[Channel],
    duration: Duration,
) -> anyhow::Result<Measured> {
    println!("ceiling transport (Health/Check)");
    let clients: Vec<_> = channels
        .iter()
        .map(|c| tonic_health::pb::health_client::HealthClient::new(c.clone()))
        .collect();
    drive(watch, "transport", clients.len(), duration, move |w| {
        let mut client = clients[w].clone();
        async move {
            Some(
                client
                    .check(tonic_health::pb::HealthCheckRequest::default())
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await
}

/// The statements SubmitApplication runs for an IIN assignment, in its order, through the same
/// store functions: claim the idempotency key, lock the applicant, load their records, read the
/// MCI, insert the application (and read it back), tell the applicant it was accepted, store
/// the response, audit, commit.
async fn storage_submit(
    db: &PgPool,
    template: &Template,
    documents: &[Document],
    checklist: &[ChecklistItem],
    caller: &Caller,
    applicant: Uuid,
) -> anyhow::Result<()> {
    const RPC: &str = kandas::pb::rpc::application_service::SUBMIT_APPLICATION;
    let request_id = Uuid::new_v4();
    let mut tx = db.begin().await?;
    let hash = idempotency::request_hash(RPC, request_id.as_bytes());
    idempotency::claim(&mut tx, &caller.client(), request_id, RPC, &hash).await?;
    persons::get_for_update(&mut tx, applicant)
        .await?
        .context("no such person")?;
    records::load(&mut tx, applicant).await?;
    store::quota::mci(&mut *tx, template.submission_date.year()).await?;
    let id = Uuid::now_v7();
    let details: kandas::domain::details::Details =
        serde_json::from_value(template.details.clone())?;
    applications::insert(
        &mut tx,
        &applications::NewApplication {
            id,
            applicant_id: applicant,
            submitted_by: &caller.client(),
            operator_id: "",
            region: Some(kandas::domain::regions::Region::Almaty),
            submission_date: template.submission_date,
            deadline: template.deadline,
            deadline_provisional: false,
            pending_step: kandas::domain::lifecycle::Step::Decide,
            step_deadline: template.deadline,
            details: &details,
            documents,
            checklist,
            assurance: kandas::domain::signature::Assurance::None,
        },
    )
    .await?;
    // Since notifications (SPEC 5.8) a submission appends the applicant's "accepted" in its
    // own transaction, taking the notification feed's head: without it the ceiling would
    // measure less work than a submission does.
    let accepted = kandas::domain::notification::Facts::Accepted {
        procedure: kandas::domain::procedure::Procedure::IinAssignment,
        submitted_on: template.submission_date,
        deadline: template.deadline,
        provisional: false,
    };
    store::notifications::append(
        &mut tx,
        &[kandas::domain::notification::NewNotification {
            person_id: applicant,
            application_id: Some(id),
            submitted_by: Some(caller.client()),
            facts: accepted,
        }],
    )
    .await?;
    idempotency::complete(&mut tx, &caller.client(), request_id, &template.response).await?;
    let subject = format!("applications/{id}");
    // Tagged as the service tags it, so the ceiling includes the HMAC; with a key of the
    // bench's own, since the events of a bench database are never sealed by a service.
    static BENCH_TAG_KEY: std::sync::LazyLock<kandas::audit::TagKey> =
        std::sync::LazyLock::new(|| kandas::audit::TagKey::derive(&[0x42; 32]));
    kandas::audit::record(
        &mut *tx,
        Some(&BENCH_TAG_KEY),
        &kandas::audit::Entry {
            caller,
            rpc: RPC,
            subject: &subject,
            request_id: &request_id.to_string(),
            outcome: "OK",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn run_storage(
    watch: &Watch,
    db: &PgPool,
    template: &Template,
    applicants: &[Uuid],
    workers: usize,
    duration: Duration,
) -> anyhow::Result<Measured> {
    println!("ceiling storage (the SQL of one IIN submission, via sqlx)");
    let applicants = Arc::new(applicants.to_vec());
    let documents: Arc<Vec<Document>> =
        Arc::new(serde_json::from_value(template.documents.clone())?);
    let checklist: Arc<Vec<ChecklistItem>> =
        Arc::new(serde_json::from_value(template.checklist.clone())?);
    let caller = Arc::new(Caller {
        role: Role::Psc,
        organisation: "bench-storage".into(),
        operator_id: String::new(),
        jurisdiction: kandas::domain::organisation::Jurisdiction::National,
        applicant: None,
    });
    let template = Arc::new(template.clone());
    let pool = db.clone();
    let next = Arc::new(AtomicUsize::new(0));
    let m = drive(watch, "storage", workers, duration, move |_| {
        let (db, template, documents, checklist, caller) = (
            pool.clone(),
            template.clone(),
            documents.clone(),
            checklist.clone(),
            caller.clone(),
        );
        let applicant = take(&applicants, &next);
        async move {
            let applicant = applicant?;
            Some(
                storage_submit(&db, &template, &documents, &checklist, &caller, applicant)
                    .await
                    .map(|()| Answer::Done)
                    .map_err(|e| tonic::Status::internal(format!("{e:#}"))),
            )
        }
    })
    .await?;
    Ok(m)
}
