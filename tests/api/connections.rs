//! Connections are held within limits: per client certificate, in all, silent after the
//! handshake, and idle without a call.

use crate::helpers::*;
use kandas::local::pki::IssuedPair;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A TLS connection as `id`, speaking no HTTP/2 unless the test writes it.
async fn tls_connection(
    app: &TestApp,
    id: &IssuedPair,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    tls_connection_to(app.addr, &app.ca.cert_pem(), id).await
}

/// A TLS connection as `id` to a server whose certificate `server_ca_pem` issued.
pub(crate) async fn tls_connection_to(
    addr: std::net::SocketAddr,
    server_ca_pem: &str,
    id: &IssuedPair,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(server_ca_pem.as_bytes()).unwrap())
        .unwrap();
    let chain = vec![CertificateDer::from_pem_slice(id.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = TcpStream::connect(addr).await?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

/// Whether the server ends the connection within `bound` (EOF or an error on read).
pub(crate) async fn closed_within(
    stream: &mut tokio_rustls::client::TlsStream<TcpStream>,
    bound: Duration,
) -> bool {
    let mut buf = [0u8; 4096];
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

/// The client's HTTP/2 preface and an empty SETTINGS frame: a connection that has spoken.
pub(crate) const H2_PREFACE: &[u8] =
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

#[tokio::test]
async fn a_connection_silent_after_its_handshake_is_closed() {
    let app = spawn_app_with(|s| s.isolation.handshake_timeout = Duration::from_millis(500)).await;
    let id = app.identity("psc");
    let mut silent = tls_connection(&app, &id).await.expect("handshake");
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);
    // One that speaks at once is not.
    let mut speaking = tls_connection(&app, &id).await.expect("handshake");
    speaking.write_all(H2_PREFACE).await.unwrap();
    assert!(!closed_within(&mut speaking, Duration::from_millis(1500)).await);
    app.stop().await;
}

#[tokio::test]
async fn a_connection_without_a_call_for_the_idle_time_is_closed() {
    let app = spawn_app_with(|s| s.isolation.idle_timeout = Duration::from_secs(1)).await;
    let id = app.identity("psc");
    let mut idle = tls_connection(&app, &id).await.expect("handshake");
    idle.write_all(H2_PREFACE).await.unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(6)).await);
    app.stop().await;
}

#[tokio::test]
async fn one_certificate_holds_at_most_its_connections_and_all_connections_are_capped() {
    let app = spawn_app_with(|s| {
        s.isolation.max_connections_per_client = 2;
        s.isolation.max_connections = 3;
    })
    .await;
    let psc = app.identity("psc");
    let mut first = tls_connection(&app, &psc).await.unwrap();
    let mut second = tls_connection(&app, &psc).await.unwrap();
    first.write_all(H2_PREFACE).await.unwrap();
    second.write_all(H2_PREFACE).await.unwrap();
    // The handshake may complete before the server counts it; then it closes the connection.
    let third = tls_connection(&app, &psc).await;
    if let Ok(mut third) = third {
        third.write_all(H2_PREFACE).await.ok();
        assert!(
            closed_within(&mut third, Duration::from_secs(3)).await,
            "a third connection of one certificate is closed"
        );
    }
    // Another certificate still gets the last place of the three.
    let police = app.identity("police");
    let mut other = tls_connection(&app, &police).await.unwrap();
    other.write_all(H2_PREFACE).await.unwrap();
    assert!(!closed_within(&mut other, Duration::from_millis(500)).await);
    // Past the total, a connection is closed before its handshake.
    assert!(
        tls_connection(&app, &app.identity("mission"))
            .await
            .is_err()
    );
    // A place given back is taken again.
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        if let Ok(stream) = tls_connection(&app, &psc).await {
            again = Some(stream);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut again = again.expect("a freed place is given again");
    again.write_all(H2_PREFACE).await.unwrap();
    assert!(!closed_within(&mut again, Duration::from_millis(500)).await);
    app.stop().await;
}
