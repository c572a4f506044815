//! The service's database role owns nothing and may only add to the audit evidence (SPEC §7,
//! decision 4). Each rewrite of the log is tried with the service's own credentials, as an
//! attacker who stole them would, and must be refused by the database itself.

use crate::helpers::*;
use kandas::server::startup::{Application, Settings, TlsMaterial};
use kandas::store::privileges;
use sqlx::{Connection, PgConnection};

/// PostgreSQL's "insufficient_privilege".
const NOT_PERMITTED: &str = "42501";
/// "integrity_constraint_violation", as the audit triggers raise it.
const AUDIT_TRIGGER: &str = "23000";
/// "check_violation", as `audit_events_recorded_now` raises it.
const NOT_NOW: &str = "23514";

/// Twelve events, sealed and signed: enough for "the last ten" and "event 10".
async fn sealed_log() -> TestApp {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    for i in 0..12 {
        register(&mut persons, person(&numbered("Witness", i))).await;
    }
    let verified = app.verify_audit_chain().await;
    assert!(verified.intact, "{:?}", verified.problems);
    assert!(verified.verified_events >= 12, "{verified:?}");
    assert_eq!(verified.last_signed_sequence, verified.verified_events);
    app
}

async fn as_service(app: &TestApp) -> PgConnection {
    PgConnection::connect(&database_of(&app.database_url).service)
        .await
        .expect("log in as the service role")
}

/// Runs `sql` and returns the SQLSTATE it was refused with; panics if it was not refused.
// Run-time text: each caller hands the statement it expects refused.
async fn refused(connection: &mut PgConnection, sql: &str) -> String {
    match sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut *connection)
        .await
    {
        Ok(done) => panic!(
            "the service role was allowed `{sql}` ({} rows)",
            done.rows_affected()
        ),
        Err(sqlx::Error::Database(error)) => {
            error.code().map(|c| c.into_owned()).unwrap_or_default()
        }
        Err(other) => panic!("`{sql}` failed otherwise: {other}"),
    }
}

async fn assert_refused(connection: &mut PgConnection, sql: &str, code: &str) {
    let got = refused(connection, sql).await;
    assert_eq!(got, code, "`{sql}` was refused with {got}, not {code}");
}

/// The log as it stood: its events and heads, and both verifiers still say intact.
async fn assert_untouched(app: &TestApp, events: i64, heads: i64) {
    let counted = counts(app).await;
    assert!(counted.0 >= events && counted.1 >= heads, "{counted:?}");
    let verified = app.verify_audit_chain().await;
    assert!(verified.intact, "{:?}", verified.problems);
}

async fn counts(app: &TestApp) -> (i64, i64) {
    let counted = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM audit_events) AS "events!",
                  (SELECT count(*) FROM audit_signed_heads) AS "heads!""#
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    (counted.events, counted.heads)
}

#[tokio::test]
async fn the_service_role_cannot_delete_the_last_events_and_the_heads_that_cover_them() {
    let app = sealed_log().await;
    let (events, heads) = counts(&app).await;
    let mut service = as_service(&app).await;
    // Attack B.
    assert_refused(
        &mut service,
        "DELETE FROM audit_events WHERE seq > (SELECT max(seq) - 10 FROM audit_events)",
        NOT_PERMITTED,
    )
    .await;
    assert_refused(
        &mut service,
        "DELETE FROM audit_signed_heads WHERE seq > (SELECT max(seq) - 10 FROM audit_events)",
        NOT_PERMITTED,
    )
    .await;
    assert_refused(&mut service, "TRUNCATE audit_events", NOT_PERMITTED).await;
    assert_untouched(&app, events, heads).await;
}

#[tokio::test]
async fn the_service_role_cannot_edit_an_event_recompute_the_chain_or_cut_the_heads() {
    let app = sealed_log().await;
    let (events, heads) = counts(&app).await;
    let mut service = as_service(&app).await;
    // Attack D, step by step.
    assert_refused(
        &mut service,
        "UPDATE audit_events SET subject = 'persons/someone-else' WHERE seq = 10",
        NOT_PERMITTED,
    )
    .await;
    // Refused by the append-only trigger while the sealer still links events in place, and by
    // the missing privilege once it no longer does.
    let recompute = refused(
        &mut service,
        "UPDATE audit_events SET hash = sha256(hash), prev_hash = sha256(prev_hash) WHERE seq >= 10",
    )
    .await;
    assert!(
        [AUDIT_TRIGGER, NOT_PERMITTED].contains(&recompute.as_str()),
        "recomputing the chain was refused with {recompute}"
    );
    assert_refused(
        &mut service,
        "DELETE FROM audit_signed_heads WHERE seq >= 10",
        NOT_PERMITTED,
    )
    .await;
    // Nor may it take the triggers that stand in the way out of it.
    for sql in [
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "SET session_replication_role = replica",
        "CREATE FUNCTION allow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    ] {
        assert_refused(&mut service, sql, NOT_PERMITTED).await;
    }
    assert_untouched(&app, events, heads).await;
}

#[tokio::test]
async fn the_service_role_cannot_backdate_an_event_it_inserts() {
    let app = sealed_log().await;
    let (events, heads) = counts(&app).await;
    let mut service = as_service(&app).await;
    // Attack F: a plain INSERT of an event three days old. The service states the time of its
    // events (its tag covers it), but the database refuses one far from its own clock.
    assert_refused(
        &mut service,
        "INSERT INTO audit_events (recorded_at, client, role, operator_id, rpc, subject, request_id, outcome)
         VALUES (now() - interval '3 days', 'urn:kandas:psc:test-psc', 'psc', '', 'GetPerson',
                 'persons/framed', 'r', 'OK')",
        NOT_NOW,
    )
    .await;
    assert_refused(
        &mut service,
        "INSERT INTO audit_events (recorded_at, client, role, operator_id, rpc, subject, request_id, outcome)
         VALUES (clock_timestamp() + interval '1 hour', 'urn:kandas:psc:test-psc', 'psc', '', 'GetPerson',
                 'persons/framed', 'r', 'OK')",
        NOT_NOW,
    )
    .await;
    // Nor can it choose the identity or a place in the chain.
    assert_refused(
        &mut service,
        "INSERT INTO audit_events (id, client, role, operator_id, rpc, subject, request_id, outcome)
         OVERRIDING SYSTEM VALUE
         VALUES (1000000, 'c', 'psc', '', 'GetPerson', 'persons/framed', 'r', 'OK')",
        NOT_PERMITTED,
    )
    .await;
    assert_refused(
        &mut service,
        "INSERT INTO audit_events (client, role, operator_id, rpc, subject, request_id, outcome, seq, prev_hash, hash)
         VALUES ('c', 'psc', '', 'GetPerson', 'persons/framed', 'r', 'OK', 5, '\\x00', '\\x00')",
        NOT_PERMITTED,
    )
    .await;
    // What it may insert is stamped by the database with the time of its recording (and
    // rolled back here: only the refusals are the point).
    let mut tx = service.begin().await.unwrap();
    let recorded_seconds_ago: f64 = sqlx::query_scalar!(
        r#"WITH added AS (
             INSERT INTO audit_events (client, role, operator_id, rpc, subject, request_id, outcome)
             VALUES ('c', 'psc', '', 'GetPerson', 'persons/framed', 'r', 'OK')
             RETURNING recorded_at)
         SELECT extract(epoch FROM clock_timestamp() - recorded_at)::float8 AS "seconds!"
         FROM added"#
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(recorded_seconds_ago < 60.0, "{recorded_seconds_ago}");
    assert_untouched(&app, events, heads).await;
}

#[tokio::test]
async fn the_service_role_cannot_delete_the_signed_heads() {
    let app = sealed_log().await;
    let (events, heads) = counts(&app).await;
    assert!(heads >= 1);
    let mut service = as_service(&app).await;
    // Attack G.
    assert_refused(
        &mut service,
        "DELETE FROM audit_signed_heads",
        NOT_PERMITTED,
    )
    .await;
    assert_refused(&mut service, "TRUNCATE audit_signed_heads", NOT_PERMITTED).await;
    assert_refused(
        &mut service,
        "UPDATE audit_signed_heads SET seq = 1",
        NOT_PERMITTED,
    )
    .await;
    // Nor can it clear the list of events the sealer refused, or mark a genuine one refused
    // after the fact (it may only add rows; the sealer's are checked again at verification).
    for sql in [
        "DELETE FROM audit_refusals",
        "TRUNCATE audit_refusals",
        "UPDATE audit_refusals SET reason = 'untagged'",
    ] {
        assert_refused(&mut service, sql, NOT_PERMITTED).await;
    }
    assert_untouched(&app, events, heads).await;
}

#[tokio::test]
async fn the_service_role_owns_nothing_and_may_create_nothing() {
    let app = spawn_app().await;
    let mut service = as_service(&app).await;
    let owned: i64 = sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM pg_class WHERE relowner = session_user::regrole)
              + (SELECT count(*) FROM pg_proc WHERE proowner = session_user::regrole) AS "owned!""#
    )
    .fetch_one(&mut service)
    .await
    .unwrap();
    assert_eq!(owned, 0);
    let pool = kandas::store::connect_lazy(
        &database_of(&app.database_url).service,
        &kandas::store::PoolSettings {
            max_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(10),
        },
    )
    .unwrap();
    assert_eq!(
        privileges::excess_privileges(&pool).await.unwrap(),
        Vec::<String>::new()
    );
    pool.close().await;
    for sql in [
        "CREATE TABLE planted (id int)",
        "CREATE VIEW planted AS SELECT 1",
        "SELECT setval('issued_numbers', 1)",
        "SELECT * FROM _sqlx_migrations",
    ] {
        let code = refused(&mut service, sql).await;
        assert_eq!(code, NOT_PERMITTED, "`{sql}` was refused with {code}");
    }
}

#[tokio::test]
async fn every_table_has_a_privilege_decision_and_a_new_one_without_fails() {
    let app = spawn_app().await;
    let owner = kandas::store::connect_lazy(
        &database_of(&app.database_url).owner,
        &kandas::store::PoolSettings {
            max_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(10),
        },
    )
    .unwrap();
    assert_eq!(
        privileges::undecided_tables(&owner).await.unwrap(),
        Vec::<String>::new()
    );
    // No decision stands for a table the migrations do not make.
    let tables: Vec<String> = sqlx::query_scalar!(
        r#"SELECT relname::text AS "name!" FROM pg_class
         WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f')"#
    )
    .fetch_all(&owner)
    .await
    .unwrap();
    for (table, _) in privileges::TABLES {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} is not in the schema"
        );
    }
    sqlx::query("CREATE TABLE added_later (id int)")
        .execute(&owner)
        .await
        .unwrap();
    let error = privileges::grant(&owner, kandas::local::postgres::SERVICE)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("added_later"), "{error}");
    owner.close().await;
}

fn test_tls() -> TlsMaterial {
    let ca = kandas::local::pki::CertificateAuthority::generate("privilege CA").unwrap();
    let server = ca
        .issue_server(&["localhost"], &["127.0.0.1".parse().unwrap()])
        .unwrap();
    TlsMaterial {
        cert_chain_pem: server.cert_pem.into_bytes(),
        key_pem: server.key_pem.into_bytes(),
        client_ca_pem: ca.cert_pem().into_bytes(),
        client_crls: Vec::new(),
    }
}

#[tokio::test]
async fn a_superuser_alone_is_refused_unless_explicitly_allowed() {
    let admin = empty_database().await;
    let settings = Settings::new("127.0.0.1:0".parse().unwrap(), admin.clone(), test_tls());
    let error = match Application::build(settings.clone()).await {
        Ok(_) => panic!("a superuser's URL alone was served"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("superuser"), "{error}");
    assert!(error.contains("KANDAS_MIGRATION_DATABASE_URL"), "{error}");
    assert!(
        error.contains("KANDAS_ALLOW_PRIVILEGED_DATABASE_ROLE"),
        "{error}"
    );
    let mut allowed = settings;
    allowed.allow_privileged_database_role = true;
    let app = Application::build(allowed)
        .await
        .expect("served when explicitly allowed");
    drop(app);

    // The owner alone (it migrates, so it owns the evidence) is refused as well.
    let owner = database_of(&empty_database().await).owner;
    let settings = Settings::new("127.0.0.1:0".parse().unwrap(), owner, test_tls());
    let error = match Application::build(settings).await {
        Ok(_) => panic!("the owner's URL alone was served"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("owns the schema public"), "{error}");
    assert!(
        error.contains("owns (or is a member of the owner of)"),
        "{error}"
    );
}

/// A test database copied from the harness's template is what migrating an empty one leaves:
/// the same owner of the database, the schema, each table and function, the same grants to the
/// service role down to the columns, every migration recorded, and no per-database settings.
/// Roles are the cluster's, so the copy's grants name the same service role.
#[tokio::test]
async fn a_database_copied_from_the_template_is_as_migrating_an_empty_one_leaves_it() {
    let copied = migrated_database().await;
    let migrated = empty_database().await;
    let roles = database_of(&migrated);
    let service = sqlx::PgPool::connect(&roles.service)
        .await
        .expect("connect as the service role");
    kandas::server::startup::migrate_as_owner(
        &roles.owner,
        &service,
        std::time::Duration::from_secs(30),
    )
    .await
    .expect("migrate as the owner and grant the service role");
    service.close().await;
    assert_eq!(catalogue(&copied).await, catalogue(&migrated).await);
}

/// Who owns what in the database `admin` names, who may do what there, and what is migrated.
async fn catalogue(admin: &str) -> Vec<String> {
    let pool = sqlx::PgPool::connect(admin)
        .await
        .expect("connect as the administrator");
    let lines = sqlx::query_scalar!(
        r#"SELECT 'database owned by ' || pg_get_userbyid(datdba)::text AS "line!"
         FROM pg_database WHERE datname = current_database()
         UNION ALL
         SELECT 'database settings: ' || count(*)::text
         FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
         WHERE d.datname = current_database()
         UNION ALL
         SELECT 'schema public owned by ' || pg_get_userbyid(nspowner)::text || ' acl '
                || coalesce(nspacl::text, '-')
         FROM pg_namespace WHERE nspname = 'public'
         UNION ALL
         SELECT 'relation ' || relname::text || ' (' || relkind::text || ') owned by '
                || pg_get_userbyid(relowner)::text || ' acl ' || coalesce(relacl::text, '-')
         FROM pg_class WHERE relnamespace = 'public'::regnamespace
         UNION ALL
         SELECT 'column ' || a.attrelid::regclass::text || '.' || a.attname::text || ' acl '
                || a.attacl::text
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = 'public'::regnamespace AND a.attacl IS NOT NULL
         UNION ALL
         SELECT 'function ' || oid::regprocedure::text || ' owned by '
                || pg_get_userbyid(proowner)::text
         FROM pg_proc WHERE pronamespace = 'public'::regnamespace
         UNION ALL
         SELECT 'migration ' || version::text || ' ' || encode(checksum, 'hex')
         FROM _sqlx_migrations WHERE success
         ORDER BY 1"#
    )
    .fetch_all(&pool)
    .await
    .expect("read the catalogue");
    pool.close().await;
    lines
}
