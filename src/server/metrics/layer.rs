//! The tower layer timing and counting every gRPC call, outermost, so calls refused by
//! authorization or load shedding are counted too. It also opens the call's trace span
//! (`crate::telemetry::traces`), under which authorization names the caller and the handler's
//! database steps run, and closes it with the same code the metrics count.
//!
//! The code is the response's `grpc-status`: in the headers of a trailers-only response (every
//! error tonic sends for a unary call), otherwise in the trailers, which the layer observes by
//! wrapping the body. A call whose response never ends (the client went away, the stream was
//! reset) is counted as `CANCELLED`. The duration runs until the status is known, so a
//! `WatchQuotaDecisions` stream is timed for its whole life.
//!
//! A call refused for its malformed framing (`crate::server::request_body`) is counted apart,
//! by kind, whatever its code; the server's own faults (`INTERNAL`, `UNKNOWN`, `DATA_LOSS`
//! that are not such a refusal) are counted apart too, for alerting.

use super::Metrics;
use crate::server::request_body::MalformedNote;
use crate::telemetry::traces;
use futures_util::future::BoxFuture;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tonic::Code;
use tracing::Instrument;

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
    method: &'static str,
    start: Instant,
    span: tracing::Span,
    /// Set by the request body when the client's framing was wrong.
    malformed: MalformedNote,
    done: bool,
}

impl CallRecord {
    fn finish(&mut self, code: Code) {
        if !self.done {
            self.done = true;
            self.metrics
                .record_method(self.method, code, self.start.elapsed());
            self.metrics
                .record_fault(self.method, code, self.malformed.kind());
            traces::record_code(&self.span, code);
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

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let method = Metrics::method_label(request.uri().path());
        let span = traces::call_span(method, request.headers());
        let malformed = MalformedNote::default();
        request.extensions_mut().insert(malformed.clone());
        let mut record = CallRecord {
            method,
            metrics: self.metrics.clone(),
            start: Instant::now(),
            span: span.clone(),
            malformed,
            done: false,
        };
        // The clone that was polled ready is the one that must be called.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        // Inside the span, so authorization can name the caller on it and the handler's work
        // runs as its children.
        let future = span.in_scope(|| ready.call(request)).instrument(span);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_call_counts_as_cancelled() {
        let metrics = Arc::new(Metrics::new());
        let method = Metrics::method_label("/kandas.v1.QuotaService/WatchQuotaDecisions");
        drop(CallRecord {
            method,
            metrics: metrics.clone(),
            start: Instant::now(),
            span: tracing::Span::none(),
            malformed: MalformedNote::default(),
            done: false,
        });
        let mut registry = prometheus_client::registry::Registry::default();
        metrics.register(&mut registry);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        assert!(out.contains(
            "kandas_rpc_requests_total{method=\"kandas.v1.QuotaService/WatchQuotaDecisions\",code=\"CANCELLED\"} 1"
        ));
    }
}
