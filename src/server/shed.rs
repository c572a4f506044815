//! Our own layer rather than tower's `ConcurrencyLimit` with `LoadShed`: those give a place
//! back as soon as the response headers are out, so a `WatchQuotaDecisions` stream would hold
//! none for its whole life; `LoadShed` refuses with a tower error rather than a gRPC status;
//! and they would count health checks and reflection too.
//!
//! Load shedding: at most `max_concurrent_requests` calls are served at once, and a call that
//! finds no free place is refused at once with `RESOURCE_EXHAUSTED` (reason
//! `SERVER_OVERLOADED`) instead of queueing behind the others. Under overload a fast, explicit
//! refusal lets clients back off and retry (with the same `request_id`) while the calls already
//! admitted still finish within their deadlines; a queue would only make every call late.
//!
//! A place is taken when the call is admitted and given back when its response body ends (or
//! the client goes away), so a call counts for as long as it occupies the server, not only
//! while its handler future runs.
//!
//! `WatchQuotaDecisions` streams count too, for their whole life: each open feed holds a
//! PostgreSQL connection (its `LISTEN`) and a task, so leaving them out would let watchers
//! exhaust the database pool with the limit never reached. Health checks (`grpc.health.v1`,
//! including `Health/Watch`) and server reflection are never shed: an orchestrator must be able
//! to see an overloaded replica as alive, and neither touches the database.

use crate::error::ApiError;
use futures_util::future::BoxFuture;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reason of the `ErrorInfo` sent with a shed call.
pub const OVERLOADED_REASON: &str = "SERVER_OVERLOADED";

/// RPC paths that are never shed.
pub fn never_shed(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/")
        || path.starts_with("/grpc.reflection.v1.ServerReflection/")
        || path.starts_with("/grpc.reflection.v1alpha.ServerReflection/")
}

/// Tower layer admitting at most `limit` concurrent calls. Clones share the one limit (the
/// server applies the layer once per connection).
#[derive(Debug, Clone)]
pub struct ShedLayer {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl ShedLayer {
    pub fn new(limit: usize) -> ShedLayer {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        ShedLayer {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Calls holding a place now.
    pub fn in_flight(&self) -> usize {
        self.limit.saturating_sub(self.permits.available_permits())
    }
}

impl<S> tower::Layer<S> for ShedLayer {
    type Service = ShedService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ShedService {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ShedService<S> {
    inner: S,
    layer: ShedLayer,
}

/// The refusal, through the one error model.
pub fn overloaded(limit: usize) -> ApiError {
    ApiError::ResourceExhausted {
        reason: OVERLOADED_REASON,
        message: format!(
            "the server is serving its limit of {limit} concurrent calls; retry with backoff (and the same request_id)"
        ),
        violations: vec![(
            "kandas:concurrent_requests".to_string(),
            format!("at most {limit} calls are served at once"),
        )],
    }
}

impl<S, B> tower::Service<http::Request<B>> for ShedService<S>
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
        let permit = if never_shed(request.uri().path()) {
            None
        } else {
            match self.layer.permits.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    tracing::debug!(method = %request.uri().path(), "call shed: server overloaded");
                    let status: tonic::Status = overloaded(self.layer.limit).into();
                    return Box::pin(async move { Ok(status.into_http()) });
                }
            }
        };
        // The clone that was polled ready is the one that must be called.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        let future = ready.call(request);
        Box::pin(async move {
            // Dropping this future (the client went away) drops the permit with it.
            let response = future.await?;
            Ok(match permit {
                None => response,
                Some(permit) => response.map(|body| {
                    if http_body::Body::is_end_stream(&body) {
                        body
                    } else {
                        tonic::body::Body::new(PermitBody {
                            inner: body,
                            permit: Some(permit),
                        })
                    }
                }),
            })
        })
    }
}

/// A response body that holds its call's place until the last frame (or until dropped).
struct PermitBody {
    inner: tonic::body::Body,
    permit: Option<OwnedSemaphorePermit>,
}

impl http_body::Body for PermitBody {
    type Data = <tonic::body::Body as http_body::Body>::Data;
    type Error = <tonic::body::Body as http_body::Body>::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        let finished = match &polled {
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => true,
            Poll::Ready(Some(Ok(frame))) => frame.is_trailers(),
            Poll::Pending => false,
        };
        if finished {
            this.permit = None;
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
    fn health_and_reflection_are_never_shed_and_the_api_is() {
        assert!(never_shed("/grpc.health.v1.Health/Check"));
        assert!(never_shed("/grpc.health.v1.Health/Watch"));
        assert!(never_shed(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
        ));
        assert!(never_shed(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
        ));
        for method in crate::server::auth::KANDAS_METHODS {
            assert!(!never_shed(method), "{method}");
        }
    }

    #[test]
    fn refusal_is_resource_exhausted_with_the_overload_reason() {
        use tonic_types::StatusExt;
        let status: tonic::Status = overloaded(2).into();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        let details = status.get_error_details();
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.reason, OVERLOADED_REASON);
        assert_eq!(info.domain, crate::error::ERROR_DOMAIN);
    }

    #[test]
    fn in_flight_counts_taken_places() {
        let layer = ShedLayer::new(2);
        let a = layer.permits.clone().try_acquire_owned().unwrap();
        let _b = layer.permits.clone().try_acquire_owned().unwrap();
        assert_eq!(layer.in_flight(), 2);
        assert!(layer.permits.clone().try_acquire_owned().is_err());
        drop(a);
        assert_eq!(layer.in_flight(), 1);
    }
}
