//! Zero-configuration local infrastructure: a private PostgreSQL cluster run as a child process
//! ([`postgres`]) and a development PKI ([`pki`]).
//!
//! Both are used when the service runs without configuration (see ARCHITECTURE.md, "Fixed
//! contracts") and by the test suites; [`national_ca`] (feature `national-ca`) only by the tests and
//! the benchmark. Everything here is blocking and bounded in time; call it
//! from `tokio::task::spawn_blocking` (or before the runtime starts) in async code.

#[cfg(feature = "national-ca")]
pub mod national_ca;
pub mod pki;
pub mod postgres;

use std::path::PathBuf;

/// Errors of the local PostgreSQL cluster and the development PKI. Messages are written for the
/// operator who reads them: they name the file or command involved and, where there is one, the
/// fix.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// No PostgreSQL server binaries were found.
    #[error(
        "PostgreSQL server binaries (initdb, postgres, psql) not found: {detail}. \
         Install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`; \
         Fedora/RHEL: `dnf install postgresql-server`; macOS: `brew install postgresql`), \
         or set KANDAS_PG_BIN to the directory that contains `initdb` and `postgres`, \
         or set KANDAS_DATABASE_URL to use an existing PostgreSQL server"
    )]
    NoPostgres { detail: String },

    /// Running as root, but there is no unprivileged user to run PostgreSQL as.
    #[error(
        "kandas runs as root, and PostgreSQL refuses to run as root, but there is no `{user}` \
         system user to run it as. Create one (`useradd --system --home-dir /var/lib/postgresql \
         {user}`; installing the distribution's postgresql package does this), run kandas as \
         a normal user, or set KANDAS_DATABASE_URL to use an existing PostgreSQL server"
    )]
    NoPostgresUser { user: String },

    /// The data directory cannot be reached by the user PostgreSQL runs as.
    #[error(
        "the PostgreSQL data directory {data_dir} cannot be reached by the `{user}` user, which \
         PostgreSQL runs as because kandas runs as root: {blocked} (mode {mode:o}) is not \
         searchable by `{user}`. kandas only opens up directories inside its working directory \
         and leaves {blocked} alone. Run kandas from a directory `{user}` can reach (e.g. under \
         /srv or /work), allow traversal with `chmod o+x {blocked}`, or set KANDAS_DATABASE_URL \
         to use an existing PostgreSQL server"
    )]
    DataDirUnreachable {
        data_dir: PathBuf,
        blocked: PathBuf,
        mode: u32,
        user: String,
    },

    /// The data directory belongs to another user (PostgreSQL must run as the directory owner).
    #[error(
        "the PostgreSQL data directory {data_dir} belongs to uid {owner}, but kandas runs as uid \
         {uid}; PostgreSQL only runs as the owner of its data directory. Run kandas as that user \
         (or as root), or remove {data_dir} to create a fresh cluster"
    )]
    DataDirOwner {
        data_dir: PathBuf,
        owner: u32,
        uid: u32,
    },

    /// Another live PostgreSQL server already uses the data directory.
    #[error(
        "another PostgreSQL server (pid {pid}) is already running on {data_dir} \
         (is another kandas running in this directory?). Stop it, or set KANDAS_DATABASE_URL"
    )]
    AlreadyRunning { data_dir: PathBuf, pid: i32 },

    /// A file system or process operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// A helper command (initdb, psql, ...) failed or timed out.
    #[error("`{command}` failed ({status}){}", fmt_output(.output))]
    Command {
        command: String,
        status: String,
        output: String,
    },

    /// The PostgreSQL server failed to start, stop or answer in time.
    #[error("PostgreSQL server {problem}; server log {}{}", .log.display(), fmt_output(.log_tail))]
    Server {
        problem: String,
        log: PathBuf,
        log_tail: String,
    },

    /// The cluster shared by a test binary could not be started (the first attempt's error).
    #[error("the shared test PostgreSQL cluster could not be started: {0}")]
    SharedCluster(String),

    /// Creating, parsing or writing a certificate or key failed.
    #[error("certificate error: {context}: {detail}")]
    Pki { context: String, detail: String },
}

fn fmt_output(output: &str) -> String {
    let output = output.trim_end();
    if output.is_empty() {
        String::new()
    } else {
        format!(":\n{output}")
    }
}

impl LocalError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> LocalError {
        LocalError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn pki(context: impl Into<String>, detail: impl std::fmt::Display) -> LocalError {
        LocalError::Pki {
            context: context.into(),
            detail: detail.to_string(),
        }
    }
}
