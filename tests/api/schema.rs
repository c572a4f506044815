//! Properties of the schema as migrated, read from PostgreSQL's catalogue.

use crate::helpers::*;

/// PostgreSQL does not index the referencing side of a foreign key. Without such an index,
/// every delete or key change of a referenced row (a retention job, an operator's correction)
/// scans the whole referencing table once per row, and "what came of this application" has no
/// index to use. Every foreign key must lead some index.
#[tokio::test]
async fn every_foreign_key_leads_an_index() {
    let app = spawn_app().await;
    let unindexed: Vec<String> = sqlx::query_scalar!(
        r#"SELECT c.conrelid::regclass::text || ' ' || pg_get_constraintdef(c.oid) AS "constraint!"
         FROM pg_constraint c
         WHERE c.contype = 'f'
           AND c.connamespace = 'public'::regnamespace
           AND NOT EXISTS (
               SELECT 1 FROM pg_index i
               CROSS JOIN LATERAL (
                   SELECT (string_to_array(i.indkey::text, ' ')::int2[])
                          [1:cardinality(c.conkey)] AS lead
               ) k
               WHERE i.indrelid = c.conrelid AND k.lead @> c.conkey AND k.lead <@ c.conkey)
         ORDER BY 1"#
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        unindexed.is_empty(),
        "foreign keys without an index:\n{}",
        unindexed.join("\n")
    );
}
