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
//! An organisation holds at most its share of the places. Its calls beyond the share wait, in
//! arrival order and for a bounded time, for one of its own places: only that organisation's
//! calls are ahead of them and they hold none of the server's places, so the wait slows a
//! partner that floods to its share without making anyone else late, where an immediate
//! refusal would let it spin, each refusal costing the server a call's TLS, HTTP/2 and
//! authentication.
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

use super::connections::{CallInProgress, ConnectionInfo};
use super::request_body::{ArrivingBody, Limits, MalformedNote};
use crate::domain::caller::Caller;
use crate::error::{ApiError, Reason};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::transport::server::TlsConnectInfo;

/// RPC paths that are never shed.
pub fn never_shed(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/")
        || path.starts_with("/grpc.reflection.v1.ServerReflection/")
        || path.starts_with("/grpc.reflection.v1alpha.ServerReflection/")
}

/// How many places there are, how many one organisation may hold at once, and how long a
/// call beyond its organisation's share waits for one of that organisation's own places: a
/// partner flooding the service fills its own share, waits behind itself, and the others
/// keep theirs.
#[derive(Debug, Clone, Copy)]
pub struct Shares {
    pub total: usize,
    pub per_organisation: usize,
    pub wait: Duration,
}

/// Tower layer admitting at most `limit` concurrent calls, and at most a share of them per
/// organisation. Clones share the one count (the server applies the layer once per
/// connection).
#[derive(Debug, Clone)]
pub struct ShedLayer {
    permits: Arc<Semaphore>,
    limit: usize,
    per_organisation: usize,
    wait: Duration,
    shares: Arc<Mutex<HashMap<String, Arc<Share>>>>,
    /// Calls refused SERVER_OVERLOADED.
    overloaded: Arc<AtomicU64>,
    body: Limits,
}

/// One organisation's places, and its calls as the metrics count them: counting costs a call
/// one atomic add beside the share it takes anyway, and only a refusal counts a refusal.
#[derive(Debug)]
struct Share {
    places: Arc<Semaphore>,
    /// Calls of the organisation that came for a place of its share (calls refused
    /// SERVER_OVERLOADED at once never do), served or refused over the share.
    calls: AtomicU64,
    /// Calls refused ORGANISATION_OVER_SHARE.
    over_share: AtomicU64,
}

/// What load shedding counted, for `kandas_rpc_shed_total{reason}` and the organisation
/// families; organisations by name.
#[derive(Debug, Default)]
pub struct ShedCounts {
    pub overloaded: u64,
    /// (organisation, calls, calls refused over its share), in name order.
    pub organisations: Vec<(String, u64, u64)>,
}

impl ShedLayer {
    pub fn new(shares: Shares, body: Limits) -> ShedLayer {
        let limit = shares.total.clamp(1, Semaphore::MAX_PERMITS);
        ShedLayer {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            per_organisation: shares.per_organisation.clamp(1, limit),
            wait: shares.wait,
            shares: Arc::default(),
            overloaded: Arc::default(),
            body,
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

    /// What shedding counted so far.
    pub fn counts(&self) -> ShedCounts {
        let shares = self.shares.lock().unwrap_or_else(|p| p.into_inner());
        let mut organisations: Vec<_> = shares
            .iter()
            .map(|(name, share)| {
                (
                    name.clone(),
                    share.calls.load(Ordering::Relaxed),
                    share.over_share.load(Ordering::Relaxed),
                )
            })
            .collect();
        drop(shares);
        organisations.sort_unstable();
        ShedCounts {
            overloaded: self.overloaded.load(Ordering::Relaxed),
            organisations,
        }
    }

    /// The places of `client`'s organisation, with one more call counted. Organisations are
    /// the registered partners, a bounded set, so their entries are kept.
    fn share_of(&self, client: String) -> Arc<Share> {
        let mut shares = self.shares.lock().unwrap_or_else(|p| p.into_inner());
        let share = shares.entry(client).or_insert_with(|| {
            Arc::new(Share {
                places: Arc::new(Semaphore::new(self.per_organisation)),
                calls: AtomicU64::new(0),
                over_share: AtomicU64::new(0),
            })
        });
        share.calls.fetch_add(1, Ordering::Relaxed);
        share.clone()
    }

    fn refuse_overloaded(&self) -> ApiError {
        self.overloaded.fetch_add(1, Ordering::Relaxed);
        overloaded(self.limit)
    }

    /// A place for a call of `client`, or the refusal. A full server is said first and at
    /// once: it is the reason whatever the caller's share, and a queue there would make every
    /// organisation's calls late. A call beyond its organisation's share waits, in arrival
    /// order, for a place of that organisation's own, holding none of the server's meanwhile:
    /// only its own organisation's calls are ahead of it, and a partner that floods is slowed
    /// to its share instead of spinning on refusals, each of which costs the server a call's
    /// TLS, HTTP/2 and authentication.
    async fn admit(&self, client: Option<String>) -> Result<Place, ApiError> {
        if self.permits.available_permits() == 0 {
            return Err(self.refuse_overloaded());
        }
        let share = match client {
            None => None,
            Some(client) => {
                let share = self.share_of(client);
                // A free place is taken without arming a timer, the common case.
                let place = match share.places.clone().try_acquire_owned() {
                    Ok(place) => place,
                    Err(_) => tokio::time::timeout(self.wait, share.places.clone().acquire_owned())
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .ok_or_else(|| {
                            share.over_share.fetch_add(1, Ordering::Relaxed);
                            over_share(self.per_organisation, self.wait)
                        })?,
                };
                Some(place)
            }
        };
        let permit = self
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| self.refuse_overloaded())?;
        Ok(Place {
            _permit: permit,
            _share: share,
        })
    }
}

/// A call's place: one of the server's and one of its organisation's.
#[derive(Debug)]
struct Place {
    _permit: OwnedSemaphorePermit,
    _share: Option<OwnedSemaphorePermit>,
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

/// The refusal of a call that waited `wait` beyond its organisation's share.
pub fn over_share(share: usize, wait: Duration) -> ApiError {
    ApiError::ResourceExhausted {
        reason: Reason::OrganisationOverShare,
        message: format!(
            "this organisation kept its share of {share} concurrent calls in progress for the {} ms this call waited; retry with backoff (and the same request_id)",
            wait.as_millis()
        ),
        violations: vec![(
            "kandas:concurrent_requests_per_organisation".to_string(),
            format!("at most {share} calls of one organisation are served at once"),
        )],
    }
}

/// The refusal, through the one error model.
pub fn overloaded(limit: usize) -> ApiError {
    ApiError::ResourceExhausted {
        reason: Reason::ServerOverloaded,
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
    S: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Unpin + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The clone that was polled ready is the one that must be called.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            // Dropping this future (the client went away) drops the place, or the wait for
            // one, with it.
            let place = if never_shed(request.uri().path()) {
                None
            } else {
                let client = request.extensions().get::<Caller>().map(Caller::client);
                match layer.admit(client).await {
                    Ok(place) => Some(place),
                    Err(refusal) => {
                        tracing::debug!(method = %request.uri().path(), code = ?refusal.code(), "call shed");
                        let status: tonic::Status = refusal.into();
                        return Ok(status.into_http());
                    }
                }
            };
            // Every call, health watches included, keeps its connection from counting as idle.
            let in_progress = request
                .extensions()
                .get::<TlsConnectInfo<ConnectionInfo>>()
                .map(|info| info.get_ref().activity.begin());
            // The message's time to arrive runs from admission, not from the wait before it.
            let limits = layer.body;
            let note = request.extensions().get::<MalformedNote>().cloned();
            let (parts, body) = request.into_parts();
            let body = ArrivingBody::new(body, limits, &parts.headers, note);
            let request = http::Request::from_parts(parts, tonic::body::Body::new(body));
            let response = ready.call(request).await?;
            Ok(response.map(|body| {
                if http_body::Body::is_end_stream(&body) {
                    body
                } else {
                    tonic::body::Body::new(PermitBody {
                        inner: body,
                        held: Some((place, in_progress)),
                    })
                }
            }))
        })
    }
}

/// A response body that holds its call's place, and its mark on the connection, until the
/// last frame (or until dropped).
struct PermitBody {
    inner: tonic::body::Body,
    held: Option<(Option<Place>, Option<CallInProgress>)>,
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
            this.held = None;
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
        assert_eq!(info.reason, Reason::ServerOverloaded.as_str());
        assert_eq!(info.domain, crate::error::ERROR_DOMAIN);
    }

    fn layer(total: usize, per_organisation: usize, wait: Duration) -> ShedLayer {
        ShedLayer::new(
            Shares {
                total,
                per_organisation,
                wait,
            },
            Limits {
                max_message_bytes: 1024,
                arrival_timeout: std::time::Duration::from_secs(1),
            },
        )
    }

    const BRIEF: Duration = Duration::from_millis(20);
    const LONG: Duration = Duration::from_secs(30);

    fn flood() -> Option<String> {
        Some("urn:kandas:portal:flood".to_string())
    }

    #[tokio::test]
    async fn in_flight_counts_taken_places_and_a_full_server_refuses_at_once() {
        let layer = layer(2, 2, LONG);
        let a = layer.admit(None).await.unwrap();
        let _b = layer.admit(None).await.unwrap();
        assert_eq!(layer.in_flight(), 2);
        // With a wait of 30 s, an answer now shows that a full server does not queue.
        let refused = layer.admit(flood()).await.unwrap_err();
        assert!(matches!(
            refused,
            ApiError::ResourceExhausted {
                reason: Reason::ServerOverloaded,
                ..
            }
        ));
        drop(a);
        assert_eq!(layer.in_flight(), 1);
        assert_eq!(layer.counts().overloaded, 1);
    }

    #[tokio::test]
    async fn a_call_beyond_its_share_waits_and_is_refused_when_none_is_given_back() {
        let layer = layer(4, 2, BRIEF);
        let _first = layer.admit(flood()).await.unwrap();
        let _second = layer.admit(flood()).await.unwrap();
        let refused = layer.admit(flood()).await.unwrap_err();
        assert!(matches!(
            refused,
            ApiError::ResourceExhausted {
                reason: Reason::OrganisationOverShare,
                ..
            }
        ));
        assert_eq!(layer.in_flight(), 2, "the refused call took no place");
        layer
            .admit(Some("urn:kandas:psc:almaty-01".into()))
            .await
            .expect("another organisation still gets a place");
        let counts = layer.counts();
        assert_eq!(counts.overloaded, 0);
        assert_eq!(
            counts.organisations,
            vec![
                ("urn:kandas:portal:flood".to_string(), 3, 1),
                ("urn:kandas:psc:almaty-01".to_string(), 1, 0),
            ],
            "calls and refusals are counted by organisation"
        );
    }

    #[tokio::test]
    async fn a_call_beyond_its_share_is_served_once_its_organisation_gives_a_place_back() {
        let layer = layer(4, 1, LONG);
        let first = layer.admit(flood()).await.unwrap();
        let waiting = tokio::spawn({
            let layer = layer.clone();
            async move { layer.admit(flood()).await.map(|_| ()) }
        });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "the second call waits for the share"
        );
        drop(first);
        waiting
            .await
            .unwrap()
            .expect("a share given back is taken by the call waiting for it");
    }

    #[tokio::test]
    async fn calls_waiting_for_their_share_hold_none_of_the_servers_places() {
        let layer = layer(2, 1, LONG);
        let _held = layer.admit(flood()).await.unwrap();
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let layer = layer.clone();
                tokio::spawn(async move { layer.admit(flood()).await.map(|_| ()) })
            })
            .collect();
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        assert!(waiters.iter().all(|w| !w.is_finished()), "all wait");
        assert_eq!(layer.in_flight(), 1);
        layer
            .admit(Some("urn:kandas:psc:a".into()))
            .await
            .expect("the last server place is the neighbour's, whatever the flood's queue");
        for waiter in waiters {
            waiter.abort();
        }
    }
}
