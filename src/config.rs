//! Settings from the command line, the environment and an optional TOML file, in that order
//! of precedence. With nothing configured the service runs on a private PostgreSQL cluster and
//! a development PKI under `.kandas/`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
pub const DEFAULT_STATE_DIR: &str = ".kandas";
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 16;
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1024 * 1024;
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 64;
pub const DEFAULT_DB_ACQUIRE_TIMEOUT_MS: u64 = 1000;
pub const DEFAULT_REQUEST_ARRIVAL_TIMEOUT_MS: u64 = 5000;
pub const DEFAULT_SHARE_WAIT_MS: u64 = 500;
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 100;
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 32;
pub const DEFAULT_HANDSHAKE_TIMEOUT_MS: u64 = 5000;
/// Above what one host's callers open at once (a partner's connection pool of
/// `DEFAULT_MAX_CONNECTIONS_PER_CLIENT`, several offices behind one address), since a real
/// handshake lasts milliseconds; half the default handshake places, so one host flooding
/// leaves the other half to everyone else.
pub const DEFAULT_MAX_HANDSHAKES_PER_SOURCE: usize = 64;
pub const DEFAULT_MAX_CONNECTION_AGE_S: u64 = 3600;
pub const DEFAULT_IDLE_TIMEOUT_S: u64 = 300;
/// DejaVu Sans as Debian's `fonts-dejavu-core` installs it: it has every Kazakh letter.
pub const DEFAULT_CERTIFICATE_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// Parsed once per process, so the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the sealed audit events and signed heads to FILE (JSON Lines), reading the
    /// database `serve` uses.
    Export(ExportArgs),
    /// Verify an export with no database and no server. Exit 0 only when intact, 1 when it
    /// was altered, 2 when the file or key cannot be used.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub database: ServeArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The export to verify.
    pub file: PathBuf,
    /// The public key the heads were signed with: 64 hex digits or a file holding them (as
    /// `audit-signing.pub`). Repeat it for the keys before a rotation.
    #[arg(long = "public-key", value_name = "KEY", required = true)]
    pub public_keys: Vec<String>,
    /// Signed heads the log must still agree with, held outside the database: an earlier
    /// export, the service's head file, a registry's copy of the heads it received. Repeat
    /// it for several. A log that contradicts one is reported with the first bad position.
    #[arg(long = "witness", value_name = "FILE")]
    pub witnesses: Vec<PathBuf>,
}

#[derive(Debug, Args, Default, Clone)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:50051].
    #[arg(long, env = "KANDAS_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// PostgreSQL URL (also read from DATABASE_URL). Unset: a private cluster in <state-dir>/pg.
    /// Several servers of one database (a primary and its standbys), as URLs separated by
    /// spaces or as libpq's `host1:port1,host2:port2`: the service writes to whichever takes
    /// writes and follows a promotion without a restart.
    #[arg(long, env = "KANDAS_DATABASE_URL")]
    pub database_url: Option<String>,
    /// PostgreSQL URL of the schema's owner, for migrations: `serve` and `migrate` migrate as
    /// it and then give the role of KANDAS_DATABASE_URL, which should own nothing, exactly
    /// the privileges it needs. Unset: KANDAS_DATABASE_URL migrates too.
    #[arg(long, env = "KANDAS_MIGRATION_DATABASE_URL")]
    pub migration_database_url: Option<String>,
    /// Serve even when the role of KANDAS_DATABASE_URL could rewrite the audit log (a
    /// superuser, the owner of the schema): an error is logged instead of the start refused
    /// [default: false].
    #[arg(long, env = "KANDAS_ALLOW_PRIVILEGED_DATABASE_ROLE", num_args = 0..=1, default_missing_value = "true")]
    pub allow_privileged_database_role: Option<bool>,
    /// Server certificate chain (PEM). Unset: the development PKI in <state-dir>/certs.
    #[arg(long, env = "KANDAS_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// Server private key (PEM).
    #[arg(long, env = "KANDAS_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// CA certificate(s) that client certificates must chain to (PEM).
    #[arg(long, env = "KANDAS_CLIENT_CA")]
    pub client_ca: Option<PathBuf>,
    /// Certificate revocation lists (PEM or DER) of the client CA, comma-separated. A revoked
    /// client certificate is refused at the handshake; the files are read again when they
    /// change, with the certificates, and on SIGHUP.
    #[arg(long, env = "KANDAS_CLIENT_CRL", value_delimiter = ',')]
    pub client_crl: Vec<PathBuf>,
    /// Directory for the private cluster and development PKI [default: .kandas].
    #[arg(long, env = "KANDAS_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Maximum PostgreSQL connections in the pool [default: 16].
    #[arg(long, env = "KANDAS_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    /// How long a call waits for a PostgreSQL connection before failing UNAVAILABLE, in
    /// milliseconds [default: 1000].
    #[arg(long, env = "KANDAS_DB_ACQUIRE_TIMEOUT_MS")]
    pub db_acquire_timeout_ms: Option<u64>,
    /// Largest request message accepted, in bytes [default: 1048576].
    #[arg(long, env = "KANDAS_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Calls served at once; more are refused RESOURCE_EXHAUSTED (SERVER_OVERLOADED) instead of
    /// queueing. Health checks and reflection are never refused [default: 64].
    #[arg(long, env = "KANDAS_MAX_CONCURRENT_REQUESTS")]
    pub max_concurrent_requests: Option<usize>,
    /// Calls one organisation may have in progress at once; more wait for one of its places
    /// (KANDAS_SHARE_WAIT_MS) and are then refused RESOURCE_EXHAUSTED (ORGANISATION_OVER_SHARE)
    /// [default: half of KANDAS_DB_MAX_CONNECTIONS, at most KANDAS_MAX_CONCURRENT_REQUESTS].
    #[arg(long, env = "KANDAS_MAX_CALLS_PER_ORGANISATION")]
    pub max_calls_per_organisation: Option<usize>,
    /// How long a call beyond its organisation's share waits, behind that organisation's own
    /// calls only, for one of its places, in milliseconds [default: 500].
    #[arg(long, env = "KANDAS_SHARE_WAIT_MS")]
    pub share_wait_ms: Option<u64>,
    /// A call whose request message has not arrived whole within this many milliseconds is
    /// answered DEADLINE_EXCEEDED and frees its place [default: 5000].
    #[arg(long, env = "KANDAS_REQUEST_ARRIVAL_TIMEOUT_MS")]
    pub request_arrival_timeout_ms: Option<u64>,
    /// HTTP/2 streams one connection may open at once, as advertised to clients [default: 100].
    #[arg(long, env = "KANDAS_MAX_CONCURRENT_STREAMS")]
    pub max_concurrent_streams: Option<u32>,
    /// Open client connections, in all [default: 512].
    #[arg(long, env = "KANDAS_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Open connections of one client certificate [default: 32].
    #[arg(long, env = "KANDAS_MAX_CONNECTIONS_PER_CLIENT")]
    pub max_connections_per_client: Option<usize>,
    /// Connections still in their TLS handshake, in all; when they are all taken the oldest is
    /// given up for a new one. The rest of KANDAS_MAX_CONNECTIONS is kept for connections
    /// that authenticated [default: a quarter of KANDAS_MAX_CONNECTIONS].
    #[arg(long, env = "KANDAS_MAX_HANDSHAKES")]
    pub max_handshakes: Option<usize>,
    /// Connections still in their TLS handshake from one IPv4 address or IPv6 /64; more are
    /// closed at once [default: 64].
    #[arg(long, env = "KANDAS_MAX_HANDSHAKES_PER_SOURCE")]
    pub max_handshakes_per_source: Option<usize>,
    /// Time for the TLS handshake, and then for the client's first bytes, in milliseconds
    /// [default: 5000].
    #[arg(long, env = "KANDAS_HANDSHAKE_TIMEOUT_MS")]
    pub handshake_timeout_ms: Option<u64>,
    /// A connection this many seconds old is asked to go away (HTTP/2 GOAWAY; its client
    /// reconnects, with a fresh handshake) and closed a minute later [default: 3600].
    #[arg(long, env = "KANDAS_MAX_CONNECTION_AGE_S")]
    pub max_connection_age_s: Option<u64>,
    /// A connection with no call for this many seconds is closed [default: 300].
    #[arg(long, env = "KANDAS_IDLE_TIMEOUT_S")]
    pub idle_timeout_s: Option<u64>,
    /// Plain-HTTP address of the Prometheus `/metrics` endpoint, or `off`
    /// [default: 127.0.0.1:9464].
    #[arg(long, env = "KANDAS_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Log filter in RUST_LOG syntax [default: kandas=info,warn].
    #[arg(long, env = "KANDAS_LOG")]
    pub log: Option<String>,
    /// Log lines as `text` (for a person; coloured only on a terminal) or `json` (one object
    /// a line, for a log collector) [default: text].
    #[arg(long, env = "KANDAS_LOG_FORMAT", value_enum)]
    pub log_format: Option<crate::telemetry::LogFormat>,
    /// OpenTelemetry collector to export traces to over OTLP/gRPC, e.g.
    /// `http://127.0.0.1:4317`; unset exports none. Spans name the RPC, its code and the
    /// caller's role and organisation, never personal data.
    #[arg(long, env = "KANDAS_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Organisation id registered at start as a national admin organisation, unless that id
    /// is registered already: the first administrator of a production database, who then
    /// registers the others with RegisterOrganisation.
    #[arg(long, env = "KANDAS_BOOTSTRAP_ADMIN")]
    pub bootstrap_admin: Option<String>,
    /// TrueType font the re-issued kandas certificates are set in, read at each download;
    /// without it DownloadKandasCertificate is refused and everything else serves
    /// [default: /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf].
    #[arg(long, env = "KANDAS_CERTIFICATE_FONT")]
    pub certificate_font: Option<PathBuf>,
    /// Ed25519 private key the audit chain heads are signed with: PKCS#8 (PEM or DER) or a
    /// raw 32-byte seed, in a file the database never sees. Unset: a development key in
    /// <state-dir>/certs/audit-signing.key (made on first start, public key beside it).
    #[arg(long, env = "KANDAS_AUDIT_SIGNING_KEY")]
    pub audit_signing_key: Option<PathBuf>,
    /// Public keys of earlier audit signing keys (64 hex digits or files holding them),
    /// comma-separated: after a rotation VerifyAuditChain checks the older heads with them.
    #[arg(long, env = "KANDAS_AUDIT_PREVIOUS_PUBLIC_KEYS", value_delimiter = ',')]
    pub audit_previous_public_keys: Vec<String>,
    /// File where the service keeps the last audit head it signed, outside the database: it
    /// never signs a head that does not extend it. Unset: beside the signing key, named like it
    /// with the extension `.head` (e.g. audit-signing.head).
    #[arg(long, env = "KANDAS_AUDIT_HEAD_FILE")]
    pub audit_head_file: Option<PathBuf>,
    /// Witnesses of earlier signed heads, comma-separated files: earlier exports, another
    /// replica's head file, a registry's copy. Read at start; the log must still agree with them.
    #[arg(long, env = "KANDAS_AUDIT_WITNESSES", value_delimiter = ',')]
    pub audit_witnesses: Vec<PathBuf>,
    /// National certification authorities whose certificates applicants sign portal acts with
    /// (PEM files, comma-separated; every certificate in them is trusted). Unset: no signature
    /// is trusted, and portals confirm by SMS where allowed. Read again every minute.
    #[arg(long, env = "KANDAS_APPLICANT_SIGNATURE_CA", value_delimiter = ',')]
    pub applicant_signature_ca: Vec<PathBuf>,
    /// Their certificate revocation lists (PEM or DER), comma-separated. Once any is set, a
    /// signature whose certificate no current CRL covers is refused. Read again every minute.
    #[arg(long, env = "KANDAS_APPLICANT_SIGNATURE_CRL", value_delimiter = ',')]
    pub applicant_signature_crl: Vec<PathBuf>,
    /// TOML file with any of the settings above (snake_case keys); flags and variables win.
    #[arg(long, env = "KANDAS_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Directory to write the PKI into.
    #[arg(long, default_value = ".kandas/certs")]
    pub out: PathBuf,
    /// Replace an existing PKI instead of reusing it.
    #[arg(long)]
    pub force: bool,
}

/// The optional TOML file: the same settings as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    migration_database_url: Option<String>,
    allow_privileged_database_role: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    client_ca: Option<PathBuf>,
    client_crl: Option<Vec<PathBuf>>,
    bootstrap_admin: Option<String>,
    certificate_font: Option<PathBuf>,
    audit_signing_key: Option<PathBuf>,
    audit_previous_public_keys: Option<Vec<String>>,
    audit_head_file: Option<PathBuf>,
    audit_witnesses: Option<Vec<PathBuf>>,
    applicant_signature_ca: Option<Vec<PathBuf>>,
    applicant_signature_crl: Option<Vec<PathBuf>>,
    state_dir: Option<PathBuf>,
    db_max_connections: Option<u32>,
    db_acquire_timeout_ms: Option<u64>,
    max_message_bytes: Option<usize>,
    max_concurrent_requests: Option<usize>,
    max_calls_per_organisation: Option<usize>,
    share_wait_ms: Option<u64>,
    request_arrival_timeout_ms: Option<u64>,
    max_concurrent_streams: Option<u32>,
    max_connections: Option<usize>,
    max_connections_per_client: Option<usize>,
    max_handshakes: Option<usize>,
    max_handshakes_per_source: Option<usize>,
    handshake_timeout_ms: Option<u64>,
    max_connection_age_s: Option<u64>,
    idle_timeout_s: Option<u64>,
    metrics_listen: Option<String>,
    log: Option<String>,
    log_format: Option<crate::telemetry::LogFormat>,
    otlp_endpoint: Option<String>,
}

/// How partners are kept from taking more than their share: per organisation, per
/// connection and per client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Isolation {
    pub max_calls_per_organisation: usize,
    pub share_wait: Duration,
    pub request_arrival_timeout: Duration,
    pub max_concurrent_streams: u32,
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    /// Connections still handshaking, in all: the rest of `max_connections` is kept for
    /// connections that authenticated.
    pub max_handshakes: usize,
    pub max_handshakes_per_source: usize,
    pub handshake_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connection_age: Duration,
}

impl Isolation {
    /// The defaults, for `max_concurrent_requests` places in all and a database pool of
    /// `pool` connections. An organisation's share is half the pool: almost every call holds
    /// a connection, so a partner at full flood leaves the other half to everyone else, and
    /// the calls running at once stay few enough for the others' to keep their pace on a
    /// small machine.
    pub fn defaults(max_concurrent_requests: usize, pool: u32) -> Isolation {
        Isolation {
            max_calls_per_organisation: (pool as usize / 2)
                .clamp(1, max_concurrent_requests.max(1)),
            share_wait: Duration::from_millis(DEFAULT_SHARE_WAIT_MS),
            request_arrival_timeout: Duration::from_millis(DEFAULT_REQUEST_ARRIVAL_TIMEOUT_MS),
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            max_handshakes: default_max_handshakes(DEFAULT_MAX_CONNECTIONS),
            max_handshakes_per_source: DEFAULT_MAX_HANDSHAKES_PER_SOURCE,
            handshake_timeout: Duration::from_millis(DEFAULT_HANDSHAKE_TIMEOUT_MS),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_S),
            max_connection_age: Duration::from_secs(DEFAULT_MAX_CONNECTION_AGE_S),
        }
    }
}

/// A quarter of the connections may be handshaking: a flood of slow handshakes then leaves
/// three quarters to callers that authenticated.
pub fn default_max_handshakes(max_connections: usize) -> usize {
    (max_connections / 4).max(1)
}

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseSource {
    Url(String),
    /// A private cluster in this directory, started and stopped with the service.
    Private(PathBuf),
}

/// Where the audit signing key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditKeySource {
    File(PathBuf),
    /// The development key in this directory (the development PKI's), made on first start.
    Dev(PathBuf),
}

impl AuditKeySource {
    /// The default head file: beside the key, named like it, so one key has one kept head.
    pub fn head_file(&self) -> PathBuf {
        match self {
            AuditKeySource::File(path) => path.with_extension("head"),
            AuditKeySource::Dev(dir) => crate::audit::signing::dev_key_paths(dir)
                .0
                .with_extension("head"),
        }
    }
}

/// Where the TLS material is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    Files {
        cert: PathBuf,
        key: PathBuf,
        client_ca: PathBuf,
    },
    /// The development PKI in this directory, created on first start.
    DevPki(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database: DatabaseSource,
    /// The schema owner's URL, for migrations (only with a configured database).
    pub migration_database_url: Option<String>,
    pub allow_privileged_database_role: bool,
    pub tls: TlsSource,
    pub client_crls: Vec<PathBuf>,
    pub db_max_connections: u32,
    pub db_acquire_timeout: Duration,
    pub max_message_bytes: usize,
    pub max_concurrent_requests: usize,
    pub isolation: Isolation,
    /// `None`: no metrics endpoint (`off`).
    pub metrics_listen: Option<SocketAddr>,
    /// The metrics address was configured, not defaulted: failing to bind it stops the start.
    /// (The default one may be held by another process; then the service serves without it.)
    pub metrics_listen_configured: bool,
    pub log: String,
    pub log_format: crate::telemetry::LogFormat,
    /// Where traces are exported; `None` exports none.
    pub otlp_endpoint: Option<String>,
    /// An organisation id to register as a national admin organisation if absent.
    pub bootstrap_admin: Option<String>,
    /// The TrueType font of re-issued kandas certificates.
    pub certificate_font: PathBuf,
    pub audit_signing_key: AuditKeySource,
    /// The public keys of earlier signing keys, for heads signed before a rotation.
    pub audit_previous_keys: Vec<crate::audit::PublicKey>,
    /// Where the last signed head is kept outside the database.
    pub audit_head_file: PathBuf,
    /// Files holding earlier signed heads, read at start.
    pub audit_witnesses: Vec<PathBuf>,
    /// The national CAs trusted for applicants' signatures, and their CRLs.
    pub applicant_signature_ca: Vec<PathBuf>,
    pub applicant_signature_crl: Vec<PathBuf>,
}

impl ServeArgs {
    /// Merges flags/environment with the TOML file and the defaults.
    pub fn resolve(&self) -> anyhow::Result<Config> {
        let file = match &self.config {
            Some(path) => read_file_settings(path)?,
            None => FileSettings::default(),
        };
        let max_concurrent_requests = self
            .max_concurrent_requests
            .or(file.max_concurrent_requests)
            .unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS);
        if max_concurrent_requests == 0 {
            bail!("KANDAS_MAX_CONCURRENT_REQUESTS must be at least 1");
        }
        let db_max_connections = self
            .db_max_connections
            .or(file.db_max_connections)
            .unwrap_or(DEFAULT_DB_MAX_CONNECTIONS);
        if db_max_connections == 0 {
            bail!("KANDAS_DB_MAX_CONNECTIONS must be at least 1");
        }
        let isolation = self.isolation(&file, max_concurrent_requests, db_max_connections)?;
        let state_dir = self
            .state_dir
            .clone()
            .or(file.state_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
        let database_url = self
            .database_url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()))
            .or(file.database_url);
        let migration_database_url = self
            .migration_database_url
            .clone()
            .or(file.migration_database_url)
            .filter(|url| !url.trim().is_empty());
        let database = match database_url {
            Some(url) => DatabaseSource::Url(url),
            None if migration_database_url.is_some() => bail!(
                "KANDAS_MIGRATION_DATABASE_URL needs KANDAS_DATABASE_URL: the private cluster \
                 has its own owner and service roles"
            ),
            None => DatabaseSource::Private(state_dir.join("pg")),
        };
        let cert = self.tls_cert.clone().or(file.tls_cert);
        let key = self.tls_key.clone().or(file.tls_key);
        let client_ca = self.client_ca.clone().or(file.client_ca);
        let client_crls = if self.client_crl.is_empty() {
            file.client_crl.unwrap_or_default()
        } else {
            self.client_crl.clone()
        };
        let tls = match (cert, key, client_ca) {
            (None, None, None) => TlsSource::DevPki(state_dir.join("certs")),
            (Some(cert), Some(key), Some(client_ca)) => TlsSource::Files {
                cert,
                key,
                client_ca,
            },
            _ => bail!(
                "KANDAS_TLS_CERT, KANDAS_TLS_KEY and KANDAS_CLIENT_CA must be set together (or none of them, for the development PKI)"
            ),
        };
        let max_message_bytes = self
            .max_message_bytes
            .or(file.max_message_bytes)
            .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
        if max_message_bytes < 1024 {
            bail!("KANDAS_MAX_MESSAGE_BYTES must be at least 1024");
        }
        let db_acquire_timeout_ms = self
            .db_acquire_timeout_ms
            .or(file.db_acquire_timeout_ms)
            .unwrap_or(DEFAULT_DB_ACQUIRE_TIMEOUT_MS);
        if db_acquire_timeout_ms == 0 {
            bail!("KANDAS_DB_ACQUIRE_TIMEOUT_MS must be at least 1");
        }
        let configured_metrics = self
            .metrics_listen
            .as_deref()
            .or(file.metrics_listen.as_deref());
        let metrics_listen =
            parse_metrics_listen(configured_metrics.unwrap_or(DEFAULT_METRICS_LISTEN))?;
        let previous_keys = if self.audit_previous_public_keys.is_empty() {
            file.audit_previous_public_keys.clone().unwrap_or_default()
        } else {
            self.audit_previous_public_keys.clone()
        };
        let audit_previous_keys = previous_keys
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| crate::audit::PublicKey::from_argument(k.trim()))
            .collect::<Result<Vec<_>, _>>()
            .context("KANDAS_AUDIT_PREVIOUS_PUBLIC_KEYS")?;
        let flag_or_file = |flag: &Vec<PathBuf>, file: &Option<Vec<PathBuf>>| {
            if flag.is_empty() {
                file.clone().unwrap_or_default()
            } else {
                flag.clone()
            }
        };
        let applicant_signature_ca =
            flag_or_file(&self.applicant_signature_ca, &file.applicant_signature_ca);
        let audit_witnesses = flag_or_file(&self.audit_witnesses, &file.audit_witnesses);
        let audit_signing_key = match self.audit_signing_key.clone().or(file.audit_signing_key) {
            Some(path) => AuditKeySource::File(path),
            None => AuditKeySource::Dev(state_dir.join("certs")),
        };
        let audit_head_file = self
            .audit_head_file
            .clone()
            .or(file.audit_head_file)
            .unwrap_or_else(|| audit_signing_key.head_file());
        let applicant_signature_crl =
            flag_or_file(&self.applicant_signature_crl, &file.applicant_signature_crl);
        let bootstrap_admin = self
            .bootstrap_admin
            .clone()
            .or(file.bootstrap_admin)
            .filter(|id| !id.is_empty());
        if let Some(id) = &bootstrap_admin
            && !crate::domain::organisation::is_valid_id(id)
        {
            bail!("KANDAS_BOOTSTRAP_ADMIN must be 1-64 characters of A-Z a-z 0-9 - _ .");
        }
        Ok(Config {
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default address")),
            database,
            migration_database_url,
            allow_privileged_database_role: self
                .allow_privileged_database_role
                .or(file.allow_privileged_database_role)
                .unwrap_or(false),
            tls,
            client_crls,
            db_max_connections,
            db_acquire_timeout: Duration::from_millis(db_acquire_timeout_ms),
            max_message_bytes,
            max_concurrent_requests,
            isolation,
            metrics_listen,
            metrics_listen_configured: configured_metrics.is_some(),
            log: self
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| crate::telemetry::DEFAULT_FILTER.to_string()),
            log_format: self.log_format.or(file.log_format).unwrap_or_default(),
            otlp_endpoint: self
                .otlp_endpoint
                .clone()
                .or(file.otlp_endpoint)
                .filter(|endpoint| !endpoint.trim().is_empty()),
            bootstrap_admin,
            certificate_font: self
                .certificate_font
                .clone()
                .or(file.certificate_font)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_CERTIFICATE_FONT)),
            audit_previous_keys,
            audit_head_file,
            audit_witnesses,
            applicant_signature_ca,
            applicant_signature_crl,
            audit_signing_key,
        })
    }
}

impl ServeArgs {
    fn isolation(
        &self,
        file: &FileSettings,
        places: usize,
        pool: u32,
    ) -> anyhow::Result<Isolation> {
        let defaults = Isolation::defaults(places, pool);
        let positive = |value: Option<u64>, name: &str| -> anyhow::Result<Option<u64>> {
            match value {
                Some(0) => bail!("{name} must be at least 1"),
                other => Ok(other),
            }
        };
        let count = |value: Option<usize>, name: &str| -> anyhow::Result<Option<usize>> {
            positive(value.map(|v| v as u64), name).map(|v| v.map(|v| v as usize))
        };
        let max_connections = count(
            self.max_connections.or(file.max_connections),
            "KANDAS_MAX_CONNECTIONS",
        )?
        .unwrap_or(defaults.max_connections);
        let max_handshakes = count(
            self.max_handshakes.or(file.max_handshakes),
            "KANDAS_MAX_HANDSHAKES",
        )?
        .unwrap_or_else(|| default_max_handshakes(max_connections));
        if max_handshakes > max_connections {
            bail!(
                "KANDAS_MAX_HANDSHAKES ({max_handshakes}) must not be above KANDAS_MAX_CONNECTIONS ({max_connections})"
            );
        }
        let isolation = Isolation {
            max_calls_per_organisation: count(
                self.max_calls_per_organisation
                    .or(file.max_calls_per_organisation),
                "KANDAS_MAX_CALLS_PER_ORGANISATION",
            )?
            .unwrap_or(defaults.max_calls_per_organisation)
            .min(places),
            // No wait (0) is allowed: over-share calls are then refused at once.
            share_wait: self
                .share_wait_ms
                .or(file.share_wait_ms)
                .map_or(defaults.share_wait, Duration::from_millis),
            request_arrival_timeout: positive(
                self.request_arrival_timeout_ms
                    .or(file.request_arrival_timeout_ms),
                "KANDAS_REQUEST_ARRIVAL_TIMEOUT_MS",
            )?
            .map_or(defaults.request_arrival_timeout, Duration::from_millis),
            max_concurrent_streams: positive(
                self.max_concurrent_streams
                    .or(file.max_concurrent_streams)
                    .map(u64::from),
                "KANDAS_MAX_CONCURRENT_STREAMS",
            )?
            .map_or(defaults.max_concurrent_streams, |v| {
                u32::try_from(v).unwrap_or(u32::MAX)
            }),
            max_connections,
            max_connections_per_client: count(
                self.max_connections_per_client
                    .or(file.max_connections_per_client),
                "KANDAS_MAX_CONNECTIONS_PER_CLIENT",
            )?
            .unwrap_or(defaults.max_connections_per_client),
            max_handshakes,
            max_handshakes_per_source: count(
                self.max_handshakes_per_source
                    .or(file.max_handshakes_per_source),
                "KANDAS_MAX_HANDSHAKES_PER_SOURCE",
            )?
            .unwrap_or(defaults.max_handshakes_per_source),
            handshake_timeout: positive(
                self.handshake_timeout_ms.or(file.handshake_timeout_ms),
                "KANDAS_HANDSHAKE_TIMEOUT_MS",
            )?
            .map_or(defaults.handshake_timeout, Duration::from_millis),
            idle_timeout: positive(
                self.idle_timeout_s.or(file.idle_timeout_s),
                "KANDAS_IDLE_TIMEOUT_S",
            )?
            .map_or(defaults.idle_timeout, Duration::from_secs),
            max_connection_age: positive(
                self.max_connection_age_s.or(file.max_connection_age_s),
                "KANDAS_MAX_CONNECTION_AGE_S",
            )?
            .map_or(defaults.max_connection_age, Duration::from_secs),
        };
        Ok(isolation)
    }
}

/// `off` (or `none`, or empty) disables the metrics endpoint; anything else is an address.
fn parse_metrics_listen(value: &str) -> anyhow::Result<Option<SocketAddr>> {
    let value = value.trim();
    if value.is_empty() || value.eq_ignore_ascii_case("off") || value.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    value.parse().map(Some).with_context(|| {
        format!("KANDAS_METRICS_LISTEN must be an address such as 127.0.0.1:9464, or `off`; got `{value}`")
    })
}

fn read_file_settings(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the configuration file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("parsing the configuration file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn nothing_configured_means_private_cluster_and_dev_pki() {
        let config = ServeArgs::default().resolve().unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(
            config.tls,
            TlsSource::DevPki(PathBuf::from(".kandas/certs"))
        );
        assert_eq!(
            config.certificate_font,
            PathBuf::from(DEFAULT_CERTIFICATE_FONT)
        );
        assert_eq!(
            config.audit_signing_key,
            AuditKeySource::Dev(PathBuf::from(".kandas/certs"))
        );
        if std::env::var("DATABASE_URL").is_err() {
            assert_eq!(
                config.database,
                DatabaseSource::Private(PathBuf::from(".kandas/pg"))
            );
        }
    }

    #[test]
    fn file_fills_what_flags_leave_unset_and_flags_win() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "listen = \"0.0.0.0:6000\"\ndatabase_url = \"postgres://file/db\"\ndb_max_connections = 4\ncertificate_font = \"/srv/fonts/cert.ttf\""
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file.path().to_path_buf()),
            database_url: Some("postgres://flag/db".into()),
            ..ServeArgs::default()
        };
        let config = args.resolve().unwrap();
        assert_eq!(config.listen.to_string(), "0.0.0.0:6000");
        assert_eq!(
            config.database,
            DatabaseSource::Url("postgres://flag/db".into())
        );
        assert_eq!(config.db_max_connections, 4);
        assert_eq!(
            config.certificate_font,
            PathBuf::from("/srv/fonts/cert.ttf")
        );
    }

    #[test]
    fn overload_and_metrics_settings_default_and_can_be_turned_off() {
        let config = ServeArgs::default().resolve().unwrap();
        assert_eq!(
            config.max_concurrent_requests,
            DEFAULT_MAX_CONCURRENT_REQUESTS
        );
        assert_eq!(config.db_acquire_timeout, Duration::from_secs(1));
        assert_eq!(
            config.metrics_listen.map(|a| a.to_string()).as_deref(),
            Some(DEFAULT_METRICS_LISTEN)
        );
        assert!(!config.metrics_listen_configured);
        let args = ServeArgs {
            metrics_listen: Some("off".into()),
            max_concurrent_requests: Some(8),
            db_acquire_timeout_ms: Some(250),
            ..ServeArgs::default()
        };
        let config = args.resolve().unwrap();
        assert_eq!(config.metrics_listen, None);
        assert!(config.metrics_listen_configured);
        assert_eq!(config.max_concurrent_requests, 8);
        assert_eq!(config.db_acquire_timeout, Duration::from_millis(250));
        for bad in [
            ServeArgs {
                metrics_listen: Some("localhost".into()),
                ..ServeArgs::default()
            },
            ServeArgs {
                max_concurrent_requests: Some(0),
                ..ServeArgs::default()
            },
        ] {
            assert!(bad.resolve().is_err());
        }
    }

    #[test]
    fn isolation_defaults_follow_the_places_and_zero_is_refused() {
        let config = ServeArgs::default().resolve().unwrap();
        assert_eq!(
            config.isolation,
            Isolation::defaults(DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_DB_MAX_CONNECTIONS)
        );
        assert_eq!(config.isolation.max_calls_per_organisation, 8);
        let pool_of_40 = ServeArgs {
            db_max_connections: Some(40),
            ..ServeArgs::default()
        };
        assert_eq!(
            pool_of_40
                .resolve()
                .unwrap()
                .isolation
                .max_calls_per_organisation,
            20,
            "half the pool"
        );
        let args = ServeArgs {
            max_concurrent_requests: Some(10),
            max_calls_per_organisation: Some(50),
            idle_timeout_s: Some(7),
            ..ServeArgs::default()
        };
        let isolation = args.resolve().unwrap().isolation;
        assert_eq!(
            isolation.max_calls_per_organisation, 10,
            "never above the total"
        );
        assert_eq!(isolation.idle_timeout, Duration::from_secs(7));
        let no_wait = ServeArgs {
            share_wait_ms: Some(0),
            ..ServeArgs::default()
        };
        assert_eq!(
            no_wait.resolve().unwrap().isolation.share_wait,
            Duration::ZERO
        );
        let args = ServeArgs {
            max_connections: Some(100),
            max_connection_age_s: Some(600),
            ..ServeArgs::default()
        };
        let isolation = args.resolve().unwrap().isolation;
        assert_eq!(isolation.max_handshakes, 25, "a quarter of the connections");
        assert_eq!(isolation.max_handshakes_per_source, 64);
        assert_eq!(isolation.max_connection_age, Duration::from_secs(600));
        let too_many = ServeArgs {
            max_connections: Some(100),
            max_handshakes: Some(101),
            ..ServeArgs::default()
        };
        let error = too_many.resolve().unwrap_err().to_string();
        assert!(error.contains("KANDAS_MAX_HANDSHAKES"), "{error}");
        let zero = ServeArgs {
            max_connections_per_client: Some(0),
            ..ServeArgs::default()
        };
        let error = zero.resolve().unwrap_err().to_string();
        assert!(
            error.contains("KANDAS_MAX_CONNECTIONS_PER_CLIENT"),
            "{error}"
        );
    }

    #[test]
    fn audit_keys_default_to_the_development_key_and_bad_previous_keys_are_refused() {
        let args = ServeArgs {
            state_dir: Some("/srv/kandas".into()),
            ..ServeArgs::default()
        };
        assert_eq!(
            args.resolve().unwrap().audit_signing_key,
            AuditKeySource::Dev(PathBuf::from("/srv/kandas/certs"))
        );
        let key = "ab".repeat(32);
        let args = ServeArgs {
            audit_signing_key: Some("/etc/kandas/audit.key".into()),
            audit_previous_public_keys: vec![key.clone()],
            ..ServeArgs::default()
        };
        let config = args.resolve().unwrap();
        assert_eq!(
            config.audit_signing_key,
            AuditKeySource::File("/etc/kandas/audit.key".into())
        );
        assert_eq!(config.audit_previous_keys[0].to_hex(), key);
        let bad = ServeArgs {
            audit_previous_public_keys: vec!["/nonexistent/old.pub".into()],
            ..ServeArgs::default()
        };
        let error = format!("{:#}", bad.resolve().unwrap_err());
        assert!(
            error.contains("KANDAS_AUDIT_PREVIOUS_PUBLIC_KEYS"),
            "{error}"
        );
    }

    #[test]
    fn applicant_signature_cas_and_crls_come_from_the_file_unless_flags_name_them() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "applicant_signature_ca = [\"/etc/kandas/nca/root.pem\", \"/etc/kandas/nca/rsa.pem\"]\napplicant_signature_crl = [\"/etc/kandas/nca/rsa.crl\"]"
        )
        .unwrap();
        let from_file = ServeArgs {
            config: Some(file.path().to_path_buf()),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(from_file.applicant_signature_ca.len(), 2);
        assert_eq!(
            from_file.applicant_signature_crl,
            vec![PathBuf::from("/etc/kandas/nca/rsa.crl")]
        );
        let flagged = ServeArgs {
            config: Some(file.path().to_path_buf()),
            applicant_signature_ca: vec!["/srv/nca.pem".into()],
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(
            flagged.applicant_signature_ca,
            vec![PathBuf::from("/srv/nca.pem")]
        );
        assert!(
            ServeArgs::default()
                .resolve()
                .unwrap()
                .applicant_signature_ca
                .is_empty(),
            "none by default"
        );
    }

    #[test]
    fn partial_tls_configuration_is_refused() {
        let args = ServeArgs {
            tls_cert: Some("server.pem".into()),
            ..ServeArgs::default()
        };
        let error = args.resolve().unwrap_err().to_string();
        assert!(error.contains("KANDAS_TLS_KEY"), "{error}");
    }

    /// The commented configuration the Debian package installs as /etc/kandas/kandas.toml,
    /// read through the same loader `serve` uses.
    mod packaged_file {
        use super::*;
        use serde::de::{self, Visitor};

        const PACKAGED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/kandas.toml");

        /// The keys the loader accepts, as serde's derive hands them to a deserializer: this
        /// one keeps them and deserializes nothing.
        fn accepted_keys() -> Vec<&'static str> {
            #[derive(Default)]
            struct KeyRecorder(&'static [&'static str]);
            impl<'de> de::Deserializer<'de> for &mut KeyRecorder {
                type Error = de::value::Error;
                fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                    Err(de::Error::custom("only a struct's keys are recorded"))
                }
                fn deserialize_struct<V: Visitor<'de>>(
                    self,
                    _name: &'static str,
                    fields: &'static [&'static str],
                    _visitor: V,
                ) -> Result<V::Value, Self::Error> {
                    self.0 = fields;
                    Err(de::Error::custom("keys recorded"))
                }
                serde::forward_to_deserialize_any! {
                    bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                    byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
                    enum identifier ignored_any
                }
            }
            let mut recorder = KeyRecorder::default();
            let _ = FileSettings::deserialize(&mut recorder);
            assert!(!recorder.0.is_empty(), "FileSettings named no keys");
            recorder.0.to_vec()
        }

        /// `key` if `line` sets it, as `key = …` or as the example `#key = …`.
        fn key_of(line: &str) -> Option<&str> {
            let (key, _) = line.strip_prefix('#').unwrap_or(line).split_once(" = ")?;
            key.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_')
                .then_some(key)
        }

        fn resolve_text(text: &str) -> Config {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(text.as_bytes()).unwrap();
            let args = ServeArgs {
                config: Some(file.path().to_path_buf()),
                ..ServeArgs::default()
            };
            args.resolve()
                .unwrap_or_else(|e| panic!("the loader refused it: {e:#}\n{text}"))
        }

        #[test]
        fn as_shipped_it_loads_and_keeps_all_state_in_the_units_state_directory() {
            let args = ServeArgs {
                config: Some(PACKAGED.into()),
                ..ServeArgs::default()
            };
            let config = args.resolve().unwrap();
            assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
            assert_eq!(
                config.tls,
                TlsSource::DevPki(PathBuf::from("/var/lib/kandas/certs"))
            );
            assert_eq!(
                config.audit_signing_key,
                AuditKeySource::Dev(PathBuf::from("/var/lib/kandas/certs"))
            );
            if std::env::var("DATABASE_URL").is_err() {
                assert_eq!(
                    config.database,
                    DatabaseSource::Private(PathBuf::from("/var/lib/kandas/pg"))
                );
            }
            assert_eq!(
                config.certificate_font,
                PathBuf::from(DEFAULT_CERTIFICATE_FONT)
            );
        }

        #[test]
        fn it_documents_every_key_the_loader_accepts_with_its_default() {
            let text = std::fs::read_to_string(PACKAGED).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for key in accepted_keys() {
                let at = lines
                    .iter()
                    .position(|line| key_of(line) == Some(key))
                    .unwrap_or_else(|| panic!("packaging/kandas.toml does not show `{key}`"));
                // The prose above the key (and above the keys set beside it, as the TLS
                // files are) says what it does and its default.
                let prose: Vec<&str> = lines[..at]
                    .iter()
                    .rev()
                    .skip_while(|line| key_of(line).is_some())
                    .take_while(|line| line.starts_with("# "))
                    .copied()
                    .collect();
                assert!(
                    prose.len() >= 2 && prose.iter().any(|line| line.starts_with("# Default:")),
                    "`{key}` needs a comment above it saying what it does and a `# Default:` line"
                );
            }
        }

        #[test]
        fn every_example_in_it_is_a_value_the_loader_accepts() {
            let text = std::fs::read_to_string(PACKAGED).unwrap();
            let uncommented: String = text
                .lines()
                .map(|line| match (line.strip_prefix('#'), key_of(line)) {
                    (Some(setting), Some(_)) => format!("{setting}\n"),
                    _ => format!("{line}\n"),
                })
                .collect();
            let shown = text.lines().filter(|line| key_of(line).is_some()).count();
            assert_eq!(shown, accepted_keys().len(), "each key shown once");
            let config = resolve_text(&uncommented);
            // The examples took effect, so none was skipped as prose.
            assert_eq!(config.listen.to_string(), "0.0.0.0:50051");
            assert!(matches!(config.database, DatabaseSource::Url(_)));
            assert!(matches!(config.tls, TlsSource::Files { .. }));
            assert_eq!(config.metrics_listen, None);
            assert_eq!(config.log_format, crate::telemetry::LogFormat::Json);
            assert_eq!(config.audit_previous_keys.len(), 1);
        }
    }
}
