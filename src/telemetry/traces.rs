//! Traces: a span per call and a child span per database step, exported over OTLP/gRPC when
//! `KANDAS_OTLP_ENDPOINT` names a collector.
//!
//! What leaves the process is only what a span names: the RPC, its gRPC code, the caller's role
//! and organisation, and which store function ran. No log event is exported (the export takes
//! spans alone), and no span records any part of a request, so no IIN, name or document number
//! can reach a collector. A caller's W3C `traceparent` header makes the call a child of the
//! caller's trace, so a slow call can be followed from the front office into the database.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use tonic::Code;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The `service.name` spans are exported under.
pub const SERVICE_NAME: &str = "kandas";

/// The OTLP exporter; [`Exporter::finish`] sends what is still buffered.
pub struct Exporter {
    provider: SdkTracerProvider,
}

impl Exporter {
    /// Starts exporting to `endpoint` (e.g. `http://collector:4317`). Must run inside the Tokio
    /// runtime: the OTLP client is a tonic channel on it. Nothing is sent until the first span
    /// ends, so a collector that is down delays no start; its spans are dropped, not queued
    /// without bound.
    pub fn start(endpoint: &str) -> anyhow::Result<(Exporter, Tracer)> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(Resource::builder().with_service_name(SERVICE_NAME).build())
            .build();
        let tracer = provider.tracer(SERVICE_NAME);
        Ok((Exporter { provider }, tracer))
    }

    /// Exports the spans still buffered and stops; waits at most the exporter's timeout.
    pub async fn finish(self) {
        let provider = self.provider;
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(error)) = flushed {
            tracing::warn!(%error, "the last spans could not be exported");
        }
    }
}

/// Reads W3C trace context from request headers.
struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// The span of one call to `method` (a bounded label, never a path a client made up),
/// at debug level: it costs nothing while neither an exporter nor a debug log wants it,
/// continuing the caller's trace when the headers carry a `traceparent`. Role and organisation
/// are filled in by authorization ([`record_caller`]), the code when the call ends
/// ([`record_code`]).
pub fn call_span(method: &'static str, headers: &http::HeaderMap) -> tracing::Span {
    let (service, name) = method.split_once('/').unwrap_or((method, ""));
    let span = tracing::debug_span!(
        target: "kandas::rpc",
        "rpc",
        otel.name = method,
        otel.kind = "server",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = name,
        rpc.grpc.status_code = Empty,
        kandas.role = Empty,
        kandas.organisation = Empty,
    );
    // A span no layer wants (no exporter, no debug log) has no trace to join: the headers are
    // not even read.
    if !span.is_disabled() {
        let parent = TraceContextPropagator::new().extract(&Headers(headers));
        // Without an exporter there is no OpenTelemetry context to join; nothing is lost.
        let _ = span.set_parent(parent);
    }
    span
}

/// Names the authorized caller on the current call's span.
pub fn record_caller(role: &str, organisation: &str) {
    let span = tracing::Span::current();
    span.record("kandas.role", role);
    span.record("kandas.organisation", organisation);
}

/// Records how the call ended. Per OpenTelemetry's conventions for gRPC servers, only codes
/// that say the server failed mark the span as an error; a refusal of bad input is the
/// service working.
pub fn record_code(span: &tracing::Span, code: Code) {
    span.record("rpc.grpc.status_code", code as i64);
    if matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    ) {
        span.record("otel.status_code", "ERROR");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_context_is_read_from_a_traceparent_header() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            http::HeaderValue::from_static(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        );
        let context = TraceContextPropagator::new().extract(&Headers(&headers));
        use opentelemetry::trace::TraceContextExt;
        let remote = context.span().span_context().clone();
        assert!(remote.is_valid() && remote.is_remote());
        assert_eq!(
            remote.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(remote.span_id().to_string(), "00f067aa0ba902b7");

        let none = TraceContextPropagator::new().extract(&Headers(&http::HeaderMap::new()));
        assert!(!none.span().span_context().is_valid());
    }
}
