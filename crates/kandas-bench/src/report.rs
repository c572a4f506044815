//! Report: what is printed and written at the end.

use serde::Serialize;

use crate::cost::SeqScan;
use crate::fairness::Fairness;
use crate::feed::FeedRun;
use crate::load::Measured;

/// Submit's rate over the storage ceiling's: what the service adds to the SQL it must do.
const SUBMIT_OF_STORAGE: f64 = 0.85;
/// A read's server CPU per call over Health/Check's in the same run.
const READ_OVER_HEALTH: f64 = 4.0;
/// GetApplication's server CPU per call in Connect JSON over the same call in gRPC.
const JSON_OVER_GRPC: f64 = 1.25;
/// A flooded neighbour's p99 over its quiet p99, at most, and its rate over its quiet rate,
/// at least.
const FLOODED_P99: f64 = 2.0;
const FLOODED_RATE: f64 = 0.6;

#[derive(Serialize, Clone)]
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) concurrency: usize,
    pub(crate) requests: usize,
    pub(crate) rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p90_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ceiling: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ratio: Option<f64>,
    /// CPU of the server's process per call (answered, refused or failed), in µs; unknown
    /// when the server's process is not on this machine.
    pub(crate) server_cpu_us_per_call: Option<f64>,
    /// CPU of every PostgreSQL process per call, in µs; unknown for a database elsewhere.
    pub(crate) postgres_cpu_us_per_call: Option<f64>,
    /// The server's CPU per call over Health/Check's, in the same run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) server_cpu_over_transport: Option<f64>,
    /// Sequential scans of tables over 10k rows during the scenario: each is a failed goal.
    pub(crate) seq_scans: Vec<SeqScan>,
}

impl Row {
    pub(crate) fn of(m: &Measured) -> Row {
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        let calls = (m.latencies.len() + m.refused.len()) as f64 + m.errors as f64;
        let per_call = |cpu: Option<std::time::Duration>| {
            cpu.filter(|_| calls > 0.0)
                .map(|cpu| (cpu.as_secs_f64() * 1e6 / calls * 10.0).round() / 10.0)
        };
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
            server_cpu_us_per_call: per_call(m.cost.server_cpu),
            postgres_cpu_us_per_call: per_call(m.cost.postgres_cpu),
            server_cpu_over_transport: None,
            seq_scans: m.cost.seq_scans.clone(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Report {
    pub(crate) ceilings: Vec<(String, Row)>,
    pub(crate) scenarios: Vec<Row>,
    /// With --scale: per scenario, its figures at both sizes and the 1M ones over the 10k ones.
    pub(crate) scale: serde_json::Map<String, serde_json::Value>,
    /// One organisation flooding while another keeps its load.
    pub(crate) fairness: Option<Fairness>,
    /// The record event feed: catch-up throughput and live delivery latency.
    pub(crate) feed: Option<serde_json::Value>,
    /// With --soak: the resource series, start, end and per minute.
    pub(crate) soak: Option<serde_json::Value>,
}

impl Report {
    pub(crate) fn ceiling(&mut self, name: &str, m: &Measured) {
        self.ceilings.push((name.to_string(), Row::of(m)));
    }

    pub(crate) fn scenario(&mut self, m: &Measured, ceiling: &str) {
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
        let transport = self
            .ceilings
            .iter()
            .find(|(n, _)| n == "transport")
            .and_then(|(_, r)| r.server_cpu_us_per_call);
        row.server_cpu_over_transport = row
            .server_cpu_us_per_call
            .zip(transport.filter(|t| *t > 0.0))
            .map(|(cpu, t)| (cpu / t * 100.0).round() / 100.0);
        self.scenarios.push(row);
    }

    /// A row measured against no ceiling (the fairness runs).
    pub(crate) fn plain(&mut self, m: &Measured) {
        self.scenarios.push(Row::of(m));
    }

    /// With --scale: each scenario measured at both sizes, `small` and `big` its name's
    /// suffixes, set side by side.
    pub(crate) fn compare_scales(&mut self, small: &str, big: &str) {
        let rows = self.ceilings.iter().map(|(_, r)| r).chain(&self.scenarios);
        let pairs: Vec<(String, Row, Row)> = rows
            .clone()
            .filter_map(|r| {
                let name = r.name.strip_suffix(small)?;
                let other = rows.clone().find(|o| o.name == format!("{name}{big}"))?;
                Some((name.to_string(), r.clone(), other.clone()))
            })
            .collect();
        for (name, at_small, at_big) in pairs {
            let ratio = |a: f64, b: f64| ((b / a.max(1e-9)) * 1000.0).round() / 1000.0;
            self.scale.insert(
                name,
                serde_json::json!({
                    "rps_10k": at_small.rps,
                    "rps_1m": at_big.rps,
                    "rps_1m_over_10k": ratio(at_small.rps, at_big.rps),
                    "p99_ms_10k": at_small.p99_ms,
                    "p99_ms_1m": at_big.p99_ms,
                    "p99_1m_over_10k": ratio(at_small.p99_ms, at_big.p99_ms),
                    "seq_scans_10k": at_small.seq_scans,
                    "seq_scans_1m": at_big.seq_scans,
                }),
            );
        }
    }

    /// The feed's rows, set against no ceiling: nothing else in the run streams.
    pub(crate) fn feed(&mut self, run: &FeedRun) {
        self.scenarios.push(Row::of(&run.catch_up));
        self.scenarios.push(Row::of(&run.live));
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        self.feed = Some(serde_json::json!({
            "catch_up": {
                "events": run.catch_up.latencies.len(),
                "seconds": round(run.catch_up.elapsed.as_secs_f64()),
                "events_per_second": run.catch_up.rps().round(),
            },
            "live": {
                "events": run.live.latencies.len(),
                "p50_ms": round(run.live.percentile(0.50)),
                "p90_ms": round(run.live.percentile(0.90)),
                "p99_ms": round(run.live.percentile(0.99)),
            },
        }));
    }

    pub(crate) fn print(&self) {
        println!(
            "\n{:<34} {:>5} {:>8} {:>9} {:>8} {:>8} {:>8} {:>6} {:>12} {:>6} {:>9} {:>9} {:>6}",
            "name",
            "conc",
            "requests",
            "rps",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "errors",
            "ceiling",
            "ratio",
            "srv µs",
            "pg µs",
            "×hc"
        );
        let ceilings = self
            .ceilings
            .iter()
            .map(|(n, r)| (format!("[ceiling] {n}"), r));
        let scenarios = self.scenarios.iter().map(|r| (r.name.clone(), r));
        let show = |x: Option<f64>, digits: usize| {
            x.map(|x| format!("{x:.digits$}"))
                .unwrap_or_else(|| "-".into())
        };
        for (name, r) in ceilings.chain(scenarios) {
            println!(
                "{:<34} {:>5} {:>8} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>12} {:>6} {:>9} {:>9} {:>6}",
                name,
                r.concurrency,
                r.requests,
                r.rps,
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.errors,
                r.ceiling.as_deref().unwrap_or("-"),
                show(r.ratio, 2),
                show(r.server_cpu_us_per_call, 0),
                show(r.postgres_cpu_us_per_call, 0),
                show(r.server_cpu_over_transport, 1),
            );
        }
    }

    /// The performance goals docs/src/performance/index.md states, each met or missed by how
    /// much. Returns the goals missed, as the JSON carries them.
    pub(crate) fn goals(&self, shed: Option<&Measured>) -> Vec<String> {
        println!("\ngoals:");
        let mut missed = Vec::new();
        let mut verdict = |ok: bool, what: String| {
            println!("  {what}: {}", if ok { "met" } else { "MISSED" });
            if !ok {
                missed.push(what);
            }
        };
        let rows = self.ceilings.iter().map(|(_, r)| r).chain(&self.scenarios);
        for r in rows.clone() {
            let base = r.name.split('@').next().unwrap_or(&r.name);
            if let (true, Some(ratio)) = (base == "submit", r.ratio) {
                verdict(
                    ratio >= SUBMIT_OF_STORAGE,
                    format!("{:<34} ratio {ratio:.2} ≥ {SUBMIT_OF_STORAGE}", r.name),
                );
            }
            let read = matches!(base, "get_application" | "check_prerequisites");
            if let (true, Some(cost)) = (read, r.server_cpu_over_transport) {
                verdict(
                    cost <= READ_OVER_HEALTH,
                    format!(
                        "{:<34} server CPU per call {cost:.2} × Health's ≤ {READ_OVER_HEALTH}",
                        r.name
                    ),
                );
            }
            if base == "get_application_json"
                && let Some(json) = r.server_cpu_us_per_call
            {
                let grpc = self
                    .scenarios
                    .iter()
                    .find(|g| g.name.split('@').next() == Some("get_application"))
                    .and_then(|g| g.server_cpu_us_per_call)
                    .filter(|g| *g > 0.0);
                if let Some(grpc) = grpc {
                    let over = json / grpc;
                    verdict(
                        over <= JSON_OVER_GRPC,
                        format!(
                            "{:<34} server CPU per call {over:.2} × gRPC's ≤ {JSON_OVER_GRPC}",
                            r.name
                        ),
                    );
                }
            }
            // Catch-up events arrive a page at a time: their gaps are not a latency; shed
            // calls and the flood are refused on purpose.
            let tails = !matches!(
                base,
                "overload_shed" | "feed_catch_up" | "fairness_flood" | "transport"
            );
            if r.requests > 0 && tails {
                let tail = r.p99_ms / r.p50_ms.max(1e-9);
                verdict(
                    tail <= 10.0,
                    format!("{:<34} p99/p50 {tail:.1} ≤ 10", r.name),
                );
            }
        }
        for r in rows {
            let scans: Vec<String> = r
                .seq_scans
                .iter()
                .map(|s| format!("{} ({} rows) ×{}", s.table, s.live_rows, s.scans))
                .collect();
            verdict(
                scans.is_empty(),
                format!(
                    "{:<34} no sequential scan of a table over 10k rows{}",
                    r.name,
                    if scans.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", scans.join(", "))
                    }
                ),
            );
        }
        for (name, figures) in &self.scale {
            let rps = figures["rps_1m_over_10k"].as_f64().unwrap_or(0.0);
            let p99 = figures["p99_1m_over_10k"].as_f64().unwrap_or(f64::INFINITY);
            verdict(
                rps >= 0.67,
                format!("{name:<34} rps 1M/10k {rps:.2} ≥ 0.67"),
            );
            verdict(p99 <= 1.5, format!("{name:<34} p99 1M/10k {p99:.2} ≤ 1.5"));
        }
        if let Some(f) = &self.fairness {
            verdict(
                f.p99_flooded_over_quiet <= FLOODED_P99,
                format!(
                    "{:<34} neighbour p99 flooded/quiet {:.2} ≤ {FLOODED_P99}",
                    "fairness", f.p99_flooded_over_quiet
                ),
            );
            verdict(
                f.rps_flooded_over_quiet >= FLOODED_RATE,
                format!(
                    "{:<34} neighbour rps flooded/quiet {:.2} ≥ {FLOODED_RATE}",
                    "fairness", f.rps_flooded_over_quiet
                ),
            );
        }
        if let Some(shed) = shed {
            println!(
                "  overload shed {} requests (p50 {:.1} ms, p99 {:.1} ms)",
                shed.latencies.len(),
                shed.percentile(0.5),
                shed.percentile(0.99)
            );
        }
        missed
    }

    pub(crate) fn json(&self, missed: &[String]) -> serde_json::Value {
        let ceilings: serde_json::Map<String, serde_json::Value> = self
            .ceilings
            .iter()
            .map(|(n, r)| {
                (
                    n.clone(),
                    serde_json::to_value(r).expect("a row serializes"),
                )
            })
            .collect();
        let mut json = serde_json::json!({
            "ceilings": ceilings,
            "scenarios": self.scenarios,
            "goals_missed": missed,
        });
        if let Some(feed) = &self.feed {
            json["feed"] = feed.clone();
        }
        if let Some(soak) = &self.soak {
            json["soak"] = soak.clone();
        }
        if let Some(fairness) = &self.fairness {
            json["fairness"] = serde_json::to_value(fairness).expect("fairness serializes");
        }
        if !self.scale.is_empty() {
            json["scale"] = serde_json::Value::Object(self.scale.clone());
        }
        json
    }
}
