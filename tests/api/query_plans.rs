//! Hot-path queries are served by an index whatever the table's size. Each test runs a store
//! function in a transaction where sequential scans are priced out (`enable_seqscan = off`),
//! so the planner scans a table only when no index can answer the query, and reads the
//! transaction's own scan counts (`pg_stat_xact_user_tables`, current before any flush). The
//! benchmark finds such scans at a million rows; these tests keep the fixes.

use crate::helpers::*;
use kandas::domain::iin::Iin;
use kandas::store::persons;

/// Sequential scans of `table` so far in this transaction.
async fn seq_scans(tx: &mut sqlx::PgConnection, table: &str) -> i64 {
    sqlx::query_scalar!(
        r#"SELECT seq_scan AS "seq_scan!" FROM pg_stat_xact_user_tables WHERE relname = $1"#,
        table
    )
    .fetch_one(tx)
    .await
    .unwrap()
}

async fn priced_out(app: &TestApp) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// `persons.iin` is char(12); a lookup bound as text once compared the column cast to text,
/// which its unique index cannot serve: RegisterPerson's duplicate check, GetPerson by IIN, a
/// portal's applicant by IIN and every IIN issued read the whole table.
#[tokio::test]
async fn a_person_is_found_by_iin_through_the_unique_index() {
    let app = spawn_app().await;
    let mut tx = priced_out(&app).await;
    let iin = Iin::parse("871008401427").unwrap();
    let found = persons::get_by_iin(&mut *tx, &iin).await.unwrap();
    assert!(found.is_none());
    assert_eq!(seq_scans(&mut tx, "persons").await, 0);
}

/// The missed-deadline job looks every few minutes on every replica: the open applications
/// past their step's deadline come from the overdue index, and whether each was told from the
/// unique index of missed deadlines, never from a scan of either table.
#[tokio::test]
async fn missed_deadlines_are_found_through_the_overdue_and_once_indexes() {
    use kandas::state::Clock;
    use kandas::store::missed_deadlines;
    let submitted_on = chrono::NaiveDate::from_ymd_opt(2025, 3, 7).unwrap();
    let the_day_after = chrono::NaiveDate::from_ymd_opt(2025, 3, 14).unwrap();
    let app = spawn_app_with(|s| s.clock = Clock::pinned(submitted_on)).await;
    let mut persons = app.persons("psc").await;
    let mut psc = app.applications("psc").await;
    for n in 0..2 {
        let applicant = register(&mut persons, person(&numbered("Overdue", n))).await;
        psc.submit_application(iin_submission(&applicant.name, vec![passport()]))
            .await
            .unwrap();
    }
    let mut tx = priced_out(&app).await;
    let untold = missed_deadlines::untold(&mut *tx, the_day_after, 100)
        .await
        .unwrap();
    assert_eq!(untold.len(), 2);
    assert_eq!(seq_scans(&mut tx, "applications").await, 0);
    assert_eq!(seq_scans(&mut tx, "notifications").await, 0);
    drop(tx);

    let signer = test_audit_signer();
    let told = kandas::service::missed_deadlines::run_once(
        &app.pool,
        Some(signer.tag_key()),
        the_day_after,
    )
    .await
    .unwrap();
    assert_eq!(told, 2);
    let mut tx = priced_out(&app).await;
    let untold = missed_deadlines::untold(&mut *tx, the_day_after, 100)
        .await
        .unwrap();
    assert!(untold.is_empty());
    assert_eq!(seq_scans(&mut tx, "applications").await, 0);
    assert_eq!(seq_scans(&mut tx, "notifications").await, 0);
}

/// Every scrape of every replica counts the overdue applications by office: from the overdue
/// index, never from a scan of `applications`, however many are decided.
#[tokio::test]
async fn overdue_applications_are_counted_through_the_overdue_index() {
    use kandas::state::Clock;
    use kandas::store::gauges;
    let submitted_on = chrono::NaiveDate::from_ymd_opt(2025, 3, 7).unwrap();
    let the_day_after = chrono::NaiveDate::from_ymd_opt(2025, 3, 14).unwrap();
    let app = spawn_app_with(|s| s.clock = Clock::pinned(submitted_on)).await;
    let mut persons = app.persons("psc").await;
    let mut psc = app.applications("psc").await;
    for n in 0..2 {
        let applicant = register(&mut persons, person(&numbered("Counted", n))).await;
        psc.submit_application(iin_submission(&applicant.name, vec![passport()]))
            .await
            .unwrap();
    }
    let mut tx = priced_out(&app).await;
    let offices = gauges::overdue(&mut *tx, the_day_after, 1000)
        .await
        .unwrap();
    assert_eq!(offices.len(), 1, "{offices:?}");
    assert_eq!(offices[0].procedure, "iin_assignment");
    assert_eq!(offices[0].count, 2);
    assert!(
        gauges::overdue(&mut *tx, submitted_on, 1000)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(seq_scans(&mut tx, "applications").await, 0);
}

/// Every scrape reads how far the audit chain is signed: the last signed head comes from the
/// end of `audit_signed_heads_seq`, not from a scan of every head ever signed.
#[tokio::test]
async fn the_last_signed_audit_head_is_read_through_its_index() {
    let app = spawn_app().await;
    let mut tx = priced_out(&app).await;
    let signing = kandas::store::gauges::signing(&mut *tx).await.unwrap();
    assert!(signing.signed_head <= signing.chain_head, "{signing:?}");
    assert_eq!(seq_scans(&mut tx, "audit_signed_heads").await, 0);
}

/// GetApplication reads one application by its key with its decision, if any: two index
/// lookups whatever the tables hold. (The `--scale` run once reported a sequential scan of
/// `applications` during get_application at 10k; it was the bench's own listing of the names
/// to read, whose statistics arrived late, not this statement.)
#[tokio::test]
async fn an_application_is_read_through_its_key_and_its_decision_through_its_own() {
    use kandas::store::applications;
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut psc = app.applications("psc").await;
    let applicant = register(&mut persons, person(&numbered("Reader", 1))).await;
    let submitted = psc
        .submit_application(iin_submission(&applicant.name, vec![passport()]))
        .await
        .unwrap()
        .into_inner();
    let id: uuid::Uuid = submitted
        .name
        .strip_prefix("applications/")
        .unwrap()
        .parse()
        .unwrap();
    let mut tx = priced_out(&app).await;
    let row = applications::get(&mut *tx, id).await.unwrap();
    assert_eq!(row.map(|r| r.id), Some(id));
    assert_eq!(seq_scans(&mut tx, "applications").await, 0);
    assert_eq!(seq_scans(&mut tx, "decisions").await, 0);
}
