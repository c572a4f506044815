//! Prometheus metrics on a separate plain-HTTP port (`GET /metrics`, text format 0.0.4).
//!
//! - `kandas_rpc_requests_total{method,code}` and `kandas_rpc_duration_seconds{method}` are
//!   recorded by [`MetricsLayer`] around every gRPC call, outermost, so calls refused by
//!   authorization or load shedding are counted too. The code is the response's
//!   `grpc-status`: in the headers of a trailers-only response (every error tonic sends for a
//!   unary call), otherwise in the trailers, which the layer observes by wrapping the body. A
//!   call whose response never ends (the client went away, the stream was reset) is counted as
//!   `CANCELLED`. The duration runs until the status is known, so a `WatchQuotaDecisions`
//!   stream is timed for its whole life.
//! - `kandas_rpc_in_flight` and `kandas_rpc_concurrency_limit`: calls holding a place under
//!   load shedding, and the limit.
//! - `kandas_db_pool_connections{state="idle"|"used"}` and `kandas_db_pool_max`, read from the
//!   pool at scrape time.
//! - `kandas_audit_commits_total`, `kandas_audit_events_total` and
//!   `kandas_audit_failed_commits_total`: the group writer of read and failure audit events.
//! - `kandas_quota_places_remaining{region,year}`, read from `quotas` at scrape time (at most
//!   [`MAX_QUOTA_SERIES`] rows, within [`QUOTA_QUERY_TIMEOUT`]); when the database cannot
//!   answer, the family is left out of that scrape and the rest is still served.
//!
//! The registry is hand-written with atomics: the label sets are fixed (every RPC the server
//! knows, plus `other` for any other path, times the 17 gRPC codes), so a client cannot grow it.

use crate::server::shed::ShedLayer;
use futures_util::future::BoxFuture;
use sqlx::PgPool;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tonic::Code;

/// Upper bounds of the duration histogram, in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const BUCKET_LABELS: [&str; 13] = [
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
    "10",
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

/// The `method` label of any path the server does not serve.
const OTHER_METHOD: &str = "other";

/// Most quota rows exported in one scrape.
pub const MAX_QUOTA_SERIES: i64 = 1000;
/// How long a scrape waits for the quota query.
pub const QUOTA_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Counters and histogram of one RPC.
struct MethodSeries {
    /// Label value: the full method without the leading slash, e.g.
    /// `kandas.v1.PersonService/ValidateIin`.
    label: &'static str,
    codes: [AtomicU64; 17],
    /// Per bucket (not cumulative), the last slot for durations above every bound.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl MethodSeries {
    fn new(label: &'static str) -> MethodSeries {
        MethodSeries {
            label,
            codes: std::array::from_fn(|_| AtomicU64::new(0)),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn record(&self, code: Code, elapsed: Duration) {
        let code = (code as usize).min(CODE_NAMES.len() - 1);
        self.codes[code].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// The registry of call metrics, shared by every connection.
pub struct Metrics {
    series: Vec<MethodSeries>,
    index: HashMap<&'static str, usize>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let paths = crate::server::auth::KANDAS_METHODS
            .iter()
            .chain(INFRASTRUCTURE_METHODS.iter());
        let mut series = Vec::new();
        let mut index = HashMap::new();
        for path in paths {
            index.insert(*path, series.len());
            series.push(MethodSeries::new(&path[1..]));
        }
        series.push(MethodSeries::new(OTHER_METHOD));
        Metrics { series, index }
    }

    fn method_index(&self, path: &str) -> usize {
        self.index
            .get(path)
            .copied()
            .unwrap_or(self.series.len() - 1)
    }

    /// Records one finished call of `path`.
    pub fn record(&self, path: &str, code: Code, elapsed: Duration) {
        self.series[self.method_index(path)].record(code, elapsed);
    }

    /// The RPC families in the text format (only series that have seen a call).
    pub fn render_rpc(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP kandas_rpc_requests_total gRPC calls finished, by method and status code."
        );
        let _ = writeln!(out, "# TYPE kandas_rpc_requests_total counter");
        for series in &self.series {
            for (code, count) in series.codes.iter().enumerate() {
                let count = count.load(Ordering::Relaxed);
                if count > 0 {
                    let _ = writeln!(
                        out,
                        "kandas_rpc_requests_total{{method=\"{}\",code=\"{}\"}} {count}",
                        escape_label(series.label),
                        CODE_NAMES[code]
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP kandas_rpc_duration_seconds Time from a call's arrival to its status, by method."
        );
        let _ = writeln!(out, "# TYPE kandas_rpc_duration_seconds histogram");
        for series in &self.series {
            let counts: Vec<u64> = series
                .buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect();
            let total: u64 = counts.iter().sum();
            if total == 0 {
                continue;
            }
            let method = escape_label(series.label);
            let mut cumulative = 0;
            for (bound, count) in BUCKET_LABELS.iter().zip(&counts) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "kandas_rpc_duration_seconds_bucket{{method=\"{method}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "kandas_rpc_duration_seconds_bucket{{method=\"{method}\",le=\"+Inf\"}} {total}"
            );
            let sum = series.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(
                out,
                "kandas_rpc_duration_seconds_sum{{method=\"{method}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "kandas_rpc_duration_seconds_count{{method=\"{method}\"}} {total}"
            );
        }
    }
}

/// Escapes a label value for the text format: backslash, double quote and line feed.
pub fn escape_label(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// What a scrape reads besides the call metrics.
#[derive(Clone)]
pub struct Sources {
    pub metrics: Arc<Metrics>,
    pub pool: PgPool,
    pub shed: Option<ShedLayer>,
    pub audit: Option<crate::audit::AuditWriter>,
}

impl Sources {
    /// The whole exposition, reading the pool and the quotas now.
    pub async fn render(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        self.metrics.render_rpc(&mut out);
        if let Some(shed) = &self.shed {
            gauge(
                &mut out,
                "kandas_rpc_in_flight",
                "Calls holding a place under load shedding now.",
                &[("", shed.in_flight() as u64)],
            );
            gauge(
                &mut out,
                "kandas_rpc_concurrency_limit",
                "Calls served at once before new ones are refused SERVER_OVERLOADED.",
                &[("", shed.limit() as u64)],
            );
        }
        if let Some(audit) = &self.audit {
            let counts = audit.counts();
            let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
            counter(
                &mut out,
                "kandas_audit_commits_total",
                "Commits of the audit group writer (reads and failed calls); events / commits is the batch size.",
                load(&counts.batches),
            );
            counter(
                &mut out,
                "kandas_audit_events_total",
                "Audit events written by the group writer.",
                load(&counts.events),
            );
            counter(
                &mut out,
                "kandas_audit_failed_commits_total",
                "Group commits that failed; their events were then written one by one, and a call was refused only if its own event failed.",
                load(&counts.failed_batches),
            );
        }
        let size = u64::from(self.pool.size());
        let idle = self.pool.num_idle() as u64;
        gauge(
            &mut out,
            "kandas_db_pool_connections",
            "PostgreSQL connections open in the pool, idle or used.",
            &[
                ("state=\"idle\"", idle),
                ("state=\"used\"", size.saturating_sub(idle)),
            ],
        );
        gauge(
            &mut out,
            "kandas_db_pool_max",
            "Most PostgreSQL connections the pool opens.",
            &[("", u64::from(self.pool.options().get_max_connections()))],
        );
        let query = sqlx::query_as::<_, (String, i32, i32)>(
            "SELECT region, year, places - taken FROM quotas ORDER BY year, region LIMIT $1",
        )
        .bind(MAX_QUOTA_SERIES)
        .fetch_all(&self.pool);
        match tokio::time::timeout(QUOTA_QUERY_TIMEOUT, query).await {
            Ok(Ok(rows)) => {
                let _ = writeln!(
                    out,
                    "# HELP kandas_quota_places_remaining Places of a regional quota not yet taken."
                );
                let _ = writeln!(out, "# TYPE kandas_quota_places_remaining gauge");
                for (region, year, remaining) in rows {
                    let _ = writeln!(
                        out,
                        "kandas_quota_places_remaining{{region=\"{}\",year=\"{year}\"}} {remaining}",
                        escape_label(&region)
                    );
                }
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "metrics: quotas not read; left out of this scrape");
            }
            Err(_) => tracing::debug!("metrics: quota query timed out; left out of this scrape"),
        }
        out
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name} {value}");
}

fn gauge(out: &mut String, name: &str, help: &str, samples: &[(&str, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The tower layer.

/// Tower layer recording every call into [`Metrics`].
#[derive(Clone)]
pub struct MetricsLayer {
    metrics: Arc<Metrics>,
}

impl MetricsLayer {
    pub fn new(metrics: Arc<Metrics>) -> MetricsLayer {
        MetricsLayer { metrics }
    }
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Clone)]
pub struct MetricsService<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

/// One call being timed; recorded exactly once: with its status, or as `CANCELLED` when it is
/// dropped before the status is known.
struct CallRecord {
    metrics: Arc<Metrics>,
    method: usize,
    start: Instant,
    done: bool,
}

impl CallRecord {
    fn finish(&mut self, code: Code) {
        if !self.done {
            self.done = true;
            self.metrics.series[self.method].record(code, self.start.elapsed());
        }
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        self.finish(Code::Cancelled);
    }
}

/// The code a `grpc-status` value names; a malformed one is `UNKNOWN`.
fn status_code(value: &http::HeaderValue) -> Code {
    value
        .to_str()
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from_i32)
        .unwrap_or(Code::Unknown)
}

impl<S, B> tower::Service<http::Request<B>> for MetricsService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let mut record = CallRecord {
            method: self.metrics.method_index(request.uri().path()),
            metrics: self.metrics.clone(),
            start: Instant::now(),
            done: false,
        };
        // The clone that was polled ready is the one that must be called.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        let future = ready.call(request);
        Box::pin(async move {
            let response = match future.await {
                Ok(response) => response,
                Err(error) => {
                    record.finish(Code::Unknown);
                    return Err(error);
                }
            };
            // Trailers-only: the status is in the headers and the body is empty.
            if let Some(value) = response.headers().get("grpc-status") {
                record.finish(status_code(value));
                return Ok(response);
            }
            Ok(response.map(|body| {
                if http_body::Body::is_end_stream(&body) {
                    // A gRPC response with no status at all.
                    record.finish(Code::Unknown);
                    body
                } else {
                    tonic::body::Body::new(ObservedBody {
                        inner: body,
                        record,
                    })
                }
            }))
        })
    }
}

/// A response body that records its call when the trailers (or an error, or the end) pass.
struct ObservedBody {
    inner: tonic::body::Body,
    record: CallRecord,
}

impl http_body::Body for ObservedBody {
    type Data = <tonic::body::Body as http_body::Body>::Data;
    type Error = <tonic::body::Body as http_body::Body>::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let code = trailers
                        .get("grpc-status")
                        .map(status_code)
                        .unwrap_or(Code::Unknown);
                    this.record.finish(code);
                }
            }
            Poll::Ready(Some(Err(status))) => this.record.finish(status.code()),
            Poll::Ready(None) => this.record.finish(Code::Unknown),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

// ---------------------------------------------------------------------------------------------
// The HTTP endpoint.

/// Largest request head read from a scraper.
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// Longest a scrape connection may stay open, reading and answering.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);
/// Scrape connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 32;

/// Serves `GET /metrics` on `listener` until the task is dropped or aborted (which also ends
/// every open scrape connection).
pub async fn serve(listener: TcpListener, sources: Sources) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "metrics: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "metrics: too many scrape connections; closing one");
            continue;
        };
        let sources = sources.clone();
        connections.spawn(async move {
            let _slot = slot;
            if tokio::time::timeout(CONNECTION_TIMEOUT, answer(stream, &sources))
                .await
                .is_err()
            {
                tracing::debug!(%peer, "metrics: scrape connection timed out");
            }
        });
    }
}

/// Binds the metrics address (port 0 picks a free one).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Reads one request head and answers it; the connection is then closed.
async fn answer(mut stream: TcpStream, sources: &Sources) {
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 1024];
    let complete = loop {
        if let Some(end) = find_head_end(&head) {
            head.truncate(end);
            break true;
        }
        if head.len() >= MAX_REQUEST_HEAD {
            break false;
        }
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    };
    let response = if complete {
        match route(&head) {
            Route::Metrics { head_only } => {
                let body = sources.render().await;
                http_response(
                    "200 OK",
                    "text/plain; version=0.0.4; charset=utf-8",
                    &body,
                    head_only,
                    "",
                )
            }
            Route::NotFound => http_response("404 Not Found", TEXT, "not found\n", false, ""),
            Route::MethodNotAllowed => http_response(
                "405 Method Not Allowed",
                TEXT,
                "only GET\n",
                false,
                "Allow: GET, HEAD\r\n",
            ),
            Route::BadRequest => http_response("400 Bad Request", TEXT, "bad request\n", false, ""),
        }
    } else {
        http_response(
            "431 Request Header Fields Too Large",
            TEXT,
            "request head too large\n",
            false,
            "",
        )
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

const TEXT: &str = "text/plain; charset=utf-8";

#[derive(Debug, PartialEq, Eq)]
enum Route {
    Metrics { head_only: bool },
    NotFound,
    MethodNotAllowed,
    BadRequest,
}

/// The end of the request head (before the blank line), if it has arrived.
fn find_head_end(data: &[u8]) -> Option<usize> {
    let crlf = data.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = data.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Routes a request by its request line.
fn route(head: &[u8]) -> Route {
    let Ok(head) = std::str::from_utf8(head) else {
        return Route::BadRequest;
    };
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Route::BadRequest;
    }
    let path = target.split('?').next().unwrap_or(target);
    if path != "/metrics" {
        return Route::NotFound;
    }
    match method {
        "GET" => Route::Metrics { head_only: false },
        "HEAD" => Route::Metrics { head_only: true },
        _ => Route::MethodNotAllowed,
    }
}

fn http_response(
    status: &str,
    content_type: &str,
    body: &str,
    head_only: bool,
    extra_headers: &str,
) -> String {
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra_headers}Connection: close\r\n\r\n",
        body.len()
    );
    if !head_only {
        response.push_str(body);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label("line\nbreak"), "line\\nbreak");
        assert_eq!(escape_label("KZ-55"), "KZ-55");
    }

    #[test]
    fn only_get_metrics_is_served() {
        assert_eq!(
            route(b"GET /metrics HTTP/1.1\r\nHost: x"),
            Route::Metrics { head_only: false }
        );
        assert_eq!(
            route(b"GET /metrics?x=1 HTTP/1.0"),
            Route::Metrics { head_only: false }
        );
        assert_eq!(
            route(b"HEAD /metrics HTTP/1.1"),
            Route::Metrics { head_only: true }
        );
        assert_eq!(route(b"GET / HTTP/1.1"), Route::NotFound);
        assert_eq!(route(b"GET /metricsx HTTP/1.1"), Route::NotFound);
        assert_eq!(route(b"POST /metrics HTTP/1.1"), Route::MethodNotAllowed);
        assert_eq!(route(b"GET /metrics"), Route::BadRequest);
        assert_eq!(route(b"GET /metrics SPDY/3"), Route::BadRequest);
        assert_eq!(route(b"\xff\xfe /metrics HTTP/1.1"), Route::BadRequest);
        assert_eq!(route(b""), Route::BadRequest);
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(14));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\n\n"), Some(14));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn calls_are_counted_by_method_and_code_and_timed_in_buckets() {
        let metrics = Metrics::new();
        let path = "/kandas.v1.PersonService/ValidateIin";
        metrics.record(path, Code::Ok, Duration::from_millis(3));
        metrics.record(path, Code::Ok, Duration::from_secs(20));
        metrics.record(path, Code::InvalidArgument, Duration::from_micros(10));
        metrics.record("/evil/\"path\"", Code::Unimplemented, Duration::ZERO);
        let mut out = String::new();
        metrics.render_rpc(&mut out);
        let m = "kandas.v1.PersonService/ValidateIin";
        for line in [
            format!("kandas_rpc_requests_total{{method=\"{m}\",code=\"OK\"}} 2"),
            format!("kandas_rpc_requests_total{{method=\"{m}\",code=\"INVALID_ARGUMENT\"}} 1"),
            "kandas_rpc_requests_total{method=\"other\",code=\"UNIMPLEMENTED\"} 1".to_string(),
            format!("kandas_rpc_duration_seconds_bucket{{method=\"{m}\",le=\"0.001\"}} 1"),
            format!("kandas_rpc_duration_seconds_bucket{{method=\"{m}\",le=\"0.005\"}} 2"),
            format!("kandas_rpc_duration_seconds_bucket{{method=\"{m}\",le=\"10\"}} 2"),
            format!("kandas_rpc_duration_seconds_bucket{{method=\"{m}\",le=\"+Inf\"}} 3"),
            format!("kandas_rpc_duration_seconds_count{{method=\"{m}\"}} 3"),
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line} in\n{out}");
        }
        assert!(!out.contains("GetPerson"), "untouched series are not shown");
    }

    #[test]
    fn a_dropped_call_counts_as_cancelled() {
        let metrics = Arc::new(Metrics::new());
        let record = CallRecord {
            method: metrics.method_index("/kandas.v1.QuotaService/WatchQuotaDecisions"),
            metrics: metrics.clone(),
            start: Instant::now(),
            done: false,
        };
        drop(record);
        let mut out = String::new();
        metrics.render_rpc(&mut out);
        assert!(out.contains(
            "kandas_rpc_requests_total{method=\"kandas.v1.QuotaService/WatchQuotaDecisions\",code=\"CANCELLED\"} 1"
        ));
    }
}
