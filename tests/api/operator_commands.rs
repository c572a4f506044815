//! `kandas admin retention`, `subscriptions` and `health --wait`: the real binary against real
//! servers, each answer checked against what the database and the audit log then hold.

use crate::cli::{Operator, run};
use crate::helpers::*;
use kandas::local::pki::{CertificateAuthority, Validity};
use kandas::pb;
use kandas::service::retention::ERASE_ACT;
use kandas::state::Clock;
use std::process::Stdio;
use std::time::Duration;

const RUN_RETENTION: &str = "/kandas.v1.AdminService/RunRetention";
const GET_RETENTION_STATUS: &str = "/kandas.v1.AdminService/GetRetentionStatus";

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Waits until every replica's scheduled start-up run of both jobs is recorded, so nothing
/// but the test acts on retention afterwards (the next scheduled runs are an hour away).
async fn start_runs_recorded(app: &TestApp, replicas: i64) {
    let pool = app.pool.clone();
    wait_until(
        Duration::from_secs(60),
        "the start-up runs recorded",
        || {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar!(
                    r#"SELECT count(*) AS "runs!" FROM job_runs WHERE trigger = 'schedule'"#
                )
                .fetch_one(&pool)
                .await
                .is_ok_and(|runs| runs == 2 * replicas)
            }
        },
    )
    .await;
}

async fn audited(app: &TestApp, rpc: &str) -> Vec<(String, String)> {
    sqlx::query!(
        "SELECT client, outcome FROM audit_events WHERE rpc = $1 ORDER BY id",
        rpc
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.client, row.outcome))
    .collect()
}

#[tokio::test]
async fn retention_is_run_by_an_operator_and_its_status_shows_what_is_due_erased_and_run() {
    // One replica decides on 2025-05-20; the other counts 2026-05-21 as today, the first day
    // that decision's documents may be erased.
    let deciding = spawn_app_with(|s| s.clock = Clock::pinned(day(2025, 5, 20))).await;
    let later = spawn_on(deciding.database_url.clone(), deciding.same_ca(), |s| {
        s.clock = Clock::pinned(day(2026, 5, 21))
    })
    .await;
    start_runs_recorded(&later, 2).await;
    eligible_family(&deciding, 1, 1, "KZ-55").await;
    let operator = Operator::new(&later);
    let replica = kandas::server::replica::name(later.addr);

    let status = operator.run(&["retention", "status", "--json"]).await;
    let status = status.succeeded().json();
    assert_eq!(
        status["today"],
        serde_json::json!({"year": 2026, "month": 5, "day": 21})
    );
    assert_eq!(status["due"], "1", "{status:#}");
    assert_eq!(status["erased"], "0", "{status:#}");
    assert!(status["nextDueDate"].is_null(), "{status:#}");
    let runs = status["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "one start-up run per replica: {status:#}");
    for run in runs {
        assert_eq!(run["job"], "retention");
        assert_eq!(run["trigger"], "TRIGGER_SCHEDULE");
        assert_eq!(run["organisation"], "");
        // Replicas starting together take turns: one may have found the other's lock.
        assert!(
            run["outcome"] == "OUTCOME_DONE" || run["outcome"] == "OUTCOME_LOCK_HELD",
            "{status:#}"
        );
        assert_eq!(run["count"], "0");
    }
    let human = operator.run(&["retention", "status"]).await;
    assert!(
        human.succeeded().stdout.contains("due now:        1\n"),
        "{human:#?}"
    );
    assert!(human.stdout.contains(&replica), "{human:#?}");

    let ran = operator.run(&["retention", "run"]).await;
    assert_eq!(
        ran.succeeded().stdout,
        format!("erased the documents of 1 application on {replica} (today 2026-05-21 Thu)\n")
    );
    let status = operator.run(&["retention", "status", "--json"]).await;
    let status = status.succeeded().json();
    assert_eq!(status["due"], "0", "{status:#}");
    assert_eq!(status["erased"], "1", "{status:#}");
    let runs = status["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "{status:#}");
    let by_operator = &runs[0];
    assert_eq!(by_operator["trigger"], "TRIGGER_OPERATOR", "{status:#}");
    assert_eq!(by_operator["organisation"], "organisations/test-admin");
    assert_eq!(by_operator["replica"], replica.as_str());
    assert_eq!(by_operator["count"], "1");
    assert_eq!(by_operator["outcome"], "OUTCOME_DONE");
    assert_eq!(by_operator["errorClass"], "");

    // A second run finds nothing more, and replaces the operator's last run on this replica.
    let again = operator.run(&["retention", "run", "--json"]).await;
    let again = again.succeeded().json();
    assert_eq!(again["erased"], "0");
    assert_eq!(again["lockHeld"], false);
    assert_eq!(again["replica"], replica.as_str());
    let operator_runs: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "runs!" FROM job_runs WHERE trigger = 'operator'"#
    )
    .fetch_one(&later.pool)
    .await
    .unwrap();
    assert_eq!(operator_runs, 1);

    // The erasure is retention's own audited act; each call is audited as the operator's.
    let erasures: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "erasures!" FROM audit_events WHERE rpc = $1"#,
        ERASE_ACT
    )
    .fetch_one(&later.pool)
    .await
    .unwrap();
    assert_eq!(erasures, 1);
    let admin = ("urn:kandas:admin:test-admin".to_string(), "OK".to_string());
    assert_eq!(audited(&later, RUN_RETENTION).await, vec![admin.clone(); 2]);
    assert_eq!(audited(&later, GET_RETENTION_STATUS).await, vec![admin; 3]);
}

#[tokio::test]
async fn a_run_while_another_replica_holds_the_lock_does_nothing_and_says_so() {
    let app = spawn_app().await;
    start_runs_recorded(&app, 1).await;
    let operator = Operator::new(&app);
    let replica = kandas::server::replica::name(app.addr);

    // Another replica's run, as far as this one can tell: the lock is held meanwhile.
    let mut other = app.pool.begin().await.unwrap();
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('kandas.retention'))")
        .execute(&mut *other)
        .await
        .unwrap();
    let busy = operator.run(&["retention", "run", "--json"]).await;
    let busy = busy.succeeded().json();
    assert_eq!(busy["lockHeld"], true, "{busy:#}");
    assert_eq!(busy["erased"], "0");
    let human = operator.run(&["retention", "run"]).await;
    assert_eq!(
        human.succeeded().stdout,
        format!(
            "another replica is running retention: {replica} erased nothing more \
             (today 2026-06-01 Mon); that run erases what is due\n"
        )
    );
    let status = operator.run(&["retention", "status", "--json"]).await;
    let status = status.succeeded().json();
    let by_operator = status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|run| run["trigger"] == "TRIGGER_OPERATOR")
        .cloned()
        .unwrap_or_else(|| panic!("no operator run: {status:#}"));
    assert_eq!(by_operator["outcome"], "OUTCOME_LOCK_HELD");
    other.rollback().await.unwrap();

    let free = operator.run(&["retention", "run", "--json"]).await;
    assert_eq!(free.succeeded().json()["lockHeld"], false);
}

#[tokio::test]
async fn retention_is_refused_to_every_role_but_admin_and_the_refusal_audited() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);
    for command in ["run", "status"] {
        let refused = operator.run_as_psc(&["retention", command]).await;
        refused.failed_with(1);
        assert!(
            refused.stderr.contains("PERMISSION_DENIED")
                && refused.stderr.contains("ROLE_NOT_PERMITTED"),
            "{refused:#?}"
        );
    }
    let psc = (
        "urn:kandas:psc:test-psc".to_string(),
        "PermissionDenied".to_string(),
    );
    assert_eq!(audited(&app, RUN_RETENTION).await, vec![psc.clone()]);
    assert_eq!(audited(&app, GET_RETENTION_STATUS).await, vec![psc]);
    let by_operator: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "runs!" FROM job_runs WHERE trigger = 'operator'"#
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(by_operator, 0, "a refused call runs nothing");
}

#[tokio::test]
async fn subscriptions_are_set_and_listed_from_the_command_line() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);
    let request_id = uuid::Uuid::new_v4().to_string();
    let set = [
        "subscriptions",
        "set",
        "--organisation",
        "test-registry",
        "--kinds",
        "permit_granted,card_issued",
        "--kinds",
        "documents_erased",
        "--request-id",
        &request_id,
    ];
    let first = operator.run(&set).await;
    first.succeeded();
    let row = first.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        row.starts_with("test-registry  -  ")
            && row.ends_with("  permit_granted,card_issued,documents_erased"),
        "{first:#?}"
    );
    // The same request id again: answered as the first time, nothing done twice.
    assert_eq!(operator.run(&set).await.succeeded().stdout, first.stdout);

    let listed = operator.run(&["subscriptions", "list", "--json"]).await;
    let listed = listed.succeeded().json();
    let subscription = listed["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["organisation"] == "organisations/test-registry")
        .cloned()
        .unwrap_or_else(|| panic!("test-registry not listed: {listed:#}"));
    assert_eq!(
        subscription["kinds"],
        serde_json::json!([
            "KIND_PERMIT_GRANTED",
            "KIND_CARD_ISSUED",
            "KIND_DOCUMENTS_ERASED"
        ])
    );
    let human = operator.run(&["subscriptions", "list"]).await;
    assert!(
        human.succeeded().stdout.starts_with("ORGANISATION"),
        "{human:#?}"
    );

    // Read back over gRPC: the change is the service's, not the command's.
    let stored = pb::admin_service_client::AdminServiceClient::new(app.channel("admin").await)
        .list_record_subscriptions(pb::ListRecordSubscriptionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let registry = stored
        .subscriptions
        .iter()
        .find(|s| s.organisation == "organisations/test-registry")
        .unwrap();
    assert_eq!(registry.kinds, vec![5, 7, 13]);
    let changes: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "changes!" FROM audit_events
         WHERE rpc = '/kandas.v1.AdminService/SetRecordSubscription' AND outcome = 'OK'"#
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(changes, 1, "a repeated request acts once");

    // A kind the contract does not have never leaves the command; a registry the service
    // does not know is the service's refusal, with the request id to retry with.
    let unknown = operator
        .run(&[
            "subscriptions",
            "set",
            "--organisation",
            "test-registry",
            "--kinds",
            "weddings",
        ])
        .await;
    unknown.failed_with(2);
    assert!(unknown.stderr.contains("--kinds"), "{unknown:#?}");
    let not_a_registry = operator
        .run(&[
            "subscriptions",
            "set",
            "--organisation",
            "test-psc",
            "--kinds",
            "card_issued",
        ])
        .await;
    not_a_registry.failed_with(1);
    assert!(
        not_a_registry.stderr.contains("request id"),
        "{not_a_registry:#?}"
    );
}

/// A port nothing listens on now (the system's choice, closed again at once).
fn free_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A state directory with `ca`'s certificate and an admin pair it issued.
fn operator_files(ca: &CertificateAuthority) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    std::fs::write(certs.join("ca.pem"), ca.cert_pem()).unwrap();
    let admin = ca
        .issue_client(
            "admin",
            Some("urn:kandas:admin:test-admin"),
            Validity::Days(1),
        )
        .unwrap();
    std::fs::write(certs.join("admin.pem"), admin.cert_pem).unwrap();
    std::fs::write(certs.join("admin.key"), admin.key_pem).unwrap();
    dir
}

fn health_wait(
    addr: std::net::SocketAddr,
    state_dir: &std::path::Path,
    timeout: &str,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kandas"));
    command
        .args(["admin", "--addr", &format!("https://{addr}"), "--state-dir"])
        .arg(state_dir)
        .args(["health", "--wait", "--timeout", timeout])
        .env_remove("KANDAS_ADDR")
        .env_remove("KANDAS_CA")
        .env_remove("KANDAS_CERT")
        .env_remove("KANDAS_KEY")
        .env_remove("KANDAS_STATE_DIR")
        .env_remove("KANDAS_SERVER_NAME");
    command
}

#[tokio::test]
async fn health_wait_started_before_the_server_exits_0_once_it_serves() {
    let ca = CertificateAuthority::generate("kandas test CA").unwrap();
    let files = operator_files(&ca);
    let addr = free_port();
    // Started first: the service is not there yet, so its first checks are refused connections.
    let waiting = health_wait(addr, files.path(), "5m")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the kandas binary");
    let app = spawn_on(migrated_database().await, ca, |s| s.listen = addr).await;
    let done = waiting.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(stdout, "SERVING\n");
    app.stop().await;
}

#[tokio::test]
async fn health_wait_with_nothing_listening_gives_up_after_its_timeout_with_exit_1() {
    let ca = CertificateAuthority::generate("kandas test CA").unwrap();
    let files = operator_files(&ca);
    let gone = run(health_wait(free_port(), files.path(), "1s")).await;
    gone.failed_with(1);
    assert!(
        gone.stderr
            .contains("the service was not SERVING within 1s")
            && gone.stderr.contains("cannot connect to"),
        "{gone:#?}"
    );
    assert_eq!(gone.stdout, "");
}

/// The service role replaces a run's row in place and never needs to delete one: it may not.
#[tokio::test]
async fn the_service_role_records_runs_but_cannot_delete_or_empty_them() {
    use sqlx::Connection;
    let app = spawn_app().await;
    start_runs_recorded(&app, 1).await;
    let mut service = sqlx::PgConnection::connect(&database_of(&app.database_url).service)
        .await
        .expect("log in as the service role");
    for statement in ["DELETE FROM job_runs", "TRUNCATE job_runs"] {
        let refused = sqlx::query(statement)
            .execute(&mut service)
            .await
            .expect_err(statement);
        let code = match &refused {
            sqlx::Error::Database(error) => error.code().map(|c| c.into_owned()),
            _ => None,
        };
        assert_eq!(code.as_deref(), Some("42501"), "{statement}: {refused}");
    }
    let kept: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "runs!" FROM job_runs"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kept, 2, "one row per job of the one replica");
}
