//! Load benchmark of kandas: scenarios over gRPC with mutual TLS, each set against a
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

mod ceilings;
mod data;
mod feed;
mod load;
mod report;
mod scenarios;
mod soak;
mod target;

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::ceilings::{run_storage, run_transport};
use crate::data::{Template, fill, forget, new_persons, write_budget};
use crate::feed::run_feed;
use crate::load::watched;
use crate::report::Report;
use crate::scenarios::{run_check, run_get, run_get_json, run_overload, run_quota, run_submit};
use crate::soak::{Process, run_soak};
use crate::target::Target;

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
    /// Instead of the scenarios: this many minutes of a steady mixed load, sampling the
    /// server's RSS, open descriptors and database connections every minute.
    #[arg(long, value_name = "MINUTES")]
    soak: Option<u64>,
    /// With --addr and --soak: the server's pid on this machine, to read its /proc entries.
    #[arg(long, requires = "addr")]
    server_pid: Option<u32>,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Roles the benchmark calls as.
const ROLES: [&str; 6] = [
    "psc",
    "police",
    "commission",
    "employment_center",
    "admin",
    "registry",
];
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
    let each = match args.soak {
        Some(minutes) => format!("a {minutes} min soak"),
        None => format!("{secs} s per scenario"),
    };
    println!(
        "target {} ({}), {c} clients, {each}",
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
    if let Some(minutes) = args.soak {
        fill(&target.db, &template, args.rows).await?;
        let process = match (&target.local, args.server_pid) {
            (Some(_), _) => Process::Itself,
            (None, Some(pid)) => Process::Pid(pid),
            (None, None) => Process::Unknown,
        };
        report.soak = Some(run_soak(&target, c, minutes, process).await?);
    } else {
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
            let get_big =
                watched(db, run_get(&target, &psc, duration, "get_application@1M")).await?;
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
            if wanted("get_application_json") {
                let json = watched(db, run_get_json(&target, &psc, duration)).await?;
                report.scenario(&json, "transport");
            }
            if wanted("check_prerequisites") {
                let check =
                    watched(db, run_check(&target, c, duration, "check_prerequisites")).await?;
                report.scenario(&check, "transport");
            }
            if wanted("quota_decide") {
                let families = if args.quick { 1_000 } else { 3_000 };
                let quota = watched(db, run_quota(&target, c, duration, families)).await?;
                report.scenario(&quota, "storage");
            }
            if wanted("feed") {
                let (catch_up, live) = if args.quick {
                    (20_000, 200)
                } else {
                    (100_000, 1_000)
                };
                let run = watched(db, run_feed(&target, catch_up, live)).await?;
                report.feed(&run);
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
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report.json())?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("\nJSON written to {}", path.display());
    }
    println!("total time {:.0} s", started.elapsed().as_secs_f64());
    target.stop().await
}
