//! The target: a service, its database, and client identities.

use anyhow::Context;
use kandas::local::pki::{CertificateAuthority, Validity};
use kandas::local::postgres::{ClusterOptions, LocalCluster, PgBinaries};
use kandas::server::startup::{Application, Settings, TlsMaterial};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::{Args, ROLES};

/// Resources of an in-process target; dropped in field order (server, cluster, directory).
pub(crate) struct Local {
    pub(crate) shutdown: tokio::sync::oneshot::Sender<()>,
    pub(crate) server: tokio::task::JoinHandle<anyhow::Result<()>>,
    pub(crate) cluster: LocalCluster,
    pub(crate) _dir: tempfile::TempDir,
}

pub(crate) struct Target {
    pub(crate) addr: String,
    pub(crate) ca_pem: String,
    /// (role, certificate PEM, key PEM)
    pub(crate) identities: Vec<(String, String, String)>,
    pub(crate) db: PgPool,
    /// The organisation id of the `registry` identity, which the feed scenario subscribes.
    pub(crate) registry: String,
    pub(crate) local: Option<Local>,
}

impl Target {
    pub(crate) async fn start(args: &Args) -> anyhow::Result<Target> {
        match &args.addr {
            Some(addr) => Target::remote(addr, args).await,
            None => Target::in_process().await,
        }
    }

    pub(crate) async fn remote(addr: &str, args: &Args) -> anyhow::Result<Target> {
        let url = args
            .database_url
            .as_deref()
            .context("--addr needs --database-url (or KANDAS_DATABASE_URL) to fill rows")?;
        let read = |name: String| {
            let path = args.certs.join(name);
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        };
        let mut identities = Vec::new();
        for role in ROLES {
            identities.push((
                role.to_string(),
                read(format!("{role}.pem"))?,
                read(format!("{role}.key"))?,
            ));
        }
        Ok(Target {
            addr: addr.to_string(),
            ca_pem: read("ca.pem".into())?,
            identities,
            db: bench_pool(url).await?,
            // The development PKI's organisation, as `kandas certs` names it.
            registry: "dev-registry".into(),
            local: None,
        })
    }

    pub(crate) async fn in_process() -> anyhow::Result<Target> {
        let dir = tempfile::Builder::new().prefix("kandas-bench-").tempdir()?;
        // Traversable by the `postgres` user, which runs the server when we run as root.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )?;
        let data = dir.path().join("data");
        let root = dir.path().to_path_buf();
        // Durable settings (ephemeral: false): every commit is fsynced, as in production.
        let cluster = tokio::task::spawn_blocking(move || {
            LocalCluster::start_with(
                &PgBinaries::locate()?,
                &data,
                ClusterOptions::default(),
                &root,
            )
        })
        .await??;
        let url = cluster.url("kandas");

        let ca = CertificateAuthority::generate("kandas bench CA")?;
        let server = ca.issue_server(&["localhost"], &["127.0.0.1".parse()?])?;
        let tls = TlsMaterial {
            cert_chain_pem: server.cert_pem.into_bytes(),
            key_pem: server.key_pem.into_bytes(),
            client_ca_pem: ca.cert_pem().into_bytes(),
            client_crls: Vec::new(),
        };
        // Production defaults (pool of 16, system clock) except the port.
        let mut settings = Settings::new("127.0.0.1:0".parse()?, url.clone(), tls);
        // The bench's own organisations, national, as the development PKI's are.
        for role in ROLES {
            let role = kandas::domain::role::Role::parse(role).expect("a kandas role");
            settings
                .seed_organisations
                .push(kandas::domain::organisation::Organisation::national(
                    &format!("bench-{role}"),
                    role,
                ));
        }
        let app = Application::build(settings).await?;
        let addr = app.local_addr().to_string();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let mut identities = Vec::new();
        for role in ROLES {
            let uri = format!("urn:kandas:{role}:bench-{role}");
            let pair = ca.issue_client(role, Some(&uri), Validity::Days(1))?;
            identities.push((role.to_string(), pair.cert_pem, pair.key_pem));
        }
        Ok(Target {
            addr,
            ca_pem: ca.cert_pem(),
            identities,
            db: bench_pool(&url).await?,
            registry: "bench-registry".into(),
            local: Some(Local {
                shutdown,
                server,
                cluster,
                _dir: dir,
            }),
        })
    }

    /// `n` channels authenticated as `role`, each its own TLS connection, connected up front so
    /// handshakes are not measured. One connection per client is what many front offices
    /// would open; sharing one HTTP/2 connection would measure that connection's task instead.
    pub(crate) async fn channels(&self, role: &str, n: usize) -> anyhow::Result<Vec<Channel>> {
        let (_, cert, key) = self
            .identities
            .iter()
            .find(|(r, _, _)| r == role)
            .context("unknown role")?;
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca_pem))
            .identity(Identity::from_pem(cert, key))
            .domain_name("localhost");
        let endpoint = Channel::from_shared(format!("https://{}", self.addr))?.tls_config(tls)?;
        let connects = (0..n).map(|_| endpoint.connect());
        let channels = futures_util::future::try_join_all(connects)
            .await
            .with_context(|| format!("connecting to {} as {role}", self.addr))?;
        Ok(channels)
    }

    pub(crate) async fn channel(&self, role: &str) -> anyhow::Result<Channel> {
        Ok(self.channels(role, 1).await?.remove(0))
    }

    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        self.db.close().await;
        if let Some(local) = self.local {
            let _ = local.shutdown.send(());
            local.server.await??;
            tokio::task::spawn_blocking(move || local.cluster.stop()).await??;
        }
        Ok(())
    }
}

/// The benchmark's own pool: as large as the service's, for the storage ceiling and filling.
async fn bench_pool(url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(kandas::config::DEFAULT_DB_MAX_CONNECTIONS)
        .connect(url)
        .await
        .context("connecting to the database")
}
