//! Load benchmark of kandas: scenarios over gRPC with mutual TLS, each set against a
//! ceiling measured in the same run on the same machine.
//!
//! Without `--addr` it starts everything itself: a private PostgreSQL cluster in a temporary
//! directory (durable settings: fsync and synchronous_commit on, as in production) and the
//! server in a process of its own (this binary, `serve.rs`) on 127.0.0.1:0 with a PKI made
//! here, so what a call costs the server and the database is read from `/proc` (`cost.rs`). With `--addr` it targets a running service, with the
//! certificates of `kandas certs` in `--certs` and the service's database in `--database-url`
//! (needed to fill rows and to measure the storage ceiling).
//!
//! Ceilings: `transport` is grpc.health.v1.Health/Check over the same channels at the same
//! concurrency (TLS + HTTP/2 + auth layer, no database); `storage` is the SQL of one IIN
//! submission issued directly through the library's store functions (no gRPC, no rules).

mod ceilings;
mod cost;
mod data;
mod decide;
mod fairness;
mod feed;
mod lists;
mod load;
mod prepare;
mod report;
mod scenarios;
mod serve;
mod signature_cost;
mod soak;
mod target;

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

use crate::ceilings::{run_storage, run_transport};
use crate::data::{Template, fill, forget, new_persons, write_budget};
use crate::decide::{Decider, run_decide};
use crate::fairness::run_fairness;
use crate::feed::run_feed;
use crate::lists::{run_list_overdue, run_list_own};
use crate::load::Measured;
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
    /// Every scenario that depends on the data's size, at --rows (10k) and again at 1M stored
    /// applications with their records and audit events, and the ratios of the two.
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
    /// With --addr: the server's pid on this machine, to read its CPU time and, with --soak,
    /// its memory and descriptors in /proc.
    #[arg(long, requires = "addr")]
    server_pid: Option<u32>,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Instead of the scenarios: verify one applicant's signature this many times per kind of
    /// key (ECDSA P-256, RSA 2048; without and with a CRL) and print the cost per call.
    #[arg(long, value_name = "CALLS")]
    signature_cost: Option<u32>,
    /// Internal: run as the bench's own server on the files in this directory.
    #[arg(long, hide = true)]
    serve_for_bench: Option<PathBuf>,
}

/// The quota region whose row every approval contends for: the largest 2025/2026 quota.
const QUOTA_REGION: &str = "KZ-55";
/// Total applications in the 1M half of --scale.
const SCALE_ROWS: u64 = 1_000_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(dir) = &args.serve_for_bench {
        return serve::serve(dir).await;
    }
    if let Some(calls) = args.signature_cost {
        return signature_cost::run(calls);
    }
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
            "a server process of its own on a private durable PostgreSQL"
        } else {
            "remote"
        }
    );
    let today = kandas::state::Clock::system().today();
    let template = Template::capture(&target, today).await?;

    let mut report = Report::default();
    let mut missed = Vec::new();
    if let Some(minutes) = args.soak {
        fill(&target.db, &template, args.rows).await?;
        let process = target.watch.server().map_or(Process::Unknown, Process::Pid);
        report.soak = Some(run_soak(&target, c, minutes, process).await?);
    } else {
        let psc = target.channels("psc", c).await?;
        let transport = run_transport(&target.watch, &psc, duration).await?;
        report.ceiling("transport", &transport);
        let run = Run {
            target: &target,
            args: &args,
            psc: &psc,
            template: &template,
            duration,
            c,
        };
        let sizes: Vec<(u64, &str)> = if args.scale {
            vec![(args.rows, "@10k"), (SCALE_ROWS, "@1M")]
        } else {
            vec![(args.rows, "")]
        };
        for (rows, label) in &sizes {
            fill(&target.db, &template, *rows).await?;
            run.at_size(label, &mut report).await?;
        }
        if args.scale {
            report.compare_scales("@10k", "@1M");
        }
        let shed = run.once(&mut report).await?;
        report.print();
        missed = report.goals(shed.as_ref());
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report.json(&missed))?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("\nJSON written to {}", path.display());
    }
    println!("total time {:.0} s", started.elapsed().as_secs_f64());
    target.stop().await
}

/// What every scenario runs with.
struct Run<'a> {
    target: &'a Target,
    args: &'a Args,
    psc: &'a [Channel],
    template: &'a Template,
    duration: Duration,
    c: usize,
}

impl Run<'_> {
    fn wanted(&self, name: &str) -> bool {
        self.args.only.is_empty() || self.args.only.iter().any(|o| o == name)
    }

    /// The scenarios whose cost may grow with the data, each named with `label` (the size).
    async fn at_size(&self, label: &str, report: &mut Report) -> anyhow::Result<()> {
        let (target, db, duration, c) = (self.target, &self.target.db, self.duration, self.c);
        let named = |mut m: Measured| {
            m.name.push_str(label);
            m
        };
        let storage_name = format!("storage{label}");
        // Each write scenario gets fresh persons, and its rows are deleted afterwards (not
        // measured) so every scenario sees the same number of stored applications.
        let fresh = new_persons(db, write_budget(duration)).await?;
        let storage = run_storage(&target.watch, db, self.template, &fresh, c, duration).await?;
        forget(db, &fresh).await?;
        report.ceiling(&storage_name, &named(storage));
        if self.wanted("submit") {
            let fresh = new_persons(db, write_budget(duration)).await?;
            let submit = run_submit(target, &fresh, self.psc, duration).await?;
            forget(db, &fresh).await?;
            report.scenario(&named(submit), &storage_name);
        }
        let decisions = if self.args.quick { 2_000 } else { 6_000 };
        for decider in Decider::ALL {
            if self.wanted(decider.scenario()) {
                let m = run_decide(target, decider, c, duration, decisions).await?;
                report.scenario(&named(m), &storage_name);
            }
        }
        if self.wanted("quota_decide") {
            let families = if self.args.quick { 1_000 } else { 3_000 };
            let quota = run_quota(target, c, duration, families).await?;
            report.scenario(&named(quota), &storage_name);
        }
        if self.wanted("get_application") {
            let get = run_get(target, self.psc, duration, "get_application").await?;
            report.scenario(&named(get), "transport");
        }
        if self.wanted("get_application_json") && !self.args.scale {
            let json = run_get_json(target, self.psc, duration).await?;
            report.scenario(&named(json), "transport");
        }
        if self.wanted("check_prerequisites") {
            let check = run_check(target, c, duration, "check_prerequisites").await?;
            report.scenario(&named(check), "transport");
        }
        if self.wanted("list_overdue") {
            let list = run_list_overdue(target, c, duration).await?;
            report.scenario(&named(list), "transport");
        }
        if self.wanted("list_own") {
            let list = run_list_own(target, c, duration).await?;
            report.scenario(&named(list), "transport");
        }
        Ok(())
    }

    /// The scenarios measured once, on the data as the last size left it: the feed, overload
    /// and fairness. Returns the shed calls of the overload.
    async fn once(&self, report: &mut Report) -> anyhow::Result<Option<Measured>> {
        let (target, duration, c) = (self.target, self.duration, self.c);
        if self.wanted("feed") && !self.args.scale {
            let (catch_up, live) = if self.args.quick {
                (20_000, 200)
            } else {
                (100_000, 1_000)
            };
            let run = run_feed(target, catch_up, live).await?;
            report.feed(&run);
        }
        let mut shed = None;
        if self.wanted("overload") {
            let (served, refused) = run_overload(target, self.psc, c * 10, duration).await?;
            report.scenario(&served, "transport");
            report.scenario(&refused, "transport");
            shed = Some(refused);
        }
        if self.wanted("fairness")
            && let Some((fairness, runs)) = run_fairness(target, (c / 4).max(1), duration).await?
        {
            for m in &runs {
                report.plain(m);
            }
            report.fairness = Some(fairness);
        }
        Ok(shed)
    }
}
