//! The target: a service, its database, and client identities.

use anyhow::Context;
use kandas::local::pki::{CertificateAuthority, Validity};
use kandas::local::postgres::{ClusterOptions, LocalCluster, PgBinaries};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::io::BufRead;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::Args;
use crate::cost::Watch;
use crate::serve::{self, IDENTITIES};

/// Resources of a target the bench started: the server's process, then the cluster, then
/// the directory, stopped in that order.
pub(crate) struct Local {
    server: std::process::Child,
    /// The read end of the server's standard output, held so a late line cannot fail it.
    _output: Output,
    cluster: LocalCluster,
    _dir: tempfile::TempDir,
}

pub(crate) struct Target {
    pub(crate) addr: String,
    pub(crate) ca_pem: String,
    /// (identity name, certificate PEM, key PEM); names as in [`IDENTITIES`].
    pub(crate) identities: Vec<(String, String, String)>,
    pub(crate) db: PgPool,
    /// The organisation id of the `registry` identity, which the feed scenario subscribes.
    pub(crate) registry: String,
    /// What each measured window cost the server and the database.
    pub(crate) watch: Watch,
    pub(crate) local: Option<Local>,
}

impl Target {
    pub(crate) async fn start(args: &Args) -> anyhow::Result<Target> {
        match &args.addr {
            Some(addr) => Target::remote(addr, args).await,
            None => Target::in_process().await,
        }
    }

    /// A running service with the certificates of `kandas certs`: one per role is needed;
    /// the fairness and regional-office identities are used when their files are there too.
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
        for identity in IDENTITIES {
            let files = read(format!("{}.pem", identity.name))
                .and_then(|cert| Ok((cert, read(format!("{}.key", identity.name))?)));
            match files {
                Ok((cert, key)) => identities.push((identity.name.to_string(), cert, key)),
                Err(e) if identity.name == identity.role => return Err(e),
                Err(_) => {}
            }
        }
        let db = bench_pool(url).await?;
        Ok(Target {
            addr: addr.to_string(),
            ca_pem: read("ca.pem".into())?,
            identities,
            watch: Watch::new(db.clone(), args.server_pid).await?,
            db,
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
        // Durable settings (ephemeral: false): every commit is fsynced, as in production. The
        // buffer cache is sized as a database server's would be (a quarter of an 8 GB one),
        // not left at PostgreSQL's 128 MB default, which a million files outgrow at once.
        let options = ClusterOptions {
            settings: vec![
                ("shared_buffers".into(), "2GB".into()),
                ("effective_cache_size".into(), "6GB".into()),
            ],
            ..ClusterOptions::default()
        };
        let cluster = tokio::task::spawn_blocking(move || {
            LocalCluster::start_with(&PgBinaries::locate()?, &data, options, &root)
        })
        .await??;
        let url = cluster.url("kandas");

        let ca = CertificateAuthority::generate("kandas bench CA")?;
        let server_pair = ca.issue_server(&["localhost"], &["127.0.0.1".parse()?])?;
        let files = dir.path().join("server");
        std::fs::create_dir(&files)?;
        // The server runs as the service role and migrates as the owner, as `kandas serve`
        // does on its private cluster; the bench fills rows as the superuser.
        std::fs::write(
            files.join(serve::DATABASE_URL),
            cluster.service_url("kandas"),
        )?;
        std::fs::write(
            files.join(serve::MIGRATION_DATABASE_URL),
            cluster.owner_url("kandas"),
        )?;
        std::fs::write(files.join(serve::SERVER_CERT), &server_pair.cert_pem)?;
        std::fs::write(files.join(serve::SERVER_KEY), &server_pair.key_pem)?;
        std::fs::write(files.join(serve::CLIENT_CA), ca.cert_pem())?;
        let (server, output, addr) =
            tokio::task::spawn_blocking(move || spawn_server(&files)).await??;

        let mut identities = Vec::new();
        for identity in IDENTITIES {
            let uri = format!("urn:kandas:{}:{}", identity.role, identity.organisation);
            let pair = ca.issue_client(identity.role, Some(&uri), Validity::Days(1))?;
            identities.push((identity.name.to_string(), pair.cert_pem, pair.key_pem));
        }
        let db = bench_pool(&url).await?;
        let server_pid = Some(server.id());
        Ok(Target {
            addr,
            ca_pem: ca.cert_pem(),
            identities,
            watch: Watch::new(db.clone(), server_pid).await?,
            db,
            registry: "bench-registry".into(),
            local: Some(Local {
                server,
                _output: output,
                cluster,
                _dir: dir,
            }),
        })
    }

    /// Whether an identity's certificate is at hand (a remote target may lack the extra ones).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.identities.iter().any(|(n, _, _)| n == name)
    }

    /// `n` channels authenticated as the identity `role` (a role's name, or one of the extra
    /// identities of [`IDENTITIES`]), each its own TLS connection, connected up front so
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

    /// [`Target::channels`] as ApplicationService clients.
    pub(crate) async fn application_clients(
        &self,
        role: &str,
        n: usize,
    ) -> anyhow::Result<Vec<ApplicationClient>> {
        let channels = self.channels(role, n).await?;
        Ok(channels.into_iter().map(ApplicationClient::new).collect())
    }

    pub(crate) async fn channel(&self, role: &str) -> anyhow::Result<Channel> {
        Ok(self.channels(role, 1).await?.remove(0))
    }

    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        self.db.close().await;
        if let Some(mut local) = self.local {
            // Closing its standard input is the server's signal to stop.
            drop(local.server.stdin.take());
            tokio::task::spawn_blocking(move || {
                let status = local.server.wait()?;
                anyhow::ensure!(status.success(), "the server exited with {status}");
                Ok(local.cluster.stop()?)
            })
            .await??;
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

/// The client every scenario calls the application service with.
pub(crate) type ApplicationClient =
    kandas::pb::application_service_client::ApplicationServiceClient<Channel>;

type Output = std::io::Lines<std::io::BufReader<std::process::ChildStdout>>;

/// Starts this binary as the server on the files in `dir` and waits until it listens.
fn spawn_server(dir: &std::path::Path) -> anyhow::Result<(std::process::Child, Output, String)> {
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("--serve-for-bench")
        .arg(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting the server process")?;
    let stdout = child.stdout.take().context("the server's output")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let addr = loop {
        match lines.next() {
            Some(line) => {
                if let Some(addr) = line?.strip_prefix(serve::LISTENING) {
                    break addr.to_string();
                }
            }
            None => {
                let status = child.wait()?;
                anyhow::bail!("the server process ended before listening ({status})");
            }
        }
    };
    Ok((child, lines, addr))
}
