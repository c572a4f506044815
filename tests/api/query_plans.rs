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
