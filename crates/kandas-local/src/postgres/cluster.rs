//! Starting, using and stopping a [`LocalCluster`].

use std::ffi::OsString;
use std::fs;
use std::io::{self, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::binaries::PgBinaries;
use super::data_dir::{
    clear_stale_pid_file, hba_path, initdb, prepare_data_dir, set_superuser_password, write_hba,
};
use super::log::{log_file, log_path_for, open_log, read_log_from};
use super::postmaster::Postmaster;
use super::process::{LOG_TAIL_LINES, describe_status, pg_command, run_bounded, tail_lines};
use super::roles::{
    OWNER, Passwords, SERVICE, hand_to_owner_script, new_password, pgpass_path, roles_script,
    sql_ident, sql_literal,
};
use super::socket::{
    SocketDir, prepare_socket_dir, socket_conninfo, socket_dir_setting, socket_path, socket_url,
};
use super::supervisor::{RestartPolicy, Supervisor};
use super::user::{RunAs, choose_run_as, ensure_reachable};
use super::{DATABASE, SUPERUSER};
use crate::LocalError;

const START_TIMEOUT: Duration = Duration::from_secs(30);
const PSQL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for a previous server on the same data directory to finish shutting down.
const PREVIOUS_SERVER_TIMEOUT: Duration = Duration::from_secs(15);

/// How to run a [`LocalCluster`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterOptions {
    /// The port number, which only names the socket file (`.s.PGSQL.<port>`): the server opens
    /// no TCP port. `None` takes one that is free on 127.0.0.1, so that clusters differ.
    pub port: Option<u16>,
    /// Tests only: `fsync`, `synchronous_commit` and `full_page_writes` off, and initdb
    /// `--no-sync`. A crash can corrupt such a cluster.
    pub ephemeral: bool,
    pub max_connections: u32,
    /// Further server settings, passed as `-c name=value` after the ones above (so they win):
    /// replication, WAL archiving, a recovery target.
    pub settings: Vec<(String, String)>,
    /// What happens when the server exits without having been asked to.
    pub restart: RestartPolicy,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            port: None,
            ephemeral: false,
            max_connections: 100,
            settings: Vec::new(),
            restart: RestartPolicy::default(),
        }
    }
}

/// A running private PostgreSQL server; stopped by [`LocalCluster::stop`] or on drop.
#[derive(Debug)]
pub struct LocalCluster {
    data_dir: PathBuf,
    log_path: PathBuf,
    /// Held for the cluster's lifetime: a temporary one is removed with the fields, after
    /// `Drop` has stopped the server.
    socket_dir: SocketDir,
    port: u16,
    bins: PgBinaries,
    pgpass: PathBuf,
    passwords: Passwords,
    supervisor: Arc<Supervisor>,
}

impl LocalCluster {
    /// Creates the cluster in `data_dir` unless it exists, starts the server, waits until it
    /// accepts connections and creates the database `kandas` if missing. See the module docs for
    /// the layout and how root is handled.
    pub fn start(data_dir: &Path, options: ClusterOptions) -> Result<LocalCluster, LocalError> {
        let bins = PgBinaries::locate()?;
        let cwd = std::env::current_dir()
            .map_err(|e| LocalError::io("reading the working directory", e))?;
        Self::start_with(&bins, data_dir, options, &cwd)
    }

    /// [`start`](Self::start) with given binaries; only ancestors of `data_dir` inside
    /// `project_root` are opened up for the `postgres` user when running as root.
    pub fn start_with(
        bins: &PgBinaries,
        data_dir: &Path,
        options: ClusterOptions,
        project_root: &Path,
    ) -> Result<LocalCluster, LocalError> {
        let data_dir = std::path::absolute(data_dir)
            .map_err(|e| LocalError::io(format!("resolving the path {}", data_dir.display()), e))?;
        let parent = data_dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .ok_or_else(|| {
                LocalError::io(
                    format!("using {} as a data directory", data_dir.display()),
                    io::Error::new(io::ErrorKind::InvalidInput, "it has no parent directory"),
                )
            })?;
        fs::create_dir_all(parent)
            .map_err(|e| LocalError::io(format!("creating {}", parent.display()), e))?;
        let run_as = choose_run_as(&data_dir)?;
        if let Some(user) = &run_as {
            ensure_reachable(parent, &data_dir, user, project_root)?;
        }
        prepare_data_dir(&data_dir, run_as.as_ref())?;
        let pgpass = pgpass_path(&data_dir);
        let mut passwords = Passwords::read(&pgpass)?;
        if !data_dir.join("PG_VERSION").exists() {
            let (password, _) = passwords.get_or_make(SUPERUSER)?;
            initdb(
                bins,
                &data_dir,
                run_as.as_ref(),
                options.ephemeral,
                &password,
            )?;
            passwords.write(&pgpass, None)?;
        }
        clear_stale_pid_file(&data_dir, PREVIOUS_SERVER_TIMEOUT)?;
        if passwords.get(SUPERUSER).is_none() {
            let password = new_password()?;
            set_superuser_password(bins, &data_dir, run_as.as_ref(), &password)?;
            passwords.set(SUPERUSER, &password);
            passwords.write(&pgpass, None)?;
        }
        write_hba(&data_dir, run_as.as_ref())?;
        let socket_dir = prepare_socket_dir(&data_dir, run_as.as_ref())?;
        let log_path = log_path_for(&data_dir);
        // Nothing else can hold the socket file of this directory (postmaster.pid guards it):
        // a port taken on TCP meanwhile is no obstacle, so no retry is needed.
        let port = match options.port {
            Some(port) => port,
            None => free_port()?,
        };
        let launch = Launcher {
            bins: bins.clone(),
            data_dir: data_dir.clone(),
            socket_dir: socket_dir.path().to_path_buf(),
            port,
            log_path: log_path.clone(),
            run_as: run_as.clone(),
            options: options.clone(),
        };
        let first = launch.launch()?;
        let supervisor =
            Supervisor::start(first, Box::new(move || launch.launch()), options.restart)?;
        let mut cluster = LocalCluster {
            data_dir,
            log_path,
            socket_dir,
            port,
            bins: bins.clone(),
            pgpass,
            passwords,
            supervisor,
        };
        // On error, dropping `cluster` stops the server.
        cluster.ensure_roles()?;
        cluster.ensure_database(DATABASE)?;
        tracing::info!(
            data_dir = %cluster.data_dir.display(),
            socket = %socket_path(cluster.socket_dir(), port).display(),
            log = %cluster.log_path.display(),
            "private PostgreSQL cluster running"
        );
        Ok(cluster)
    }

    /// Makes the owner and service roles (after a standby's promotion, they are there from
    /// its primary) and sets their passwords from the password file, making those missing.
    fn ensure_roles(&mut self) -> Result<(), LocalError> {
        if self.in_recovery()? {
            return Ok(());
        }
        let (owner, made_owner) = self.passwords.get_or_make(OWNER)?;
        let (service, made_service) = self.passwords.get_or_make(SERVICE)?;
        if made_owner || made_service {
            self.passwords.write(&self.pgpass, None)?;
        }
        self.psql_script("postgres", &roles_script(&owner, &service))
            .map(|_| ())
    }

    fn in_recovery(&self) -> Result<bool, LocalError> {
        Ok(self.psql("postgres", "SELECT pg_is_in_recovery()")?.trim() == "t")
    }

    /// The port number in the socket file's name; nothing listens on it over TCP.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the server's Unix socket (mode 0700, the server's OS user's).
    pub fn socket_dir(&self) -> &Path {
        self.socket_dir.path()
    }

    /// `postgres://kandas:PASSWORD@localhost:PORT/DATABASE?host=SOCKET_DIR`: the superuser
    /// over the Unix socket. sqlx and libpq (psql) both accept it. It carries a password:
    /// never log it.
    pub fn url(&self, database: &str) -> String {
        self.url_as(SUPERUSER, database)
    }

    /// [`url`](Self::url) for the owner role, which migrations run as.
    pub fn owner_url(&self, database: &str) -> String {
        self.url_as(OWNER, database)
    }

    /// [`url`](Self::url) for the service role, which owns nothing.
    pub fn service_url(&self, database: &str) -> String {
        self.url_as(SERVICE, database)
    }

    fn url_as(&self, role: &str, database: &str) -> String {
        socket_url(
            self.socket_dir(),
            self.port,
            role,
            self.passwords.get(role).unwrap_or_default(),
            database,
        )
    }

    /// The pgpass file with the roles' passwords (mode 0600, kandas's user's).
    pub fn password_file(&self) -> &Path {
        &self.pgpass
    }

    /// The postmaster's process id now (it changes when the server is restarted).
    pub fn server_pid(&self) -> i32 {
        self.supervisor.current().pid
    }

    /// Restarts after an unexpected exit of the server, counted as they succeed.
    pub fn restarts(&self) -> Arc<AtomicU64> {
        self.supervisor.restarts()
    }

    /// Becomes `Some(reason)` when the server exited and could not be restarted.
    pub fn failure(&self) -> tokio::sync::watch::Receiver<Option<String>> {
        self.supervisor.failure()
    }

    /// The client authentication file, rewritten on every start.
    pub fn hba_file(&self) -> PathBuf {
        hba_path(&self.data_dir)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log (stdout and stderr of the postmaster).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Creates `database` unless it exists, owned by the owner role, and hands the owner
    /// whatever in it another role owns (see [`hand_to_owner_script`]).
    pub fn ensure_database(&self, database: &str) -> Result<(), LocalError> {
        let exists = self.psql(
            "postgres",
            &format!(
                "SELECT 1 FROM pg_database WHERE datname = {}",
                sql_literal(database)
            ),
        )?;
        if exists.trim() != "1" {
            let create = format!(
                "CREATE DATABASE {} OWNER {}",
                sql_ident(database),
                sql_ident(OWNER)
            );
            match self.psql("postgres", &create) {
                Ok(_) => {}
                // Created concurrently by someone else: fine.
                Err(LocalError::Command { output, .. }) if output.contains("already exists") => {}
                Err(e) => return Err(e),
            }
        }
        if self.in_recovery()? {
            return Ok(());
        }
        self.psql_script(database, &hand_to_owner_script(database))
            .map(|_| ())
    }

    /// Runs one SQL command with `psql` over the socket as the superuser; returns unaligned
    /// tuples.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, LocalError> {
        let mut cmd = self.psql_command(database);
        cmd.arg("-c").arg(sql);
        run_bounded(cmd, PSQL_TIMEOUT)
    }

    /// [`psql`](Self::psql) for a script that holds a secret: it goes through standard input,
    /// never the command line, which every user of the machine can read.
    pub(super) fn psql_script(&self, database: &str, script: &str) -> Result<String, LocalError> {
        let input = tempfile::tempfile()
            .and_then(|mut file| {
                file.write_all(script.as_bytes())?;
                file.seek(SeekFrom::Start(0))?;
                Ok(file)
            })
            .map_err(|e| LocalError::io("preparing a psql script", e))?;
        let mut cmd = self.psql_command(database);
        cmd.arg("-f").arg("-").stdin(Stdio::from(input));
        run_bounded(cmd, PSQL_TIMEOUT)
    }

    fn psql_command(&self, database: &str) -> Command {
        // psql runs fine as root; only the server refuses root.
        let mut cmd = pg_command(&self.bins.psql(), None, Signal::SIGTERM);
        cmd.env("PGPASSFILE", &self.pgpass)
            .arg("-X")
            .arg("-q")
            .arg("-A")
            .arg("-t")
            .arg("-w")
            .arg("-v")
            .arg("ON_ERROR_STOP=1")
            .arg("-d")
            .arg(socket_conninfo(
                self.socket_dir(),
                self.port,
                SUPERUSER,
                database,
            ));
        cmd
    }

    pub(super) fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    /// Fast shutdown (SIGINT), waiting for the server to exit; escalates to an immediate
    /// shutdown and then SIGKILL if it takes too long. Dropping the cluster does the same.
    pub fn stop(self) -> Result<(), LocalError> {
        self.shutdown()
    }

    pub(super) fn bins(&self) -> &PgBinaries {
        &self.bins
    }

    /// The server as it dies with its machine: no restart follows. Returns its pid.
    pub(super) fn expect_death(&self) -> i32 {
        self.supervisor.stop_restarting().pid
    }

    /// Waits (briefly) until the server has exited after a signal sent from outside.
    pub(super) fn wait_for_exit(&self) {
        self.supervisor.current().wait_exit(PREVIOUS_SERVER_TIMEOUT);
    }

    pub(super) fn shutdown(&self) -> Result<(), LocalError> {
        let postmaster = self.supervisor.stop_restarting();
        if postmaster.exit_status().is_some() {
            return Ok(());
        }
        let offset = fs::metadata(&self.log_path).map(|m| m.len()).unwrap_or(0);
        if postmaster.stop() {
            return Ok(());
        }
        Err(LocalError::Server {
            problem: format!(
                "(pid {}) did not exit after SIGINT, SIGQUIT and SIGKILL",
                postmaster.pid
            ),
            log: self.log_path.clone(),
            log_tail: tail_lines(&read_log_from(&self.log_path, offset), LOG_TAIL_LINES),
        })
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::warn!(error = %e, "stopping the private PostgreSQL cluster");
        }
    }
}

/// A number no program uses as a TCP port just now, so that clusters started side by side get
/// different socket names and nobody mistakes one for the other.
pub(super) fn free_port() -> Result<u16, LocalError> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| LocalError::io("finding a free TCP port on 127.0.0.1", e))
}

/// Everything a start of the server needs: the first one and every restart.
struct Launcher {
    bins: PgBinaries,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    log_path: PathBuf,
    run_as: Option<RunAs>,
    options: ClusterOptions,
}

impl Launcher {
    /// Starts the server on the existing data directory (never a new one: a restart recovers
    /// what the WAL holds) and waits until it accepts connections.
    fn launch(&self) -> Result<Arc<Postmaster>, LocalError> {
        clear_stale_pid_file(&self.data_dir, PREVIOUS_SERVER_TIMEOUT)?;
        let socket = socket_path(&self.socket_dir, self.port);
        let log_offset = open_log(&self.log_path, self.run_as.as_ref(), &socket)?;
        let server = Server {
            data_dir: &self.data_dir,
            socket_dir: &self.socket_dir,
            port: self.port,
            log_path: &self.log_path,
        };
        let postmaster =
            start_postmaster(&self.bins, &server, self.run_as.as_ref(), &self.options)?;
        if let Err(e) = wait_until_ready(&postmaster, &server, &socket, log_offset) {
            postmaster.stop();
            return Err(e);
        }
        Ok(postmaster)
    }
}

/// Where one start of the server keeps its files and its socket.
struct Server<'a> {
    data_dir: &'a Path,
    socket_dir: &'a Path,
    port: u16,
    log_path: &'a Path,
}

fn start_postmaster(
    bins: &PgBinaries,
    server: &Server<'_>,
    run_as: Option<&RunAs>,
    options: &ClusterOptions,
) -> Result<Arc<Postmaster>, LocalError> {
    let log = log_file(server.log_path)?;
    let log_err = log
        .try_clone()
        .map_err(|e| LocalError::io(format!("opening {}", server.log_path.display()), e))?;
    let mut cmd = pg_command(&bins.postgres(), run_as, Signal::SIGINT);
    cmd.stdout(log).stderr(log_err).process_group(0);
    cmd.arg("-D")
        .arg(server.data_dir)
        .arg("-p")
        .arg(server.port.to_string());
    let mut setting = |name: &str, value: &std::ffi::OsStr| {
        let mut arg = OsString::from(format!("{name}="));
        arg.push(value);
        cmd.arg("-c").arg(arg);
    };
    // The socket directory is the sole way in: no TCP, a socket only the server's user may
    // use, and `hba_file` pinned to the pg_hba.conf written at this start (passwords for
    // every role), whatever an older postgresql.conf names.
    setting("listen_addresses", "".as_ref());
    setting(
        "unix_socket_directories",
        &socket_dir_setting(server.socket_dir),
    );
    setting("unix_socket_permissions", "0700".as_ref());
    setting("hba_file", hba_path(server.data_dir).as_os_str());
    // An error's DETAIL quotes the row it concerns (a duplicate IIN, for one): the server log
    // keeps the message and the statement text, whose values are bound, never the data.
    setting("log_error_verbosity", "terse".as_ref());
    setting("password_encryption", "scram-sha-256".as_ref());
    setting(
        "max_connections",
        options.max_connections.max(1).to_string().as_ref(),
    );
    if options.ephemeral {
        setting("fsync", "off".as_ref());
        setting("synchronous_commit", "off".as_ref());
        setting("full_page_writes", "off".as_ref());
    }
    for (name, value) in &options.settings {
        setting(name, value.as_ref());
    }
    Postmaster::spawn(cmd)
}

/// Waits until the server reports "ready" (or, a standby, "standby") in postmaster.pid and
/// accepts connections on `socket`.
fn wait_until_ready(
    pm: &Postmaster,
    server: &Server<'_>,
    socket: &Path,
    log_offset: u64,
) -> Result<(), LocalError> {
    let deadline = Instant::now() + START_TIMEOUT;
    let pid_file = server.data_dir.join("postmaster.pid");
    let failure = |problem: String| LocalError::Server {
        problem,
        log: server.log_path.to_path_buf(),
        log_tail: tail_lines(&read_log_from(server.log_path, log_offset), LOG_TAIL_LINES),
    };
    loop {
        if let Some(status) = pm.exit_status() {
            return Err(failure(format!(
                "exited during startup ({}) with socket {} and data directory {}",
                status.map_or_else(|| "unknown status".to_owned(), describe_status),
                socket.display(),
                server.data_dir.display()
            )));
        }
        // Lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
        let ready = fs::read_to_string(&pid_file).is_ok_and(|text| {
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            lines.first().and_then(|l| l.parse::<i32>().ok()) == Some(pm.pid)
                && matches!(lines.get(7), Some(&"ready" | &"standby"))
        });
        if ready && UnixStream::connect(socket).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(failure(format!(
                "did not accept connections on {} within {} s",
                socket.display(),
                START_TIMEOUT.as_secs()
            )));
        }
        thread::sleep(Duration::from_millis(50));
    }
}
