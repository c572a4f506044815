//! Builds and runs the server; `main` and the tests share it.

use crate::api::{
    admin::AdminApi, application::ApplicationApi, audit::AuditApi, person::PersonApi,
    prerequisite::PrerequisiteApi, quota::QuotaApi, support::SupportApi,
};
use crate::auth::AuthLayer;
use crate::domain::calendar::Calendar;
use crate::pb::{
    admin_service_server::AdminServiceServer, application_service_server::ApplicationServiceServer,
    audit_service_server::AuditServiceServer, person_service_server::PersonServiceServer,
    prerequisite_service_server::PrerequisiteServiceServer,
    quota_service_server::QuotaServiceServer, support_service_server::SupportServiceServer,
};
use crate::state::{AppState, Clock};
use crate::store::{self, PoolSettings};
use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Server;
use tonic_health::ServingStatus;

/// TLS material as PEM bytes.
#[derive(Clone)]
pub struct TlsMaterial {
    pub cert_chain_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    pub client_ca_pem: Vec<u8>,
}

/// Everything the server needs, already resolved.
#[derive(Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    pub tls: TlsMaterial,
    pub pool: PoolSettings,
    pub max_message_bytes: usize,
    pub clock: Clock,
    /// How often the audit sealer runs.
    pub seal_every: Duration,
    /// How often health probes the database.
    pub health_every: Duration,
}

impl Settings {
    pub fn new(listen: SocketAddr, database_url: String, tls: TlsMaterial) -> Settings {
        Settings {
            listen,
            database_url,
            tls,
            pool: PoolSettings {
                max_connections: crate::config::DEFAULT_DB_MAX_CONNECTIONS,
                acquire_timeout: Duration::from_secs(3),
            },
            max_message_bytes: crate::config::DEFAULT_MAX_MESSAGE_BYTES,
            clock: Clock::system(),
            seal_every: Duration::from_millis(500),
            health_every: Duration::from_secs(1),
        }
    }
}

/// The gRPC services and their health names.
const SERVICE_NAMES: [&str; 7] = [
    "kandas.v1.PersonService",
    "kandas.v1.ApplicationService",
    "kandas.v1.QuotaService",
    "kandas.v1.SupportService",
    "kandas.v1.PrerequisiteService",
    "kandas.v1.AuditService",
    "kandas.v1.AdminService",
];

/// A bound, migrated, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: AppState,
    settings: Settings,
    /// Told when shutdown starts, so open streams end and graceful stop can finish.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl Application {
    /// Binds the listener (port 0 picks a free one), connects, and applies migrations.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let acceptor = tls_acceptor(&settings.tls)?;
        let pool = store::connect_lazy(&settings.database_url, &settings.pool)
            .context("parsing the database URL")?;
        store::migrate(&pool)
            .await
            .context("applying database migrations")?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let (stopping, shutdown) = tokio::sync::watch::channel(false);
        let state = AppState {
            shutdown,
            pool,
            calendar: Arc::new(Calendar::kazakhstan_default()),
            clock: settings.clock,
        };
        Ok(Application {
            listener,
            acceptor,
            state,
            settings,
            stopping,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn pool(&self) -> &PgPool {
        &self.state.pool
    }

    /// Serves until `shutdown` completes; in-flight RPCs then finish before this returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            acceptor,
            state,
            settings,
            stopping,
        } = self;
        let shutdown = async move {
            shutdown.await;
            let _ = stopping.send(true);
        };
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        let health_task = tokio::spawn(watch_database(
            state.pool.clone(),
            health_reporter,
            settings.health_every,
        ));
        let sealer_task = tokio::spawn(crate::audit::run_sealer(
            state.pool.clone(),
            settings.seal_every,
        ));

        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;

        let limit = settings.max_message_bytes;
        let (connections, incoming) =
            mpsc::channel::<Result<TlsStream<TcpStream>, std::io::Error>>(64);
        let accept_task = tokio::spawn(accept_loop(listener, acceptor, connections));

        let result = Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            .layer(AuthLayer)
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(
                PersonServiceServer::new(PersonApi::new(state.clone()))
                    .max_decoding_message_size(limit),
            )
            .add_service(
                ApplicationServiceServer::new(ApplicationApi::new(state.clone()))
                    .max_decoding_message_size(limit),
            )
            .add_service(
                AuditServiceServer::new(AuditApi::new(state.clone()))
                    .max_decoding_message_size(limit),
            )
            .add_service(
                PrerequisiteServiceServer::new(PrerequisiteApi::new(state.clone()))
                    .max_decoding_message_size(limit),
            )
            .add_service(
                QuotaServiceServer::new(QuotaApi::new(state.clone()))
                    .max_decoding_message_size(limit),
            )
            .add_service(
                SupportServiceServer::new(SupportApi::new(state.clone()))
                    .max_decoding_message_size(limit),
            )
            .add_service(
                AdminServiceServer::new(AdminApi::new(state.clone()))
                    .max_decoding_message_size(limit),
            )
            .serve_with_incoming_shutdown(ReceiverStream::new(incoming), shutdown)
            .await;

        accept_task.abort();
        health_task.abort();
        sealer_task.abort();
        // Seal what the last requests wrote, so a clean stop leaves no event waiting.
        if let Err(error) = crate::audit::seal_pending(&state.pool).await {
            tracing::warn!(%error, "could not seal the last audit events; the next start will");
        }
        state.pool.close().await;
        result.context("serving gRPC")
    }
}

/// Accepts TCP connections and completes TLS handshakes concurrently, so one slow or hostile
/// client cannot hold up the others.
async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    connections: mpsc::Sender<Result<TlsStream<TcpStream>, std::io::Error>>,
) {
    const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and similar: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let connections = connections.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let _ = connections.send(Ok(stream)).await;
                }
                Ok(Err(error)) => tracing::info!(%peer, %error, "TLS handshake refused"),
                Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// TLS 1.3 only, HTTP/2 only, and a client certificate from the configured CA required.
pub fn tls_acceptor(tls: &TlsMaterial) -> anyhow::Result<TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&tls.cert_chain_pem)
        .collect::<Result<_, _>>()
        .context("reading the server certificate chain (PEM)")?;
    anyhow::ensure!(
        !certs.is_empty(),
        "the server certificate file holds no certificate"
    );
    let key = PrivateKeyDer::from_pem_slice(&tls.key_pem)
        .context("reading the server private key (PEM)")?;
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(&tls.client_ca_pem) {
        roots
            .add(ca.context("reading the client CA (PEM)")?)
            .context("adding the client CA")?;
    }
    anyhow::ensure!(!roots.is_empty(), "the client CA file holds no certificate");
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .context("building the client certificate verifier")?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .context("selecting TLS 1.3")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .context("the server certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Reports SERVING while the database answers and NOT_SERVING while it does not.
async fn watch_database(
    pool: PgPool,
    reporter: tonic_health::server::HealthReporter,
    every: Duration,
) {
    let mut last: Option<bool> = None;
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let probe = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&pool);
        let up = matches!(
            tokio::time::timeout(every.max(Duration::from_secs(1)), probe).await,
            Ok(Ok(_))
        );
        if last == Some(up) {
            continue;
        }
        let status = if up {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        // The overall status last, so a client seeing it finds every service set too.
        for name in SERVICE_NAMES {
            reporter.set_service_status(name, status).await;
        }
        reporter.set_service_status("", status).await;
        if up {
            tracing::info!("database reachable: SERVING");
        } else {
            tracing::warn!("database unreachable: NOT_SERVING");
        }
        last = Some(up);
    }
}
