//! The audit log: every change and read of personal data is recorded, the chain verifies, and
//! an edited or deleted event is detected.

use crate::helpers::*;
use kandas::pb;
use tonic::Code;

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
    let result = app.verify_audit_chain().await;
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
    app.verify_audit_chain().await;
    let update = sqlx::query!("UPDATE audit_events SET outcome = 'OK'")
        .execute(&app.pool)
        .await;
    assert!(update.is_err());
    let delete = sqlx::query!("DELETE FROM audit_events")
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
    assert!(app.verify_audit_chain().await.intact);
    tamper(&app, "UPDATE audit_events SET outcome = 'OK' WHERE seq = 3").await;
    let result = app.verify_audit_chain().await;
    assert!(!result.intact);
    assert_eq!(result.problems.len(), 1, "{:?}", result.problems);
    assert_eq!(result.problems[0].sequence, 3);
    assert!(result.problems[0].problem.contains("altered"));
}

#[tokio::test]
async fn a_deleted_event_is_detected_in_the_middle_and_at_the_end() {
    let app = spawn_app().await;
    some_activity(&app).await;
    assert!(app.verify_audit_chain().await.intact);
    tamper(&app, "DELETE FROM audit_events WHERE seq = 2").await;
    let result = app.verify_audit_chain().await;
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
    assert!(app.verify_audit_chain().await.intact);
    tamper(&app, "DELETE FROM audit_events WHERE seq = 3").await;
    let result = app.verify_audit_chain().await;
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
        register(&mut persons, person(&numbered("Page", i))).await;
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

/// Reads share commits of the audit log, but each read still leaves exactly one event of its
/// own, sealed into the chain like any other.
#[tokio::test]
async fn concurrent_reads_each_leave_one_event() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let registered = register(&mut persons, person("Grouped")).await;
    const READS: usize = 300;
    let reads = (0..READS).map(|_| {
        let mut persons = persons.clone();
        let name = registered.name.clone();
        tokio::spawn(async move {
            persons
                .get_person(pb::GetPersonRequest {
                    name,
                    iin: String::new(),
                })
                .await
        })
    });
    for read in futures_util::future::join_all(reads).await {
        read.unwrap().expect("every read is served");
    }
    let counted = sqlx::query!(
        r#"SELECT count(*) AS "events!", count(DISTINCT xmin::text) AS "commits!" FROM audit_events
         WHERE rpc = '/kandas.v1.PersonService/GetPerson' AND subject = $1 AND outcome = 'OK'"#,
        &registered.name
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (events, commits) = (counted.events, counted.commits);
    assert_eq!(events, READS as i64);
    // Not a timing assertion: however the reads interleave, 300 of them on a pool of a few
    // connections cannot all have committed alone unless the writer never groups.
    assert!(
        commits < READS as i64,
        "{commits} commits for {READS} events"
    );
    let result = app.verify_audit_chain().await;
    assert!(result.intact, "{:?}", result.problems);
    assert_eq!(result.verified_events, READS as i64 + 1);
}

/// A read whose audit event cannot be written is refused; reads that shared its commit but
/// whose own events are fine are served. The data is never sent unaudited.
#[tokio::test]
async fn a_read_that_cannot_be_audited_is_not_served() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let refused = register(&mut persons, person("Unaudited")).await;
    let served = register(&mut persons, person("Audited")).await;
    // Stands for a log that refuses one event (a broken constraint, say): only successful
    // reads of one person, so the refusal itself can still be recorded.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE FUNCTION refuse_reads() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.subject = '{}' AND NEW.outcome = 'OK' THEN
                 RAISE EXCEPTION 'audit log refuses this event';
             END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_events
         FOR EACH ROW EXECUTE FUNCTION refuse_reads();",
        refused.name
    )))
    .execute(&app.pool)
    .await
    .unwrap();

    let reads = (0..40).map(|i| {
        let mut persons = persons.clone();
        let name = if i % 2 == 0 { &refused } else { &served }.name.clone();
        tokio::spawn(async move {
            let result = persons
                .get_person(pb::GetPersonRequest {
                    name: name.clone(),
                    iin: String::new(),
                })
                .await;
            (name, result)
        })
    });
    for read in futures_util::future::join_all(reads).await {
        let (name, result) = read.unwrap();
        if name == refused.name {
            let status = result.expect_err("an unaudited read is refused");
            assert_eq!(status.code(), Code::Internal, "{status:?}");
            assert!(!status.message().contains("Unaudited"), "{status:?}");
        } else {
            result.expect("a read whose event is written is served");
        }
    }
    let outcomes: Vec<(String, String, i64)> = sqlx::query!(
        r#"SELECT subject, outcome, count(*) AS "count!" FROM audit_events
         WHERE rpc = '/kandas.v1.PersonService/GetPerson' GROUP BY 1, 2 ORDER BY 1, 2"#
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.subject, row.outcome, row.count))
    .collect();
    let mut expected = vec![
        (refused.name.clone(), "Internal".to_string(), 20),
        (served.name.clone(), "OK".to_string(), 20),
    ];
    expected.sort();
    assert_eq!(
        outcomes, expected,
        "each refused read is audited as a failure"
    );

    sqlx::query("DROP TRIGGER refuse_reads ON audit_events")
        .execute(&app.pool)
        .await
        .unwrap();
    persons
        .get_person(pb::GetPersonRequest {
            name: refused.name.clone(),
            iin: String::new(),
        })
        .await
        .expect("served again once the log takes its event");
}

#[tokio::test]
async fn an_unfiltered_list_leaves_a_trace_under_every_person_it_shows() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut applications = app.applications("psc").await;
    let mut shown = Vec::new();
    for surname in ["Listed", "Shown"] {
        let registered = register(&mut persons, person(surname)).await;
        applications
            .submit_application(iin_submission(&registered.name, vec![passport()]))
            .await
            .unwrap();
        shown.push(registered.name);
    }
    let unlisted = register(&mut persons, person("Unlisted")).await;
    let page = applications
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.applications.len(), 2);

    let list = "/kandas.v1.ApplicationService/ListApplications";
    let mut audit = app.audit().await;
    for name in shown.iter().chain([&unlisted.name]) {
        let events = audit
            .list_audit_events(pb::ListAuditEventsRequest {
                subject: name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        let listed = events.iter().filter(|e| e.rpc == list).count();
        let expected = usize::from(name != &unlisted.name);
        assert_eq!(listed, expected, "{name}: {events:?}");
    }
    let result = app.verify_audit_chain().await;
    assert!(result.intact, "{:?}", result.problems);
}
