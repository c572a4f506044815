//! Load benchmark of kandas (issue 5): scenarios over gRPC with mutual TLS, each set against a
//! ceiling measured in the same run on the same machine.
//!
//! Without `--addr` it starts everything itself: a private PostgreSQL cluster in a temporary
//! directory (durable settings: fsync and synchronous_commit on, as in production) and a server
//! on 127.0.0.1:0 with a PKI made here. With `--addr` it targets a running service, with the
//! certificates of `kandas certs` in `--certs` and the service's database in `--database-url`
//! (needed to fill rows and to measure the storage ceiling).
//!
//! Ceilings: `transport` is grpc.health.v1.Health/Check over the same channels at the same
//! concurrency (TLS + HTTP/2 + auth layer, no database); `storage` is the SQL of one IIN
//! submission issued directly through the library's store functions (no gRPC, no rules).

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate};
use clap::Parser;
use kandas::domain::documents::{ChecklistItem, Document};
use kandas::local::pki::{CertificateAuthority, Validity};
use kandas::local::postgres::{ClusterOptions, LocalCluster, PgBinaries};
use kandas::pb;
use kandas::server::auth::{Caller, Role};
use kandas::server::startup::{Application, Settings, TlsMaterial};
use kandas::store::{self, applications, idempotency, persons, records};
use prost::Message;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use sqlx::types::Json;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "Benchmark kandas over mutual TLS against measured ceilings")]
struct Args {
    /// A running service (HOST:PORT); without it one is started in-process on a private database.
    #[arg(long)]
    addr: Option<String>,
    /// With --addr: directory with ca.pem and <role>.pem/<role>.key (as `kandas certs` writes).
    #[arg(long, default_value = ".kandas/certs")]
    certs: PathBuf,
    /// With --addr: the service's database, to fill rows and measure the storage ceiling.
    #[arg(long, env = "KANDAS_DATABASE_URL")]
    database_url: Option<String>,
    /// Applications stored before measuring.
    #[arg(long, default_value_t = 10_000)]
    rows: u64,
    /// Concurrent clients, each with its own channel (TLS connection).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds per scenario (default 30, or 10 with --quick).
    #[arg(long)]
    duration: Option<u64>,
    /// Short run: 10 s per scenario, fewer quota families.
    #[arg(long)]
    quick: bool,
    /// Only reads, at 10k and at 1M stored applications, and their ratio.
    #[arg(long)]
    scale: bool,
    /// Only these scenarios (comma-separated names, e.g. `get_application,overload`); the
    /// ceilings are always measured. For profiling one path; reports need the full set.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Roles the benchmark calls as.
const ROLES: [&str; 5] = ["psc", "police", "commission", "employment_center", "admin"];
/// The quota region whose row every approval contends for: the largest 2025/2026 quota.
const QUOTA_REGION: &str = "KZ-55";
/// Total applications in the 1M half of --scale.
const SCALE_ROWS: u64 = 1_000_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let secs = args.duration.unwrap_or(if args.quick { 10 } else { 30 });
    let duration = Duration::from_secs(secs);
    let c = args.concurrency.max(1);
    let started = Instant::now();

    let target = Target::start(&args).await?;
    println!(
        "target {} ({}), {c} clients, {secs} s per scenario",
        target.addr,
        if target.local.is_some() {
            "in-process, private durable PostgreSQL"
        } else {
            "remote"
        }
    );
    let today = kandas::state::Clock::system().today();
    let template = Template::capture(&target, today).await?;

    let mut report = Report::default();
    let psc = target.channels("psc", c).await?;
    let transport = run_transport(&psc, duration).await;
    report.ceiling("transport", &transport);

    let db = &target.db;
    if args.scale {
        let small = args.rows;
        fill(db, &template, small).await?;
        let get_small =
            watched(db, run_get(&target, &psc, duration, "get_application@10k")).await?;
        let check_small = watched(
            db,
            run_check(&target, c, duration, "check_prerequisites@10k"),
        )
        .await?;
        fill(db, &template, SCALE_ROWS).await?;
        let get_big = watched(db, run_get(&target, &psc, duration, "get_application@1M")).await?;
        let check_big = watched(
            db,
            run_check(&target, c, duration, "check_prerequisites@1M"),
        )
        .await?;
        for m in [&get_small, &check_small, &get_big, &check_big] {
            report.scenario(m, "transport");
        }
        report.print();
        println!("\nscale ({small} → {SCALE_ROWS} applications):");
        for (small, big) in [(&get_small, &get_big), (&check_small, &check_big)] {
            let name = small.name.trim_end_matches("@10k");
            let rps_ratio = big.rps() / small.rps();
            let p99_ratio = big.percentile(0.99) / small.percentile(0.99);
            println!(
                "  {name:<20} rps_1M/rps_10k = {rps_ratio:.3}   p99_1M/p99_10k = {p99_ratio:.1}"
            );
            report.scale.insert(
                name.to_string(),
                serde_json::json!({ "rps_1m_over_10k": rps_ratio, "p99_1m_over_10k": p99_ratio }),
            );
        }
    } else {
        let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
        fill(db, &template, args.rows).await?;
        // Each write scenario gets fresh persons, and its rows are deleted afterwards (not
        // measured) so every scenario sees --rows stored applications.
        let fresh = new_persons(db, write_budget(duration)).await?;
        let storage = watched(db, run_storage(db, &template, &fresh, c, duration)).await?;
        forget(db, &fresh).await?;
        report.ceiling("storage", &storage);
        if wanted("submit") {
            let fresh = new_persons(db, write_budget(duration)).await?;
            let submit = watched(db, run_submit(&fresh, &psc, duration)).await?;
            forget(db, &fresh).await?;
            report.scenario(&submit, "storage");
        }
        if wanted("get_application") {
            let get = watched(db, run_get(&target, &psc, duration, "get_application")).await?;
            report.scenario(&get, "transport");
        }
        if wanted("check_prerequisites") {
            let check = watched(db, run_check(&target, c, duration, "check_prerequisites")).await?;
            report.scenario(&check, "transport");
        }
        if wanted("quota_decide") {
            let families = if args.quick { 1_000 } else { 3_000 };
            let quota = watched(db, run_quota(&target, c, duration, families)).await?;
            report.scenario(&quota, "storage");
        }
        let mut shed = None;
        if wanted("overload") {
            let (served, refused) =
                watched(db, run_overload(&target, &psc, c * 10, duration)).await?;
            report.scenario(&served, "transport");
            report.scenario(&refused, "transport");
            shed = Some(refused);
        }
        report.print();
        report.goals(shed.as_ref());
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report.json())?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("\nJSON written to {}", path.display());
    }
    println!("total time {:.0} s", started.elapsed().as_secs_f64());
    target.stop().await
}

// ---------------------------------------------------------------------------------------------
// The target: a service, its database, and client identities
// ---------------------------------------------------------------------------------------------

/// Resources of an in-process target; dropped in field order (server, cluster, directory).
struct Local {
    shutdown: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    cluster: LocalCluster,
    _dir: tempfile::TempDir,
}

struct Target {
    addr: String,
    ca_pem: String,
    /// (role, certificate PEM, key PEM)
    identities: Vec<(String, String, String)>,
    db: PgPool,
    local: Option<Local>,
}

impl Target {
    async fn start(args: &Args) -> anyhow::Result<Target> {
        match &args.addr {
            Some(addr) => Target::remote(addr, args).await,
            None => Target::in_process().await,
        }
    }

    async fn remote(addr: &str, args: &Args) -> anyhow::Result<Target> {
        let url = args
            .database_url
            .as_deref()
            .context("--addr needs --database-url (or KANDAS_DATABASE_URL) to fill rows")?;
        let read = |name: String| {
            let path = args.certs.join(name);
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        };
        let mut identities = Vec::new();
        for role in ROLES {
            identities.push((
                role.to_string(),
                read(format!("{role}.pem"))?,
                read(format!("{role}.key"))?,
            ));
        }
        Ok(Target {
            addr: addr.to_string(),
            ca_pem: read("ca.pem".into())?,
            identities,
            db: bench_pool(url).await?,
            local: None,
        })
    }

    async fn in_process() -> anyhow::Result<Target> {
        let dir = tempfile::Builder::new().prefix("kandas-bench-").tempdir()?;
        // Traversable by the `postgres` user, which runs the server when we run as root.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )?;
        let data = dir.path().join("data");
        let root = dir.path().to_path_buf();
        // Durable settings (ephemeral: false): every commit is fsynced, as in production.
        let cluster = tokio::task::spawn_blocking(move || {
            LocalCluster::start_with(
                &PgBinaries::locate()?,
                &data,
                ClusterOptions::default(),
                &root,
            )
        })
        .await??;
        let url = cluster.url("kandas");

        let ca = CertificateAuthority::generate("kandas bench CA")?;
        let server = ca.issue_server(&["localhost"], &["127.0.0.1".parse()?])?;
        let tls = TlsMaterial {
            cert_chain_pem: server.cert_pem.into_bytes(),
            key_pem: server.key_pem.into_bytes(),
            client_ca_pem: ca.cert_pem().into_bytes(),
        };
        // Production defaults (pool of 16, system clock) except the port.
        let settings = Settings::new("127.0.0.1:0".parse()?, url.clone(), tls);
        let app = Application::build(settings).await?;
        let addr = app.local_addr().to_string();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let mut identities = Vec::new();
        for role in ROLES {
            let uri = format!("urn:kandas:{role}:bench-{role}");
            let pair = ca.issue_client(role, Some(&uri), Validity::Days(1))?;
            identities.push((role.to_string(), pair.cert_pem, pair.key_pem));
        }
        Ok(Target {
            addr,
            ca_pem: ca.cert_pem(),
            identities,
            db: bench_pool(&url).await?,
            local: Some(Local {
                shutdown,
                server,
                cluster,
                _dir: dir,
            }),
        })
    }

    /// `n` channels authenticated as `role`, each its own TLS connection, connected up front so
    /// handshakes are not measured. One connection per client is what many front offices
    /// would open; sharing one HTTP/2 connection would measure that connection's task instead.
    async fn channels(&self, role: &str, n: usize) -> anyhow::Result<Vec<Channel>> {
        let (_, cert, key) = self
            .identities
            .iter()
            .find(|(r, _, _)| r == role)
            .context("unknown role")?;
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca_pem))
            .identity(Identity::from_pem(cert, key))
            .domain_name("localhost");
        let endpoint = Channel::from_shared(format!("https://{}", self.addr))?.tls_config(tls)?;
        let connects = (0..n).map(|_| endpoint.connect());
        let channels = futures_util::future::try_join_all(connects)
            .await
            .with_context(|| format!("connecting to {} as {role}", self.addr))?;
        Ok(channels)
    }

    async fn channel(&self, role: &str) -> anyhow::Result<Channel> {
        Ok(self.channels(role, 1).await?.remove(0))
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.db.close().await;
        if let Some(local) = self.local {
            let _ = local.shutdown.send(());
            local.server.await??;
            tokio::task::spawn_blocking(move || local.cluster.stop()).await??;
        }
        Ok(())
    }
}

/// The benchmark's own pool: as large as the service's, for the storage ceiling and filling.
async fn bench_pool(url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(kandas::config::DEFAULT_DB_MAX_CONNECTIONS)
        .connect(url)
        .await
        .context("connecting to the database")
}

// ---------------------------------------------------------------------------------------------
// Data: a real submission as the template of every generated row
// ---------------------------------------------------------------------------------------------

/// What one real IIN submission stored, copied into every generated row so rows look real.
#[derive(Clone)]
struct Template {
    submission_date: NaiveDate,
    deadline: Option<NaiveDate>,
    details: serde_json::Value,
    documents: serde_json::Value,
    checklist: serde_json::Value,
    /// The encoded response, stored with the idempotency key by the storage ceiling.
    response: Vec<u8>,
}

fn date(d: NaiveDate) -> pb::Date {
    pb::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// The person every submission is for (RegisterPerson's fields as generated rows have them).
fn bench_person(surname: String) -> pb::Person {
    pb::Person {
        surname,
        given_name: "Aidos".into(),
        birth_date: Some(date(NaiveDate::from_ymd_opt(1987, 10, 8).unwrap())),
        sex: pb::Sex::Male as i32,
        citizenship: "CHN".into(),
        ethnic_kazakh: true,
        ..Default::default()
    }
}

/// An IIN assignment with a Chinese passport and its notarized Russian translation.
fn iin_submission(applicant: &str) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        request_id: Uuid::new_v4().to_string(),
        applicant: applicant.into(),
        documents: vec![passport(NaiveDate::from_ymd_opt(2030, 1, 14).unwrap())],
        details: Some(procedure(
            pb::application_details::Procedure::IinAssignment(pb::IinAssignment::default()),
        )),
    }
}

fn passport(expiry: NaiveDate) -> pb::Document {
    pb::Document {
        r#type: pb::DocumentType::IdentityDocument as i32,
        form: pb::DocumentForm::Original as i32,
        language: "zh".into(),
        translation: Some(pb::Translation {
            language: "ru".into(),
            notarized: true,
        }),
        number: "E12345678".into(),
        issuing_country: "CHN".into(),
        issue_date: Some(date(NaiveDate::from_ymd_opt(2020, 1, 15).unwrap())),
        expiry_date: Some(date(expiry)),
        ..Default::default()
    }
}

fn procedure(p: pb::application_details::Procedure) -> pb::ApplicationDetails {
    pb::ApplicationDetails { procedure: Some(p) }
}

impl Template {
    async fn capture(target: &Target, today: NaiveDate) -> anyhow::Result<Template> {
        let channel = target.channel("psc").await?;
        let mut people = pb::person_service_client::PersonServiceClient::new(channel.clone());
        let person = people
            .register_person(pb::RegisterPersonRequest {
                request_id: Uuid::new_v4().to_string(),
                person: Some(bench_person("Template".into())),
            })
            .await?
            .into_inner();
        let application = pb::application_service_client::ApplicationServiceClient::new(channel)
            .submit_application(iin_submission(&person.name))
            .await
            .context("the template IIN submission was refused")?
            .into_inner();
        let id = Uuid::parse_str(application.name.trim_start_matches("applications/"))?;
        let (deadline, details, documents, checklist): (
            Option<NaiveDate>,
            Json<serde_json::Value>,
            Json<serde_json::Value>,
            Json<serde_json::Value>,
        ) = sqlx::query_as(
            "SELECT deadline, details, documents, checklist FROM applications WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&target.db)
        .await?;
        Ok(Template {
            submission_date: today,
            deadline,
            details: details.0,
            documents: documents.0,
            checklist: checklist.0,
            response: application.encode_to_vec(),
        })
    }
}

/// Brings the number of stored applications up to `total`: persons and their open IIN
/// applications made by generate_series in batches, then ANALYZE. Measured rows go through
/// gRPC; these only make the tables the size they would be.
async fn fill(db: &PgPool, template: &Template, total: u64) -> anyhow::Result<()> {
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM applications")
        .fetch_one(db)
        .await?;
    let started = Instant::now();
    let mut next = have as u64;
    const BATCH: u64 = 100_000;
    while next < total {
        let end = (next + BATCH).min(total);
        // One person per application; dates spread over a year, passport numbers distinct.
        sqlx::query(
            "WITH p AS (
                INSERT INTO persons (id, surname, given_name, birth_date, sex, citizenship, ethnic_kazakh)
                SELECT gen_random_uuid(), 'Filled' || g, 'Aidos', date '1960-01-01' + (g % 15000)::int,
                       CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END, 'CHN', true
                FROM generate_series($1::bigint, $2::bigint - 1) g
                RETURNING id, (substr(surname, 7))::bigint AS g
             )
             INSERT INTO applications (id, procedure, applicant_id, state, submitted_by, submission_date,
                 deadline, details, documents, checklist, pending_step, step_deadline)
             SELECT gen_random_uuid(), 'iin_assignment', p.id, 'submitted', 'urn:kandas:psc:bench-fill',
                    $3::date - (p.g % 365)::int, $4::date - (p.g % 365)::int, $5,
                    jsonb_set($6, '{0,number}', to_jsonb('E' || p.g)), $7, 'decide', $4::date - (p.g % 365)::int
             FROM p",
        )
        .bind(next as i64)
        .bind(end as i64)
        .bind(template.submission_date)
        .bind(template.deadline)
        .bind(Json(&template.details))
        .bind(Json(&template.documents))
        .bind(Json(&template.checklist))
        .execute(db)
        .await
        .context("filling applications")?;
        next = end;
    }
    sqlx::query("ANALYZE").execute(db).await?;
    if total > have as u64 {
        println!(
            "filled {} applications (now {total}) in {:.1} s",
            total - have as u64,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// `n` new persons, as RegisterPerson would have stored them (registration is not measured).
async fn new_persons(db: &PgPool, n: usize) -> anyhow::Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO persons (id, surname, given_name, birth_date, sex, citizenship, ethnic_kazakh)
         SELECT gen_random_uuid(), 'Fresh' || g, 'Aidos', date '1987-10-08', 'male', 'CHN', true
         FROM generate_series(1, $1) g RETURNING id",
    )
    .bind(n as i64)
    .fetch_all(db)
    .await?)
}

/// Deletes what a write scenario added for `applicants` and vacuums, so every scenario runs
/// against the same number of stored applications (--rows), not one grown by the last.
async fn forget(db: &PgPool, applicants: &[Uuid]) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM applications WHERE applicant_id = ANY($1)")
        .bind(applicants)
        .execute(db)
        .await?;
    sqlx::query("VACUUM ANALYZE applications")
        .execute(db)
        .await?;
    Ok(())
}

/// How many fresh persons a write scenario may use: more than 2,000 submissions a second on
/// this kind of machine would be a surprise; a worker that runs out stops early.
fn write_budget(duration: Duration) -> usize {
    2_000 * duration.as_secs().max(1) as usize
}

// ---------------------------------------------------------------------------------------------
// Driving load
// ---------------------------------------------------------------------------------------------

/// How a call was answered. `Refused` is an expected answer that is not the work itself: a
/// request shed under overload, or a quota with no places left.
enum Answer {
    Done,
    Refused,
}

/// One scenario's raw results.
struct Measured {
    name: String,
    concurrency: usize,
    elapsed: Duration,
    /// Latencies of answered calls, sorted.
    latencies: Vec<Duration>,
    refused: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

impl Measured {
    fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        percentile(&self.latencies, p)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

/// Runs `call(worker)` in a closed loop on `workers` tasks, no think time, until `duration`
/// has passed or `call` returns None (its prepared work is used up). Refusals are kept apart.
async fn drive<F, Fut>(name: &str, workers: usize, duration: Duration, call: F) -> Measured
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Result<Answer, tonic::Status>>> + Send,
{
    let call = Arc::new(call);
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let call = call.clone();
            tokio::spawn(async move {
                let (mut done, mut refused, mut errors, mut first) =
                    (Vec::new(), Vec::new(), 0, None);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match call(w).await {
                        None => break,
                        Some(Ok(Answer::Done)) => done.push(t.elapsed()),
                        Some(Ok(Answer::Refused)) => refused.push(t.elapsed()),
                        Some(Err(status)) => {
                            errors += 1;
                            first.get_or_insert_with(|| {
                                format!("{:?}: {}", status.code(), status.message())
                            });
                        }
                    }
                }
                (done, refused, errors, first)
            })
        })
        .collect();
    let mut m = Measured {
        name: name.to_string(),
        concurrency: workers,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        refused: Vec::new(),
        errors: 0,
        first_error: None,
    };
    for task in tasks {
        let (done, refused, errors, first) = task.await.expect("a load task panicked");
        m.latencies.extend(done);
        m.refused.extend(refused);
        m.errors += errors;
        m.first_error = m.first_error.or(first);
    }
    m.elapsed = start.elapsed();
    m.latencies.sort();
    m.refused.sort();
    println!(
        "  {name}: {} answered, {} refused, {} errors in {:.1} s{}",
        m.latencies.len(),
        m.refused.len(),
        m.errors,
        m.elapsed.as_secs_f64(),
        m.first_error
            .as_ref()
            .map(|e| format!(" (first error {e})"))
            .unwrap_or_default()
    );
    m
}

/// Rows read by sequential scans so far, per table: a cheap profile of where the database
/// works harder than an index lookup would.
async fn seq_scanned(db: &PgPool) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT relname::text, coalesce(seq_tup_read, 0) FROM pg_stat_user_tables ORDER BY relname",
    )
    .fetch_all(db)
    .await?)
}

/// Runs a scenario and prints which tables it scanned sequentially, and how many rows.
async fn watched<T>(
    db: &PgPool,
    scenario: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let before = seq_scanned(db).await?;
    let result = scenario.await?;
    // Statistics reach the shared counters within a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let scans: Vec<String> = seq_scanned(db)
        .await?
        .into_iter()
        .filter_map(|(table, after)| {
            let was = before.iter().find(|(t, _)| *t == table).map_or(0, |b| b.1);
            (after - was > 100_000).then(|| format!("{table} {:.1}M", (after - was) as f64 / 1e6))
        })
        .collect();
    if !scans.is_empty() {
        println!("  rows read by sequential scans: {}", scans.join(", "));
    }
    Ok(result)
}

/// A random index below `n` (xorshift per thread; quality is irrelevant, speed is not).
fn pick(n: usize) -> usize {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = Cell::new(Uuid::new_v4().as_u64_pair().0 | 1));
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x % n as u64) as usize
    })
}

/// Next item of a shared work list, or None when it is used up.
fn take<T: Clone>(items: &[T], next: &AtomicUsize) -> Option<T> {
    items.get(next.fetch_add(1, Ordering::Relaxed)).cloned()
}

// ---------------------------------------------------------------------------------------------
// Ceilings
// ---------------------------------------------------------------------------------------------

async fn run_transport(channels: &[Channel], duration: Duration) -> Measured {
    println!("ceiling transport (Health/Check)");
    let clients: Vec<_> = channels
        .iter()
        .map(|c| tonic_health::pb::health_client::HealthClient::new(c.clone()))
        .collect();
    drive("transport", clients.len(), duration, move |w| {
        let mut client = clients[w].clone();
        async move {
            Some(
                client
                    .check(tonic_health::pb::HealthCheckRequest::default())
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await
}

/// The statements SubmitApplication runs for an IIN assignment, in its order, through the same
/// store functions: claim the idempotency key, lock the applicant, load their records, read the
/// MCI, insert the application (and read it back), store the response, audit, commit.
async fn storage_submit(
    db: &PgPool,
    template: &Template,
    documents: &[Document],
    checklist: &[ChecklistItem],
    caller: &Caller,
    applicant: Uuid,
) -> anyhow::Result<()> {
    const RPC: &str = kandas::pb::rpc::application_service::SUBMIT_APPLICATION;
    let request_id = Uuid::new_v4();
    let mut tx = db.begin().await?;
    let hash = idempotency::request_hash(RPC, request_id.as_bytes());
    idempotency::claim(&mut tx, &caller.client(), request_id, RPC, &hash).await?;
    persons::get_for_update(&mut tx, applicant)
        .await?
        .context("no such person")?;
    records::load(&mut tx, applicant).await?;
    store::quota::mci(&mut *tx, template.submission_date.year()).await?;
    let id = Uuid::now_v7();
    let details: kandas::domain::details::Details =
        serde_json::from_value(template.details.clone())?;
    applications::insert(
        &mut tx,
        &applications::NewApplication {
            id,
            applicant_id: applicant,
            submitted_by: &caller.client(),
            operator_id: "",
            submission_date: template.submission_date,
            deadline: template.deadline,
            deadline_provisional: false,
            pending_step: kandas::domain::lifecycle::Step::Decide,
            step_deadline: template.deadline,
            details: &details,
            documents,
            checklist,
        },
    )
    .await?;
    idempotency::complete(&mut tx, &caller.client(), request_id, &template.response).await?;
    let subject = format!("applications/{id}");
    kandas::audit::record(
        &mut *tx,
        &kandas::audit::Entry {
            caller,
            rpc: RPC,
            subject: &subject,
            request_id: &request_id.to_string(),
            outcome: "OK",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn run_storage(
    db: &PgPool,
    template: &Template,
    applicants: &[Uuid],
    workers: usize,
    duration: Duration,
) -> anyhow::Result<Measured> {
    println!("ceiling storage (the SQL of one IIN submission, via sqlx)");
    let applicants = Arc::new(applicants.to_vec());
    let documents: Arc<Vec<Document>> =
        Arc::new(serde_json::from_value(template.documents.clone())?);
    let checklist: Arc<Vec<ChecklistItem>> =
        Arc::new(serde_json::from_value(template.checklist.clone())?);
    let caller = Arc::new(Caller {
        role: Role::Psc,
        organisation: "bench-storage".into(),
        operator_id: String::new(),
    });
    let template = Arc::new(template.clone());
    let pool = db.clone();
    let next = Arc::new(AtomicUsize::new(0));
    let m = drive("storage", workers, duration, move |_| {
        let (db, template, documents, checklist, caller) = (
            pool.clone(),
            template.clone(),
            documents.clone(),
            checklist.clone(),
            caller.clone(),
        );
        let applicant = take(&applicants, &next);
        async move {
            let applicant = applicant?;
            Some(
                storage_submit(&db, &template, &documents, &checklist, &caller, applicant)
                    .await
                    .map(|()| Answer::Done)
                    .map_err(|e| tonic::Status::internal(format!("{e:#}"))),
            )
        }
    })
    .await;
    Ok(m)
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

type ApplicationClient = pb::application_service_client::ApplicationServiceClient<Channel>;

async fn run_submit(
    fresh: &[Uuid],
    channels: &[Channel],
    duration: Duration,
) -> anyhow::Result<Measured> {
    println!("scenario submit (SubmitApplication, IIN assignment, each for a new person)");
    let applicants: Vec<String> = fresh.iter().map(|id| format!("persons/{id}")).collect();
    let clients: Vec<ApplicationClient> = channels
        .iter()
        .cloned()
        .map(ApplicationClient::new)
        .collect();
    let next = Arc::new(AtomicUsize::new(0));
    let m = drive("submit", clients.len(), duration, move |w| {
        let mut client = clients[w].clone();
        let applicant = take(&applicants, &next);
        async move {
            let request = iin_submission(&applicant?);
            Some(
                client
                    .submit_application(request)
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await;
    Ok(m)
}

/// Resource names of every stored application (`applications/…`) or applicant (`persons/…`).
async fn stored(db: &PgPool, persons: bool) -> anyhow::Result<Arc<Vec<String>>> {
    let sql = if persons {
        "SELECT 'persons/' || applicant_id FROM applications"
    } else {
        "SELECT 'applications/' || id FROM applications"
    };
    Ok(Arc::new(sqlx::query_scalar(sql).fetch_all(db).await?))
}

/// GetApplication of random stored applications.
async fn run_get(
    target: &Target,
    psc: &[Channel],
    duration: Duration,
    name: &str,
) -> anyhow::Result<Measured> {
    let applications = stored(&target.db, false).await?;
    println!("scenario {name} ({} stored)", applications.len());
    let clients: Vec<ApplicationClient> = psc.iter().cloned().map(ApplicationClient::new).collect();
    Ok(drive(name, clients.len(), duration, move |w| {
        let mut client = clients[w].clone();
        let name = applications[pick(applications.len())].clone();
        async move {
            Some(
                client
                    .get_application(pb::GetApplicationRequest { name })
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await)
}

/// CheckPrerequisites (permanent residence permit) of random applicants of stored rows.
async fn run_check(
    target: &Target,
    c: usize,
    duration: Duration,
    name: &str,
) -> anyhow::Result<Measured> {
    let applicants = stored(&target.db, true).await?;
    println!("scenario {name} (permanent residence permit, random applicants)");
    let clients: Vec<_> = target
        .channels("police", c)
        .await?
        .into_iter()
        .map(pb::prerequisite_service_client::PrerequisiteServiceClient::new)
        .collect();
    Ok(drive(name, c, duration, move |w| {
        let mut client = clients[w].clone();
        let person = applicants[pick(applicants.len())].clone();
        async move {
            let request = pb::CheckPrerequisitesRequest {
                person,
                procedure: pb::Procedure::PermanentResidencePermit as i32,
                as_of: None,
            };
            Some(
                client
                    .check_prerequisites(request)
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await)
}

/// Contended quota approvals: families made eligible through the API beforehand (the path of
/// tests/common `eligible_family`, families of one), all applying to one region's quota, then
/// approved by C commission clients at once, each application once. When the region runs out
/// (repeated runs on one database), QUOTA_EXHAUSTED is an answer, not an error.
async fn run_quota(
    target: &Target,
    c: usize,
    duration: Duration,
    families: usize,
) -> anyhow::Result<Measured> {
    let year = kandas::state::Clock::system().today().year();
    println!(
        "scenario quota_decide: preparing up to {families} eligible families for {QUOTA_REGION}/{year}"
    );
    let started = Instant::now();
    let prepared = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..c {
        let channels = Channels {
            psc: target.channel("psc").await?,
            police: target.channel("police").await?,
            commission: target.channel("commission").await?,
            employment: target.channel("employment_center").await?,
        };
        let (prepared, next) = (prepared.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < families {
                let ready = eligible_quota_application(&channels, year).await?;
                prepared.lock().await.push(ready);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let prepared = Arc::new(std::mem::take(&mut *prepared.lock().await));
    // A long-running database has current statistics (autovacuum); this one just grew.
    sqlx::query("ANALYZE").execute(&target.db).await?;
    println!(
        "  prepared {} in {:.1} s (10 RPCs each, not measured)",
        prepared.len(),
        started.elapsed().as_secs_f64()
    );

    let clients: Vec<ApplicationClient> = target
        .channels("commission", c)
        .await?
        .into_iter()
        .map(ApplicationClient::new)
        .collect();
    let next = Arc::new(AtomicUsize::new(0));
    let m = drive("quota_decide", c, duration, move |w| {
        let mut client = clients[w].clone();
        let application = take(&prepared, &next);
        async move {
            let (name, etag) = application?;
            let request = pb::DecideApplicationRequest {
                request_id: Uuid::new_v4().to_string(),
                name,
                etag,
                decision: Some(pb::decide_application_request::Decision::Approve(
                    pb::Approval {
                        rent_mci: 20,
                        housing_cost_tenge: 0,
                    },
                )),
            };
            Some(match client.decide_application(request).await {
                Ok(_) => Ok(Answer::Done),
                Err(s) if s.code() == Code::ResourceExhausted => Ok(Answer::Refused),
                Err(s) => Err(s),
            })
        }
    })
    .await;
    // Refusals for lack of places are answers too: count them with the approvals.
    Ok(merge_refused(m))
}

fn merge_refused(mut m: Measured) -> Measured {
    if !m.refused.is_empty() {
        println!("  of which {} were QUOTA_EXHAUSTED", m.refused.len());
    }
    m.latencies.append(&mut m.refused);
    m.latencies.sort();
    m
}

struct Channels {
    psc: Channel,
    police: Channel,
    commission: Channel,
    employment: Channel,
}

fn plain(kind: pb::DocumentType) -> pb::Document {
    pb::Document {
        r#type: kind as i32,
        form: pb::DocumentForm::Original as i32,
        language: "kk".into(),
        number: "F-1".into(),
        ..Default::default()
    }
}

/// One adult ethnic Kazakh from the PRC taken through the API to a forwarded quota application
/// in QUOTA_REGION: registration with an IIN, kandas status, permit, permanent registration
/// (each approved), the quota application and its forwarding. Returns (name, etag).
async fn eligible_quota_application(ch: &Channels, year: i32) -> anyhow::Result<(String, String)> {
    use pb::application_details::Procedure as P;
    let mut persons = pb::person_service_client::PersonServiceClient::new(ch.psc.clone());
    let mut psc = ApplicationClient::new(ch.psc.clone());
    let mut police = ApplicationClient::new(ch.police.clone());
    let mut commission = ApplicationClient::new(ch.commission.clone());
    let mut employment = ApplicationClient::new(ch.employment.clone());

    // A random valid IIN; on the rare collision with a registered one, another.
    let person = loop {
        let born =
            NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Days::new(pick(14_000) as u64);
        let sex = kandas::domain::iin::Sex::Male;
        let Ok(Some(iin)) = kandas::domain::iin::Iin::generate(born, sex, 1 + pick(9_000) as u16)
        else {
            continue;
        };
        let mut p = bench_person(format!("Quota{}", pick(1 << 30)));
        p.iin = iin.as_str().to_string();
        p.birth_date = Some(date(born));
        match persons
            .register_person(pb::RegisterPersonRequest {
                request_id: Uuid::new_v4().to_string(),
                person: Some(p),
            })
            .await
        {
            Ok(r) => break r.into_inner(),
            Err(s) if s.code() == Code::AlreadyExists => continue,
            Err(s) => bail!("registering a quota applicant: {s:?}"),
        }
    };
    let submit = |details: P, documents: Vec<pb::Document>| pb::SubmitApplicationRequest {
        request_id: Uuid::new_v4().to_string(),
        applicant: person.name.clone(),
        documents,
        details: Some(procedure(details)),
    };
    let approve = |a: pb::Application| pb::DecideApplicationRequest {
        request_id: Uuid::new_v4().to_string(),
        name: a.name,
        etag: a.etag,
        decision: Some(pb::decide_application_request::Decision::Approve(
            pb::Approval::default(),
        )),
    };

    let kandas = psc
        .submit_application(submit(
            P::KandasStatusAssignment(pb::KandasStatusAssignment {
                grounds: vec![pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32],
                nationality_in_identity_document: true,
                ..Default::default()
            }),
            vec![
                plain(pb::DocumentType::ApplicationForm),
                plain(pb::DocumentType::Biography),
                passport(NaiveDate::from_ymd_opt(2034, 1, 1).unwrap()),
            ],
        ))
        .await?
        .into_inner();
    commission.decide_application(approve(kandas)).await?;

    let permit = psc
        .submit_application(submit(
            P::PermanentResidencePermit(pb::PermanentResidencePermit {
                category: pb::permanent_residence_permit::Category::KandasAndFamily as i32,
                ethnic_kazakh_from_prc: true,
                ..Default::default()
            }),
            vec![
                plain(pb::DocumentType::ApplicationForm),
                pb::Document {
                    notarized: true,
                    ..plain(pb::DocumentType::HousingContract)
                },
                plain(pb::DocumentType::MedicalCertificate),
                pb::Document {
                    photo: Some(pb::PhotoSpec {
                        count: 1,
                        width_mm: 35,
                        height_mm: 45,
                    }),
                    ..plain(pb::DocumentType::Photo)
                },
            ],
        ))
        .await?
        .into_inner();
    police.decide_application(approve(permit)).await?;

    let registration = psc
        .submit_application(submit(
            P::ResidenceRegistration(pb::ResidenceRegistration {
                kind: pb::residence_registration::Kind::Permanent as i32,
                region: QUOTA_REGION.into(),
                address: "Main street 1".into(),
                ..Default::default()
            }),
            vec![
                pb::Document {
                    expiry_date: Some(date(NaiveDate::from_ymd_opt(2040, 1, 1).unwrap())),
                    ..plain(pb::DocumentType::OwnerIdentityDocument)
                },
                plain(pb::DocumentType::OwnerConsent),
            ],
        ))
        .await?
        .into_inner();
    police.decide_application(approve(registration)).await?;

    let quota = employment
        .submit_application(submit(
            P::RegionalQuotaInclusion(pb::RegionalQuotaInclusion {
                region: QUOTA_REGION.into(),
                year,
                family: vec![],
            }),
            vec![],
        ))
        .await?
        .into_inner();
    pb::quota_service_client::QuotaServiceClient::new(ch.employment.clone())
        .forward_quota_applications(pb::ForwardQuotaApplicationsRequest {
            request_id: Uuid::new_v4().to_string(),
            applications: vec![quota.name.clone()],
        })
        .await?;
    // Forwarding changed the etag: read it as the commission will.
    let ready = commission
        .get_application(pb::GetApplicationRequest { name: quota.name })
        .await?
        .into_inner();
    Ok((ready.name, ready.etag))
}

/// get_application at 10× the concurrency with no think time: far past what the service
/// sustains. Returns the served calls and, apart, the shed ones (RESOURCE_EXHAUSTED or
/// UNAVAILABLE) with their own latency.
async fn run_overload(
    target: &Target,
    psc: &[Channel],
    workers: usize,
    duration: Duration,
) -> anyhow::Result<(Measured, Measured)> {
    println!("scenario overload (get_application, {workers} clients, no think time)");
    let mut channels = psc.to_vec();
    channels.extend(
        target
            .channels("psc", workers.saturating_sub(psc.len()))
            .await?,
    );
    let names = stored(&target.db, false).await?;
    let clients: Vec<ApplicationClient> =
        channels.into_iter().map(ApplicationClient::new).collect();
    let mut served = drive("overload", workers, duration, move |w| {
        let mut client = clients[w].clone();
        let name = names[pick(names.len())].clone();
        async move {
            Some(
                match client
                    .get_application(pb::GetApplicationRequest { name })
                    .await
                {
                    Ok(_) => Ok(Answer::Done),
                    Err(s) if matches!(s.code(), Code::ResourceExhausted | Code::Unavailable) => {
                        Ok(Answer::Refused)
                    }
                    Err(s) => Err(s),
                },
            )
        }
    })
    .await;
    let shed = Measured {
        name: "overload_shed".into(),
        concurrency: workers,
        elapsed: served.elapsed,
        latencies: std::mem::take(&mut served.refused),
        refused: Vec::new(),
        errors: 0,
        first_error: None,
    };
    Ok((served, shed))
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Clone)]
struct Row {
    name: String,
    concurrency: usize,
    requests: usize,
    rps: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ceiling: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio: Option<f64>,
}

impl Row {
    fn of(m: &Measured) -> Row {
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        Row {
            name: m.name.clone(),
            concurrency: m.concurrency,
            requests: m.latencies.len(),
            rps: (m.rps() * 10.0).round() / 10.0,
            p50_ms: round(m.percentile(0.50)),
            p90_ms: round(m.percentile(0.90)),
            p99_ms: round(m.percentile(0.99)),
            errors: m.errors,
            ceiling: None,
            ratio: None,
        }
    }
}

#[derive(Default)]
struct Report {
    ceilings: Vec<(String, Row)>,
    scenarios: Vec<Row>,
    /// With --scale: per read scenario, the 1M figures over the 10k ones.
    scale: serde_json::Map<String, serde_json::Value>,
}

impl Report {
    fn ceiling(&mut self, name: &str, m: &Measured) {
        self.ceilings.push((name.to_string(), Row::of(m)));
    }

    fn scenario(&mut self, m: &Measured, ceiling: &str) {
        let mut row = Row::of(m);
        let base = self
            .ceilings
            .iter()
            .find(|(n, _)| n == ceiling)
            .map(|(_, r)| r.rps);
        row.ceiling = Some(ceiling.to_string());
        row.ratio = base
            .filter(|b| *b > 0.0)
            .map(|b| (m.rps() / b * 1000.0).round() / 1000.0);
        self.scenarios.push(row);
    }

    fn print(&self) {
        println!(
            "\n{:<26} {:>5} {:>8} {:>9} {:>8} {:>8} {:>8} {:>6} {:>10} {:>6}",
            "name",
            "conc",
            "requests",
            "rps",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "errors",
            "ceiling",
            "ratio"
        );
        let ceilings = self
            .ceilings
            .iter()
            .map(|(n, r)| (format!("[ceiling] {n}"), r));
        let scenarios = self.scenarios.iter().map(|r| (r.name.clone(), r));
        for (name, r) in ceilings.chain(scenarios) {
            println!(
                "{:<26} {:>5} {:>8} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>10} {:>6}",
                name,
                r.concurrency,
                r.requests,
                r.rps,
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.errors,
                r.ceiling.as_deref().unwrap_or("-"),
                r.ratio
                    .map(|x| format!("{x:.2}"))
                    .unwrap_or_else(|| "-".into())
            );
        }
    }

    /// The goals of issue 5, each met or missed by how much.
    fn goals(&self, shed: Option<&Measured>) {
        println!("\ngoals:");
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        for r in &self.scenarios {
            let want = match r.name.as_str() {
                "submit" => Some(0.5),
                "get_application" | "check_prerequisites" => Some(0.4),
                _ => None,
            };
            if let (Some(want), Some(ratio)) = (want, r.ratio) {
                println!(
                    "  {:<20} ratio {ratio:.2} ≥ {want}: {}",
                    r.name,
                    verdict(ratio >= want)
                );
            }
            if r.requests > 0 && r.name != "overload_shed" {
                let tail = r.p99_ms / r.p50_ms.max(1e-9);
                println!(
                    "  {:<20} p99/p50 {tail:.1} ≤ 10: {}",
                    r.name,
                    verdict(tail <= 10.0)
                );
            }
        }
        if let Some(shed) = shed {
            println!(
                "  overload shed {} requests (p50 {:.1} ms, p99 {:.1} ms)",
                shed.latencies.len(),
                shed.percentile(0.5),
                shed.percentile(0.99)
            );
        }
    }

    fn json(&self) -> serde_json::Value {
        let ceiling = |name: &str| {
            self.ceilings
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, r)| serde_json::to_value(r).expect("a row serializes"))
        };
        let mut json = serde_json::json!({
            "ceilings": { "transport": ceiling("transport"), "storage": ceiling("storage") },
            "scenarios": self.scenarios,
        });
        if !self.scale.is_empty() {
            json["scale"] = serde_json::Value::Object(self.scale.clone());
        }
        json
    }
}
