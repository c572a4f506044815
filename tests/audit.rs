//! The audit log: every change and read of personal data is recorded, the chain verifies, and
//! an edited or deleted event is detected.

mod common;

use common::*;
use kandas::pb;
use tonic::Code;

async fn verify(app: &TestApp) -> pb::VerifyAuditChainResponse {
    app.audit()
        .await
        .verify_audit_chain(pb::VerifyAuditChainRequest {})
        .await
        .unwrap()
        .into_inner()
}

/// Writes a few events: a registration, a read, a submission, a refused call.
async fn some_activity(app: &TestApp) -> pb::Person {
    let mut persons = app.persons("psc").await;
    let registered = register(&mut persons, person("Audited")).await;
    persons
        .get_person(pb::GetPersonRequest {
            name: registered.name.clone(),
            iin: String::new(),
        })
        .await
        .unwrap();
    app.applications("psc")
        .await
        .submit_application(iin_submission(&registered.name, vec![]))
        .await
        .unwrap_err();
    registered
}

#[tokio::test]
async fn changes_reads_and_failures_are_audited_and_the_chain_verifies() {
    let app = spawn_app().await;
    let registered = some_activity(&app).await;
    let result = verify(&app).await;
    assert!(result.intact, "{:?}", result.problems);
    assert_eq!(result.verified_events, 3);
    assert_eq!(result.pending_events, 0);

    let events = app
        .audit()
        .await
        .list_audit_events(pb::ListAuditEventsRequest {
            subject: registered.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.rpc.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("/kandas.v1.PersonService/RegisterPerson", "OK"),
            ("/kandas.v1.PersonService/GetPerson", "OK"),
            (
                "/kandas.v1.ApplicationService/SubmitApplication",
                "FailedPrecondition"
            ),
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.client == "urn:kandas:psc:test-psc" && e.role == "psc")
    );
    assert!(events.iter().all(|e| e.sequence > 0 && e.hash.len() == 64));
}

#[tokio::test]
async fn the_log_is_append_only_for_ordinary_writers() {
    let app = spawn_app().await;
    some_activity(&app).await;
    verify(&app).await;
    let update = sqlx::query("UPDATE audit_events SET outcome = 'OK'")
        .execute(&app.pool)
        .await;
    assert!(update.is_err());
    let delete = sqlx::query("DELETE FROM audit_events")
        .execute(&app.pool)
        .await;
    assert!(delete.is_err());
    let truncate = sqlx::query("TRUNCATE audit_events")
        .execute(&app.pool)
        .await;
    assert!(truncate.is_err());
}

/// Acts as someone with full control of the database, bypassing the triggers.
async fn tamper(app: &TestApp, sql: &str) {
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn an_edited_event_is_detected() {
    let app = spawn_app().await;
    some_activity(&app).await;
    assert!(verify(&app).await.intact);
    tamper(&app, "UPDATE audit_events SET outcome = 'OK' WHERE seq = 3").await;
    let result = verify(&app).await;
    assert!(!result.intact);
    assert_eq!(result.problems.len(), 1, "{:?}", result.problems);
    assert_eq!(result.problems[0].sequence, 3);
    assert!(result.problems[0].problem.contains("altered"));
}

#[tokio::test]
async fn a_deleted_event_is_detected_in_the_middle_and_at_the_end() {
    let app = spawn_app().await;
    some_activity(&app).await;
    assert!(verify(&app).await.intact);
    tamper(&app, "DELETE FROM audit_events WHERE seq = 2").await;
    let result = verify(&app).await;
    assert!(!result.intact);
    assert!(
        result
            .problems
            .iter()
            .any(|p| p.sequence == 2 && p.problem.contains("missing")),
        "{:?}",
        result.problems
    );

    let app = spawn_app().await;
    some_activity(&app).await;
    assert!(verify(&app).await.intact);
    tamper(&app, "DELETE FROM audit_events WHERE seq = 3").await;
    let result = verify(&app).await;
    assert!(!result.intact);
    assert!(
        result
            .problems
            .iter()
            .any(|p| p.problem.contains("end of the chain")),
        "{:?}",
        result.problems
    );
}

#[tokio::test]
async fn only_admin_reads_the_audit_log() {
    let app = spawn_app().await;
    let mut as_psc = pb::audit_service_client::AuditServiceClient::new(app.channel("psc").await);
    let error = as_psc
        .verify_audit_chain(pb::VerifyAuditChainRequest {})
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn audit_pages_are_complete_and_ordered() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    for i in 0..7 {
        register(&mut persons, person(&format!("Page{i}"))).await;
    }
    let mut audit = app.audit().await;
    let mut token = String::new();
    let mut seen = Vec::new();
    loop {
        let page = audit
            .list_audit_events(pb::ListAuditEventsRequest {
                page_size: 3,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.events.into_iter().map(|e| e.subject));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 7);
    let bad = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            page_token: "garbage!".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
}
