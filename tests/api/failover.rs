//! Failover: a primary with a synchronous streaming standby, both made from the local
//! PostgreSQL binaries, the primary killed with SIGKILL under write load and the standby
//! promoted. Run alone with `cargo test --test api failover`.

use crate::helpers::*;
use kandas::local::pki::CertificateAuthority;
use kandas::local::postgres::{ClusterOptions, LocalCluster, PgBinaries};
use kandas::pb;
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::Code;

const WRITERS: usize = 4;
/// Acknowledged writes before the kill, and after the switch for each writer.
const ACKED_BEFORE: usize = 40;
const ACKED_AFTER_EACH: usize = 5;
const WAIT: Duration = Duration::from_secs(60);
/// No call may take longer, outage or not.
const CALL_DEADLINE: Duration = Duration::from_secs(30);

/// Synchronous replication, durable commits: an acknowledged commit is on the standby.
fn durable() -> ClusterOptions {
    ClusterOptions {
        ephemeral: false,
        max_connections: 60,
        ..ClusterOptions::default()
    }
}

/// A primary and a standby that confirms every commit before the primary acknowledges it.
fn primary_and_synchronous_standby(root: &Path) -> (LocalCluster, LocalCluster) {
    let bins = PgBinaries::locate().expect("the PostgreSQL server binaries");
    let primary = LocalCluster::start_with(&bins, &root.join("primary"), durable(), root)
        .expect("start the primary");
    let standby = primary
        .start_standby(&root.join("standby"), "standby1", durable(), root)
        .expect("start the standby");
    primary
        .psql(
            "postgres",
            "ALTER SYSTEM SET synchronous_standby_names = 'standby1'",
        )
        .unwrap();
    primary.psql("postgres", "SELECT pg_reload_conf()").unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let state = primary
            .psql(
                "postgres",
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
            )
            .unwrap();
        if state.trim() == "sync" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the standby never became synchronous"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (primary, standby)
}

/// What the writers saw: every acknowledgement and every refusal, with its time.
#[derive(Default)]
struct Log {
    acked: Vec<Ack>,
    unavailable: Vec<(usize, Instant)>,
    other: Vec<String>,
    retried_request_ids: HashSet<String>,
}

struct Ack {
    writer: usize,
    request_id: String,
    surname: String,
    person: String,
    at: Instant,
}

/// Registers persons one after the other, retrying `UNAVAILABLE` with the same request_id
/// until acknowledged, until `stop` (finishing the registration under way).
async fn write_until(
    writer: usize,
    mut persons: PersonClient,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let request_id = request_id();
        let surname = numbered(&numbered("Failover", writer), format!("x{n}"));
        loop {
            let call = persons.register_person(pb::RegisterPersonRequest {
                request_id: request_id.clone(),
                person: Some(person(&surname)),
                ..Default::default()
            });
            let outcome = tokio::time::timeout(CALL_DEADLINE, call).await;
            let retry = {
                let mut log = log.lock().unwrap();
                match outcome {
                    Ok(Ok(answer)) => {
                        log.acked.push(Ack {
                            writer,
                            request_id: request_id.clone(),
                            surname: surname.clone(),
                            person: answer.into_inner().name,
                            at: Instant::now(),
                        });
                        false
                    }
                    Ok(Err(status)) if status.code() == Code::Unavailable => {
                        log.unavailable.push((writer, Instant::now()));
                        log.retried_request_ids.insert(request_id.clone());
                        true
                    }
                    Ok(Err(status)) => {
                        log.other
                            .push(format!("{:?}: {}", status.code(), status.message()));
                        false
                    }
                    Err(_) => {
                        log.other
                            .push(format!("no answer within {CALL_DEADLINE:?}"));
                        false
                    }
                }
            };
            if !retry {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failover_to_a_promoted_synchronous_standby_loses_no_acknowledged_write() {
    let root = tempfile::tempdir().unwrap();
    // The clusters run as the postgres user when tests run as root: let it in.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (primary, standby) = {
        let root = root.path().to_path_buf();
        tokio::task::spawn_blocking(move || primary_and_synchronous_standby(&root))
            .await
            .unwrap()
    };
    // The standby is named first: the service must skip it and find the primary.
    let servers = servers_database(&[&standby, &primary], "kandas");
    let app = spawn_on(
        servers,
        CertificateAuthority::generate("failover CA").unwrap(),
        |s| s.health_every = Duration::from_millis(200),
    )
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let log = Arc::new(Mutex::new(Log::default()));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        writers.push(tokio::spawn(write_until(
            writer,
            app.persons("psc").await,
            stop.clone(),
            log.clone(),
        )));
    }
    let acked = || log.lock().unwrap().acked.len();
    wait_until(WAIT, "writes acknowledged by the primary", || async {
        acked() >= ACKED_BEFORE
    })
    .await;
    let before = app.verify_audit_chain().await;
    assert!(before.intact, "{:?}", before.problems);
    assert!(before.last_signed_sequence > 0, "{before:?}");

    let killed_at = Instant::now();
    let acked_before_kill = acked();
    let standby = tokio::task::block_in_place(|| {
        primary.kill();
        standby.promote().expect("promote the standby");
        standby
    });
    let promoted_at = Instant::now();
    let acked_after = |writer: usize| {
        log.lock()
            .unwrap()
            .acked
            .iter()
            .filter(|ack| ack.writer == writer && ack.at > promoted_at)
            .count()
    };
    wait_until(WAIT, "every writer acknowledged again", || async {
        (0..WRITERS).all(|writer| acked_after(writer) >= ACKED_AFTER_EACH)
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }

    let log = Arc::try_unwrap(log).ok().unwrap().into_inner().unwrap();
    assert!(
        log.other.is_empty(),
        "refusals other than UNAVAILABLE: {:?}",
        log.other
    );
    // UNAVAILABLE only during the switch: none before the kill, and none to a writer once it
    // has been acknowledged by the promoted standby (a write that committed just before the
    // kill may still be acknowledged after it, by the old primary).
    for &(writer, at) in &log.unavailable {
        assert!(at >= killed_at, "UNAVAILABLE before the kill");
        let resumed = log
            .acked
            .iter()
            .filter(|ack| ack.writer == writer && ack.at > promoted_at)
            .map(|ack| ack.at)
            .min()
            .unwrap();
        assert!(at < resumed, "writer {writer} refused after it had resumed");
    }
    let resumed_at = log
        .acked
        .iter()
        .map(|ack| ack.at)
        .filter(|at| *at > promoted_at)
        .min()
        .unwrap();
    let outage = resumed_at - killed_at;
    let after_promotion = resumed_at - promoted_at;
    assert!(
        after_promotion < Duration::from_secs(10),
        "writes resumed {after_promotion:?} after the promotion"
    );

    // Every acknowledged write is on the promoted standby, once.
    let stored: Vec<uuid::Uuid> = sqlx::query_scalar!("SELECT id FROM persons")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let stored: HashSet<String> = stored.iter().map(|id| format!("persons/{id}")).collect();
    let acknowledged: HashSet<String> = log.acked.iter().map(|ack| ack.person.clone()).collect();
    assert_eq!(
        acknowledged.len(),
        log.acked.len(),
        "a request acknowledged twice"
    );
    assert_eq!(
        stored, acknowledged,
        "stored persons differ from the acknowledged ones"
    );

    // A retry of a request acknowledged by the old primary answers the same person.
    let early = &log.acked[0];
    let replay = app
        .persons("psc")
        .await
        .register_person(pb::RegisterPersonRequest {
            request_id: early.request_id.clone(),
            person: Some(person(&early.surname)),
            ..Default::default()
        })
        .await
        .expect("a retry answered from the promoted standby")
        .into_inner();
    assert_eq!(replay.name, early.person);

    let after = app.verify_audit_chain().await;
    assert!(after.intact, "{:?}", after.problems);
    assert!(
        after.last_signed_sequence > before.last_signed_sequence,
        "no head signed after the switch: {after:?}"
    );
    assert!(after.signed_heads >= 2, "{after:?}");
    eprintln!(
        "failover: {} writes acknowledged ({acked_before_kill} before the kill), {} found on \
         the promoted standby; {} refusals (UNAVAILABLE) over {} retried requests; first \
         write {outage:?} after the kill, {after_promotion:?} after the promotion",
        log.acked.len(),
        stored.len(),
        log.unavailable.len(),
        log.retried_request_ids.len(),
    );
    drop(app);
    tokio::task::block_in_place(|| drop(standby));
}
