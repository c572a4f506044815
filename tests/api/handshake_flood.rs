//! Connections still in their TLS handshake cannot starve the callers being served: one
//! source holds at most its handshakes, all handshakes together at most their part of the
//! connections, the oldest handshake is given up when a new one finds none free, and each
//! refusal is counted in the metrics (and summarised, not logged one by one). The flood's
//! figures are measured by `scripts/handshake_flood.py`, not here.

use crate::connections::{H2_PREFACE, closed_within, tls_connection_to};
use crate::helpers::*;
use crate::revocation::validate;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The start of a TLS record carrying a ClientHello, and nothing more: a handshake that
/// never finishes, as a slow flood sends it.
const CLIENT_HELLO_START: &[u8] = &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01];

/// A TCP connection from `source` (another loopback address is another source) that starts
/// a handshake and stalls.
async fn stalled_from(source: &str, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    // The server may already have closed it; a refused write is what this test is about.
    let _ = stream.write_all(CLIENT_HELLO_START).await;
    stream
}

/// Whether the server closed a plain TCP connection within `bound`.
async fn tcp_closed_within(stream: &mut TcpStream, bound: Duration) -> bool {
    let mut buf = [0u8; 256];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(bound, read).await.is_ok()
}

fn metric(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

async fn wait_for_metric(app: &TestApp, series: &str, value: u64) {
    wait_until(Duration::from_secs(15), series, || async {
        metric(&metrics_text(app).await, series) == value
    })
    .await;
}

/// A legitimate caller from 127.0.0.1: a fresh connection, a handshake and a call.
async fn served_afresh(app: &TestApp) -> bool {
    match app
        .channel_with(Some(app.identity("psc")), &app.ca.cert_pem())
        .await
    {
        Ok(channel) => validate(channel).await,
        Err(_) => false,
    }
}

#[tokio::test]
async fn one_source_holds_at_most_its_handshakes_and_other_sources_are_served() {
    let app = spawn_app_with(|s| {
        s.isolation.max_handshakes_per_source = 4;
        s.isolation.max_handshakes = 64;
        s.isolation.handshake_timeout = Duration::from_secs(60);
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let mut flood = Vec::new();
    for _ in 0..10 {
        flood.push(stalled_from("127.0.0.2", app.addr).await);
    }
    let refused = "kandas_connections_refused_total{reason=\"source_handshake_limit\"}";
    wait_for_metric(&app, refused, 6).await;
    assert_eq!(
        metric(&metrics_text(&app).await, "kandas_connections_handshaking"),
        4
    );
    let closed = futures_util::future::join_all(
        flood
            .iter_mut()
            .map(|stream| tcp_closed_within(stream, Duration::from_secs(2))),
    )
    .await;
    assert_eq!(closed.iter().filter(|c| **c).count(), 6, "{closed:?}");
    for _ in 0..5 {
        assert!(served_afresh(&app).await, "another source is served");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_handshake_finding_every_place_taken_gives_up_the_oldest_one() {
    let app = spawn_app_with(|s| {
        s.isolation.max_handshakes = 4;
        s.isolation.max_handshakes_per_source = 100;
        s.isolation.handshake_timeout = Duration::from_secs(60);
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let mut stalled = Vec::new();
    for source in ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"] {
        stalled.push(stalled_from(source, app.addr).await);
    }
    wait_for_metric(&app, "kandas_connections_handshaking", 4).await;
    assert!(served_afresh(&app).await, "a new caller is not locked out");
    assert!(
        tcp_closed_within(&mut stalled[0], Duration::from_secs(10)).await,
        "the oldest stalled handshake was given up"
    );
    assert!(!tcp_closed_within(&mut stalled[3], Duration::from_millis(300)).await);
    let given_up = "kandas_connections_refused_total{reason=\"oldest_handshake_given_up\"}";
    assert!(metric(&metrics_text(&app).await, given_up) >= 1);
    app.stop().await;
}

#[tokio::test]
async fn authenticated_connections_keep_their_part_of_the_places_through_a_flood() {
    let app = spawn_app_with(|s| {
        s.isolation.max_connections = 8;
        s.isolation.max_handshakes = 2;
        s.isolation.max_handshakes_per_source = 100;
        s.isolation.handshake_timeout = Duration::from_secs(60);
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut stream = tls_connection_to(app.addr, &app.ca.cert_pem(), &app.identity("psc"))
            .await
            .unwrap();
        stream.write_all(H2_PREFACE).await.unwrap();
        open.push(stream);
    }
    let mut flood = Vec::new();
    for n in 0..20 {
        flood.push(stalled_from(&format!("127.0.1.{}", n + 1), app.addr).await);
    }
    // Two handshakes at most: the three open connections and three new ones still fit in
    // the eight places, each new one giving up the oldest stalled handshake.
    wait_for_metric(&app, "kandas_connections_handshaking", 2).await;
    let mut callers = Vec::new();
    for _ in 0..3 {
        let channel = app
            .channel_with(Some(app.identity("police")), &app.ca.cert_pem())
            .await
            .expect("a new caller still connects");
        assert!(validate(channel.clone()).await);
        callers.push(channel);
    }
    for stream in &mut open {
        assert!(
            !closed_within(stream, Duration::from_millis(200)).await,
            "the open connections are kept"
        );
    }
    let text = metrics_text(&app).await;
    assert!(
        metric(
            &text,
            "kandas_connections_refused_total{reason=\"connection_limit\"}"
        ) + metric(
            &text,
            "kandas_connections_refused_total{reason=\"oldest_handshake_given_up\"}"
        ) >= 18,
        "{text}"
    );
    app.stop().await;
}
