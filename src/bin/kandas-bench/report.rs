//! Report: what is printed and written at the end.

use serde::Serialize;

use crate::feed::FeedRun;
use crate::load::Measured;

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
}

impl Row {
    pub(crate) fn of(m: &Measured) -> Row {
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
pub(crate) struct Report {
    pub(crate) ceilings: Vec<(String, Row)>,
    pub(crate) scenarios: Vec<Row>,
    /// With --scale: per read scenario, the 1M figures over the 10k ones.
    pub(crate) scale: serde_json::Map<String, serde_json::Value>,
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
        self.scenarios.push(row);
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

    /// The performance goals README states, each met or missed by how much.
    pub(crate) fn goals(&self, shed: Option<&Measured>) {
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
            // Catch-up events arrive a page at a time: their gaps are not a latency.
            if r.requests > 0 && r.name != "overload_shed" && r.name != "feed_catch_up" {
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

    pub(crate) fn json(&self) -> serde_json::Value {
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
        if let Some(feed) = &self.feed {
            json["feed"] = feed.clone();
        }
        if let Some(soak) = &self.soak {
            json["soak"] = soak.clone();
        }
        if !self.scale.is_empty() {
            json["scale"] = serde_json::Value::Object(self.scale.clone());
        }
        json
    }
}
