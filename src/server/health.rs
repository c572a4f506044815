//! Health as `grpc.health.v1.Health` reports it: SERVING exactly while the database takes
//! writes, for every kandas service and overall.

use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tonic_health::ServingStatus;

/// The gRPC services and their health names.
pub const SERVICE_NAMES: [&str; 8] = [
    "kandas.v1.PersonService",
    "kandas.v1.NotificationService",
    "kandas.v1.ApplicationService",
    "kandas.v1.QuotaService",
    "kandas.v1.SupportService",
    "kandas.v1.PrerequisiteService",
    "kandas.v1.AuditService",
    "kandas.v1.AdminService",
];

/// Reports SERVING while the database takes writes and NOT_SERVING while it does not, and
/// keeps the last probe's answer in `takes_writes` (`kandas_database_takes_writes`, false until
/// the first probe answers), where an alert rule can see what health says.
pub async fn watch_database(
    pool: PgPool,
    reporter: tonic_health::server::HealthReporter,
    every: Duration,
    takes_writes: Arc<AtomicBool>,
) {
    let mut last: Option<bool> = None;
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // Serving means taking writes: a standby or a database set read-only answers the
        // probe but would refuse every submission and decision.
        let probe = crate::store::writer::takes_writes(&pool);
        let up = matches!(
            tokio::time::timeout(every.max(Duration::from_secs(1)), probe).await,
            Ok(Ok(true))
        );
        takes_writes.store(up, Ordering::Relaxed);
        if last == Some(up) {
            continue;
        }
        let status = if up {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        // The overall status last, so a client seeing it finds every service set too.
        for name in SERVICE_NAMES {
            reporter.set_service_status(name, status).await;
        }
        reporter.set_service_status("", status).await;
        if up {
            tracing::info!("database takes writes: SERVING");
        } else {
            tracing::warn!("database unreachable or read-only: NOT_SERVING");
        }
        last = Some(up);
    }
}
