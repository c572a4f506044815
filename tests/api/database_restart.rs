//! The private cluster is supervised: its postmaster SIGKILLed under write load is started
//! again on the same data directory, the service serves again by itself, and no acknowledged
//! write is lost. Run alone with `cargo test --test api database_restart`.

use crate::helpers::*;
use kandas::local::postgres::{ClusterOptions, LocalCluster};
use kandas::pb;
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

const WRITERS: usize = 4;
const ACKED_BEFORE: usize = 40;
const ACKED_AFTER_EACH: usize = 5;
const WAIT: Duration = Duration::from_secs(90);
const CALL_DEADLINE: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Log {
    /// (writer, person, when)
    acked: Vec<(usize, String, Instant)>,
    unavailable: usize,
    other: Vec<String>,
}

/// Registers persons one after the other, retrying `UNAVAILABLE` with the same request_id
/// until acknowledged, until `stop`.
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
        let surname = numbered("Restart", format!("{writer}x{n}"));
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
                        log.acked
                            .push((writer, answer.into_inner().name, Instant::now()));
                        false
                    }
                    Ok(Err(status)) if status.code() == Code::Unavailable => {
                        log.unavailable += 1;
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

async fn overall_health(app: &TestApp) -> i32 {
    HealthClient::new(app.channel("psc").await)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(|r| r.into_inner().status)
        .unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postmaster_killed_under_load_is_restarted_and_loses_no_acknowledged_write() {
    let root = tempfile::tempdir().unwrap();
    // The cluster runs as the postgres user when tests run as root: let it in.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = root.path().join("pg");
    // Durable, as `kandas serve` runs it: an acknowledged commit is in the WAL on disk.
    let cluster = tokio::task::spawn_blocking(move || {
        LocalCluster::start(
            &data,
            ClusterOptions {
                max_connections: 50,
                ..ClusterOptions::default()
            },
        )
        .expect("start a private cluster")
    })
    .await
    .unwrap();
    let restarts = cluster.restarts();
    let app = spawn_on(
        cluster_database(&cluster, "kandas"),
        kandas::local::pki::CertificateAuthority::generate("restart CA").unwrap(),
        |s| {
            s.health_every = Duration::from_millis(200);
            s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
            s.database_restarts = Some(restarts.clone());
        },
    )
    .await;
    wait_until(WAIT, "SERVING", || async {
        overall_health(&app).await == ServingStatus::Serving as i32
    })
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
    wait_until(WAIT, "writes acknowledged", || async {
        acked() >= ACKED_BEFORE
    })
    .await;

    let killed = cluster.server_pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(killed),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let killed_at = Instant::now();
    wait_until(WAIT, "the cluster restarted", || async {
        restarts.load(Ordering::Relaxed) == 1
    })
    .await;
    assert_ne!(cluster.server_pid(), killed);
    let acked_after = |writer: usize| {
        log.lock()
            .unwrap()
            .acked
            .iter()
            .filter(|(w, _, at)| *w == writer && *at > killed_at)
            .count()
    };
    wait_until(WAIT, "every writer acknowledged again", || async {
        (0..WRITERS).all(|writer| acked_after(writer) >= ACKED_AFTER_EACH)
    })
    .await;
    wait_until(WAIT, "SERVING again", || async {
        overall_health(&app).await == ServingStatus::Serving as i32
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
    let stored: Vec<uuid::Uuid> = sqlx::query_scalar!("SELECT id FROM persons")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let stored: HashSet<String> = stored.iter().map(|id| format!("persons/{id}")).collect();
    let acknowledged: HashSet<String> = log.acked.iter().map(|(_, p, _)| p.clone()).collect();
    assert_eq!(
        acknowledged.len(),
        log.acked.len(),
        "a request acknowledged twice"
    );
    assert_eq!(
        stored, acknowledged,
        "stored persons differ from the acknowledged ones"
    );
    let metrics = metrics_text(&app).await;
    assert!(
        metrics.contains("kandas_database_restarts_total 1"),
        "{metrics}"
    );
    let chain = app.verify_audit_chain().await;
    assert!(chain.intact, "{:?}", chain.problems);
    eprintln!(
        "restart: {} writes acknowledged, {} refusals (UNAVAILABLE) while PostgreSQL restarted",
        log.acked.len(),
        log.unavailable
    );
    drop(app);
    tokio::task::block_in_place(|| drop(cluster));
}

/// `kandas serve` with nothing configured, as an operator first runs it: its private cluster's
/// postmaster killed, the restart is logged and counted, health comes back, and a SIGTERM
/// still stops everything cleanly.
#[tokio::test]
async fn kandas_serve_restarts_its_private_cluster_logs_and_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let metrics: std::net::SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap();
    let stderr_path = dir.path().join("stderr.log");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kandas"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KANDAS_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    let mut child = command
        .arg("serve")
        .current_dir(dir.path())
        .env("KANDAS_LISTEN", "127.0.0.1:0")
        .env("KANDAS_METRICS_LISTEN", metrics.to_string())
        .env("KANDAS_LOG", "kandas=info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .expect("start the kandas binary");
    let log = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let serving = || log().matches("database takes writes: SERVING").count();
    wait_until(WAIT, "the binary serving", || async { serving() == 1 }).await;

    let pid_file = dir.path().join(".kandas/pg/postmaster.pid");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_until(WAIT, "the restart logged", || async {
        log().contains("PostgreSQL restarted")
    })
    .await;
    // The health probe runs once a second, so an outage shorter than that may never be seen
    // as NOT_SERVING; what must hold is that the last word is SERVING and that the service
    // reads the database again (the quota gauges come from it).
    wait_until(WAIT, "SERVING again", || async {
        let text = log();
        let last_serving = text.rfind("database takes writes: SERVING");
        let last_not = text.rfind("NOT_SERVING");
        last_serving.is_some() && last_not.is_none_or(|not| Some(not) < last_serving)
    })
    .await;
    let text = log();
    assert!(text.contains("PostgreSQL exited unexpectedly"), "{text}");
    // The quota gauges are read from the database at scrape time: present means read again.
    wait_until(WAIT, "metrics read from the restarted database", || async {
        let (status, _, body) =
            http_raw(metrics, b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
        status == "HTTP/1.1 200 OK"
            && body.contains("kandas_database_restarts_total 1")
            && body.contains("kandas_quota_places_remaining{")
    })
    .await;

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id().unwrap() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("kandas stopped")
        .unwrap();
    assert!(status.success(), "{status:?}: {}", log());
    assert!(
        !pid_file.exists(),
        "the cluster was stopped with the service"
    );
}
