//! The integration tests' harness: a real server on port 0, a fresh database per test,
//! certificates made here.
//!
//! With `DATABASE_URL` set, test databases are created on that server; otherwise one throwaway
//! cluster per test binary is started from the local PostgreSQL binaries. A test's database is a
//! copy of one migrated once per test binary; the server under test still migrates as the
//! database's owner role (finding nothing to apply) and serves as its service role (see
//! [`databases`]).

pub mod databases;
pub mod fixture_names;
pub mod fixtures;

use chrono::NaiveDate;
use kandas::domain::organisation::Organisation;
use kandas::domain::role::Role;
use kandas::local::pki::{CertificateAuthority, IssuedPair, Validity};
use kandas::pb;
use kandas::server::startup::{Application, Settings, TlsMaterial};
use kandas::state::Clock;
use prost::bytes::{Buf, BufMut, Bytes};
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

pub use crate::fixture_names::numbered;
pub use crate::fixtures::*;

pub type PersonClient = pb::person_service_client::PersonServiceClient<Channel>;
pub type ApplicationClient = pb::application_service_client::ApplicationServiceClient<Channel>;
pub type AuditClient = pb::audit_service_client::AuditServiceClient<Channel>;

pub use crate::databases::{
    cluster_database, database_of, empty_database, migrated_database, servers_database,
};

/// The audit signing key of every test server: one per test binary, so replicas sharing a
/// database sign with the same key, as replicas of one deployment do.
pub fn test_audit_signer() -> std::sync::Arc<kandas::audit::HeadSigner> {
    static SIGNER: std::sync::OnceLock<std::sync::Arc<kandas::audit::HeadSigner>> =
        std::sync::OnceLock::new();
    SIGNER
        .get_or_init(|| std::sync::Arc::new(kandas::audit::HeadSigner::generate().unwrap().0))
        .clone()
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` is served, when the test asked for it (`metrics_listen`).
    pub metrics: Option<SocketAddr>,
    pub pool: PgPool,
    pub database_url: String,
    pub ca: CertificateAuthority,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Today as the tests see it unless they pin another date: a Monday, far from holidays.
pub fn default_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server; `adjust` may change settings (e.g. pin another date).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database_url = migrated_database().await;
    spawn_on(
        database_url,
        CertificateAuthority::generate("kandas test CA").unwrap(),
        adjust,
    )
    .await
}

/// The settings of a server of the test database at `database_url` (its administrator URL):
/// a certificate of `ca` for localhost, the service and owner roles, the pinned test day,
/// a pool of 10 and otherwise the service's defaults.
pub fn server_settings(database_url: &str, ca: &CertificateAuthority) -> Settings {
    let server = ca
        .issue_server(&["localhost"], &["127.0.0.1".parse().unwrap()])
        .unwrap();
    let tls = TlsMaterial {
        cert_chain_pem: server.cert_pem.into_bytes(),
        key_pem: server.key_pem.into_bytes(),
        client_ca_pem: ca.cert_pem().into_bytes(),
        client_crls: Vec::new(),
    };
    let roles = database_of(database_url);
    let mut settings = Settings::new("127.0.0.1:0".parse().unwrap(), roles.service, tls);
    settings.migration_database_url = Some(roles.owner);
    settings.clock = Clock::pinned(default_today());
    settings.pool.max_connections = 10;
    settings
}

/// Starts a server on an existing database (named by its administrator URL), with an existing
/// CA (a second replica).
pub async fn spawn_on(
    database_url: String,
    ca: CertificateAuthority,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = server_settings(&database_url, &ca);
    // Tests that drive many concurrent calls are about correctness, not shedding (which
    // tests/metrics_and_shedding.rs covers with a small limit of its own).
    settings.max_concurrent_requests = 1024;
    // One test role is one organisation: its share is the whole (the server clamps it to
    // whatever limit a test sets); tests of the shares set their own.
    settings.isolation.max_calls_per_organisation = 1024;
    // Tests fire hundreds of calls on one fresh connection, some before the client has read
    // the server's SETTINGS; a stream over the advertised limit would be refused.
    settings.isolation.max_concurrent_streams = 1024;
    // The organisations of `TestApp::identity`: every test may call as any role.
    settings.seed_organisations = test_organisations();
    settings.audit_signer = Some(test_audit_signer());
    adjust(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("build the server");
    let addr = app.local_addr();
    let metrics = app.metrics_addr();
    // The test's own pool follows the database the way the server's does, several servers too.
    let pool = kandas::store::connect_lazy(
        &database_url,
        &kandas::store::PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        },
    )
    .unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        metrics,
        pool,
        database_url,
        ca,
        shutdown: Some(tx),
        server: Some(server),
    }
}

impl TestApp {
    /// The same CA again, for a second replica that trusts the same clients.
    pub fn same_ca(&self) -> CertificateAuthority {
        CertificateAuthority::from_pem(&self.ca.cert_pem(), &self.ca.key_pem()).unwrap()
    }

    /// A client certificate for `urn:kandas:<role>:<org>`.
    pub fn identity(&self, role: &str) -> IssuedPair {
        let uri = format!("urn:kandas:{role}:test-{role}");
        self.ca
            .issue_client(role, Some(&uri), Validity::Days(1))
            .unwrap()
    }

    /// A channel authenticated as `role`.
    pub async fn channel(&self, role: &str) -> Channel {
        self.channel_with(Some(self.identity(role)), &self.ca.cert_pem())
            .await
            .expect("connect")
    }

    /// A channel as organisation `org` in role `role`, on a connection of its own.
    pub async fn channel_as(&self, role: &str, org: &str) -> Channel {
        let uri = format!("urn:kandas:{role}:{org}");
        let identity = self
            .ca
            .issue_client(org, Some(&uri), Validity::Days(1))
            .unwrap();
        self.channel_with(Some(identity), &self.ca.cert_pem())
            .await
            .expect("connect")
    }

    /// A channel with any client identity (or none), trusting `server_ca_pem`.
    pub async fn channel_with(
        &self,
        identity: Option<IssuedPair>,
        server_ca_pem: &str,
    ) -> Result<Channel, tonic::transport::Error> {
        self.endpoint(identity, server_ca_pem)?.connect().await
    }

    /// A channel as organisation `org` in role `role` whose HTTP/2 windows are `window` bytes:
    /// when the client stops reading, the server can send no more than that before it waits.
    pub async fn channel_with_window(&self, role: &str, org: &str, window: u32) -> Channel {
        let uri = format!("urn:kandas:{role}:{org}");
        let identity = self
            .ca
            .issue_client(org, Some(&uri), Validity::Days(1))
            .unwrap();
        self.endpoint(Some(identity), &self.ca.cert_pem())
            .unwrap()
            .initial_stream_window_size(window)
            .initial_connection_window_size(window)
            .connect()
            .await
            .expect("connect")
    }

    fn endpoint(
        &self,
        identity: Option<IssuedPair>,
        server_ca_pem: &str,
    ) -> Result<Endpoint, tonic::transport::Error> {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(server_ca_pem))
            .domain_name("localhost");
        if let Some(id) = identity {
            tls = tls.identity(Identity::from_pem(id.cert_pem, id.key_pem));
        }
        Channel::from_shared(format!("https://{}", self.addr))
            .unwrap()
            .tls_config(tls)
    }

    pub async fn persons(&self, role: &str) -> PersonClient {
        PersonClient::new(self.channel(role).await)
    }

    pub async fn applications(&self, role: &str) -> ApplicationClient {
        ApplicationClient::new(self.channel(role).await)
    }

    pub async fn audit(&self) -> AuditClient {
        AuditClient::new(self.channel("admin").await)
    }

    /// VerifyAuditChain as the administrator (it seals and signs what is pending first).
    pub async fn verify_audit_chain(&self) -> pb::VerifyAuditChainResponse {
        self.audit()
            .await
            .verify_audit_chain(pb::VerifyAuditChainRequest {})
            .await
            .expect("VerifyAuditChain")
            .into_inner()
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Sends bytes as they are and takes the response body as bytes: for calls made from
/// descriptors or from arbitrary input rather than through the generated clients.
#[derive(Default)]
pub struct RawCodec;

pub struct RawEncoder;
pub struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = tonic::Status;
    fn encode(&mut self, item: Bytes, buf: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        buf.put(item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = tonic::Status;
    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        Ok(Some(buf.copy_to_bytes(buf.remaining())))
    }
}

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// Registers one more organisation, national, when the server starts: for tests that call with
/// certificates of their own.
pub fn register_national(settings: &mut Settings, role: &str, id: &str) {
    let role = Role::parse(role).expect("a kandas role");
    settings
        .seed_organisations
        .push(Organisation::national(id, role));
}

/// Registers one more organisation acting in `regions` only, when the server starts.
pub fn register_regional(settings: &mut Settings, role: &str, id: &str, regions: &[&str]) {
    use kandas::domain::organisation::Jurisdiction;
    use kandas::domain::regions::Region;
    let role = Role::parse(role).expect("a kandas role");
    let regions = regions
        .iter()
        .map(|code| Region::parse(code).expect("a region code"))
        .collect();
    settings.seed_organisations.push(Organisation {
        jurisdiction: Jurisdiction::Regions(regions),
        ..Organisation::national(id, role)
    });
}

/// The organisations of [`TestApp::identity`], `test-<role>` for every role, national.
pub fn test_organisations() -> Vec<Organisation> {
    Role::ALL
        .into_iter()
        .map(|role| Organisation::national(&format!("test-{role}"), role))
        .collect()
}

/// Sends raw bytes and returns the status line, the head and the body of the answer.
pub async fn http_raw(addr: SocketAddr, request: &[u8]) -> (String, String, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect to metrics");
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).expect("UTF-8 answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.lines().next().unwrap().to_string();
    (status, head.to_string(), body.to_string())
}

/// The metrics text of a server started with `metrics_listen`.
pub async fn metrics_text(app: &TestApp) -> String {
    let addr = app
        .metrics
        .expect("the test serves metrics (metrics_listen)");
    let (status, _, body) =
        http_raw(addr, b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    body
}

/// Waits for `condition` (checked every 50 ms) for at most `bound`.
pub async fn wait_until<F, Fut>(bound: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + bound;
    loop {
        if condition().await {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The CA and the client pairs of `roles`, as files curl and Node read.
pub fn write_certificates(app: &TestApp, dir: &std::path::Path, roles: &[&str]) {
    std::fs::write(dir.join("ca.pem"), app.ca.cert_pem()).unwrap();
    for role in roles {
        let pair = app.identity(role);
        std::fs::write(dir.join(format!("{role}.pem")), &pair.cert_pem).unwrap();
        std::fs::write(dir.join(format!("{role}.key")), &pair.key_pem).unwrap();
    }
}

/// One Connect unary call with curl: the HTTP status and the JSON answer.
pub async fn curl(
    app: &TestApp,
    dir: &std::path::Path,
    role: &str,
    path: &str,
    body: &str,
    extra: &[&str],
) -> (u16, serde_json::Value) {
    // The server runs on this test's runtime: curl is awaited, never blocked on.
    let output = tokio::process::Command::new("curl")
        .current_dir(dir)
        .args(["--silent", "--show-error", "--cacert", "ca.pem"])
        .args([
            "--cert",
            &format!("{role}.pem"),
            "--key",
            &format!("{role}.key"),
        ])
        .args(["--header", "Content-Type: application/json"])
        .args(["--data-binary", body])
        .args(["--write-out", "\n%{http_code}"])
        .args(extra)
        .arg(format!("https://localhost:{}{path}", app.addr.port()))
        .output()
        .await
        .unwrap_or_else(|e| panic!("curl cannot be run ({e}): apt-get install curl"));
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "curl failed: {printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (answer, status) = printed.rsplit_once('\n').expect("curl printed the status");
    let answer = serde_json::from_str(answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
    (status.parse().unwrap(), answer)
}

/// `kandas serve` (the binary at `kandas`) as an operator starts it, in `dir` (its development
/// PKI lands in `dir/.kandas/certs`), on an empty database (which it migrates, as at a first
/// start) and a free port, without metrics, and with none of this process's `KANDAS_`
/// settings: the caller adds its own and where the output goes.
pub async fn serve_binary(
    kandas: &std::path::Path,
    dir: &std::path::Path,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(kandas);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KANDAS_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command
        .arg("serve")
        .current_dir(dir)
        .env("KANDAS_LISTEN", "127.0.0.1:0")
        .env("KANDAS_METRICS_LISTEN", "off")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let roles = database_of(&empty_database().await);
    command
        .env("KANDAS_DATABASE_URL", roles.service)
        .env("KANDAS_MIGRATION_DATABASE_URL", roles.owner);
    command
}
