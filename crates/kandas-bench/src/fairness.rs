//! Fairness under overload: one organisation floods at ten times its share of the service
//! while another keeps its normal load, whose latency is set against its own when quiet.

use serde::Serialize;
use std::time::Duration;

use crate::load::Measured;
use crate::scenarios::{reads_under_load as reads, stored};
use crate::target::Target;

/// The flooding organisation's connections: as many as one client certificate may open by
/// default; its calls share them, as HTTP/2 allows.
const FLOOD_CONNECTIONS: usize = kandas::config::DEFAULT_MAX_CONNECTIONS_PER_CLIENT;

/// What the neighbour saw, quiet and flooded, and what the flood got.
#[derive(Serialize)]
pub(crate) struct Fairness {
    pub(crate) neighbour_clients: usize,
    pub(crate) flood_clients: usize,
    pub(crate) quiet_p50_ms: f64,
    pub(crate) quiet_p99_ms: f64,
    pub(crate) flooded_p50_ms: f64,
    pub(crate) flooded_p99_ms: f64,
    pub(crate) p99_flooded_over_quiet: f64,
    pub(crate) quiet_rps: f64,
    pub(crate) flooded_rps: f64,
    /// The neighbour's rate while flooded over its rate alone.
    pub(crate) rps_flooded_over_quiet: f64,
    pub(crate) neighbour_errors: u64,
    pub(crate) flood_served: usize,
    pub(crate) flood_shed: usize,
}

/// The neighbour (`psc`, `neighbour` clients) reads alone for `duration`, then again while
/// `psc-flood` runs ten times the per-organisation share of calls at once.
pub(crate) async fn run_fairness(
    target: &Target,
    neighbour: usize,
    duration: Duration,
) -> anyhow::Result<Option<(Fairness, Vec<Measured>)>> {
    if !target.has("psc-flood") {
        println!("scenario fairness skipped: no psc-flood certificate for this target");
        return Ok(None);
    }
    let share = kandas::config::Isolation::defaults(
        kandas::config::DEFAULT_MAX_CONCURRENT_REQUESTS,
        kandas::config::DEFAULT_DB_MAX_CONNECTIONS,
    )
    .max_calls_per_organisation;
    let flood = share * 10;
    println!(
        "scenario fairness: psc reads on {neighbour} clients, quiet and then while psc-flood runs {flood} calls at once (10 × its share of {share})"
    );
    let names = stored(&target.db, false).await?;
    let quiet_clients = target.application_clients("psc", neighbour).await?;
    let flood_clients = target
        .application_clients("psc-flood", FLOOD_CONNECTIONS)
        .await?;

    let quiet = reads(
        target,
        "fairness_quiet",
        quiet_clients.clone(),
        neighbour,
        names.clone(),
        duration,
    )
    .await?;
    let flooding = reads(
        target,
        "fairness_flood",
        flood_clients,
        flood,
        names.clone(),
        duration,
    );
    let flooded = reads(
        target,
        "fairness_flooded",
        quiet_clients,
        neighbour,
        names,
        duration,
    );
    let (flood_run, flooded) = tokio::try_join!(flooding, flooded)?;
    let result = Fairness {
        neighbour_clients: neighbour,
        flood_clients: flood,
        quiet_p50_ms: quiet.percentile(0.50),
        quiet_p99_ms: quiet.percentile(0.99),
        flooded_p50_ms: flooded.percentile(0.50),
        flooded_p99_ms: flooded.percentile(0.99),
        p99_flooded_over_quiet: flooded.percentile(0.99) / quiet.percentile(0.99).max(1e-9),
        quiet_rps: quiet.rps(),
        flooded_rps: flooded.rps(),
        rps_flooded_over_quiet: flooded.rps() / quiet.rps().max(1e-9),
        neighbour_errors: flooded.errors + flooded.refused.len() as u64,
        flood_served: flood_run.latencies.len(),
        flood_shed: flood_run.refused.len(),
    };
    println!(
        "  neighbour p50 {:.2} → {:.2} ms, p99 {:.2} → {:.2} ms ({:.2}×), {:.0} → {:.0} rps ({:.2}); the flood was served {} and shed {}",
        result.quiet_p50_ms,
        result.flooded_p50_ms,
        result.quiet_p99_ms,
        result.flooded_p99_ms,
        result.p99_flooded_over_quiet,
        result.quiet_rps,
        result.flooded_rps,
        result.rps_flooded_over_quiet,
        result.flood_served,
        result.flood_shed
    );
    Ok(Some((result, vec![quiet, flooded, flood_run])))
}
