//! Retention (SPEC 5.7): the documents of a kandas status application are kept a year after its
//! decision and erased the day after, once, by one replica at a time, as an audited system act.

use crate::helpers::*;
use kandas::service::retention::{ERASE_ACT, run_once};
use kandas::state::Clock;

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn kandas_documents(app: &TestApp) -> Vec<(serde_json::Value, Option<chrono::NaiveDate>)> {
    sqlx::query!(
        "SELECT documents, documents_erased_on FROM applications
         WHERE procedure = 'kandas_status_assignment'"
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.documents, row.documents_erased_on))
    .collect()
}

#[tokio::test]
async fn kandas_documents_are_erased_the_day_after_a_year_from_the_decision() {
    // Decided Tuesday 2025-05-20: kept through 2026-05-20, erased from 2026-05-21.
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2025, 5, 20))).await;
    eligible_family(&app, 1, 1, "KZ-55").await;
    let kept = kandas_documents(&app).await;
    assert_eq!(kept.len(), 1, "one kandas application");
    assert_eq!(kept[0].1, None, "its documents are kept");
    assert!(kept[0].0.to_string().contains("E12345678"), "{}", kept[0].0);

    let signer = test_audit_signer();
    let tag_key = Some(signer.tag_key());
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 5, 19))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 5, 20))
            .await
            .unwrap(),
        0
    );
    // Two replicas at once: the application is erased once between them.
    let (a, b) = tokio::join!(
        run_once(&app.pool, tag_key, day(2026, 5, 21)),
        run_once(&app.pool, tag_key, day(2026, 5, 21))
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 5, 22))
            .await
            .unwrap(),
        0
    );

    let after = kandas_documents(&app).await;
    assert_eq!(after[0].1, Some(day(2026, 5, 21)));
    let text = after[0].0.to_string();
    assert!(!text.contains("E12345678"), "the number is gone: {text}");
    assert!(text.contains("identity_document"), "the kind stays: {text}");
    // The decision and the checklist's outcome stay.
    let decided = sqlx::query!(
        "SELECT d.outcome, a.checklist FROM applications a JOIN decisions d ON d.application_id = a.id
         WHERE a.procedure = 'kandas_status_assignment'"
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (outcome, checklist) = (decided.outcome, decided.checklist);
    assert_eq!(outcome, "approved");
    assert!(checklist.as_array().is_some_and(|items| !items.is_empty()));
    // Every other procedure keeps its documents.
    let others: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM applications WHERE documents_erased_on IS NOT NULL
         AND procedure <> 'kandas_status_assignment'"#
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(others, 0);

    let audited: Vec<(String, String, String)> =
        sqlx::query!("SELECT client, role, rpc FROM audit_events WHERE role = 'system'")
            .fetch_all(&app.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.client, row.role, row.rpc))
            .collect();
    assert_eq!(
        audited,
        vec![(
            "urn:kandas:system:retention".to_string(),
            "system".to_string(),
            ERASE_ACT.to_string()
        )]
    );
}
