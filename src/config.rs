//! Settings from the command line, the environment and an optional TOML file, in that order
//! of precedence. With nothing configured the service runs on a private PostgreSQL cluster and
//! a development PKI under `.kandas/`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod duration;
pub mod production;
pub use duration::{DurationIn, Millis, Seconds};
pub use production::DevelopmentPki;

/// Declares the settings struct and its layering: flags and environment (which clap fills)
/// over the TOML file, field by field, so a new setting cannot be forgotten in the merge.
macro_rules! settings {
    (
        $(#[$outer:meta])*
        pub struct $name:ident {
            $( $(#[$attr:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$outer])*
        pub struct $name {
            $( $(#[$attr])* pub $field: $ty, )*
        }

        impl $name {
            /// Each setting of `self`, or of `lower` where `self` leaves it unset.
            fn over(self, lower: $name) -> $name {
                $name { $( $field: Layer::over(self.$field, lower.$field), )* }
            }
        }
    };
}

/// A setting that a higher layer may leave unset.
trait Layer {
    fn over(self, lower: Self) -> Self;
}

impl<T> Layer for Option<T> {
    fn over(self, lower: Self) -> Self {
        self.or(lower)
    }
}

/// A list is unset when empty: clap gives an empty one for an absent flag.
impl<T> Layer for Vec<T> {
    fn over(self, lower: Self) -> Self {
        if self.is_empty() { lower } else { self }
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
pub const DEFAULT_STATE_DIR: &str = ".kandas";
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 16;
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1024 * 1024;
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 64;
pub const DEFAULT_DB_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1000);
pub const DEFAULT_REQUEST_ARRIVAL_TIMEOUT: Duration = Duration::from_millis(5000);
pub const DEFAULT_SHARE_WAIT: Duration = Duration::from_millis(500);
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 100;
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 32;
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_millis(5000);
/// Above what one host's callers open at once (a partner's connection pool of
/// `DEFAULT_MAX_CONNECTIONS_PER_CLIENT`, several offices behind one address), since a real
/// handshake lasts milliseconds; half the default handshake places, so one host flooding
/// leaves the other half to everyone else.
pub const DEFAULT_MAX_HANDSHAKES_PER_SOURCE: usize = 64;
pub const DEFAULT_MAX_CONNECTION_AGE: Duration = Duration::from_secs(3600);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
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

settings! {
/// The settings of `serve`, `migrate` and `audit export`, each declared once: its doc comment
/// is its `--help`, its flag and `KANDAS_*` variable are in `#[arg]`, its TOML key is its name,
/// and its default is the `[default: …]` of its help, which the tests hold to what
/// [`ServeArgs::resolve`] does and to the packaged kandas.toml and the operating docs.
#[derive(Debug, Args, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
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
    /// Serve on the development PKI the service makes itself in <state-dir>/certs (a CA whose
    /// key sits beside it) and with the organisations dev-<role> it registers for it. false:
    /// such a start is refused, with one message saying what to set (KANDAS_TLS_CERT,
    /// KANDAS_TLS_KEY, KANDAS_CLIENT_CA, KANDAS_BOOTSTRAP_ADMIN); the packaged kandas.toml sets
    /// false [default: true].
    #[arg(long, env = "KANDAS_ALLOW_DEVELOPMENT_PKI", num_args = 0..=1, default_missing_value = "true")]
    pub allow_development_pki: Option<bool>,
    /// Server certificate chain (PEM). Unset: the development PKI in <state-dir>/certs.
    #[arg(long, env = "KANDAS_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// Server private key (PEM). Unset: with KANDAS_TLS_CERT, the development PKI's.
    #[arg(long, env = "KANDAS_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// CA certificate(s) that client certificates must chain to (PEM). Unset: with
    /// KANDAS_TLS_CERT, the development PKI's.
    #[arg(long, env = "KANDAS_CLIENT_CA")]
    pub client_ca: Option<PathBuf>,
    /// Certificate revocation lists (PEM or DER) of the client CA, comma-separated. A revoked
    /// client certificate is refused at the handshake; the files are read again when they
    /// change, with the certificates, and on SIGHUP. Unset: no revocation checks.
    #[arg(long, env = "KANDAS_CLIENT_CRL", value_delimiter = ',')]
    pub client_crl: Vec<PathBuf>,
    /// Directory for the private cluster and development PKI [default: .kandas].
    #[arg(long, env = "KANDAS_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Maximum PostgreSQL connections in the pool [default: 16].
    #[arg(long, env = "KANDAS_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    /// How long a call waits for a PostgreSQL connection before failing UNAVAILABLE, in
    /// milliseconds or with a unit (`2s`) [default: 1000].
    #[arg(long, env = "KANDAS_DB_ACQUIRE_TIMEOUT_MS")]
    pub db_acquire_timeout_ms: Option<Millis>,
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
    /// calls only, for one of its places, in milliseconds or with a unit; 0 refuses at once
    /// [default: 500].
    #[arg(long, env = "KANDAS_SHARE_WAIT_MS")]
    pub share_wait_ms: Option<Millis>,
    /// A call whose request message has not arrived whole within this many milliseconds (or
    /// this time with its unit, `5s`) is answered DEADLINE_EXCEEDED and frees its place
    /// [default: 5000].
    #[arg(long, env = "KANDAS_REQUEST_ARRIVAL_TIMEOUT_MS")]
    pub request_arrival_timeout_ms: Option<Millis>,
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
    /// Time for the TLS handshake, and then for the client's first bytes, in milliseconds or
    /// with a unit [default: 5000].
    #[arg(long, env = "KANDAS_HANDSHAKE_TIMEOUT_MS")]
    pub handshake_timeout_ms: Option<Millis>,
    /// A connection this many seconds old (or this old with a unit, `1h`) is asked to go away
    /// (HTTP/2 GOAWAY; its client reconnects, with a fresh handshake) and closed a minute later
    /// [default: 3600].
    #[arg(long, env = "KANDAS_MAX_CONNECTION_AGE_S")]
    pub max_connection_age_s: Option<Seconds>,
    /// A connection with no call for this many seconds (or this long with a unit, `5m`) is
    /// closed [default: 300].
    #[arg(long, env = "KANDAS_IDLE_TIMEOUT_S")]
    pub idle_timeout_s: Option<Seconds>,
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
    /// `http://127.0.0.1:4317`. Unset: none exported. Spans name the RPC, its code and the
    /// caller's role and organisation, never personal data.
    #[arg(long, env = "KANDAS_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Organisation id registered at start as a national admin organisation, unless that id
    /// is registered already: the first administrator of a production database, who then
    /// registers the others with RegisterOrganisation. Unset: none.
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
    /// Unset: none.
    #[arg(long, env = "KANDAS_AUDIT_PREVIOUS_PUBLIC_KEYS", value_delimiter = ',')]
    pub audit_previous_public_keys: Vec<String>,
    /// File where the service keeps the last audit head it signed, outside the database: it
    /// never signs a head that does not extend it. Unset: beside the signing key, named like it
    /// with the extension `.head` (e.g. audit-signing.head).
    #[arg(long, env = "KANDAS_AUDIT_HEAD_FILE")]
    pub audit_head_file: Option<PathBuf>,
    /// Witnesses of earlier signed heads, comma-separated files: earlier exports, another
    /// replica's head file, a registry's copy. Read at start; the log must still agree with them.
    /// Unset: none.
    #[arg(long, env = "KANDAS_AUDIT_WITNESSES", value_delimiter = ',')]
    pub audit_witnesses: Vec<PathBuf>,
    /// National certification authorities whose certificates applicants sign portal acts with
    /// (PEM files, comma-separated; every certificate in them is trusted). Unset: no signature
    /// is trusted, and portals confirm by SMS where allowed. Read again every minute.
    #[arg(long, env = "KANDAS_APPLICANT_SIGNATURE_CA", value_delimiter = ',')]
    pub applicant_signature_ca: Vec<PathBuf>,
    /// Their certificate revocation lists (PEM or DER), comma-separated. Once any is set, a
    /// signature whose certificate no current CRL covers is refused. Read again every minute.
    /// Unset: no revocation checks.
    #[arg(long, env = "KANDAS_APPLICANT_SIGNATURE_CRL", value_delimiter = ',')]
    pub applicant_signature_crl: Vec<PathBuf>,
    /// TOML file with any of the settings above (snake_case keys); flags and variables win.
    #[arg(long, env = "KANDAS_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
}
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
            share_wait: DEFAULT_SHARE_WAIT,
            request_arrival_timeout: DEFAULT_REQUEST_ARRIVAL_TIMEOUT,
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            max_handshakes: default_max_handshakes(DEFAULT_MAX_CONNECTIONS),
            max_handshakes_per_source: DEFAULT_MAX_HANDSHAKES_PER_SOURCE,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connection_age: DEFAULT_MAX_CONNECTION_AGE,
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
    /// Whether the development PKI and its organisations may serve.
    pub development_pki: DevelopmentPki,
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
        let mut given = self.clone();
        // DATABASE_URL, the variable sqlx and libpq tools share, ranks below KANDAS_DATABASE_URL
        // and above the file.
        given.database_url = given
            .database_url
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()));
        let set = match &self.config {
            Some(path) => given.over(read_file_settings(path)?),
            None => given,
        };
        let max_concurrent_requests = set
            .max_concurrent_requests
            .unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS);
        if max_concurrent_requests == 0 {
            bail!("KANDAS_MAX_CONCURRENT_REQUESTS must be at least 1");
        }
        let db_max_connections = set.db_max_connections.unwrap_or(DEFAULT_DB_MAX_CONNECTIONS);
        if db_max_connections == 0 {
            bail!("KANDAS_DB_MAX_CONNECTIONS must be at least 1");
        }
        let isolation = set.isolation(max_concurrent_requests, db_max_connections)?;
        let state_dir = set
            .state_dir
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
        let migration_database_url = set
            .migration_database_url
            .filter(|url| !url.trim().is_empty());
        let database = match set.database_url {
            Some(url) => DatabaseSource::Url(url),
            None if migration_database_url.is_some() => bail!(
                "KANDAS_MIGRATION_DATABASE_URL needs KANDAS_DATABASE_URL: the private cluster \
                 has its own owner and service roles"
            ),
            None => DatabaseSource::Private(state_dir.join("pg")),
        };
        let tls = match (set.tls_cert, set.tls_key, set.client_ca) {
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
        let max_message_bytes = set.max_message_bytes.unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
        if max_message_bytes < 1024 {
            bail!("KANDAS_MAX_MESSAGE_BYTES must be at least 1024");
        }
        let db_acquire_timeout = set
            .db_acquire_timeout_ms
            .map_or(DEFAULT_DB_ACQUIRE_TIMEOUT, |t| t.0);
        if db_acquire_timeout.is_zero() {
            bail!("KANDAS_DB_ACQUIRE_TIMEOUT_MS must be at least 1");
        }
        let metrics_listen = parse_metrics_listen(
            set.metrics_listen
                .as_deref()
                .unwrap_or(DEFAULT_METRICS_LISTEN),
        )?;
        let audit_previous_keys = set
            .audit_previous_public_keys
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| crate::audit::PublicKey::from_argument(k.trim()))
            .collect::<Result<Vec<_>, _>>()
            .context("KANDAS_AUDIT_PREVIOUS_PUBLIC_KEYS")?;
        let audit_signing_key = match set.audit_signing_key {
            Some(path) => AuditKeySource::File(path),
            None => AuditKeySource::Dev(state_dir.join("certs")),
        };
        let audit_head_file = set
            .audit_head_file
            .unwrap_or_else(|| audit_signing_key.head_file());
        let bootstrap_admin = set.bootstrap_admin.filter(|id| !id.is_empty());
        if let Some(id) = &bootstrap_admin
            && !crate::domain::organisation::is_valid_id(id)
        {
            bail!("KANDAS_BOOTSTRAP_ADMIN must be 1-64 characters of A-Z a-z 0-9 - _ .");
        }
        Ok(Config {
            listen: set
                .listen
                .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default address")),
            database,
            migration_database_url,
            allow_privileged_database_role: set.allow_privileged_database_role.unwrap_or(false),
            tls,
            development_pki: if set.allow_development_pki.unwrap_or(true) {
                DevelopmentPki::Allowed
            } else {
                DevelopmentPki::Refused {
                    config_file: self.config.clone(),
                }
            },
            client_crls: set.client_crl,
            db_max_connections,
            db_acquire_timeout,
            max_message_bytes,
            max_concurrent_requests,
            isolation,
            metrics_listen,
            metrics_listen_configured: set.metrics_listen.is_some(),
            log: set
                .log
                .unwrap_or_else(|| crate::telemetry::DEFAULT_FILTER.to_string()),
            log_format: set.log_format.unwrap_or_default(),
            otlp_endpoint: set
                .otlp_endpoint
                .filter(|endpoint| !endpoint.trim().is_empty()),
            bootstrap_admin,
            certificate_font: set
                .certificate_font
                .unwrap_or_else(|| PathBuf::from(DEFAULT_CERTIFICATE_FONT)),
            audit_previous_keys,
            audit_head_file,
            audit_witnesses: set.audit_witnesses,
            applicant_signature_ca: set.applicant_signature_ca,
            applicant_signature_crl: set.applicant_signature_crl,
            audit_signing_key,
        })
    }

    /// The isolation settings of `self`, already merged with the file.
    fn isolation(&self, places: usize, pool: u32) -> anyhow::Result<Isolation> {
        let defaults = Isolation::defaults(places, pool);
        let count = |value: Option<usize>, name: &str| -> anyhow::Result<Option<usize>> {
            match value {
                Some(0) => bail!("{name} must be at least 1"),
                other => Ok(other),
            }
        };
        let time = |value: Option<Duration>, name: &str| -> anyhow::Result<Option<Duration>> {
            match value {
                Some(t) if t.is_zero() => bail!("{name} must be at least 1"),
                other => Ok(other),
            }
        };
        let max_connections = count(self.max_connections, "KANDAS_MAX_CONNECTIONS")?
            .unwrap_or(defaults.max_connections);
        let max_handshakes = count(self.max_handshakes, "KANDAS_MAX_HANDSHAKES")?
            .unwrap_or_else(|| default_max_handshakes(max_connections));
        if max_handshakes > max_connections {
            bail!(
                "KANDAS_MAX_HANDSHAKES ({max_handshakes}) must not be above KANDAS_MAX_CONNECTIONS ({max_connections})"
            );
        }
        let max_concurrent_streams = match self.max_concurrent_streams {
            Some(0) => bail!("KANDAS_MAX_CONCURRENT_STREAMS must be at least 1"),
            other => other.unwrap_or(defaults.max_concurrent_streams),
        };
        Ok(Isolation {
            max_calls_per_organisation: count(
                self.max_calls_per_organisation,
                "KANDAS_MAX_CALLS_PER_ORGANISATION",
            )?
            .unwrap_or(defaults.max_calls_per_organisation)
            .min(places),
            // No wait (0) is allowed: over-share calls are then refused at once.
            share_wait: self.share_wait_ms.map_or(defaults.share_wait, |t| t.0),
            request_arrival_timeout: time(
                self.request_arrival_timeout_ms.map(|t| t.0),
                "KANDAS_REQUEST_ARRIVAL_TIMEOUT_MS",
            )?
            .unwrap_or(defaults.request_arrival_timeout),
            max_concurrent_streams,
            max_connections,
            max_connections_per_client: count(
                self.max_connections_per_client,
                "KANDAS_MAX_CONNECTIONS_PER_CLIENT",
            )?
            .unwrap_or(defaults.max_connections_per_client),
            max_handshakes,
            max_handshakes_per_source: count(
                self.max_handshakes_per_source,
                "KANDAS_MAX_HANDSHAKES_PER_SOURCE",
            )?
            .unwrap_or(defaults.max_handshakes_per_source),
            handshake_timeout: time(
                self.handshake_timeout_ms.map(|t| t.0),
                "KANDAS_HANDSHAKE_TIMEOUT_MS",
            )?
            .unwrap_or(defaults.handshake_timeout),
            idle_timeout: time(self.idle_timeout_s.map(|t| t.0), "KANDAS_IDLE_TIMEOUT_S")?
                .unwrap_or(defaults.idle_timeout),
            max_connection_age: time(
                self.max_connection_age_s.map(|t| t.0),
                "KANDAS_MAX_CONNECTION_AGE_S",
            )?
            .unwrap_or(defaults.max_connection_age),
        })
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

fn read_file_settings(path: &Path) -> anyhow::Result<ServeArgs> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the configuration file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("parsing the configuration file {}", path.display()))
}

#[cfg(test)]
mod tests;
