//! Builds and runs the server; `main` and the tests share it.

use crate::api::{
    admin::AdminApi, application::ApplicationApi, audit::AuditApi, notification::NotificationApi,
    person::PersonApi, prerequisite::PrerequisiteApi, quota::QuotaApi, support::SupportApi,
};
use crate::config::{Config, DevelopmentPki, Isolation};
use crate::domain::organisation::Organisation;
use crate::pb::{
    admin_service_server::AdminServiceServer, application_service_server::ApplicationServiceServer,
    audit_service_server::AuditServiceServer,
    notification_service_server::NotificationServiceServer,
    person_service_server::PersonServiceServer,
    prerequisite_service_server::PrerequisiteServiceServer,
    quota_service_server::QuotaServiceServer, support_service_server::SupportServiceServer,
};
use crate::server::auth::AuthLayer;
use crate::server::connect::{ConnectLayer, Contract, RefuseUndecodableLayer};
use crate::server::connections::{Connection, ConnectionLimits, Connections, accept_loop};
use crate::server::metrics::{Metrics, MetricsLayer};
use crate::server::request_body::Limits;
use crate::server::shed::{Shares, ShedLayer};
use crate::server::tls::CurrentTls;
use crate::state::{AppState, CalendarCell, Clock, OrganisationsCell};
use crate::store::{self, PoolSettings};
use anyhow::Context;
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::Server;
use tonic_health::ServingStatus;

/// How often retention looks for documents due for erasure: a day's delay at most matters
/// little against a year's term, and an hourly look keeps each run small.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// How often applicants are looked for whose application's deadline passed: a missed deadline
/// is told on the day after (SPEC 5.8), and a look every few minutes finds it early that day
/// at a cost of one indexed query when there is none.
const MISSED_DEADLINES_EVERY: Duration = Duration::from_secs(300);
/// How often open connections are checked against the organisations in force (and, after a
/// reload, against the TLS configuration): "within seconds" of a suspension or a revocation.
const STANDING_EVERY: Duration = Duration::from_secs(1);
/// How often refused connections are summarised in the log.
const REFUSALS_LOGGED_EVERY: Duration = Duration::from_secs(10);

pub use crate::server::tls::{TlsFiles, TlsMaterial};

/// Everything the server needs, already resolved.
#[derive(Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// The service's database role: it should own nothing (see `crate::store::privileges`).
    pub database_url: String,
    /// The owner of the schema: migrations run as it, and it then gives the role of
    /// `database_url` its privileges. `None`: `database_url` migrates too, and so owns the
    /// schema.
    pub migration_database_url: Option<String>,
    /// Serve even when the role of `database_url` could rewrite the audit evidence (a
    /// superuser, the schema's owner): logged as an error at start instead of refused.
    pub allow_privileged_database_role: bool,
    /// Restarts of a private cluster after it died, for the metrics; `None` without one.
    pub database_restarts: Option<Arc<std::sync::atomic::AtomicU64>>,
    pub tls: TlsMaterial,
    /// Where `tls` was read from: the files are read again when they change or on SIGHUP.
    pub tls_files: Option<TlsFiles>,
    /// How often the TLS files are looked at.
    pub tls_reload_every: Duration,
    pub pool: PoolSettings,
    pub max_message_bytes: usize,
    /// Calls served at once; more are refused RESOURCE_EXHAUSTED (see `crate::server::shed`).
    pub max_concurrent_requests: usize,
    /// Shares per organisation, connection caps and timeouts (see `crate::server::shed` and
    /// `crate::server::connections`).
    pub isolation: Isolation,
    /// Plain-HTTP Prometheus endpoint; `None` serves none. Port 0 picks a free port
    /// (see [`Application::metrics_addr`]). `kandas serve` defaults to 127.0.0.1:9464.
    pub metrics_listen: Option<SocketAddr>,
    /// When false, an address for metrics that cannot be bound only logs a warning and the
    /// server starts without metrics (used for the default address, which another process may
    /// hold); when true, it stops the start.
    pub metrics_required: bool,
    pub clock: Clock,
    /// How often the audit sealer runs.
    pub seal_every: Duration,
    /// How often health probes the database.
    pub health_every: Duration,
    /// Organisations registered at start unless their id already is (an operator's later
    /// change is never undone by a restart).
    pub seed_organisations: Vec<Organisation>,
    /// Refused: the start stops, after seeding, while a development organisation is active or
    /// no admin organisation of the operator's own is (see `crate::config::production`).
    pub development_pki: DevelopmentPki,
    /// The TrueType font of re-issued kandas certificates.
    pub certificate_font: std::path::PathBuf,
    /// Signs the audit chain head (SPEC §7). `kandas serve` always has one (the configured
    /// key or the development key); `None` leaves heads unsigned.
    pub audit_signer: Option<Arc<crate::audit::HeadSigner>>,
    /// Public keys of earlier signing keys: heads signed before a rotation verify with them.
    pub audit_previous_keys: Vec<crate::audit::PublicKey>,
    /// Where the last signed head is kept outside the database; `None` keeps it in memory
    /// only (tests). `kandas serve` always has one.
    pub audit_head_file: Option<std::path::PathBuf>,
    /// Files holding earlier signed heads (exports, head files, a registry's copy).
    pub audit_witnesses: Vec<std::path::PathBuf>,
    /// The national CAs trusted for applicants' signatures (PEM files) and their CRLs (PEM or
    /// DER files): read at start, where a bad file stops the start, and again every minute.
    pub applicant_trust: ApplicantTrustFiles,
}

impl Settings {
    /// The settings of `kandas serve` with nothing configured, but binding and writing nothing
    /// beyond the API: no metrics endpoint, the signed head kept in memory, heads unsigned.
    /// Tests and embedders start from it.
    pub fn new(listen: SocketAddr, database_url: String, tls: TlsMaterial) -> Settings {
        let defaults = crate::config::ServeArgs::default()
            .resolve()
            .expect("the defaults of the settings resolve");
        Settings {
            listen,
            metrics_listen: None,
            metrics_required: true,
            audit_head_file: None,
            ..Settings::configured(&defaults, database_url, tls)
        }
    }

    /// What `config` says, serving the database at `database_url` with `tls`, read from the
    /// files `config` names. What only exists once the process runs (the signer, a private
    /// cluster's restarts, the organisations to seed) is left for the caller to add.
    pub fn configured(config: &Config, database_url: String, tls: TlsMaterial) -> Settings {
        Settings {
            listen: config.listen,
            database_url,
            migration_database_url: config.migration_database_url.clone(),
            allow_privileged_database_role: config.allow_privileged_database_role,
            database_restarts: None,
            tls,
            tls_files: None,
            tls_reload_every: Duration::from_secs(2),
            pool: PoolSettings {
                max_connections: config.db_max_connections,
                acquire_timeout: config.db_acquire_timeout,
            },
            max_message_bytes: config.max_message_bytes,
            max_concurrent_requests: config.max_concurrent_requests,
            isolation: config.isolation,
            metrics_listen: config.metrics_listen,
            metrics_required: config.metrics_listen_configured,
            clock: Clock::system(),
            seal_every: Duration::from_millis(500),
            health_every: Duration::from_secs(1),
            seed_organisations: Vec::new(),
            development_pki: config.development_pki.clone(),
            certificate_font: config.certificate_font.clone(),
            audit_signer: None,
            audit_previous_keys: config.audit_previous_keys.clone(),
            audit_head_file: Some(config.audit_head_file.clone()),
            audit_witnesses: config.audit_witnesses.clone(),
            applicant_trust: ApplicantTrustFiles {
                cas: config.applicant_signature_ca.clone(),
                crls: config.applicant_signature_crl.clone(),
            },
        }
    }
}

/// Where the national CAs for applicants' signatures and their CRLs are read from.
#[derive(Debug, Clone, Default)]
pub struct ApplicantTrustFiles {
    pub cas: Vec<std::path::PathBuf>,
    pub crls: Vec<std::path::PathBuf>,
}

impl ApplicantTrustFiles {
    /// Reads and parses every file; an error names the file and what is wrong with it.
    pub fn read(&self) -> anyhow::Result<crate::signature::TrustStore> {
        let read = |paths: &[std::path::PathBuf]| -> anyhow::Result<Vec<(String, Vec<u8>)>> {
            paths
                .iter()
                .map(|path| {
                    std::fs::read(path)
                        .map(|bytes| (path.display().to_string(), bytes))
                        .with_context(|| format!("reading {}", path.display()))
                })
                .collect()
        };
        Ok(crate::signature::TrustStore::from_files(
            &read(&self.cas)?,
            &read(&self.crls)?,
        )?)
    }
}

/// How often the applicant signature CA and CRL files are read again: a new CRL is in force
/// within a minute, without a restart.
const APPLICANT_TRUST_REREAD: Duration = Duration::from_secs(60);

/// A bound, migrated, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    tls: CurrentTls,
    state: AppState,
    settings: Settings,
    /// Cancelled when shutdown starts, so open streams end and graceful stop can finish.
    stopping: CancellationToken,
}

/// Migrates as the owner at `owner_url`, then gives the role `service` logs in as exactly
/// the privileges of `store::privileges`; returns that role.
pub async fn migrate_as_owner(
    owner_url: &str,
    service: &PgPool,
    acquire_timeout: Duration,
) -> anyhow::Result<String> {
    let owner = store::connect_lazy(
        owner_url,
        &PoolSettings {
            max_connections: 2,
            acquire_timeout: acquire_timeout.max(Duration::from_secs(10)),
        },
    )
    .context("parsing the migration database URL")?;
    let prepared = async {
        store::migrate(&owner)
            .await
            .context("applying database migrations as the owner role")?;
        let role = store::privileges::login_role(service)
            .await
            .context("connecting as the service role")?;
        store::privileges::grant(&owner, &role)
            .await
            .with_context(|| format!("granting the service role {role} its privileges"))?;
        Ok(role)
    }
    .await;
    owner.close().await;
    prepared
}

/// Migrates the database and makes sure the service's role cannot rewrite the evidence: with
/// an owner URL, the owner migrates and grants; either way the role the service logs in as is
/// checked, and one that could rewrite the audit log stops the start unless that is allowed.
async fn prepare_database(pool: &PgPool, settings: &Settings) -> anyhow::Result<()> {
    match &settings.migration_database_url {
        Some(url) => {
            migrate_as_owner(url, pool, settings.pool.acquire_timeout).await?;
        }
        None => store::migrate(pool)
            .await
            .context("applying database migrations")?,
    }
    let excess = store::privileges::excess_privileges(pool)
        .await
        .context("checking the service role's privileges")?;
    if excess.is_empty() {
        return Ok(());
    }
    let problems = excess.join("; ");
    if settings.allow_privileged_database_role {
        tracing::error!(
            %problems,
            "the service's database role could rewrite the audit log (SPEC 7); serving anyway \
             because KANDAS_ALLOW_PRIVILEGED_DATABASE_ROLE is set"
        );
        return Ok(());
    }
    anyhow::bail!(
        "the service's database role could rewrite the audit log: {problems}. Give \
         KANDAS_DATABASE_URL a role that owns nothing and KANDAS_MIGRATION_DATABASE_URL the \
         schema's owner (the owner grants the service role what it needs at every start), or \
         set KANDAS_ALLOW_PRIVILEGED_DATABASE_ROLE=true to serve anyway"
    )
}

impl Application {
    /// Binds the listener (port 0 picks a free one), connects, and applies migrations.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let tls = CurrentTls::new(&settings.tls, settings.tls_files.as_ref())?;
        let pool = store::connect_lazy(&settings.database_url, &settings.pool)
            .context("parsing the database URL")?;
        prepare_database(&pool, &settings).await?;
        let calendar = store::calendar::current(&pool)
            .await
            .context("loading the calendar")?;
        crate::service::organisations::seed(&pool, &settings.seed_organisations)
            .await
            .context("registering the seed organisations")?;
        let organisations = store::organisations::all(&pool)
            .await
            .context("loading the organisations")?;
        settings
            .development_pki
            .refuse(&settings.development_pki.registered(&organisations))?;
        let registry = crate::domain::organisation::Registry::new(organisations);
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let metrics_listener = match settings.metrics_listen {
            Some(addr) => match crate::server::metrics::bind(addr).await {
                Ok(listener) => Some(listener),
                Err(error) if !settings.metrics_required => {
                    tracing::warn!(%addr, %error, "metrics endpoint not bound; serving without it");
                    None
                }
                Err(error) => {
                    return Err(anyhow::Error::new(error)
                        .context(format!("binding the metrics endpoint {addr}")));
                }
            },
            None => None,
        };
        if !settings.certificate_font.is_file() {
            tracing::warn!(
                font = %settings.certificate_font.display(),
                "KANDAS_CERTIFICATE_FONT is not a file: DownloadKandasCertificate is refused \
                 until it is (Debian: apt-get install fonts-dejavu-core)"
            );
        }
        let applicant_trust = settings
            .applicant_trust
            .read()
            .context("KANDAS_APPLICANT_SIGNATURE_CA / KANDAS_APPLICANT_SIGNATURE_CRL")?;
        let (cas, crls) = applicant_trust.counts();
        if cas == 0 {
            tracing::warn!(
                "no national CA is trusted for applicants' signatures \
                 (KANDAS_APPLICANT_SIGNATURE_CA): every signed portal act is refused"
            );
        } else if crls == 0 {
            tracing::warn!(
                cas,
                "no CRL is configured for applicants' signatures \
                 (KANDAS_APPLICANT_SIGNATURE_CRL): revoked certificates are not refused"
            );
        } else {
            tracing::info!(cas, crls, "national CAs trusted for applicants' signatures");
        }
        let evidence = match &settings.audit_signer {
            Some(signer) => {
                let mut keys = settings.audit_previous_keys.clone();
                keys.push(signer.public_key());
                let keeper = crate::audit::HeadKeeper::load(
                    settings.audit_head_file.clone(),
                    &settings.audit_witnesses,
                    &keys,
                )
                .context("learning the last signed audit head (KANDAS_AUDIT_HEAD_FILE, KANDAS_AUDIT_WITNESSES)")?;
                crate::audit::Evidence::new(Some(signer.clone()), keeper)
            }
            None => crate::audit::Evidence::unsigned(),
        };
        let stopping = CancellationToken::new();
        let state = AppState {
            shutdown: stopping.clone(),
            audit: crate::audit::AuditWriter::start(pool.clone(), Arc::new(evidence)),
            pool,
            calendar: CalendarCell::new(calendar),
            organisations: OrganisationsCell::new(registry),
            clock: settings.clock,
            certificate_font: settings.certificate_font.clone(),
            audit_signer: settings.audit_signer.clone(),
            audit_previous_keys: settings.audit_previous_keys.clone(),
            record_streams: Default::default(),
            notification_streams: Default::default(),
            applicant_trust: crate::state::ApplicantTrustCell::new(applicant_trust),
            replica: crate::server::replica::name(
                listener.local_addr().context("reading the bound address")?,
            )
            .into(),
        };
        Ok(Application {
            listener,
            metrics_listener,
            tls,
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

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .map(|l| l.local_addr().expect("a bound listener has an address"))
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
            metrics_listener,
            tls,
            state,
            settings,
            stopping,
        } = self;
        let shutdown = async move {
            shutdown.await;
            stopping.cancel();
        };
        // The tasks beside the gRPC server. They run on until the server has drained, not only
        // until shutdown starts: health keeps answering, the sealer and the relay keep serving
        // the calls still finishing, and metrics can still be scraped.
        let tasks = TaskTracker::new();
        let tasks_stop = CancellationToken::new();
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        // tonic-health starts the overall status at SERVING; nothing is known until the first
        // database probe, which sets every service and then the overall status.
        health_reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        let takes_writes = Arc::new(std::sync::atomic::AtomicBool::new(false));
        spawn_until(
            &tasks,
            &tasks_stop,
            crate::server::health::watch_database(
                state.pool.clone(),
                health_reporter.clone(),
                settings.health_every,
                takes_writes.clone(),
            ),
        );
        spawn_until(
            &tasks,
            &tasks_stop,
            crate::audit::run_sealer(
                state.pool.clone(),
                settings.seal_every,
                state.audit.evidence().clone(),
                Some(health_reporter),
            ),
        );
        spawn_until(
            &tasks,
            &tasks_stop,
            crate::service::jobs::run_every(
                crate::service::retention::JOB,
                state.pool.clone(),
                state.audit.evidence().clone(),
                state.clock,
                RETENTION_EVERY,
                state.replica.clone(),
            ),
        );
        spawn_until(
            &tasks,
            &tasks_stop,
            crate::service::jobs::run_every(
                crate::service::missed_deadlines::JOB,
                state.pool.clone(),
                state.audit.evidence().clone(),
                state.clock,
                MISSED_DEADLINES_EVERY,
                state.replica.clone(),
            ),
        );

        let (decided, decisions_watched) = tokio::sync::watch::channel(0u64);
        let (recorded, records_watched) = tokio::sync::watch::channel(0u64);
        let (notified, notifications_watched) = tokio::sync::watch::channel(0u64);
        let (calendar_loaded, calendar_watched) = tokio::sync::watch::channel(0u64);
        let (registry_changed, registry_watched) = tokio::sync::watch::channel(0u64);
        spawn_until(
            &tasks,
            &tasks_stop,
            crate::store::wakeups::relay(
                state.pool.clone(),
                vec![
                    (crate::store::quota::FEED_CHANNEL, decided),
                    (crate::store::record_events::FEED_CHANNEL, recorded),
                    (crate::store::notifications::CHANNEL, notified),
                    (crate::store::calendar::CALENDAR_CHANNEL, calendar_loaded),
                    (
                        crate::store::organisations::ORGANISATIONS_CHANNEL,
                        registry_changed,
                    ),
                ],
            ),
        );
        spawn_until(&tasks, &tasks_stop, {
            let pool = state.pool.clone();
            state.calendar.clone().keep_fresh(
                calendar_watched,
                Duration::from_secs(60),
                "calendar",
                async move || store::calendar::current(&pool).await,
            )
        });
        spawn_until(&tasks, &tasks_stop, {
            let pool = state.pool.clone();
            state.organisations.clone().keep_fresh(
                registry_watched,
                crate::service::organisations::REREAD_EVERY,
                "organisations",
                async move || crate::service::organisations::load(&pool).await,
            )
        });

        spawn_until(&tasks, &tasks_stop, {
            let files = settings.applicant_trust.clone();
            // Nothing announces a changed file: only the re-read's tick wakes it.
            let (never, unchanged) = tokio::sync::watch::channel(0u64);
            let reread = state.applicant_trust.clone().keep_fresh(
                unchanged,
                APPLICANT_TRUST_REREAD,
                "applicant signature CAs and CRLs",
                async move || files.read(),
            );
            async move {
                let _never = never;
                reread.await
            }
        });

        let reflection = || {
            crate::server::DESCRIPTOR_SETS.into_iter().fold(
                tonic_reflection::server::Builder::configure(),
                |builder, set| builder.register_encoded_file_descriptor_set(set),
            )
        };
        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;

        let isolation = settings.isolation;
        let body_limits = Limits {
            max_message_bytes: settings.max_message_bytes,
            arrival_timeout: isolation.request_arrival_timeout,
        };
        let shed = ShedLayer::new(
            Shares {
                total: settings.max_concurrent_requests,
                per_organisation: isolation.max_calls_per_organisation,
                wait: isolation.share_wait,
            },
            body_limits,
        );
        let connect = ConnectLayer::new(Arc::new(Contract::served()?), body_limits);
        let metrics = Arc::new(Metrics::new());
        let limits = ConnectionLimits {
            max_total: isolation.max_connections,
            max_per_client: isolation.max_connections_per_client,
            max_handshakes: isolation.max_handshakes,
            max_handshakes_per_source: isolation.max_handshakes_per_source,
            handshake_timeout: isolation.handshake_timeout,
            idle_timeout: isolation.idle_timeout,
            max_age: isolation.max_connection_age,
        };
        let open = Connections::new(&limits);
        if let Some(listener) = metrics_listener {
            tasks.spawn(crate::server::metrics::serve(
                listener,
                crate::server::metrics::Sources {
                    metrics: metrics.clone(),
                    pool: state.pool.clone(),
                    shed: Some(shed.clone()),
                    audit: Some(state.audit.clone()),
                    record_streams: Some(state.record_streams.clone()),
                    notification_streams: Some(state.notification_streams.clone()),
                    database_restarts: settings.database_restarts.clone(),
                    tls: Some(tls.clone()),
                    connections: Some(open.clone()),
                    database_takes_writes: Some(takes_writes),
                    clock: state.clock,
                },
                tasks.clone(),
                tasks_stop.clone(),
            ));
        }

        let limit = settings.max_message_bytes;
        let (connections, incoming) = mpsc::channel::<Result<Connection, std::io::Error>>(64);
        spawn_until(
            &tasks,
            &tasks_stop,
            crate::server::tls::keep_current(
                tls.clone(),
                settings.tls_files.clone(),
                settings.tls_reload_every,
            ),
        );
        spawn_until(
            &tasks,
            &tasks_stop,
            crate::server::standing::keep_answerable(
                open.established.clone(),
                tls.clone(),
                state.organisations.clone(),
                STANDING_EVERY,
            ),
        );
        spawn_until(
            &tasks,
            &tasks_stop,
            crate::server::refusals::summarize(open.refusals.clone(), REFUSALS_LOGGED_EVERY),
        );
        // It returns by itself when shutdown starts; the stop only covers a server that ends
        // without one (an error).
        spawn_until(
            &tasks,
            &tasks_stop,
            accept_loop(
                listener,
                tls,
                limits,
                open,
                connections,
                state.shutdown.clone(),
            ),
        );

        let result = Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            .max_concurrent_streams(isolation.max_concurrent_streams)
            // A GOAWAY at the maximum age; `Held` closes what is still open a grace later
            // (tonic's own grace would skip the GOAWAY).
            .max_connection_age(isolation.max_connection_age)
            // gRPC-Web and Connect callers (browsers, `curl`, HTTP client libraries) may speak
            // HTTP/1.1; TLS's ALPN offers both.
            .accept_http1(true)
            // Outermost first. Connect JSON and gRPC-Web are translated to gRPC before
            // anything else, so every layer below sees one protocol and no rule exists twice.
            // Metrics see every call, refused ones included. Authorization comes before
            // anything else (our rules: permission is checked first, and an unauthenticated
            // caller must not learn whether the server is busy, nor how its request would have
            // been read). Shedding comes after it but before any handler, so a refused call
            // touches no database connection; shedding before authorization would save only a
            // certificate parse.
            .layer(connect)
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(MetricsLayer::new(metrics))
            .layer(AuthLayer::new(
                state.organisations.clone(),
                state.audit.clone(),
            ))
            .layer(RefuseUndecodableLayer)
            .layer(shed)
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(
                PersonServiceServer::new(PersonApi::new(state.clone(), records_watched))
                    .max_decoding_message_size(limit),
            )
            .add_service(
                NotificationServiceServer::new(NotificationApi::new(
                    state.clone(),
                    notifications_watched,
                ))
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
                QuotaServiceServer::new(QuotaApi::new(state.clone(), decisions_watched))
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

        // Everything beside the server stops with it (open scrapes too), and is waited for:
        // the relay's listening connection and any scrape must be done with the pool before
        // it closes.
        tasks_stop.cancel();
        tasks.close();
        tasks.wait().await;
        // Seal what the last requests wrote, so a clean stop leaves no event waiting.
        let evidence = state.audit.evidence();
        if let Err(error) = crate::audit::seal_pending(&state.pool, evidence).await {
            tracing::warn!(%error, "could not seal the last audit events; the next start will");
        } else if evidence.signer.is_some()
            && evidence.keeper.stopped().is_none()
            && let Err(error) = crate::audit::sign_if_moved(&state.pool, evidence).await
        {
            // The last events stay chained; the sealer of the next start signs them.
            tracing::warn!(%error, "could not sign the last audit chain head");
        }
        state.pool.close().await;
        result.context("serving gRPC")
    }
}

/// Runs `task` on `tracker` until it ends or `stop` is cancelled.
fn spawn_until(
    tracker: &TaskTracker,
    stop: &CancellationToken,
    task: impl Future<Output = ()> + Send + 'static,
) {
    tracker.spawn(stop.clone().run_until_cancelled_owned(task));
}
