//! Revocation and rotation without a restart: a CRL written while the server runs refuses the
//! certificate it names and no other; a new server certificate is served to new connections
//! while those already open keep working; SIGHUP reloads at once and ends no connection that
//! still stands. The helpers here (TLS files, a server reading them) serve `crl_hygiene` and
//! `open_connections` too.

use crate::helpers::*;
use kandas::local::pki::{CertificateAuthority, IssuedPair, Validity};
use kandas::pb;
use kandas::server::startup::{TlsFiles, TlsMaterial};
use std::path::Path;
use std::time::Duration;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

pub(crate) struct Files {
    _dir: tempfile::TempDir,
    pub(crate) files: TlsFiles,
}

/// Writes the server's TLS files (server pair of `server_ca`, client CA `ca`, the CRL).
pub(crate) fn write_files(
    ca: &CertificateAuthority,
    server_ca: &CertificateAuthority,
    crl: &str,
) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: dir.path().join("server.pem"),
        key: dir.path().join("server.key"),
        client_ca: dir.path().join("clients-ca.pem"),
        client_crls: vec![dir.path().join("clients.crl")],
    };
    write_server(&files, server_ca);
    std::fs::write(&files.client_ca, ca.cert_pem()).unwrap();
    replace(&files.client_crls[0], crl);
    Files { _dir: dir, files }
}

fn write_server(files: &TlsFiles, server_ca: &CertificateAuthority) {
    let server = server_ca
        .issue_server(&["localhost"], &["127.0.0.1".parse().unwrap()])
        .unwrap();
    replace(&files.key, &server.key_pem);
    replace(&files.cert, &server.cert_pem);
}

/// Replaces a file whole, as an operator's `mv` would, so no half-written file is read.
pub(crate) fn replace(path: &Path, text: &str) {
    let staged = path.with_extension("new");
    std::fs::write(&staged, text).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

pub(crate) async fn connect(
    app: &TestApp,
    server_ca: &CertificateAuthority,
    id: &IssuedPair,
) -> Result<Channel, tonic::transport::Error> {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(server_ca.cert_pem()))
        .domain_name("localhost")
        .identity(Identity::from_pem(&id.cert_pem, &id.key_pem));
    Channel::from_shared(format!("https://{}", app.addr))
        .unwrap()
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
}

/// Whether a fresh connection as `id` is served.
pub(crate) async fn served(
    app: &TestApp,
    server_ca: &CertificateAuthority,
    id: &IssuedPair,
) -> bool {
    match connect(app, server_ca, id).await {
        Ok(channel) => validate(channel).await,
        Err(_) => false,
    }
}

pub(crate) async fn validate(channel: Channel) -> bool {
    pb::person_service_client::PersonServiceClient::new(channel)
        .validate_iin(pb::ValidateIinRequest {
            iin: "871008401427".into(),
            ..Default::default()
        })
        .await
        .is_ok()
}

pub(crate) async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never: {what}");
}

async fn start(files: &Files, reload_every: Duration) -> TestApp {
    start_with(files, reload_every, |_| {}).await
}

/// A server reading `files` (looked at every `reload_every`), with the organisations of
/// [`client`] registered, and the settings `adjust` changes.
pub(crate) async fn start_with(
    files: &Files,
    reload_every: Duration,
    adjust: impl FnOnce(&mut kandas::server::startup::Settings),
) -> TestApp {
    let ca = CertificateAuthority::generate("unused").unwrap();
    let material: TlsMaterial = files.files.read().unwrap();
    let tls_files = files.files.clone();
    spawn_on(migrated_database().await, ca, move |s| {
        s.tls = material;
        s.tls_files = Some(tls_files);
        s.tls_reload_every = reload_every;
        for org in CLIENTS {
            register_national(s, "psc", org);
        }
        adjust(s);
    })
    .await
}

/// The organisations (all `psc`) the tests with TLS files call as.
const CLIENTS: [&str; 8] = [
    "psc-stolen",
    "psc-sibling",
    "psc-rotation",
    "psc-hup",
    "psc-kept",
    "psc-open",
    "psc-stream",
    "psc-suspended",
];

/// A client certificate of `ca` for `urn:kandas:psc:<org>`.
pub(crate) fn client(ca: &CertificateAuthority, org: &str) -> IssuedPair {
    let uri = format!("urn:kandas:psc:{org}");
    ca.issue_client(org, Some(&uri), Validity::Days(1)).unwrap()
}

#[tokio::test]
async fn a_crl_written_while_serving_refuses_that_certificate_only() {
    let ca = CertificateAuthority::generate("clients CA").unwrap();
    let stolen = client(&ca, "psc-stolen");
    let sibling = client(&ca, "psc-sibling");
    let files = write_files(&ca, &ca, &ca.revocation_list(&[], 1).unwrap());
    let app = start(&files, Duration::from_millis(100)).await;
    assert!(served(&app, &ca, &stolen).await);
    assert!(served(&app, &ca, &sibling).await);

    replace(
        &files.files.client_crls[0],
        &ca.revocation_list(&[&stolen.cert_pem], 2).unwrap(),
    );
    eventually("the revoked certificate is refused", async || {
        !served(&app, &ca, &stolen).await
    })
    .await;
    assert!(served(&app, &ca, &sibling).await, "its sibling still works");

    // A CRL file that cannot be read keeps the one in force instead of opening the door.
    replace(&files.files.client_crls[0], "not a CRL");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!served(&app, &ca, &stolen).await);
    assert!(served(&app, &ca, &sibling).await);
    app.stop().await;
}

#[tokio::test]
async fn a_rotated_server_certificate_is_served_to_new_connections_and_open_ones_keep_working() {
    let ca = CertificateAuthority::generate("clients CA").unwrap();
    let next_ca = CertificateAuthority::generate("next server CA").unwrap();
    let id = client(&ca, "psc-rotation");
    let files = write_files(&ca, &ca, &ca.revocation_list(&[], 1).unwrap());
    let app = start(&files, Duration::from_millis(100)).await;
    let open = connect(&app, &ca, &id).await.unwrap();
    assert!(validate(open.clone()).await);
    assert!(!served(&app, &next_ca, &id).await);

    write_server(&files.files, &next_ca);
    eventually("the new server certificate is served", async || {
        served(&app, &next_ca, &id).await
    })
    .await;
    assert!(
        validate(open).await,
        "a connection opened before the rotation keeps working"
    );
    app.stop().await;
}

#[tokio::test]
async fn sighup_reloads_at_once_and_does_not_stop_the_server() {
    let ca = CertificateAuthority::generate("clients CA").unwrap();
    let stolen = client(&ca, "psc-hup");
    let files = write_files(&ca, &ca, &ca.revocation_list(&[], 1).unwrap());
    // Files are looked at only hourly here: what reloads them is the signal.
    let app = start(&files, Duration::from_secs(3600)).await;
    let sibling = client(&ca, "psc-sibling");
    let open = connect(&app, &ca, &sibling).await.unwrap();
    assert!(validate(open.clone()).await);
    replace(
        &files.files.client_crls[0],
        &ca.revocation_list(&[&stolen.cert_pem], 2).unwrap(),
    );
    // Give the server's first look at the files (at start) time to pass.
    tokio::time::sleep(Duration::from_millis(200)).await;
    nix::sys::signal::kill(nix::unistd::getpid(), nix::sys::signal::Signal::SIGHUP).unwrap();
    eventually(
        "the revoked certificate is refused after SIGHUP",
        async || !served(&app, &ca, &stolen).await,
    )
    .await;
    assert!(
        validate(open).await,
        "SIGHUP ends no connection whose certificate still verifies"
    );
    app.stop().await;
}
