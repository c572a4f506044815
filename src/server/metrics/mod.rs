//! Prometheus metrics on a separate plain-HTTP port (`GET /metrics`, OpenMetrics text).
//!
//! - `kandas_rpc_requests_total{method,code}` and `kandas_rpc_duration_seconds{method}` are
//!   recorded by [`MetricsLayer`] around every gRPC call (see [`layer`]);
//!   `kandas_rpc_malformed_requests_total{method,kind}` counts the calls refused for the
//!   client's framing, and `kandas_rpc_server_errors_total{method,code}` the server's own
//!   faults, the signal to alert on.
//! - `kandas_rpc_in_flight` and `kandas_rpc_concurrency_limit`: calls holding a place under
//!   load shedding, and the limit; `kandas_rpc_shed_total{reason}`: calls refused
//!   `SERVER_OVERLOADED` or `ORGANISATION_OVER_SHARE`; `kandas_organisation_calls_total
//!   {organisation}` and `kandas_organisation_over_share_total{organisation}`: each calling
//!   organisation's API calls and those refused over its share (organisations are the
//!   registered partners, a bounded set).
//! - `kandas_database_takes_writes`: 1 while the last health probe found the database taking
//!   writes (health SERVING), 0 otherwise.
//! - `kandas_db_pool_connections{state="idle"|"used"}` and `kandas_db_pool_max`, read from the
//!   pool at scrape time.
//! - `kandas_retention_erased_applications`: kandas status applications whose documents the
//!   retention job erased, read from the database at each scrape.
//! - `kandas_audit_commits_total`, `kandas_audit_events_total` and
//!   `kandas_audit_failed_commits_total`: the group writer of read and failure audit events.
//! - `kandas_audit_refused_events_total`: events this replica's sealer kept out of the chain
//!   (no valid tag); `kandas_audit_signing_stopped` (1 once the log contradicted a head this
//!   replica signed) and `kandas_audit_contradiction_sequence` (its first bad position, 0 if
//!   none). See docs/src/operating/audit-against-administrator.md.
//! - `kandas_record_feed_head` and `kandas_record_feed_lag{organisation}` (feed positions
//!   committed after each registry's acknowledged one), read from the database at scrape time
//!   (at most [`MAX_SUBSCRIBER_SERIES`] subscribers), so every replica shows the same figures;
//!   `kandas_record_feed_streams` and `kandas_record_feed_buffered_events`: this replica's
//!   open record event streams and the events they hold that the transport has not taken.
//! - `kandas_notification_streams` and `kandas_notification_buffered`: this replica's open
//!   notification streams and the notifications they hold that the transport has not taken.
//! - `kandas_quota_places_remaining{region,year}` and `kandas_quota_places{region,year}` (the
//!   places the quota has), read from `quotas` at scrape time (at most
//!   [`MAX_QUOTA_SERIES`] rows, within [`QUOTA_QUERY_TIMEOUT`]); when the database cannot
//!   answer, the family is left out of that scrape and the rest is still served.
//!
//! - The client CRLs in force and refused, the certificates' expiries, and the connections
//!   open, handshaking, refused and closed (see [`transport`]).
//! - The overdue applications by office and the audit chain's signing (see [`stored`]).
//!
//! The call families live as long as the server; everything read at scrape time goes into a
//! registry built for that scrape, so a scrape shows the values of that moment and nothing
//! has to be kept in step between scrapes.

mod endpoint;
mod layer;
mod stored;
mod transport;

pub use endpoint::{bind, serve};
pub use layer::MetricsLayer;

use crate::server::request_body::Malformed;
use crate::server::shed::ShedLayer;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sqlx::PgPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tonic::Code;

/// Upper bounds of the duration histogram, in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// gRPC status codes by number, as they appear in the `code` label.
const CODE_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// RPCs served besides the kandas API.
const INFRASTRUCTURE_METHODS: [&str; 4] = [
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// The `method` label of any path the server does not serve, so a client sending made-up
/// paths cannot grow the families.
const OTHER_METHOD: &str = "other";

/// Most subscribers whose lag one scrape exports.
pub const MAX_SUBSCRIBER_SERIES: i64 = 1000;
/// Most quota rows exported in one scrape.
pub const MAX_QUOTA_SERIES: i64 = 1000;
/// How long a scrape waits for the quota query.
pub const QUOTA_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SubscriberLabels {
    organisation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuotaLabels {
    region: String,
    year: i32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrganisationLabels {
    organisation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ShedLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MalformedLabels {
    method: &'static str,
    kind: &'static str,
}

/// The call metrics, shared by every connection.
#[derive(Debug)]
pub struct Metrics {
    requests: Family<CallLabels, Counter>,
    durations: Family<MethodLabels, Histogram>,
    malformed: Family<MalformedLabels, Counter>,
    server_errors: Family<CallLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            requests: Family::default(),
            durations: Family::new_with_constructor(|| Histogram::new(BUCKETS)),
            malformed: Family::default(),
            server_errors: Family::default(),
        }
    }

    /// The `method` label of `path`: the full method without the leading slash (e.g.
    /// `kandas.v1.PersonService/ValidateIin`), or `other`.
    fn method_label(path: &str) -> &'static str {
        crate::server::auth::KANDAS_METHODS
            .iter()
            .chain(INFRASTRUCTURE_METHODS.iter())
            .find(|known| **known == path)
            .map(|known| &known[1..])
            .unwrap_or(OTHER_METHOD)
    }

    /// Records one finished call of `path`.
    pub fn record(&self, path: &str, code: Code, elapsed: Duration) {
        self.record_method(Self::method_label(path), code, elapsed);
    }

    fn record_method(&self, method: &'static str, code: Code, elapsed: Duration) {
        let code = CODE_NAMES[(code as usize).min(CODE_NAMES.len() - 1)];
        self.requests
            .get_or_create(&CallLabels { method, code })
            .inc();
        self.durations
            .get_or_create(&MethodLabels { method })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a call refused for the client's framing, or else a fault of the server's own.
    fn record_fault(&self, method: &'static str, code: Code, malformed: Option<Malformed>) {
        match malformed {
            Some(kind) => {
                self.malformed
                    .get_or_create(&MalformedLabels {
                        method,
                        kind: kind.label(),
                    })
                    .inc();
            }
            None if matches!(code, Code::Internal | Code::Unknown | Code::DataLoss) => {
                let code = CODE_NAMES[code as usize];
                self.server_errors
                    .get_or_create(&CallLabels { method, code })
                    .inc();
            }
            None => {}
        }
    }

    /// Adds the call families (only series that have seen a call) to a scrape's registry.
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "kandas_rpc_requests",
            "gRPC calls finished, by method and status code",
            self.requests.clone(),
        );
        registry.register(
            "kandas_rpc_duration_seconds",
            "Time from a call's arrival to its status, by method",
            self.durations.clone(),
        );
        registry.register(
            "kandas_rpc_malformed_requests",
            "Calls refused because the client's gRPC framing was wrong (reason MALFORMED_FRAME), by method and kind; the client's fault, whatever the code",
            self.malformed.clone(),
        );
        registry.register(
            "kandas_rpc_server_errors",
            "Calls that ended INTERNAL, UNKNOWN or DATA_LOSS through a fault of the server's own (malformed requests not counted): alert on it",
            self.server_errors.clone(),
        );
    }
}

/// What a scrape reads besides the call metrics.
#[derive(Clone)]
pub struct Sources {
    pub metrics: std::sync::Arc<Metrics>,
    pub pool: PgPool,
    pub shed: Option<ShedLayer>,
    pub audit: Option<crate::audit::AuditWriter>,
    pub record_streams: Option<std::sync::Arc<crate::state::StreamGauges>>,
    pub notification_streams: Option<std::sync::Arc<crate::state::StreamGauges>>,
    /// Restarts of the private PostgreSQL cluster, when the service runs one.
    pub database_restarts: Option<std::sync::Arc<AtomicU64>>,
    pub tls: Option<crate::server::tls::CurrentTls>,
    pub connections: Option<crate::server::connections::Connections>,
    /// What the last health probe found (`crate::server::health::watch_database`).
    pub database_takes_writes: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Today, for the overdue applications.
    pub clock: crate::state::Clock,
}

impl Sources {
    /// The whole exposition, reading the pool and the quotas now.
    pub async fn render(&self) -> String {
        let mut registry = Registry::default();
        self.metrics.register(&mut registry);
        if let Some(tls) = &self.tls {
            transport::register_crls(tls, &mut registry);
            transport::register_certificates(tls, &mut registry);
        }
        if let Some(connections) = &self.connections {
            transport::register_connections(connections, &mut registry);
        }
        if let Some(shed) = &self.shed {
            registry.register(
                "kandas_rpc_in_flight",
                "Calls holding a place under load shedding now",
                ConstGauge::new(shed.in_flight() as i64),
            );
            registry.register(
                "kandas_rpc_concurrency_limit",
                "Calls served at once before new ones are refused SERVER_OVERLOADED",
                ConstGauge::new(shed.limit() as i64),
            );
            register_shed(shed, &mut registry);
        }
        if let Some(takes_writes) = &self.database_takes_writes {
            registry.register(
                "kandas_database_takes_writes",
                "1 while the last health probe found the database taking writes (health SERVING), 0 while it did not (NOT_SERVING)",
                ConstGauge::new(i64::from(takes_writes.load(Ordering::Relaxed))),
            );
        }
        if let Some(audit) = &self.audit {
            let counts = audit.counts();
            let load = |c: &AtomicU64| ConstCounter::new(c.load(Ordering::Relaxed));
            registry.register(
                "kandas_audit_commits",
                "Commits of the audit group writer (reads and failed calls); events / commits is the batch size",
                load(&counts.batches),
            );
            registry.register(
                "kandas_audit_events",
                "Audit events written by the group writer",
                load(&counts.events),
            );
            registry.register(
                "kandas_audit_failed_commits",
                "Group commits that failed; their events were then written one by one, and a call was refused only if its own event failed",
                load(&counts.failed_batches),
            );
            let evidence = audit.evidence();
            registry.register(
                "kandas_audit_refused_events",
                "Audit events the sealer refused to seal because their tag was missing or wrong: rows the service did not write",
                ConstCounter::new(evidence.refused()),
            );
            let stopped = evidence.keeper.stopped();
            registry.register(
                "kandas_audit_signing_stopped",
                "1 once the audit log contradicted a head this replica signed: it signs no more heads",
                ConstGauge::new(i64::from(stopped.is_some())),
            );
            registry.register(
                "kandas_audit_contradiction_sequence",
                "The first bad position of the audit log found when signing stopped; 0 while signing",
                ConstGauge::new(stopped.map(|c| c.first_bad).unwrap_or(0)),
            );
            if audit.evidence().signer.is_some() {
                stored::register_signing(&self.pool, &mut registry).await;
            }
        }
        let size = i64::from(self.pool.size());
        let idle = self.pool.num_idle() as i64;
        let connections = Family::<PoolLabels, Gauge>::default();
        connections
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle);
        connections
            .get_or_create(&PoolLabels { state: "used" })
            .set((size - idle).max(0));
        registry.register(
            "kandas_db_pool_connections",
            "PostgreSQL connections open in the pool, idle or used",
            connections,
        );
        registry.register(
            "kandas_db_pool_max",
            "Most PostgreSQL connections the pool opens",
            ConstGauge::new(i64::from(self.pool.options().get_max_connections())),
        );
        if let Some((remaining, places)) = self.quota_places().await {
            registry.register(
                "kandas_quota_places_remaining",
                "Places of a regional quota not yet taken",
                remaining,
            );
            registry.register(
                "kandas_quota_places",
                "Places a regional quota has, taken or not",
                places,
            );
        }
        stored::register_overdue(&self.pool, self.clock, &mut registry).await;
        if let Some(restarts) = &self.database_restarts {
            registry.register(
                "kandas_database_restarts",
                "Restarts of the private PostgreSQL cluster after it exited unexpectedly",
                ConstCounter::new(restarts.load(Ordering::Relaxed)),
            );
        }
        if let Some(streams) = &self.record_streams {
            let load =
                |g: &std::sync::atomic::AtomicI64| ConstGauge::new(g.load(Ordering::Relaxed));
            registry.register(
                "kandas_record_feed_streams",
                "Record event streams open on this replica",
                load(&streams.open),
            );
            registry.register(
                "kandas_record_feed_buffered_events",
                "Record events this replica's streams have read and the transport has not taken yet",
                load(&streams.buffered),
            );
        }
        if let Some(streams) = &self.notification_streams {
            let load =
                |g: &std::sync::atomic::AtomicI64| ConstGauge::new(g.load(Ordering::Relaxed));
            registry.register(
                "kandas_notification_streams",
                "Notification streams open on this replica",
                load(&streams.open),
            );
            registry.register(
                "kandas_notification_buffered",
                "Notifications this replica's streams have read and the transport has not taken yet",
                load(&streams.buffered),
            );
        }
        self.record_feed(&mut registry).await;
        let erased = crate::store::retention::erased_count(&self.pool);
        match tokio::time::timeout(QUOTA_QUERY_TIMEOUT, erased).await {
            Ok(Ok(erased)) => {
                registry.register(
                    "kandas_retention_erased_applications",
                    "Kandas status applications whose documents retention erased, on all replicas",
                    ConstGauge::new(erased),
                );
            }
            _ => tracing::debug!("metrics: retention count not read; left out of this scrape"),
        }
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }

    /// The feed's head and each subscriber's lag behind it; left out of the scrape when the
    /// database does not answer in time.
    async fn record_feed(&self, registry: &mut Registry) {
        let lags = crate::store::record_events::lags(&self.pool, MAX_SUBSCRIBER_SERIES);
        let Ok(Ok((head, lags))) = tokio::time::timeout(QUOTA_QUERY_TIMEOUT, lags).await else {
            tracing::debug!("metrics: record feed not read; left out of this scrape");
            return;
        };
        registry.register(
            "kandas_record_feed_head",
            "The last position of the record event feed, on all replicas",
            ConstGauge::new(head),
        );
        let family = Family::<SubscriberLabels, Gauge>::default();
        for (organisation, lag) in lags {
            family
                .get_or_create(&SubscriberLabels { organisation })
                .set(lag);
        }
        registry.register(
            "kandas_record_feed_lag",
            "Record feed positions committed after the one a registry acknowledged",
            family,
        );
    }

    /// The remaining places of every quota and the places it has, or `None` when the database
    /// does not answer in time (the families are then left out of this scrape).
    async fn quota_places(
        &self,
    ) -> Option<(Family<QuotaLabels, Gauge>, Family<QuotaLabels, Gauge>)> {
        let query = sqlx::query!(
            r#"SELECT region, year, places - taken AS "remaining!", places
               FROM quotas ORDER BY year, region LIMIT $1"#,
            MAX_QUOTA_SERIES
        )
        .fetch_all(&self.pool);
        let rows = match tokio::time::timeout(QUOTA_QUERY_TIMEOUT, query).await {
            Ok(Ok(rows)) => rows,
            Ok(Err(error)) => {
                tracing::debug!(%error, "metrics: quotas not read; left out of this scrape");
                return None;
            }
            Err(_) => {
                tracing::debug!("metrics: quota query timed out; left out of this scrape");
                return None;
            }
        };
        let remaining = Family::<QuotaLabels, Gauge>::default();
        let places = Family::<QuotaLabels, Gauge>::default();
        for row in rows {
            let labels = QuotaLabels {
                region: row.region,
                year: row.year,
            };
            remaining
                .get_or_create(&labels)
                .set(i64::from(row.remaining));
            places.get_or_create(&labels).set(i64::from(row.places));
        }
        Some((remaining, places))
    }
}

/// What load shedding refused, and each organisation's calls and refusals over its share.
fn register_shed(shed: &ShedLayer, registry: &mut Registry) {
    let counts = shed.counts();
    let over_share: u64 = counts.organisations.iter().map(|(_, _, over)| over).sum();
    let refused = Family::<ShedLabels, Counter>::default();
    for (reason, count) in [
        ("server_overloaded", counts.overloaded),
        ("organisation_over_share", over_share),
    ] {
        refused.get_or_create(&ShedLabels { reason }).inc_by(count);
    }
    registry.register(
        "kandas_rpc_shed",
        "Calls refused RESOURCE_EXHAUSTED by load shedding, by reason: server_overloaded (SERVER_OVERLOADED) or organisation_over_share (ORGANISATION_OVER_SHARE)",
        refused,
    );
    let calls = Family::<OrganisationLabels, Counter>::default();
    let over = Family::<OrganisationLabels, Counter>::default();
    for (organisation, called, refused) in counts.organisations {
        let labels = OrganisationLabels { organisation };
        calls.get_or_create(&labels).inc_by(called);
        over.get_or_create(&labels).inc_by(refused);
    }
    registry.register(
        "kandas_organisation_calls",
        "API calls by calling organisation that came for a place of its share: served, or refused over it (not those refused SERVER_OVERLOADED at once; health and reflection not counted)",
        calls,
    );
    registry.register(
        "kandas_organisation_over_share",
        "Calls refused ORGANISATION_OVER_SHARE by calling organisation: it kept its share of concurrent calls busy for the whole wait",
        over,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "/kandas.v1.PersonService/ValidateIin";

    fn encoded(metrics: &Metrics) -> String {
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        out
    }

    #[test]
    fn calls_are_counted_by_method_and_code_and_timed_in_buckets() {
        let metrics = Metrics::new();
        let path = "/kandas.v1.PersonService/ValidateIin";
        metrics.record(path, Code::Ok, Duration::from_millis(3));
        metrics.record(path, Code::Ok, Duration::from_secs(20));
        metrics.record(path, Code::InvalidArgument, Duration::from_micros(10));
        metrics.record("/evil/\"path\"", Code::Unimplemented, Duration::ZERO);
        let out = encoded(&metrics);
        let m = "kandas.v1.PersonService/ValidateIin";
        for line in [
            format!("kandas_rpc_requests_total{{method=\"{m}\",code=\"OK\"}} 2"),
            format!("kandas_rpc_requests_total{{method=\"{m}\",code=\"INVALID_ARGUMENT\"}} 1"),
            "kandas_rpc_requests_total{method=\"other\",code=\"UNIMPLEMENTED\"} 1".to_string(),
            format!("kandas_rpc_duration_seconds_bucket{{le=\"0.001\",method=\"{m}\"}} 1"),
            format!("kandas_rpc_duration_seconds_bucket{{le=\"0.005\",method=\"{m}\"}} 2"),
            format!("kandas_rpc_duration_seconds_bucket{{le=\"10.0\",method=\"{m}\"}} 2"),
            format!("kandas_rpc_duration_seconds_bucket{{le=\"+Inf\",method=\"{m}\"}} 3"),
            format!("kandas_rpc_duration_seconds_count{{method=\"{m}\"}} 3"),
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line} in\n{out}");
        }
        assert!(!out.contains("GetPerson"), "untouched series are not shown");
        assert!(!out.contains("evil"), "unknown paths are counted as other");
    }

    #[test]
    fn a_malformed_request_is_counted_apart_from_the_servers_own_faults() {
        let metrics = Metrics::new();
        let m = "kandas.v1.PersonService/ValidateIin";
        let compressed = Some(Malformed::CompressedWithoutEncoding);
        metrics.record_fault(&M[1..], Code::Internal, compressed);
        metrics.record_fault(&M[1..], Code::InvalidArgument, Some(Malformed::Truncated));
        metrics.record_fault(&M[1..], Code::Internal, None);
        metrics.record_fault(&M[1..], Code::InvalidArgument, None);
        let out = encoded(&metrics);
        for line in [
            format!(
                "kandas_rpc_malformed_requests_total{{method=\"{m}\",kind=\"compressed_without_encoding\"}} 1"
            ),
            format!(
                "kandas_rpc_malformed_requests_total{{method=\"{m}\",kind=\"truncated_frame\"}} 1"
            ),
            format!("kandas_rpc_server_errors_total{{method=\"{m}\",code=\"INTERNAL\"}} 1"),
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line} in\n{out}");
        }
        assert!(!out.contains("code=\"INVALID_ARGUMENT\""), "{out}");
    }
}
