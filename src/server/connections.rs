//! Client connections: accepted, handshaken and held within limits, so that idle, silent or
//! numerous connections cannot take the file descriptors and memory that others need.
//!
//! - At most `max_total` connections are open; past it a new one is closed at once (the
//!   client retries, possibly on another replica), and the accept loop keeps accepting so the
//!   kernel's queue never stalls the clients that are within the limit.
//! - Of those, at most `max_handshakes` are still handshaking, and at most
//!   `max_handshakes_per_source` from one source (see `crate::server::handshakes`): the
//!   others are kept for connections that authenticated.
//! - At most `max_per_client` are open per client certificate, counted after the handshake.
//! - The TLS handshake, and then the client's first bytes, each get `handshake_timeout`.
//! - A connection with no call for `idle_timeout` is closed; one with a call in progress (an
//!   open feed included) never is.
//! - A connection is closed at once when its certificate is revoked or its organisation
//!   suspended (`crate::server::standing`), and in any case `max_age` after it opened (tonic
//!   asks the client to go away at `max_age`; this closes what is still open a grace later).
//!
//! Refusals are counted, not logged one by one (`crate::server::refusals`).

use crate::server::handshakes::{Handshakes, Source};
use crate::server::refusals::{Refusals, Refused};
use crate::server::standing::{Established, Standing};
use crate::server::tls::CurrentTls;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Instant, Sleep};
use tokio_rustls::server::TlsStream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::transport::server::Connected;

/// How long a connection past its maximum age has to finish what it started before it is
/// closed: a call in progress finishes, a stream is cut and its client reconnects.
pub const MAX_AGE_GRACE: Duration = Duration::from_secs(60);

/// The limits of [`accept_loop`].
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_total: usize,
    pub max_per_client: usize,
    pub max_handshakes: usize,
    pub max_handshakes_per_source: usize,
    pub handshake_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_age: Duration,
}

/// What the accept loop shares with the connection watcher and the metrics.
#[derive(Debug, Clone)]
pub struct Connections {
    places: Arc<Semaphore>,
    max_total: usize,
    pub handshakes: Arc<Handshakes>,
    pub refusals: Arc<Refusals>,
    pub established: Arc<Established>,
}

impl Connections {
    pub fn new(limits: &ConnectionLimits) -> Connections {
        let max_total = limits.max_total.max(1);
        Connections {
            places: Arc::new(Semaphore::new(max_total)),
            max_total,
            handshakes: Arc::new(Handshakes::new(
                limits.max_handshakes.min(max_total),
                limits.max_handshakes_per_source,
            )),
            refusals: Arc::default(),
            established: Arc::default(),
        }
    }

    /// Connections open now, handshaking or not.
    pub fn open(&self) -> usize {
        self.max_total - self.places.available_permits()
    }

    pub fn limit(&self) -> usize {
        self.max_total
    }
}

/// What the request layers learn about a call's connection, beside its certificates.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub remote_addr: Option<SocketAddr>,
    pub activity: Arc<Activity>,
    /// Whether the connection still serves; set once its handshake is done.
    pub standing: Option<Arc<Standing>>,
}

/// Calls in progress on one connection and when the last one ended.
#[derive(Debug)]
pub struct Activity {
    calls: AtomicUsize,
    last_end: Mutex<Instant>,
}

impl Activity {
    fn new() -> Self {
        Self {
            calls: AtomicUsize::new(0),
            last_end: Mutex::new(Instant::now()),
        }
    }

    /// Marks a call in progress until the guard drops.
    pub fn begin(self: &Arc<Self>) -> CallInProgress {
        self.calls.fetch_add(1, Ordering::SeqCst);
        CallInProgress(self.clone())
    }

    /// When the connection becomes idle-expired, or `None` while a call is in progress.
    fn idle_until(&self, idle: Duration) -> Option<Instant> {
        if self.calls.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(*self.last_end.lock().unwrap_or_else(|p| p.into_inner()) + idle)
    }
}

/// A call in progress on its connection.
#[derive(Debug)]
pub struct CallInProgress(Arc<Activity>);

impl Drop for CallInProgress {
    fn drop(&mut self) {
        *self.0.last_end.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0.calls.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Open connections per client certificate.
#[derive(Debug, Default)]
struct PerClient(Mutex<HashMap<Vec<u8>, usize>>);

/// One client certificate's place among its connections, given back on drop.
#[derive(Debug)]
struct ClientSlot {
    counts: Arc<PerClient>,
    key: Vec<u8>,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

impl PerClient {
    fn take(self: &Arc<Self>, key: Vec<u8>, max: usize) -> Option<ClientSlot> {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(key.clone()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            counts: self.clone(),
            key,
        })
    }
}

/// A TCP connection held within the limits: it owns its places and ends itself when silent,
/// idle or old for too long, or when it no longer stands.
pub struct Held {
    tcp: TcpStream,
    info: ConnectionInfo,
    idle_timeout: Duration,
    /// Until the client's first bytes after the handshake.
    first_bytes: Option<Pin<Box<Sleep>>>,
    idle: Pin<Box<Sleep>>,
    /// The maximum age and its grace.
    too_old: Pin<Box<Sleep>>,
    /// Ready when the connection lapsed (`crate::server::standing`).
    lapsed: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    _place: OwnedSemaphorePermit,
    client: Option<ClientSlot>,
}

impl Held {
    fn new(tcp: TcpStream, place: OwnedSemaphorePermit, limits: &ConnectionLimits) -> Self {
        let info = ConnectionInfo {
            remote_addr: tcp.peer_addr().ok(),
            activity: Arc::new(Activity::new()),
            standing: None,
        };
        Self {
            tcp,
            info,
            idle_timeout: limits.idle_timeout,
            first_bytes: None,
            idle: Box::pin(tokio::time::sleep(limits.idle_timeout)),
            too_old: Box::pin(tokio::time::sleep(
                limits.max_age.saturating_add(MAX_AGE_GRACE),
            )),
            lapsed: None,
            _place: place,
            client: None,
        }
    }

    /// The handshake is done: the client has this long to start talking.
    fn handshake_done(
        &mut self,
        client: ClientSlot,
        standing: Arc<Standing>,
        first_bytes_within: Duration,
    ) {
        self.client = Some(client);
        self.lapsed = Some(Box::pin(standing.closed().clone().cancelled_owned()));
        self.info.standing = Some(standing);
        self.first_bytes = Some(Box::pin(tokio::time::sleep(first_bytes_within)));
    }

    fn has_lapsed(&self) -> bool {
        self.info
            .standing
            .as_ref()
            .is_some_and(|standing| standing.closed().is_cancelled())
    }

    /// Whether the connection has outstayed its welcome; re-arms the timers otherwise.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(lapsed) = self.lapsed.as_mut()
            && lapsed.as_mut().poll(cx).is_ready()
        {
            return true;
        }
        if self.too_old.as_mut().poll(cx).is_ready() {
            return true;
        }
        if let Some(first) = self.first_bytes.as_mut()
            && first.as_mut().poll(cx).is_ready()
        {
            return true;
        }
        match self.info.activity.idle_until(self.idle_timeout) {
            // A call in progress: look again when it could have ended and gone idle.
            None => {
                let again = Instant::now() + self.idle_timeout;
                self.idle.as_mut().reset(again);
                let _ = self.idle.as_mut().poll(cx);
                false
            }
            Some(deadline) if deadline <= Instant::now() => true,
            Some(deadline) => {
                self.idle.as_mut().reset(deadline);
                self.idle.as_mut().poll(cx).is_ready()
            }
        }
    }
}

impl AsyncRead for Held {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.has_lapsed() {
            return Poll::Ready(Err(lapsed()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.tcp).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.first_bytes = None;
                }
                Poll::Ready(result)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(if this.has_lapsed() {
                lapsed()
            } else {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection silent, idle or open for too long",
                )
            })),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn lapsed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the connection's certificate or organisation no longer admits it",
    )
}

impl AsyncWrite for Held {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.has_lapsed() {
            return Poll::Ready(Err(lapsed()));
        }
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

impl Connected for Held {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> ConnectionInfo {
        self.info.clone()
    }
}

pub type Connection = TlsStream<Held>;

/// Accepts TCP connections and completes TLS handshakes concurrently, so one slow or hostile
/// client cannot hold up the others. When shutdown starts it returns at once, closing the
/// listening socket: new clients are refused (and retry elsewhere) while in-flight calls drain.
pub async fn accept_loop(
    listener: TcpListener,
    tls: CurrentTls,
    limits: ConnectionLimits,
    shared: Connections,
    connections: mpsc::Sender<Result<Connection, io::Error>>,
    stopping: CancellationToken,
) {
    let per_client = Arc::new(PerClient::default());
    let mut backoff = Duration::from_millis(5);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopping.cancelled() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => {
                backoff = Duration::from_millis(5);
                accepted
            }
            Err(error) => {
                // Out of file descriptors and similar: back off (up to a second) instead of
                // spinning, and let connections close meanwhile.
                tracing::warn!(%error, ?backoff, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let Ok(place) = shared.places.clone().try_acquire_owned() else {
            shared.refusals.note(Refused::TotalLimit);
            tracing::debug!(%peer, "connection refused: at the limit of open connections");
            continue;
        };
        let Some(handshake) = shared.handshakes.admit(Source::of(peer.ip())) else {
            shared.refusals.note(Refused::SourceHandshakes);
            tracing::debug!(%peer, "connection refused: its source has its limit of handshakes");
            continue;
        };
        if handshake.gave_up_oldest {
            shared.refusals.note(Refused::OldestHandshake);
        }
        let _ = tcp.set_nodelay(true);
        let acceptor = tls.acceptor();
        let connections = connections.clone();
        let per_client = per_client.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let held = Held::new(tcp, place, &limits);
            let slot = handshake.slot;
            let handshaken = tokio::select! {
                handshaken = tokio::time::timeout(limits.handshake_timeout, acceptor.accept(held)) => handshaken,
                () = slot.given_up().cancelled() => {
                    tracing::debug!(%peer, "TLS handshake given up for a newer one");
                    return;
                }
            };
            drop(slot);
            let mut stream = match handshaken {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    shared.refusals.note(Refused::HandshakeFailed);
                    tracing::debug!(%peer, %error, "TLS handshake refused");
                    return;
                }
                Err(_) => {
                    shared.refusals.note(Refused::HandshakeTimeout);
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let (held, session) = stream.get_mut();
            let chain: Vec<_> = session
                .peer_certificates()
                .map(|chain| chain.iter().map(|c| c.clone().into_owned()).collect())
                .unwrap_or_default();
            let key = chain.first().map(|leaf| leaf.to_vec()).unwrap_or_default();
            let Some(client) = per_client.take(key, limits.max_per_client) else {
                shared.refusals.note(Refused::ClientLimit);
                tracing::debug!(%peer, "connection refused: the client certificate has its limit of connections");
                return;
            };
            let standing = shared.established.admit(chain);
            held.handshake_done(client, standing, limits.handshake_timeout);
            let _ = connections.send(Ok(stream)).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_its_connections_and_gets_them_back() {
        let counts = Arc::new(PerClient::default());
        let a = counts.take(b"a".to_vec(), 2).unwrap();
        let _b = counts.take(b"a".to_vec(), 2).unwrap();
        assert!(counts.take(b"a".to_vec(), 2).is_none());
        assert!(counts.take(b"other".to_vec(), 2).is_some());
        drop(a);
        assert!(counts.take(b"a".to_vec(), 2).is_some());
    }

    #[tokio::test]
    async fn a_connection_is_idle_only_with_no_call_in_progress() {
        let activity = Arc::new(Activity::new());
        let idle = Duration::from_secs(60);
        assert!(activity.idle_until(idle).is_some());
        let call = activity.begin();
        assert!(activity.idle_until(idle).is_none());
        drop(call);
        let until = activity.idle_until(idle).unwrap();
        assert!(until > Instant::now() + Duration::from_secs(59));
    }
}
