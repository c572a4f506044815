//! The `kandas` command line: `serve` (the default), `migrate`, `certs`, `audit`, and `admin`
//! (the operator's client, in `kandas::cli`).

use anyhow::Context;
use clap::Parser;
use kandas::audit::{HeadSigner, PublicKey};
use kandas::cli::{Cli, Command};
use kandas::config::{
    AuditCommand, AuditKeySource, Config, DatabaseSource, ExportArgs, ServeArgs, TlsSource,
    VerifyArgs,
};
use kandas::domain::organisation::Organisation;
use kandas::local::pki::{DevPkiPaths, ensure_dev_pki};
use kandas::local::postgres::{ClusterOptions, DATABASE, LocalCluster};
use kandas::server::auth::Role;
use kandas::server::startup::{Application, Settings, TlsFiles};
use kandas::store::PoolSettings;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kandas: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        None => runtime.block_on(serve(ServeArgs::default())),
        Some(Command::Serve(args)) => runtime.block_on(serve(args)),
        Some(Command::Migrate(args)) => runtime.block_on(migrate(args)),
        Some(Command::Certs(args)) => certs(&args.out, args.force),
        Some(Command::Audit(AuditCommand::Export(args))) => runtime.block_on(export(args)),
        // No runtime work and its own exit codes: an auditor's script tells "altered" from
        // "could not check".
        Some(Command::Audit(AuditCommand::Verify(args))) => return verify(&args),
        Some(Command::Signature(command)) => return kandas::cli::signature::run(command),
        // A client of the service: it reports its own failures with its own exit codes.
        Some(Command::Admin(args)) => return runtime.block_on(kandas::cli::run_admin(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kandas: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn role_names() -> Vec<&'static str> {
    Role::ALL.iter().map(|r| r.as_str()).collect()
}

fn certs(out: &Path, force: bool) -> anyhow::Result<()> {
    let paths = ensure_dev_pki(out, &role_names(), force)?;
    println!("development PKI in {}", paths.dir.display());
    println!("  CA:      {}", paths.ca.display());
    println!(
        "  server:  {} / {}",
        paths.server_cert.display(),
        paths.server_key.display()
    );
    for role in Role::ALL {
        println!(
            "  {:<18} {}",
            role.as_str(),
            paths.client_cert(role.as_str()).display()
        );
    }
    Ok(())
}

/// Where the service's data is: the URL it serves with, the owner's for migrations, and the
/// private cluster when it runs one.
struct Database {
    url: String,
    migration_url: Option<String>,
    cluster: Option<LocalCluster>,
}

/// The database the configuration names, or a private cluster started for this process (its
/// service role serves, its owner role migrates).
async fn database(config: &Config) -> anyhow::Result<Database> {
    match &config.database {
        DatabaseSource::Url(url) => Ok(Database {
            url: url.clone(),
            migration_url: config.migration_database_url.clone(),
            cluster: None,
        }),
        DatabaseSource::Private(dir) => {
            let dir = dir.clone();
            let cluster = tokio::task::spawn_blocking(move || {
                LocalCluster::start(&dir, ClusterOptions::default())
            })
            .await
            .context("starting the private PostgreSQL cluster")??;
            Ok(Database {
                url: cluster.service_url(DATABASE),
                migration_url: Some(cluster.owner_url(DATABASE)),
                cluster: Some(cluster),
            })
        }
    }
}

/// Completes with the reason when the private cluster died and could not be restarted; never
/// without one.
async fn cluster_lost(failure: Option<tokio::sync::watch::Receiver<Option<String>>>) -> String {
    let Some(mut failure) = failure else {
        return std::future::pending().await;
    };
    let reason = match failure.wait_for(Option::is_some).await {
        Ok(reason) => reason.clone(),
        Err(_) => None,
    };
    match reason {
        Some(reason) => reason,
        None => std::future::pending().await,
    }
}

async fn stop_cluster(cluster: Option<LocalCluster>) {
    if let Some(cluster) = cluster {
        match tokio::task::spawn_blocking(move || cluster.stop()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("kandas: stopping the private PostgreSQL cluster: {error}"),
            Err(error) => eprintln!("kandas: stopping the private PostgreSQL cluster: {error}"),
        }
    }
}

/// Migrates as the owner (the migration URL, else the database URL) and, with both URLs,
/// gives the database URL's role its privileges.
async fn migrate(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.resolve()?;
    kandas::telemetry::init(&config.log, config.log_format);
    let database = database(&config).await?;
    let result = migrate_with(&database, &pool_settings(&config)).await;
    stop_cluster(database.cluster).await;
    match result? {
        Some(role) => println!("migrations applied; the service role {role} has its privileges"),
        None => println!("migrations applied"),
    }
    Ok(())
}

async fn migrate_with(
    database: &Database,
    settings: &PoolSettings,
) -> anyhow::Result<Option<String>> {
    let service = kandas::store::connect_lazy(&database.url, settings)?;
    let result = match &database.migration_url {
        Some(owner) => {
            kandas::server::startup::migrate_as_owner(owner, &service, settings.acquire_timeout)
                .await
                .map(Some)
        }
        None => kandas::store::migrate(&service)
            .await
            .context("applying database migrations")
            .map(|()| None),
    };
    service.close().await;
    result
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let config = args.database.resolve()?;
    kandas::telemetry::init(&config.log, config.log_format);
    let database = database(&config).await?;
    let pool = kandas::store::connect_lazy(&database.url, &pool_settings(&config))?;
    let result = write_export(&pool, &args.out).await;
    pool.close().await;
    stop_cluster(database.cluster).await;
    let exported = result?;
    println!(
        "exported {} audit events and {} signed heads to {}",
        exported.events,
        exported.heads,
        args.out.display()
    );
    Ok(())
}

/// Writes beside the target and renames, so a failed export never leaves a partial file
/// that could pass for a truncated log.
async fn write_export(
    pool: &sqlx::PgPool,
    out: &Path,
) -> anyhow::Result<kandas::audit::export::Exported> {
    let dir = match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let exported = kandas::audit::export::export(pool, &mut writer).await?;
    let file = writer.into_inner().context("writing the export")?;
    file.persist(out)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(exported)
}

/// Exit 0: intact; 1: altered (the first bad position is named); 2: cannot be checked.
fn verify(args: &VerifyArgs) -> ExitCode {
    let keys: Result<Vec<PublicKey>, _> = args
        .public_keys
        .iter()
        .map(|k| PublicKey::from_argument(k))
        .collect();
    let keys = match keys {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("kandas: {error}");
            return ExitCode::from(2);
        }
    };
    let mut witnesses = Vec::with_capacity(args.witnesses.len());
    for path in &args.witnesses {
        let read = std::fs::File::open(path)
            .map_err(|error| error.to_string())
            .and_then(|file| {
                kandas::audit::offline::read_witness(std::io::BufReader::new(file))
                    .map_err(|error| error.to_string())
            });
        match read {
            Ok(witness) => witnesses.push(witness),
            Err(error) => {
                eprintln!(
                    "kandas: the witness {} cannot be used: {error}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        }
    }
    let file = match std::fs::File::open(&args.file) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("kandas: reading {}: {error}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let report = match kandas::audit::offline::verify_export_with(
        std::io::BufReader::new(file),
        &keys,
        &witnesses,
    ) {
        Ok(report) => report,
        Err(error) => {
            eprintln!(
                "kandas: {} is not an audit export: {error}",
                args.file.display()
            );
            return ExitCode::from(2);
        }
    };
    match report.first_bad() {
        None => {
            println!(
                "intact: {} events, {} signed heads, signed up to position {} of {}",
                report.events, report.heads, report.last_signed, report.last_seq
            );
            ExitCode::SUCCESS
        }
        Some(first) => {
            println!("NOT INTACT: first bad position {first}");
            for problem in &report.problems {
                println!("  {}: {}", problem.seq, problem.problem);
            }
            ExitCode::from(1)
        }
    }
}

fn audit_signer(config: &Config) -> anyhow::Result<HeadSigner> {
    Ok(match &config.audit_signing_key {
        AuditKeySource::File(path) => HeadSigner::from_file(path)?,
        AuditKeySource::Dev(dir) => kandas::audit::signing::ensure_dev_key(dir)?,
    })
}

fn pool_settings(config: &Config) -> PoolSettings {
    PoolSettings {
        max_connections: config.db_max_connections,
        acquire_timeout: config.db_acquire_timeout,
    }
}

/// The organisations registered at start if absent: with the development PKI, its
/// organisations as national (SPEC 1.1: a fresh start works with no set-up); and the bootstrap
/// administrator, if one is configured.
fn seed_organisations(config: &Config, dev_pki: bool) -> Vec<Organisation> {
    let mut seeds = Vec::new();
    if dev_pki {
        for role in Role::ALL {
            seeds.push(Organisation::national(
                &kandas::config::production::development_organisation_id(role),
                role,
            ));
        }
    }
    if let Some(id) = &config.bootstrap_admin {
        seeds.push(Organisation::national(id, Role::Admin));
    }
    seeds
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.resolve()?;
    let (exporter, tracer) = match &config.otlp_endpoint {
        Some(endpoint) => {
            let (exporter, tracer) = kandas::telemetry::traces::Exporter::start(endpoint)
                .with_context(|| format!("KANDAS_OTLP_ENDPOINT {endpoint}"))?;
            (Some(exporter), Some(tracer))
        }
        None => (None, None),
    };
    kandas::telemetry::init_with_traces(&config.log, config.log_format, tracer);
    let served = serve_with(config).await;
    if let Some(exporter) = exporter {
        exporter.finish().await;
    }
    served
}

async fn serve_with(config: Config) -> anyhow::Result<()> {
    // Before anything is made or started: a refused start leaves the state directory as it was.
    config
        .development_pki
        .refuse(&config.development_pki.before_start(&config, Path::is_file))?;
    let (files, dev_pki) = match &config.tls {
        TlsSource::Files {
            cert,
            key,
            client_ca,
        } => (
            TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: client_ca.clone(),
                client_crls: config.client_crls.clone(),
            },
            None,
        ),
        TlsSource::DevPki(dir) => {
            let paths = ensure_dev_pki(dir, &role_names(), false)?;
            tracing::warn!(
                dir = %dir.display(),
                "serving on the development PKI: its CA's private key sits beside it and the \
                 organisations dev-<role> are registered national for every role; for \
                 anything but development set tls_cert, tls_key, client_ca and \
                 bootstrap_admin, and allow_development_pki = false"
            );
            (
                TlsFiles {
                    cert: paths.server_cert.clone(),
                    key: paths.server_key.clone(),
                    client_ca: paths.ca.clone(),
                    client_crls: config.client_crls.clone(),
                },
                Some(paths),
            )
        }
    };
    let tls = files.read()?;
    let signer = audit_signer(&config)?;
    let Database {
        url,
        migration_url,
        cluster,
    } = database(&config).await?;
    let mut settings = Settings::configured(&config, url, tls);
    settings.migration_database_url = migration_url;
    settings.database_restarts = cluster.as_ref().map(LocalCluster::restarts);
    settings.tls_files = Some(files);
    settings.seed_organisations = seed_organisations(&config, dev_pki.is_some());
    let key_id = signer.key_id().to_string();
    settings.audit_signer = Some(Arc::new(signer));
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(error) => {
            stop_cluster(cluster).await;
            return Err(error);
        }
    };
    print_banner(
        app.local_addr(),
        app.metrics_addr(),
        cluster.as_ref(),
        dev_pki.as_ref(),
    );
    println!(
        "  audit heads signed with key {key_id} ({})",
        key_source(&config)
    );
    let lost = Arc::new(std::sync::Mutex::new(None));
    let stop = {
        let lost = lost.clone();
        let cluster_lost = cluster_lost(cluster.as_ref().map(LocalCluster::failure));
        async move {
            tokio::select! {
                () = shutdown_signal() => {}
                reason = cluster_lost => {
                    eprintln!("kandas: the private PostgreSQL cluster is gone ({reason}); stopping");
                    *lost.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(reason);
                }
            }
        }
    };
    let result = app.run_until(stop).await;
    stop_cluster(cluster).await;
    // Exiting non-zero hands the restart to the service manager (Restart=on-failure).
    if let Some(reason) = lost
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
    {
        anyhow::bail!("the private PostgreSQL cluster could not be restarted: {reason}");
    }
    if result.is_ok() {
        println!("kandas stopped cleanly");
    }
    result
}

fn print_banner(
    addr: std::net::SocketAddr,
    metrics: Option<std::net::SocketAddr>,
    cluster: Option<&LocalCluster>,
    pki: Option<&DevPkiPaths>,
) {
    println!("kandas serving gRPC over mutual TLS on {addr}");
    if let Some(metrics) = metrics {
        println!("  metrics: http://{metrics}/metrics (Prometheus, plain HTTP)");
    }
    if let Some(cluster) = cluster {
        println!(
            "  database: private PostgreSQL cluster in {} (unix socket in {}, no TCP)",
            cluster.data_dir().display(),
            cluster.socket_dir().display()
        );
    }
    if let Some(pki) = pki {
        let ca = pki.ca.display();
        let cert = pki.client_cert("psc");
        let key = pki.client_key("psc");
        println!("  CA certificate:      {ca}");
        println!("  server certificate:  {}", pki.server_cert.display());
        println!(
            "  client certificates: {}/<role>.pem and <role>.key (roles: {})",
            pki.dir.display(),
            role_names().join(", ")
        );
        println!("try:");
        println!(
            "  grpcurl -cacert {ca} -cert {} -key {} -d '{{\"iin\":\"871008401427\"}}' localhost:{} kandas.v1.PersonService/ValidateIin",
            cert.display(),
            key.display(),
            addr.port()
        );
    }
    println!("stop with Ctrl-C or SIGTERM");
}

fn key_source(config: &Config) -> String {
    match &config.audit_signing_key {
        AuditKeySource::File(path) => path.display().to_string(),
        AuditKeySource::Dev(dir) => {
            let (key, public) = kandas::audit::signing::dev_key_paths(dir);
            format!(
                "development key {}, public key {}",
                key.display(),
                public.display()
            )
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    println!("shutting down: finishing in-flight calls");
}
