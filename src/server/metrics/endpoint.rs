//! The plain-HTTP endpoint: `GET /metrics` (and `HEAD`), one request per connection.
//!
//! axum routes (404 for other paths, 405 with `Allow` for other methods); each connection is
//! served by hyper directly rather than through `axum::serve`, because only hyper's own
//! builder can bound the request head, which a scraper never needs large.

use super::Sources;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Largest request head read from a scraper; past it the answer is 431.
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// Longest a scrape connection may stay open, reading and answering.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);
/// Scrape connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 32;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Binds the metrics address (port 0 picks a free one).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

fn router(sources: Sources) -> axum::Router {
    axum::Router::new()
        .route("/metrics", get(scrape))
        .with_state(sources)
}

async fn scrape(State(sources): State<Sources>) -> impl IntoResponse {
    (
        [(http::header::CONTENT_TYPE, OPENMETRICS)],
        sources.render().await,
    )
}

/// Serves `/metrics` on `listener` until `stop` is cancelled, which also ends every open
/// scrape connection. Connections run on `tracker`, so waiting on it means none is left
/// reading the pool.
pub async fn serve(
    listener: TcpListener,
    sources: Sources,
    tracker: TaskTracker,
    stop: CancellationToken,
) {
    let router = router(sources);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => return,
        };
        let (stream, peer) = match accepted {
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
        let connection = hyper::server::conn::http1::Builder::new()
            // One scrape per connection: an idle scraper holds no slot.
            .keep_alive(false)
            .max_header_size(MAX_REQUEST_HEAD)
            // The header names this endpoint has always sent.
            .title_case_headers(true)
            .serve_connection(
                TokioIo::new(stream),
                TowerToHyperService::new(router.clone()),
            );
        let stop = stop.clone();
        tracker.spawn(async move {
            let _slot = slot;
            let served = tokio::time::timeout(CONNECTION_TIMEOUT, connection);
            match stop.run_until_cancelled(served).await {
                None | Some(Ok(Ok(()))) => {}
                Some(Ok(Err(error))) => {
                    tracing::debug!(%peer, %error, "metrics: connection failed")
                }
                Some(Err(_)) => tracing::debug!(%peer, "metrics: scrape connection timed out"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn status_of(method: &str, path: &str) -> (http::StatusCode, http::HeaderMap) {
        let pool = sqlx::PgPool::connect_lazy("postgres://localhost/unused").unwrap();
        let sources = Sources {
            metrics: Default::default(),
            pool,
            shed: None,
            audit: None,
            record_streams: None,
            notification_streams: None,
            database_restarts: None,
            tls: None,
            connections: None,
            database_takes_writes: None,
            clock: crate::state::Clock::system(),
        };
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        let response = router(sources).oneshot(request).await.unwrap();
        (response.status(), response.headers().clone())
    }

    #[tokio::test]
    async fn other_paths_are_not_found_and_other_methods_not_allowed() {
        assert_eq!(status_of("GET", "/").await.0, http::StatusCode::NOT_FOUND);
        assert_eq!(
            status_of("GET", "/metricsx").await.0,
            http::StatusCode::NOT_FOUND
        );
        let (status, headers) = status_of("POST", "/metrics").await;
        assert_eq!(status, http::StatusCode::METHOD_NOT_ALLOWED);
        let allow = headers[http::header::ALLOW].to_str().unwrap();
        assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
    }
}
