//! Faults: the process SIGKILLed or SIGTERMed under load, PostgreSQL stopped under load, and
//! client deadlines. Every wait has a bound, every request loop a count; the service listens on
//! 127.0.0.1 only and the database on a private unix socket. No test asserts how long anything
//! took.

use crate::helpers::*;
use kandas::local::pki::{CertificateAuthority, IssuedPair, Validity};
use kandas::local::postgres::{ClusterOptions, LocalCluster};
use kandas::pb;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// The client deadline of every RPC here (sent as grpc-timeout, enforced on both sides).
const CALL_DEADLINE: Duration = Duration::from_secs(30);
/// A hard stop above the client deadline: reaching it means a call hung.
const HANG: Duration = Duration::from_secs(45);
/// The longest wait for a state change: health, a process exit, a phase of load.
const WAIT: Duration = Duration::from_secs(90);

type RegisterRequest = pb::RegisterPersonRequest;
type SubmitRequest = pb::SubmitApplicationRequest;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Awaits `future`, failing the test if it takes longer than `bound`.
async fn bounded<T>(bound: Duration, what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(bound, future).await {
        Ok(value) => value,
        Err(_) => panic!("{what}: no answer within {bound:?}"),
    }
}

/// Registers organisations in the database a `kandas` process will serve, as an operator would
/// by SQL: the process is configured by environment, and nothing seeds these for it. The
/// database is a `migrated_database()`: its tables are there, made by the owner role, as the
/// server will find them.
async fn register_organisations(database_url: &str, organisations: &[(&str, String)]) {
    let pool = PgPool::connect(database_url).await.unwrap();
    for (role, id) in organisations {
        let role = kandas::domain::role::Role::parse(role).expect("a kandas role");
        let organisation = kandas::domain::organisation::Organisation::national(id, role);
        kandas::store::organisations::insert_if_absent(&pool, &organisation)
            .await
            .unwrap();
    }
    pool.close().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// A CA made here, and the server's TLS files written from it into a temporary directory.
struct Pki {
    ca: CertificateAuthority,
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let ca = CertificateAuthority::generate("kandas faults CA").unwrap();
        let server = ca
            .issue_server(&["localhost"], &["127.0.0.1".parse().unwrap()])
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.pem"), &server.cert_pem).unwrap();
        std::fs::write(dir.path().join("server.key"), &server.key_pem).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.cert_pem()).unwrap();
        Pki { ca, dir }
    }

    /// A client certificate for `urn:kandas:<role>:<org>`; the same org is the same client
    /// (idempotency keys are per client).
    fn identity(&self, role: &str, org: &str) -> IssuedPair {
        let uri = format!("urn:kandas:{role}:{org}");
        self.ca
            .issue_client(role, Some(&uri), Validity::Days(1))
            .unwrap()
    }
}

/// Connects to `addr` over mutual TLS; an error if it fails or takes more than 10 s.
async fn connect(addr: SocketAddr, ca_pem: &str, id: &IssuedPair) -> Result<Channel, String> {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca_pem))
        .domain_name("localhost")
        .identity(Identity::from_pem(&id.cert_pem, &id.key_pem));
    let endpoint = Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(5))
        .timeout(CALL_DEADLINE);
    match tokio::time::timeout(Duration::from_secs(10), endpoint.connect()).await {
        Ok(Ok(channel)) => Ok(channel),
        Ok(Err(error)) => Err(format!("{error:?}")),
        Err(_) => Err("connecting took more than 10 s".into()),
    }
}

/// The overall health status, or None if the call failed.
async fn health(channel: &Channel) -> Option<i32> {
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: String::new(),
    });
    request.set_timeout(Duration::from_secs(5));
    match tokio::time::timeout(
        Duration::from_secs(10),
        HealthClient::new(channel.clone()).check(request),
    )
    .await
    {
        Ok(Ok(response)) => Some(response.into_inner().status),
        _ => None,
    }
}

async fn wait_for_health(channel: &Channel, want: ServingStatus) {
    wait_until(WAIT, &format!("health {want:?}"), || async {
        health(channel).await == Some(want as i32)
    })
    .await;
}

/// A request with the standard client deadline.
fn call<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(CALL_DEADLINE);
    request
}

fn new_registration(surname: &str) -> RegisterRequest {
    RegisterRequest {
        request_id: request_id(),
        person: Some(person(surname)),
        // The load registers many persons of the same name, each a different one.
        confirmed_distinct: true,
        ..Default::default()
    }
}

fn uuid_of(name: &str) -> uuid::Uuid {
    let id = name.split_once('/').expect("a resource name").1;
    uuid::Uuid::parse_str(id).expect("a UUID resource id")
}

// Run-time text, here and in `count_by_id`: each caller hands its own count.
async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn count_by_id(pool: &PgPool, sql: &'static str, name: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .bind(uuid_of(name))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Verifies the audit chain as admin: intact, no problems.
async fn assert_audit_chain_intact(channel: Channel) {
    let verdict = bounded(
        HANG,
        "VerifyAuditChain",
        AuditClient::new(channel).verify_audit_chain(call(pb::VerifyAuditChainRequest {})),
    )
    .await
    .expect("VerifyAuditChain")
    .into_inner();
    assert!(
        verdict.intact && verdict.problems.is_empty(),
        "audit chain broken: {verdict:?}"
    );
    assert!(verdict.verified_events > 0, "{verdict:?}");
}

/// The real `kandas serve` binary as a child process; SIGKILLed on drop if still running.
struct Served {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Served {
    /// Starts the binary on `127.0.0.1:port` with the TLS files of `pki` and `database_url`.
    /// Only these settings come from the environment: every other `KANDAS_*` is removed, and
    /// it runs in the temporary directory, so it never touches the project's `.kandas`.
    fn start(pki: &Pki, port: u16, database_url: &str, log_name: &str) -> Served {
        let log = pki.dir.path().join(log_name);
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let dir = pki.dir.path();
        let mut command = Command::new(env!("CARGO_BIN_EXE_kandas"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("KANDAS_") || key == "DATABASE_URL" {
                command.env_remove(key);
            }
        }
        let child = command
            .arg("serve")
            .current_dir(dir)
            .env("KANDAS_LISTEN", format!("127.0.0.1:{port}"))
            .env("KANDAS_DATABASE_URL", database_of(database_url).service)
            .env(
                "KANDAS_MIGRATION_DATABASE_URL",
                database_of(database_url).owner,
            )
            .env("KANDAS_TLS_CERT", dir.join("server.pem"))
            .env("KANDAS_TLS_KEY", dir.join("server.key"))
            .env("KANDAS_CLIENT_CA", dir.join("ca.pem"))
            .env("KANDAS_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start the kandas binary");
        Served {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// Only while the child is not reaped: its pid cannot have been reused yet.
    fn signal(&self, signal: Signal) {
        if let Err(errno) = kill(self.pid(), signal) {
            panic!("kill({}, {signal}): {errno}", self.pid());
        }
    }

    fn log_text(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(4000);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text[start..].to_owned()
    }

    /// The exit status, waiting at most `bound`.
    async fn wait_exit(&mut self, bound: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until health answers SERVING over mutual TLS; fails early if the process exits.
    async fn wait_serving(&mut self, ca_pem: &str, id: &IssuedPair) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!(
                    "kandas exited ({status}) before serving:\n{}",
                    self.log_text()
                );
            }
            if let Ok(channel) = connect(self.addr, ca_pem, id).await
                && health(&channel).await == Some(ServingStatus::Serving as i32)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "kandas not SERVING within {WAIT:?}:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM, then the exit status (bounded); SIGKILL if it does not exit.
    async fn stop(mut self) -> Option<ExitStatus> {
        if self.child.try_wait().ok().flatten().is_none() {
            self.signal(Signal::SIGTERM);
        }
        self.wait_exit(WAIT).await
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. SIGKILL under write load
// ---------------------------------------------------------------------------------------------

/// What one client sent, and the resource name of each request it saw acknowledged.
#[derive(Default)]
struct Sent {
    registrations: Vec<(RegisterRequest, Option<String>)>,
    submissions: Vec<(SubmitRequest, Option<String>)>,
    /// Errors that came back before the kill (there should be none).
    early_errors: Vec<String>,
}

/// Registers a person and submits an IIN application for them, again and again, until `stop`
/// (at most `rounds` times); stops at the first failure.
async fn write_load(
    channel: Channel,
    tag: usize,
    rounds: usize,
    stop: Arc<AtomicBool>,
    killed: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
) -> Sent {
    let mut persons = PersonClient::new(channel.clone());
    let mut apps = ApplicationClient::new(channel);
    let mut sent = Sent::default();
    let failed = |sent: &mut Sent, what: &str, status: tonic::Status| {
        if !killed.load(Ordering::SeqCst) {
            sent.early_errors.push(format!("{what}: {status:?}"));
        }
    };
    for round in 0..rounds {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let registration =
            new_registration(&numbered(&numbered("Crash", tag), format!("r{round}")));
        let registered =
            tokio::time::timeout(HANG, persons.register_person(call(registration.clone())))
                .await
                .expect("RegisterPerson hung");
        let name = match registered {
            Ok(response) => {
                acked.fetch_add(1, Ordering::SeqCst);
                response.into_inner().name
            }
            Err(status) => {
                sent.registrations.push((registration, None));
                failed(&mut sent, "RegisterPerson", status);
                break;
            }
        };
        sent.registrations.push((registration, Some(name.clone())));
        let submission = iin_submission(&name, vec![passport()]);
        let submitted =
            tokio::time::timeout(HANG, apps.submit_application(call(submission.clone())))
                .await
                .expect("SubmitApplication hung");
        match submitted {
            Ok(response) => {
                acked.fetch_add(1, Ordering::SeqCst);
                sent.submissions
                    .push((submission, Some(response.into_inner().name)));
            }
            Err(status) => {
                sent.submissions.push((submission, None));
                failed(&mut sent, "SubmitApplication", status);
                break;
            }
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_write_load_loses_no_acknowledged_write_and_retries_never_duplicate() {
    const CLIENTS: usize = 8;
    const ROUNDS: usize = 400;
    const ACKS_BEFORE_KILL: usize = 60;

    let database_url = migrated_database().await;
    let pki = Pki::new();
    let ca_pem = pki.ca.cert_pem();
    let port = free_port();
    let admin = pki.identity("admin", "faults-admin");
    let mut organisations = vec![("admin", "faults-admin".to_string())];
    organisations.extend((0..CLIENTS).map(|i| ("psc", format!("crash-{i}"))));
    register_organisations(&database_url, &organisations).await;
    let mut server = Served::start(&pki, port, &database_url, "sigkill-1.log");
    server.wait_serving(&ca_pem, &admin).await;

    let ids: Vec<IssuedPair> = (0..CLIENTS)
        .map(|i| pki.identity("psc", &format!("crash-{i}")))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (tag, id) in ids.iter().enumerate() {
        let channel = connect(server.addr, &ca_pem, id).await.expect("connect");
        tasks.push(tokio::spawn(write_load(
            channel,
            tag,
            ROUNDS,
            stop.clone(),
            killed.clone(),
            acked.clone(),
        )));
    }
    // Kill it mid-load: once a good number of writes were acknowledged, while all clients are
    // still sending.
    wait_until(WAIT, "writes acknowledged before the kill", || async {
        acked.load(Ordering::SeqCst) >= ACKS_BEFORE_KILL || tasks.iter().any(|t| t.is_finished())
    })
    .await;
    killed.store(true, Ordering::SeqCst);
    server.signal(Signal::SIGKILL);
    stop.store(true, Ordering::SeqCst);
    let status = server
        .wait_exit(WAIT)
        .await
        .expect("the killed process is reaped");
    assert_eq!(status.signal(), Some(Signal::SIGKILL as i32), "{status}");
    let mut sent = Vec::new();
    for task in tasks {
        sent.push(bounded(HANG * 2, "a load client", task).await.unwrap());
    }
    for s in &sent {
        assert!(s.early_errors.is_empty(), "{:?}", s.early_errors);
    }
    let acked_before: usize = sent
        .iter()
        .map(|s| {
            s.registrations.iter().filter(|r| r.1.is_some()).count()
                + s.submissions.iter().filter(|r| r.1.is_some()).count()
        })
        .sum();
    assert!(acked_before >= ACKS_BEFORE_KILL, "{acked_before}");

    // Restart on the same port and database.
    drop(server);
    let mut server = Served::start(&pki, port, &database_url, "sigkill-2.log");
    server.wait_serving(&ca_pem, &admin).await;
    let pool = PgPool::connect(&database_url).await.unwrap();

    // (a) Every acknowledged person and application is there.
    for (tag, s) in sent.iter().enumerate() {
        let mut apps =
            ApplicationClient::new(connect(server.addr, &ca_pem, &ids[tag]).await.unwrap());
        for (_, name) in &s.registrations {
            if let Some(name) = name {
                let found =
                    count_by_id(&pool, "SELECT count(*) FROM persons WHERE id = $1", name).await;
                assert_eq!(found, 1, "acknowledged {name} lost in the crash");
            }
        }
        for (request, name) in &s.submissions {
            if let Some(name) = name {
                let found = count_by_id(
                    &pool,
                    "SELECT count(*) FROM applications WHERE id = $1",
                    name,
                )
                .await;
                assert_eq!(found, 1, "acknowledged {name} lost in the crash");
                let read = bounded(
                    HANG,
                    "GetApplication",
                    apps.get_application(call(pb::GetApplicationRequest { name: name.clone() })),
                )
                .await
                .expect("an acknowledged application can be read")
                .into_inner();
                assert_eq!(&read.name, name);
                assert_eq!(read.applicant, request.applicant);
                assert_eq!(read.state, pb::application::State::Submitted as i32);
            }
        }
    }

    let count_sent = |acked: bool| {
        let registrations: usize = sent
            .iter()
            .map(|s| {
                s.registrations
                    .iter()
                    .filter(|r| r.1.is_some() == acked)
                    .count()
            })
            .sum();
        let submissions: usize = sent
            .iter()
            .map(|s| {
                s.submissions
                    .iter()
                    .filter(|r| r.1.is_some() == acked)
                    .count()
            })
            .sum();
        (registrations, submissions)
    };
    println!(
        "before the retries: acknowledged {:?}, unacknowledged {:?}, stored {} persons and {} \
         applications (registrations, submissions)",
        count_sent(true),
        count_sent(false),
        count(&pool, "SELECT count(*) FROM persons").await,
        count(&pool, "SELECT count(*) FROM applications").await,
    );

    // (b) Each client retries everything it sent, twice, with the same request_id and body.
    let mut registration_ids = HashSet::new();
    let mut submission_ids = HashSet::new();
    let mut person_names = HashSet::new();
    let mut application_names = HashSet::new();
    for (tag, s) in sent.iter().enumerate() {
        let channel = connect(server.addr, &ca_pem, &ids[tag]).await.unwrap();
        let mut persons = PersonClient::new(channel.clone());
        let mut apps = ApplicationClient::new(channel);
        for (request, first) in &s.registrations {
            let mut names = Vec::new();
            for _ in 0..2 {
                let retried = bounded(
                    HANG,
                    "RegisterPerson retry",
                    persons.register_person(call(request.clone())),
                )
                .await
                .unwrap_or_else(|e| panic!("retry of {}: {e:?}", request.request_id))
                .into_inner();
                names.push(retried.name);
            }
            assert_eq!(names[0], names[1], "two retries, two answers");
            if let Some(first) = first {
                assert_eq!(&names[0], first, "a retry names another person");
            }
            assert!(registration_ids.insert(request.request_id.clone()));
            assert!(
                person_names.insert(names[0].clone()),
                "two request_ids answered with the same person {}",
                names[0]
            );
        }
        for (request, first) in &s.submissions {
            let mut names = Vec::new();
            for _ in 0..2 {
                let retried = bounded(
                    HANG,
                    "SubmitApplication retry",
                    apps.submit_application(call(request.clone())),
                )
                .await
                .unwrap_or_else(|e| panic!("retry of {}: {e:?}", request.request_id))
                .into_inner();
                names.push(retried.name);
            }
            assert_eq!(names[0], names[1], "two retries, two answers");
            if let Some(first) = first {
                assert_eq!(&names[0], first, "a retry names another application");
            }
            assert!(submission_ids.insert(request.request_id.clone()));
            assert!(application_names.insert(names[0].clone()));
        }
    }
    let persons = count(&pool, "SELECT count(*) FROM persons").await;
    let applications = count(&pool, "SELECT count(*) FROM applications").await;
    assert_eq!(
        persons as usize,
        registration_ids.len(),
        "persons duplicated or lost"
    );
    assert_eq!(
        applications as usize,
        submission_ids.len(),
        "applications duplicated or lost"
    );
    let open_per_person = count(
        &pool,
        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM applications \
         GROUP BY applicant_id) AS per_person",
    )
    .await;
    assert_eq!(open_per_person, 1);
    // No key is left claimed without its response.
    let half_done = count(
        &pool,
        "SELECT count(*) FROM idempotency_keys WHERE response = ''",
    )
    .await;
    assert_eq!(half_done, 0);

    // The audit chain survived the crash.
    assert_audit_chain_intact(connect(server.addr, &ca_pem, &admin).await.unwrap()).await;
    pool.close().await;
    let status = server.stop().await.expect("kandas exits after SIGTERM");
    assert!(status.success(), "{status}");
}

// ---------------------------------------------------------------------------------------------
// 2. PostgreSQL stopped under load
// ---------------------------------------------------------------------------------------------

const UP: usize = 0;
const DOWN: usize = 1;
const BACK: usize = 2;

/// Outcomes by phase: the phase in which a call was sent, except that a call sent while the
/// database was up that returned after it began to stop counts as sent during the outage.
#[derive(Default)]
struct Tally {
    ok: [usize; 3],
    unavailable: [usize; 3],
    /// Anything else, or UNAVAILABLE while the database was up, or without an ErrorInfo.
    wrong: Vec<String>,
    /// Registrations that failed, to retry later with the same request_id.
    failed_registrations: Vec<RegisterRequest>,
    registration_ids: HashSet<String>,
}

impl Tally {
    fn record(
        &mut self,
        sent_in: usize,
        done_in: usize,
        rpc: &str,
        outcome: Result<(), tonic::Status>,
    ) {
        let phase = if sent_in == UP {
            done_in.min(DOWN)
        } else {
            sent_in
        };
        match outcome {
            Ok(()) => self.ok[phase] += 1,
            Err(status) if status.code() == Code::Unavailable && phase == DOWN => {
                let reason = error_details(&status)
                    .error_info()
                    .map(|i| i.reason.clone());
                if reason.as_deref() == Some("DATABASE_UNAVAILABLE") {
                    self.unavailable[phase] += 1;
                } else {
                    self.wrong
                        .push(format!("{rpc}: UNAVAILABLE without its reason: {status:?}"));
                }
            }
            Err(status) => self
                .wrong
                .push(format!("{rpc} sent in phase {phase}: {status:?}")),
        }
    }
}

async fn db_load(
    channel: Channel,
    writer: bool,
    known: String,
    phase: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    let mut persons = PersonClient::new(channel);
    for round in 0..5000 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let sent_in = phase.load(Ordering::SeqCst);
        if writer {
            let request = new_registration(&numbered("Outage", round));
            let outcome =
                tokio::time::timeout(HANG, persons.register_person(call(request.clone())))
                    .await
                    .expect("RegisterPerson hung past its deadline");
            let mut tally = tally.lock().unwrap();
            tally.registration_ids.insert(request.request_id.clone());
            if outcome.is_err() {
                tally.failed_registrations.push(request);
            }
            let done_in = phase.load(Ordering::SeqCst);
            tally.record(sent_in, done_in, "RegisterPerson", outcome.map(|_| ()));
        } else {
            let request = pb::GetPersonRequest {
                name: known.clone(),
                iin: String::new(),
            };
            let outcome = tokio::time::timeout(HANG, persons.get_person(call(request)))
                .await
                .expect("GetPerson hung past its deadline");
            let done_in = phase.load(Ordering::SeqCst);
            tally
                .lock()
                .unwrap()
                .record(sent_in, done_in, "GetPerson", outcome.map(|_| ()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn start_cluster(dir: PathBuf, port: Option<u16>) -> LocalCluster {
    LocalCluster::start(
        &dir,
        ClusterOptions {
            port,
            ephemeral: true,
            max_connections: 50,
            ..ClusterOptions::default()
        },
    )
    .expect("start a dedicated PostgreSQL cluster")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stopped_under_load_gives_unavailable_then_recovers_without_restart() {
    const WRITERS: usize = 4;
    const READERS: usize = 2;

    let root = tempfile::tempdir().unwrap();
    // The cluster runs as the postgres user when tests run as root: let it in.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = root.path().join("pg");
    let cluster = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || start_cluster(data, None))
            .await
            .unwrap()
    };
    let pg_port = cluster.port();
    let url = cluster_database(&cluster, "kandas");
    let ca = CertificateAuthority::generate("outage CA").unwrap();
    let app = spawn_on(url.clone(), ca, |s| {
        s.health_every = Duration::from_millis(200);
    })
    .await;
    let channel = app.channel("psc").await;
    wait_for_health(&channel, ServingStatus::Serving).await;
    let known = register(&mut app.persons("psc").await, person("Known"))
        .await
        .name;
    app.pool.close().await;

    let phase = Arc::new(AtomicUsize::new(UP));
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut tasks = Vec::new();
    for i in 0..WRITERS + READERS {
        tasks.push(tokio::spawn(db_load(
            app.channel("psc").await,
            i < WRITERS,
            known.clone(),
            phase.clone(),
            stop.clone(),
            tally.clone(),
        )));
    }
    let ok_in = |p: usize| tally.lock().unwrap().ok[p];
    wait_until(WAIT, "load succeeding while PostgreSQL is up", || async {
        ok_in(UP) >= 40
    })
    .await;

    // Stop PostgreSQL under the load.
    phase.store(DOWN, Ordering::SeqCst);
    bounded(
        WAIT,
        "stopping PostgreSQL",
        tokio::task::spawn_blocking(move || cluster.stop()),
    )
    .await
    .unwrap()
    .unwrap();
    wait_for_health(&channel, ServingStatus::NotServing).await;
    let unavailable_in = |p: usize| tally.lock().unwrap().unavailable[p];
    wait_until(
        WAIT,
        "calls failing UNAVAILABLE while PostgreSQL is down",
        || async { unavailable_in(DOWN) >= 10 },
    )
    .await;
    // Still down: a direct write fails the same way, within its deadline.
    let down = bounded(
        HANG,
        "RegisterPerson while down",
        PersonClient::new(channel.clone()).register_person(call(new_registration("Down"))),
    )
    .await
    .unwrap_err();
    assert_eq!(down.code(), Code::Unavailable, "{down:?}");
    assert_reason(&down, "DATABASE_UNAVAILABLE");

    // Back on the same port; the service was never restarted.
    let cluster = bounded(
        WAIT,
        "restarting PostgreSQL",
        tokio::task::spawn_blocking(move || start_cluster(data, Some(pg_port))),
    )
    .await
    .unwrap();
    wait_for_health(&channel, ServingStatus::Serving).await;
    phase.store(BACK, Ordering::SeqCst);
    let up_again = bounded(
        HANG,
        "RegisterPerson after recovery",
        PersonClient::new(channel.clone()).register_person(call(new_registration("Back"))),
    )
    .await
    .expect("a write succeeds once health is SERVING again")
    .into_inner();
    assert!(up_again.name.starts_with("persons/"));
    wait_until(WAIT, "load succeeding again", || async {
        ok_in(BACK) >= 40
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        bounded(HANG * 2, "a load client", task).await.unwrap();
    }

    let tally = Arc::try_unwrap(tally)
        .ok()
        .expect("load clients done")
        .into_inner()
        .unwrap();
    println!(
        "outage load: ok {:?}, unavailable {:?}, retried {}",
        tally.ok,
        tally.unavailable,
        tally.failed_registrations.len()
    );
    assert!(tally.wrong.is_empty(), "{:#?}", tally.wrong);
    assert!(tally.ok[UP] > 0 && tally.ok[BACK] > 0);
    assert!(tally.unavailable[DOWN] > 0);

    // Writes that failed are retried with the same request_id: each creates exactly one person.
    let mut persons = PersonClient::new(channel.clone());
    for request in &tally.failed_registrations {
        bounded(
            HANG,
            "retry after recovery",
            persons.register_person(call(request.clone())),
        )
        .await
        .unwrap_or_else(|e| panic!("retry of {}: {e:?}", request.request_id));
    }
    let pool = PgPool::connect(&url).await.unwrap();
    let stored = count(&pool, "SELECT count(*) FROM persons").await;
    // The known person, the writers' requests, "Back" ("Down" failed and was not retried).
    assert_eq!(stored as usize, 1 + tally.registration_ids.len() + 1);
    let half_done = count(
        &pool,
        "SELECT count(*) FROM idempotency_keys WHERE response = ''",
    )
    .await;
    assert_eq!(half_done, 0);
    pool.close().await;
    assert_audit_chain_intact(app.channel("admin").await).await;

    app.stop().await;
    bounded(
        WAIT,
        "stopping PostgreSQL",
        tokio::task::spawn_blocking(move || cluster.stop()),
    )
    .await
    .unwrap()
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// 3. SIGTERM under load
// ---------------------------------------------------------------------------------------------

/// Backends of this database waiting on a lock, other than the caller's.
async fn waiting_on_locks(pool: &PgPool) -> i64 {
    count(
        pool,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_in_flight_calls_finish_then_exits_zero_and_refuses_connections() {
    // Two calls for each: eight in flight, one organisation's whole default share (half the
    // pool of 16), so none waits for a place and every one is inside PostgreSQL.
    const EACH: usize = 4;

    let database_url = migrated_database().await;
    let pki = Pki::new();
    let ca_pem = pki.ca.cert_pem();
    let id = pki.identity("psc", "sigterm");
    register_organisations(&database_url, &[("psc", "sigterm".into())]).await;
    let mut server = Served::start(&pki, free_port(), &database_url, "sigterm.log");
    server.wait_serving(&ca_pem, &id).await;
    let channel = connect(server.addr, &ca_pem, &id).await.unwrap();
    let mut persons = PersonClient::new(channel.clone());
    let mut applicants = Vec::new();
    for i in 0..EACH {
        let registered = bounded(
            HANG,
            "RegisterPerson",
            persons.register_person(call(new_registration(&numbered("Applicant", i)))),
        )
        .await
        .unwrap();
        applicants.push(registered.into_inner().name);
    }

    // Make the next writes slow: hold locks that every registration and submission needs, so
    // they are provably inside the server (waiting in PostgreSQL) when the signal arrives.
    let pool = PgPool::connect(&database_url).await.unwrap();
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE persons, applications IN EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let mut in_flight = Vec::new();
    for (i, applicant) in applicants.iter().enumerate() {
        let mut persons = PersonClient::new(channel.clone());
        let request = new_registration(&numbered("InFlight", i));
        in_flight.push(tokio::spawn(async move {
            tokio::time::timeout(HANG, persons.register_person(call(request)))
                .await
                .map(|r| r.map(|p| p.into_inner().name))
        }));
        let mut apps = ApplicationClient::new(channel.clone());
        let request = iin_submission(applicant, vec![passport()]);
        in_flight.push(tokio::spawn(async move {
            tokio::time::timeout(HANG, apps.submit_application(call(request)))
                .await
                .map(|r| r.map(|a| a.into_inner().name))
        }));
    }
    wait_until(WAIT, "every call waiting inside the server", || async {
        waiting_on_locks(&pool).await >= (2 * EACH) as i64
    })
    .await;

    server.signal(Signal::SIGTERM);
    wait_until(WAIT, "kandas noticing SIGTERM", || async {
        server.log_text().contains("shutting down")
    })
    .await;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "kandas exited with calls in flight:\n{}",
        server.log_text()
    );
    // Let the calls through.
    blocker.commit().await.unwrap();

    let mut names = Vec::new();
    for call in in_flight {
        let outcome = bounded(HANG * 2, "an in-flight call", call)
            .await
            .unwrap()
            .expect("an in-flight call hung");
        names.push(outcome.expect("a call sent before SIGTERM completes OK"));
    }
    let status = server
        .wait_exit(WAIT)
        .await
        .unwrap_or_else(|| panic!("kandas still running after SIGTERM:\n{}", server.log_text()));
    assert!(status.success(), "{status}:\n{}", server.log_text());
    assert!(
        server.log_text().contains("stopped cleanly"),
        "{}",
        server.log_text()
    );

    // What they did is committed, and a clean stop left no audit event unsealed.
    for name in &names {
        let table = if name.starts_with("persons/") {
            count_by_id(&pool, "SELECT count(*) FROM persons WHERE id = $1", name).await
        } else {
            count_by_id(
                &pool,
                "SELECT count(*) FROM applications WHERE id = $1",
                name,
            )
            .await
        };
        assert_eq!(table, 1, "{name}");
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_events WHERE seq IS NULL").await,
        0
    );
    pool.close().await;

    // New connections are refused.
    let refused = connect(server.addr, &ca_pem, &id).await;
    assert!(refused.is_err(), "a new connection after exit was accepted");
    let mut late = tonic::Request::new(new_registration("Late"));
    late.set_timeout(Duration::from_secs(5));
    let error = bounded(HANG, "a call after exit", persons.register_person(late))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::Unavailable, "{error:?}");
}

/// While draining after SIGTERM the service takes no new connections: a new client is refused
/// (UNAVAILABLE, which clients retry elsewhere), not accepted, TLS-handshaken and then reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn new_connections_are_refused_while_draining() {
    let database_url = migrated_database().await;
    let pki = Pki::new();
    let ca_pem = pki.ca.cert_pem();
    let id = pki.identity("psc", "drain");
    register_organisations(
        &database_url,
        &[("psc", "drain".into()), ("psc", "newcomer".into())],
    )
    .await;
    let mut server = Served::start(&pki, free_port(), &database_url, "drain.log");
    server.wait_serving(&ca_pem, &id).await;
    let channel = connect(server.addr, &ca_pem, &id).await.unwrap();

    // One call held inside the server keeps it draining.
    let pool = PgPool::connect(&database_url).await.unwrap();
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE persons IN EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let mut persons = PersonClient::new(channel.clone());
    let held = tokio::spawn(async move {
        tokio::time::timeout(
            HANG,
            persons.register_person(call(new_registration("Held"))),
        )
        .await
    });
    wait_until(WAIT, "the call waiting inside the server", || async {
        waiting_on_locks(&pool).await >= 1
    })
    .await;
    server.signal(Signal::SIGTERM);
    wait_until(WAIT, "kandas noticing SIGTERM", || async {
        server.log_text().contains("shutting down")
    })
    .await;

    // A new client now: refused, or a prompt UNAVAILABLE; never accepted and left hanging.
    let newcomer = pki.identity("psc", "newcomer");
    let outcome: Result<(), String> = match connect(server.addr, &ca_pem, &newcomer).await {
        Err(_) => Ok(()),
        Ok(fresh) => {
            let mut request = tonic::Request::new(HealthCheckRequest {
                service: String::new(),
            });
            request.set_timeout(Duration::from_secs(5));
            match tokio::time::timeout(
                Duration::from_secs(10),
                HealthClient::new(fresh).check(request),
            )
            .await
            {
                Ok(Err(status)) if status.code() == Code::Unavailable => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    };
    blocker.commit().await.unwrap();
    let held = bounded(HANG * 2, "the held call", held).await.unwrap();
    assert!(matches!(held, Ok(Ok(_))), "{held:?}");
    let status = server.wait_exit(WAIT).await.expect("kandas exits");
    assert!(status.success(), "{status}");
    pool.close().await;
    if let Err(outcome) = outcome {
        panic!("a connection opened while draining was accepted, then: {outcome}");
    }
}

// ---------------------------------------------------------------------------------------------
// Client deadlines
// ---------------------------------------------------------------------------------------------

/// How an expired deadline may come back. gRPC says DEADLINE_EXCEEDED; tonic reports a deadline
/// it enforces itself (client or server side, `GrpcTimeout`) as CANCELLED "Timeout expired".
fn is_deadline(status: &tonic::Status) -> bool {
    status.code() == Code::DeadlineExceeded
        || (status.code() == Code::Cancelled && status.message().contains("Timeout expired"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_short_client_deadline_is_honoured_and_leaves_nothing_half_done() {
    const CALLS: usize = 30;
    const DEADLINES_MS: [u64; 6] = [1, 1, 2, 3, 5, 8];

    let app = spawn_app().await;
    let channel = app.channel("psc").await;
    let mut persons = PersonClient::new(channel.clone());
    let mut apps = ApplicationClient::new(channel.clone());
    let mut codes: HashMap<String, usize> = HashMap::new();

    let mut registrations = Vec::new();
    for k in 0..CALLS {
        let request = new_registration(&numbered("Hurried", k));
        let mut short = tonic::Request::new(request.clone());
        short.set_timeout(Duration::from_millis(DEADLINES_MS[k % DEADLINES_MS.len()]));
        let outcome = bounded(
            HANG,
            "a call with a 1 ms deadline",
            persons.register_person(short),
        )
        .await;
        let first = match outcome {
            Ok(response) => Some(response.into_inner().name),
            Err(status) => {
                assert!(is_deadline(&status), "{status:?}");
                *codes.entry(format!("{:?}", status.code())).or_default() += 1;
                None
            }
        };
        registrations.push((request, first));
    }
    let mut registered = Vec::new();
    for (request, first) in &registrations {
        let name = bounded(
            HANG,
            "RegisterPerson retry",
            persons.register_person(call(request.clone())),
        )
        .await
        .unwrap_or_else(|e| panic!("retry of {}: {e:?}", request.request_id))
        .into_inner()
        .name;
        if let Some(first) = first {
            assert_eq!(&name, first);
        }
        registered.push(name);
    }
    assert_eq!(registered.iter().collect::<HashSet<_>>().len(), CALLS);
    assert_eq!(
        count(&app.pool, "SELECT count(*) FROM persons").await as usize,
        CALLS
    );

    let mut submissions = Vec::new();
    for (k, applicant) in registered.iter().enumerate() {
        let request = iin_submission(applicant, vec![passport()]);
        let mut short = tonic::Request::new(request.clone());
        short.set_timeout(Duration::from_millis(DEADLINES_MS[k % DEADLINES_MS.len()]));
        let outcome = bounded(
            HANG,
            "a call with a 1 ms deadline",
            apps.submit_application(short),
        )
        .await;
        let first = match outcome {
            Ok(response) => Some(response.into_inner().name),
            Err(status) => {
                assert!(is_deadline(&status), "{status:?}");
                *codes.entry(format!("{:?}", status.code())).or_default() += 1;
                None
            }
        };
        submissions.push((request, first));
    }
    for (request, first) in &submissions {
        let name = bounded(
            HANG,
            "SubmitApplication retry",
            apps.submit_application(call(request.clone())),
        )
        .await
        .unwrap_or_else(|e| panic!("retry of {}: {e:?}", request.request_id))
        .into_inner()
        .name;
        if let Some(first) = first {
            assert_eq!(&name, first);
        }
    }
    assert_eq!(
        count(&app.pool, "SELECT count(*) FROM applications").await as usize,
        CALLS
    );
    assert_eq!(
        count(
            &app.pool,
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM applications \
             GROUP BY applicant_id) AS per_person",
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "SELECT count(*) FROM idempotency_keys WHERE response = ''",
        )
        .await,
        0
    );
    println!("expired deadlines came back as {codes:?}");
    assert_audit_chain_intact(app.channel("admin").await).await;
    app.stop().await;
}
