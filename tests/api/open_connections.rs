//! Revocation and suspension reach connections already open (SPEC §1.1): within seconds of
//! a CRL reload, or of a suspension, a connection whose certificate is revoked or whose
//! organisation is suspended serves no further call and is closed, its streams with it, while
//! its neighbours go on. A connection past its maximum age is asked to go away (GOAWAY).

use crate::connections::{H2_PREFACE, closed_within, tls_connection_to};
use crate::helpers::*;
use crate::revocation::{client, connect, eventually, replace, start_with, validate, write_files};
use kandas::local::pki::CertificateAuthority;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Whether the server sends an HTTP/2 GOAWAY frame within `bound`.
async fn goaway_within(
    stream: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    bound: Duration,
) -> bool {
    use tokio::io::AsyncReadExt;
    let read = async {
        let mut header = [0u8; 9];
        loop {
            if stream.read_exact(&mut header).await.is_err() {
                return false;
            }
            const GOAWAY: u8 = 0x7;
            if header[3] == GOAWAY {
                return true;
            }
            let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
            let mut payload = vec![0u8; length];
            if stream.read_exact(&mut payload).await.is_err() {
                return false;
            }
        }
    };
    tokio::time::timeout(bound, read).await.unwrap_or(false)
}

/// The value of the counter line `series` in the metrics text (0 when absent).
fn counter(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_revoked_certificates_open_connection_serves_no_further_call_and_is_closed() {
    let ca = CertificateAuthority::generate("clients CA").unwrap();
    let stolen = client(&ca, "psc-open");
    let kept = client(&ca, "psc-kept");
    let files = write_files(&ca, &ca, &ca.revocation_list(&[], 1).unwrap());
    let app = start_with(&files, Duration::from_millis(100), |s| {
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    // The issue's reproduction: a connection opened before the CRL, calling on and on.
    let open = connect(&app, &ca, &stolen).await.unwrap();
    let neighbour = connect(&app, &ca, &kept).await.unwrap();
    assert!(validate(open.clone()).await);
    let mut raw = tls_connection_to(app.addr, &ca.cert_pem(), &stolen)
        .await
        .unwrap();
    raw.write_all(H2_PREFACE).await.unwrap();
    let mut watch = HealthClient::new(open.clone())
        .watch(HealthCheckRequest::default())
        .await
        .expect("a health watch opens")
        .into_inner();
    watch.message().await.expect("the first health status");

    replace(
        &files.files.client_crls[0],
        &ca.revocation_list(&[&stolen.cert_pem], 2).unwrap(),
    );
    eventually("the open connection serves no more calls", async || {
        !validate(open.clone()).await
    })
    .await;
    for _ in 0..10 {
        assert!(
            !validate(open.clone()).await,
            "no call is served once refused"
        );
    }
    assert!(
        closed_within(&mut raw, Duration::from_secs(10)).await,
        "the server closed the revoked certificate's idle connection"
    );
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = watch.message().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream open on that connection ended");
    assert!(
        validate(neighbour).await,
        "the neighbour's connection goes on"
    );
    let text = metrics_text(&app).await;
    let closed = counter(
        &text,
        "kandas_connections_closed_total{reason=\"certificate_revoked\"}",
    );
    assert!(closed >= 2, "{text}");
    app.stop().await;
}

#[tokio::test]
async fn a_suspended_organisations_open_connection_is_closed_and_its_calls_refused() {
    let app = spawn_app_with(|s| register_national(s, "police", "police-suspended")).await;
    let id = {
        let uri = "urn:kandas:police:police-suspended";
        app.ca
            .issue_client(
                "police-suspended",
                Some(uri),
                kandas::local::pki::Validity::Days(1),
            )
            .unwrap()
    };
    let channel = app
        .channel_with(Some(id.clone()), &app.ca.cert_pem())
        .await
        .unwrap();
    assert!(validate(channel.clone()).await);
    let mut raw = tls_connection_to(app.addr, &app.ca.cert_pem(), &id)
        .await
        .unwrap();
    raw.write_all(H2_PREFACE).await.unwrap();
    let mut other = tls_connection_to(app.addr, &app.ca.cert_pem(), &app.identity("police"))
        .await
        .unwrap();
    other.write_all(H2_PREFACE).await.unwrap();

    sqlx::query!("UPDATE organisations SET state = 'suspended' WHERE id = 'police-suspended'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(
        closed_within(&mut raw, Duration::from_secs(15)).await,
        "the suspended organisation's connection is closed"
    );
    assert!(
        !closed_within(&mut other, Duration::from_millis(500)).await,
        "another organisation's is not"
    );
    assert!(!validate(channel).await, "its calls are refused");
    app.stop().await;
}

#[tokio::test]
async fn a_connection_past_its_maximum_age_is_asked_to_go_away_and_a_channel_reconnects() {
    let app = spawn_app_with(|s| s.isolation.max_connection_age = Duration::from_secs(1)).await;
    let channel = app.channel("psc").await;
    assert!(validate(channel.clone()).await);
    let mut raw = tls_connection_to(app.addr, &app.ca.cert_pem(), &app.identity("psc"))
        .await
        .unwrap();
    raw.write_all(H2_PREFACE).await.unwrap();
    assert!(
        goaway_within(&mut raw, Duration::from_secs(10)).await,
        "an old connection is asked to go away"
    );
    assert!(
        validate(channel).await,
        "a client asked to go away calls again on a new connection"
    );
    app.stop().await;
}
