//! A private PostgreSQL cluster run as a child process of kandas.
//!
//! Layout for a data directory `D` (by default `.kandas/pg`):
//!
//! * `D/` is the cluster (made by `initdb -A trust -U kandas -E UTF8 --no-locale`);
//! * `D.log` (by default `.kandas/pg.log`) receives the server's stdout and stderr, appended
//!   across starts (rotated to `D.log.1` past 10 MiB). It sits next to the data directory rather
//!   than in it so that it survives deleting the cluster and is easy to find;
//! * the server listens on `127.0.0.1:<port>` only, plus a Unix socket inside `D` when that path
//!   is short enough for a socket address (otherwise TCP only). Everything here connects over TCP.
//!
//! **Root.** PostgreSQL refuses to run as root. When kandas runs as root, the server binaries run
//! as the owner of an existing non-root data directory, else as the `postgres` system user: the
//! data directory and the log are chowned to that user, and its supplementary groups are
//! cleared. That user must be able to traverse every ancestor of the data directory. Ancestors
//! inside the working directory (the project, e.g. `/work/main/.kandas`) that it cannot traverse
//! get the search bit for others (`o+x`, never read) added, which exposes no names or contents.
//! Ancestors outside the working directory (e.g. `/root` at mode 0700) are never changed behind
//! the operator's back: start fails with [`LocalError::DataDirUnreachable`], naming the directory
//! and the fixes.
//!
//! **Lifetime.** The postmaster is spawned from a dedicated thread that lives until the server
//! exits, with `PR_SET_PDEATHSIG = SIGINT` (fast shutdown) set after the uid switch, so a
//! SIGKILLed kandas does not leave a server behind (Linux). It runs in its own process group, so
//! a terminal's Ctrl-C reaches kandas, which then stops the server in order.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use super::LocalError;

/// Superuser created by initdb; every connection uses it.
pub const SUPERUSER: &str = "kandas";
/// Database created on every start if missing.
pub const DATABASE: &str = "kandas";
/// The system user PostgreSQL runs as when kandas runs as root.
const SYSTEM_USER: &str = "postgres";

const INITDB_TIMEOUT: Duration = Duration::from_secs(180);
const START_TIMEOUT: Duration = Duration::from_secs(30);
const PSQL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a fast shutdown may take before an immediate shutdown, then SIGKILL.
const FAST_STOP_TIMEOUT: Duration = Duration::from_secs(30);
const IMMEDIATE_STOP_TIMEOUT: Duration = Duration::from_secs(10);
const KILL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a previous server on the same data directory to finish shutting down.
const PREVIOUS_SERVER_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts with a fresh port when the automatically chosen one was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;
const LOG_ROTATE_BYTES: u64 = 10 * 1024 * 1024;
const LOG_TAIL_LINES: usize = 40;
/// Longest Unix socket path (sun_path is 108 bytes on Linux, 104 on macOS, incl. the NUL).
const MAX_SOCKET_PATH: usize = 103;

// ---------------------------------------------------------------------------------------------
// Binaries
// ---------------------------------------------------------------------------------------------

/// The directory holding the PostgreSQL server binaries (`initdb`, `postgres`, `psql`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgBinaries {
    pub bin_dir: PathBuf,
}

impl PgBinaries {
    /// Finds the server binaries. Search order: `$KANDAS_PG_BIN`; the directory of `pg_ctl` or
    /// `initdb` on `PATH`; the highest version in `/usr/lib/postgresql/*/bin` (Debian, Ubuntu);
    /// `/usr/local/pgsql/bin` (source builds); `/opt/homebrew/opt/postgresql*/bin` and
    /// `/usr/local/opt/postgresql*/bin` (Homebrew). A directory counts only if it holds
    /// `initdb`, `postgres` and `psql`.
    pub fn locate() -> Result<PgBinaries, LocalError> {
        locate_with(
            std::env::var_os("KANDAS_PG_BIN"),
            std::env::var_os("PATH"),
            Path::new("/"),
        )
    }

    pub fn initdb(&self) -> PathBuf {
        self.bin_dir.join("initdb")
    }

    pub fn postgres(&self) -> PathBuf {
        self.bin_dir.join("postgres")
    }

    pub fn psql(&self) -> PathBuf {
        self.bin_dir.join("psql")
    }
}

const REQUIRED_BINARIES: [&str; 3] = ["initdb", "postgres", "psql"];

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn has_server_binaries(dir: &Path) -> bool {
    REQUIRED_BINARIES
        .iter()
        .all(|name| is_executable(&dir.join(name)))
}

/// Version key of a directory name such as `15`, `postgresql@16` or `9.6`: higher is newer.
fn version_key(name: &str) -> Vec<u32> {
    let digits: String = name
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits
        .split('.')
        .filter_map(|part| part.parse().ok())
        .collect()
}

/// `root/pattern_dir/<prefix>*/bin` for every match, newest version first.
fn versioned_dirs(parent: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix)
                .then(|| (version_key(&name), entry.path().join("bin")))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, dir)| dir).collect()
}

fn locate_with(
    env_bin: Option<OsString>,
    path: Option<OsString>,
    root: &Path,
) -> Result<PgBinaries, LocalError> {
    if let Some(dir) = env_bin.filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return if has_server_binaries(&dir) {
            Ok(PgBinaries { bin_dir: dir })
        } else {
            Err(LocalError::NoPostgres {
                detail: format!(
                    "KANDAS_PG_BIN={} does not contain all of {}",
                    dir.display(),
                    REQUIRED_BINARIES.join(", ")
                ),
            })
        };
    }
    let mut candidates = Vec::new();
    if let Some(path) = path {
        for dir in std::env::split_paths(&path) {
            for tool in ["pg_ctl", "initdb"] {
                let exe = dir.join(tool);
                if is_executable(&exe) {
                    candidates.push(dir.clone());
                    // Distribution wrappers (e.g. /usr/bin/pg_ctl -> the real one) resolve here.
                    if let Some(parent) = fs::canonicalize(&exe)
                        .ok()
                        .and_then(|real| real.parent().map(Path::to_path_buf))
                    {
                        candidates.push(parent);
                    }
                }
            }
        }
    }
    candidates.extend(versioned_dirs(&root.join("usr/lib/postgresql"), ""));
    candidates.push(root.join("usr/local/pgsql/bin"));
    candidates.extend(versioned_dirs(&root.join("opt/homebrew/opt"), "postgresql"));
    candidates.extend(versioned_dirs(&root.join("usr/local/opt"), "postgresql"));
    match candidates.into_iter().find(|dir| has_server_binaries(dir)) {
        Some(bin_dir) => Ok(PgBinaries { bin_dir }),
        None => Err(LocalError::NoPostgres {
            detail: "looked in KANDAS_PG_BIN, PATH, /usr/lib/postgresql/*/bin, \
                     /usr/local/pgsql/bin and Homebrew's postgresql*/bin"
                .to_owned(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

/// The unprivileged identity the server binaries run as when kandas runs as root.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RunAs {
    uid: u32,
    gid: u32,
    name: String,
}

fn lookup_user_by_name(name: &str) -> Option<RunAs> {
    let cname = std::ffi::CString::new(name).ok()?;
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the duration of the call; the reentrant variant
    // writes only into `pwd` and `buf`.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then(|| RunAs {
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
        name: name.to_owned(),
    })
}

fn lookup_user_by_uid(uid: u32) -> Option<RunAs> {
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in `lookup_user_by_name`.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name points into `buf`, NUL-terminated.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }
        .to_string_lossy()
        .into_owned();
    Some(RunAs {
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
        name,
    })
}

fn euid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

/// Decides who runs the server binaries: `None` means "as ourselves" (not root).
fn choose_run_as(data_dir: &Path) -> Result<Option<RunAs>, LocalError> {
    let existing = fs::metadata(data_dir).ok();
    let me = euid();
    if me != 0 {
        if let Some(meta) = existing
            && meta.uid() != me
        {
            return Err(LocalError::DataDirOwner {
                data_dir: data_dir.to_path_buf(),
                owner: meta.uid(),
                uid: me,
            });
        }
        return Ok(None);
    }
    // Root: an existing cluster made by a normal user keeps running as that user.
    if let Some(meta) = &existing
        && meta.uid() != 0
        && data_dir.join("PG_VERSION").exists()
    {
        let user = lookup_user_by_uid(meta.uid()).unwrap_or_else(|| RunAs {
            uid: meta.uid(),
            gid: meta.gid(),
            name: format!("uid {}", meta.uid()),
        });
        return Ok(Some(user));
    }
    lookup_user_by_name(SYSTEM_USER)
        .map(Some)
        .ok_or_else(|| LocalError::NoPostgresUser {
            user: SYSTEM_USER.to_owned(),
        })
}

/// Whether `user` (with no supplementary groups, as the children run) may search `meta`.
fn searchable_by(meta: &fs::Metadata, user: &RunAs) -> bool {
    let mode = meta.mode();
    if meta.uid() == user.uid {
        mode & 0o100 != 0
    } else if meta.gid() == user.gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

/// Makes sure `user` can reach `dir` (an existing directory): ancestors inside `project_root`
/// get `o+x`; an ancestor outside it that blocks the way is an error. See the module docs.
fn ensure_reachable(
    dir: &Path,
    data_dir: &Path,
    user: &RunAs,
    project_root: &Path,
) -> Result<(), LocalError> {
    let dir = fs::canonicalize(dir)
        .map_err(|e| LocalError::io(format!("resolving {}", dir.display()), e))?;
    let project_root = fs::canonicalize(project_root).unwrap_or_else(|_| project_root.into());
    // Outermost first, so that the first blocking directory is the one reported.
    let mut ancestors: Vec<&Path> = dir.ancestors().collect();
    ancestors.reverse();
    for ancestor in ancestors {
        let meta = fs::metadata(ancestor)
            .map_err(|e| LocalError::io(format!("inspecting {}", ancestor.display()), e))?;
        if searchable_by(&meta, user) {
            continue;
        }
        if ancestor.starts_with(&project_root) {
            let mode = meta.permissions().mode() | 0o001;
            fs::set_permissions(ancestor, fs::Permissions::from_mode(mode)).map_err(|e| {
                LocalError::io(
                    format!(
                        "allowing `{}` to traverse {}",
                        user.name,
                        ancestor.display()
                    ),
                    e,
                )
            })?;
            tracing::info!(
                dir = %ancestor.display(),
                user = %user.name,
                "added o+x so that PostgreSQL can reach its data directory"
            );
        } else {
            return Err(LocalError::DataDirUnreachable {
                data_dir: data_dir.to_path_buf(),
                blocked: ancestor.to_path_buf(),
                mode: meta.permissions().mode() & 0o7777,
                user: user.name.clone(),
            });
        }
    }
    Ok(())
}

fn chown(path: &Path, user: &RunAs) -> Result<(), LocalError> {
    std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid)).map_err(|e| {
        LocalError::io(
            format!(
                "changing the owner of {} to `{}`",
                path.display(),
                user.name
            ),
            e,
        )
    })
}

fn chown_recursive(path: &Path, user: &RunAs) -> Result<(), LocalError> {
    chown(path, user)?;
    let meta = fs::symlink_metadata(path)
        .map_err(|e| LocalError::io(format!("inspecting {}", path.display()), e))?;
    if meta.is_dir() {
        let entries = fs::read_dir(path)
            .map_err(|e| LocalError::io(format!("listing {}", path.display()), e))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| LocalError::io(format!("listing {}", path.display()), e))?;
            chown_recursive(&entry.path(), user)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

/// A command for one of the PostgreSQL binaries: run as `run_as` (when root), from `/`, with
/// stdin closed and `death_signal` delivered if kandas dies.
fn pg_command(program: &Path, run_as: Option<&RunAs>, death_signal: libc::c_int) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir("/").stdin(Stdio::null());
    // Connection settings in the environment must not redirect our tools.
    for var in [
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGSERVICE",
        "PGOPTIONS",
        "PGDATA",
        "PGPASSFILE",
    ] {
        cmd.env_remove(var);
    }
    if let Some(user) = run_as {
        // std clears the supplementary groups (setgroups(0)) when it switches uid as root.
        cmd.uid(user.uid).gid(user.gid);
        // Root's HOME and USER mean nothing to the server user.
        cmd.env_remove("HOME")
            .env("USER", &user.name)
            .env("LOGNAME", &user.name);
    }
    set_death_signal(&mut cmd, death_signal);
    cmd
}

#[cfg(target_os = "linux")]
fn set_death_signal(cmd: &mut Command, signal: libc::c_int) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe calls (prctl, getppid) and builds errors without allocating.
    unsafe {
        cmd.pre_exec(move || {
            // std runs this after setuid, which would have cleared an earlier death signal.
            if libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl: then nobody would ever signal us.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn set_death_signal(_cmd: &mut Command, _signal: libc::c_int) {}

fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(' ') {
            text.push_str(&format!("'{arg}'"));
        } else {
            text.push_str(&arg);
        }
    }
    text
}

fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

/// Runs a short-lived command with a time limit; returns its stdout, or an error carrying the
/// command line, the exit status and the (combined) output.
fn run_bounded(mut cmd: Command, timeout: Duration) -> Result<String, LocalError> {
    let command = describe(&cmd);
    let io_err = |what: &str, e| LocalError::io(format!("{what} `{command}`"), e);
    // Files rather than pipes: no reader threads, no deadlock on full pipes.
    let mut stdout = tempfile::tempfile().map_err(|e| io_err("preparing to run", e))?;
    let mut stderr = tempfile::tempfile().map_err(|e| io_err("preparing to run", e))?;
    cmd.stdout(
        stdout
            .try_clone()
            .map_err(|e| io_err("preparing to run", e))?,
    )
    .stderr(
        stderr
            .try_clone()
            .map_err(|e| io_err("preparing to run", e))?,
    );
    let mut child = cmd.spawn().map_err(|e| io_err("starting", e))?;
    drop(cmd);
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(io_err("waiting for", e)),
        }
    };
    let read = |file: &mut fs::File| {
        let mut text = String::new();
        let _ = file.seek(SeekFrom::Start(0));
        let mut bytes = Vec::new();
        let _ = file.read_to_end(&mut bytes);
        text.push_str(&String::from_utf8_lossy(&bytes));
        text
    };
    let out = read(&mut stdout);
    let err = read(&mut stderr);
    match status {
        Some(status) if status.success() => Ok(out),
        other => Err(LocalError::Command {
            command,
            status: match other {
                Some(status) => describe_status(status),
                None => format!("timed out after {} s and was killed", timeout.as_secs()),
            },
            output: tail_lines(&format!("{out}{err}"), LOG_TAIL_LINES),
        }),
    }
}

fn tail_lines(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn pid_alive(pid: libc::pid_t) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

// ---------------------------------------------------------------------------------------------
// The postmaster
// ---------------------------------------------------------------------------------------------

/// The running server process, shared with the thread that spawned it and waits for it.
#[derive(Debug)]
struct Postmaster {
    pid: libc::pid_t,
    state: Mutex<PostmasterState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct PostmasterState {
    exited: bool,
    status: Option<ExitStatus>,
}

impl Postmaster {
    fn lock(&self) -> MutexGuard<'_, PostmasterState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Spawns `cmd` from a dedicated thread that stays alive (waiting for the child) as long as
    /// the child runs, because PR_SET_PDEATHSIG fires when the spawning *thread* exits.
    fn spawn(mut cmd: Command) -> Result<Arc<Postmaster>, LocalError> {
        let command = describe(&cmd);
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("kandas-postgres".to_owned())
            .spawn(move || {
                let mut child = match cmd.spawn() {
                    Ok(child) => child,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let pm = Arc::new(Postmaster {
                    pid: child.id() as libc::pid_t,
                    state: Mutex::new(PostmasterState::default()),
                    changed: Condvar::new(),
                });
                let _ = tx.send(Ok(Arc::clone(&pm)));
                drop(cmd);
                wait_without_reaping(pm.pid);
                // Reap under the lock: whoever holds it and sees `exited == false` may signal
                // the pid, which cannot have been reused while the zombie is unreaped.
                let mut state = pm.lock();
                state.exited = true;
                state.status = child.wait().ok();
                pm.changed.notify_all();
            })
            .map_err(|e| LocalError::io("starting the thread that runs PostgreSQL", e))?;
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(pm)) => Ok(pm),
            Ok(Err(e)) => Err(LocalError::io(format!("starting `{command}`"), e)),
            Err(_) => Err(LocalError::io(
                format!("starting `{command}`"),
                io::Error::new(io::ErrorKind::TimedOut, "spawning thread did not answer"),
            )),
        }
    }

    fn exit_status(&self) -> Option<Option<ExitStatus>> {
        let state = self.lock();
        state.exited.then_some(state.status)
    }

    /// Sends `signal` unless the server has already exited. Returns whether it still ran.
    fn signal(&self, signal: libc::c_int) -> bool {
        let state = self.lock();
        if state.exited {
            return false;
        }
        // SAFETY: plain kill(2) on our own unreaped child.
        unsafe { libc::kill(self.pid, signal) };
        true
    }

    /// Fast shutdown (SIGINT); if it takes too long, immediate shutdown (SIGQUIT), then
    /// SIGKILL. Returns whether the server has exited.
    fn stop(&self) -> bool {
        for (signal, timeout, name) in [
            (libc::SIGINT, FAST_STOP_TIMEOUT, "fast"),
            (libc::SIGQUIT, IMMEDIATE_STOP_TIMEOUT, "immediate"),
            (libc::SIGKILL, KILL_TIMEOUT, "SIGKILL"),
        ] {
            if !self.signal(signal) || self.wait_exit(timeout) {
                if signal != libc::SIGINT {
                    tracing::warn!(pid = self.pid, "PostgreSQL needed a {name} stop");
                }
                return true;
            }
        }
        false
    }

    /// Waits until the server exits or `timeout` passes; returns whether it exited.
    fn wait_exit(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while !state.exited {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
        true
    }
}

/// Blocks until `pid` (our child) has exited, leaving it to be reaped.
fn wait_without_reaping(pid: libc::pid_t) {
    loop {
        // SAFETY: siginfo_t is plain data; waitid writes into it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            return;
        }
        if io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            // ECHILD etc.: fall back to the blocking reap by the caller.
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The cluster
// ---------------------------------------------------------------------------------------------

/// How to run a [`LocalCluster`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterOptions {
    /// TCP port on 127.0.0.1; `None` picks a free one.
    pub port: Option<u16>,
    /// Tests only: `fsync`, `synchronous_commit` and `full_page_writes` off, and initdb
    /// `--no-sync`. A crash can corrupt such a cluster.
    pub ephemeral: bool,
    pub max_connections: u32,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            port: None,
            ephemeral: false,
            max_connections: 100,
        }
    }
}

/// A running private PostgreSQL server; stopped by [`LocalCluster::stop`] or on drop.
#[derive(Debug)]
pub struct LocalCluster {
    data_dir: PathBuf,
    log_path: PathBuf,
    port: u16,
    bins: PgBinaries,
    postmaster: Arc<Postmaster>,
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
        if !data_dir.join("PG_VERSION").exists() {
            initdb(bins, &data_dir, run_as.as_ref(), options.ephemeral)?;
        }
        clear_stale_pid_file(&data_dir, PREVIOUS_SERVER_TIMEOUT)?;
        let log_path = log_path_for(&data_dir);

        let mut attempt = 0;
        let (postmaster, port) = loop {
            attempt += 1;
            let port = match options.port {
                Some(port) => port,
                None => free_port()?,
            };
            let log_offset = open_log(&log_path, run_as.as_ref(), port)?;
            match start_postmaster(bins, &data_dir, &log_path, run_as.as_ref(), port, &options) {
                Ok(postmaster) => {
                    match wait_until_ready(&postmaster, &data_dir, &log_path, log_offset, port) {
                        Ok(()) => break (postmaster, port),
                        Err(e) => {
                            postmaster.stop();
                            let port_taken = read_log_from(&log_path, log_offset)
                                .contains("could not bind IPv4 address");
                            if options.port.is_none() && port_taken && attempt < PORT_ATTEMPTS {
                                tracing::debug!(port, "port taken meanwhile; trying another");
                                continue;
                            }
                            return Err(e);
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        };
        let cluster = LocalCluster {
            data_dir,
            log_path,
            port,
            bins: bins.clone(),
            postmaster,
        };
        // On error, dropping `cluster` stops the server.
        cluster.ensure_database(DATABASE)?;
        tracing::info!(
            data_dir = %cluster.data_dir.display(),
            port,
            log = %cluster.log_path.display(),
            "private PostgreSQL cluster running"
        );
        Ok(cluster)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://kandas@127.0.0.1:PORT/DATABASE` (trust authentication, no password).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log (stdout and stderr of the postmaster).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Creates `database` unless it exists.
    pub fn ensure_database(&self, database: &str) -> Result<(), LocalError> {
        let literal = database.replace('\'', "''");
        let exists = self.psql(
            "postgres",
            &format!("SELECT 1 FROM pg_database WHERE datname = '{literal}'"),
        )?;
        if exists.trim() == "1" {
            return Ok(());
        }
        let ident = database.replace('"', "\"\"");
        match self.psql("postgres", &format!("CREATE DATABASE \"{ident}\"")) {
            Ok(_) => Ok(()),
            // Created concurrently by someone else: fine.
            Err(LocalError::Command { output, .. }) if output.contains("already exists") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Runs one SQL command with `psql` over TCP as the superuser; returns unaligned tuples.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, LocalError> {
        // psql runs fine as root; only the server refuses root.
        let mut cmd = pg_command(&self.bins.psql(), None, libc::SIGTERM);
        cmd.arg("-X")
            .arg("-q")
            .arg("-A")
            .arg("-t")
            .arg("-v")
            .arg("ON_ERROR_STOP=1")
            .arg("-d")
            .arg(format!(
                "host=127.0.0.1 port={} user={SUPERUSER} dbname={database} \
                 sslmode=disable connect_timeout=10",
                self.port
            ))
            .arg("-c")
            .arg(sql);
        run_bounded(cmd, PSQL_TIMEOUT)
    }

    /// Fast shutdown (SIGINT), waiting for the server to exit; escalates to an immediate
    /// shutdown and then SIGKILL if it takes too long. Dropping the cluster does the same.
    pub fn stop(self) -> Result<(), LocalError> {
        self.shutdown()
    }

    fn shutdown(&self) -> Result<(), LocalError> {
        if self.postmaster.exit_status().is_some() {
            return Ok(());
        }
        let offset = fs::metadata(&self.log_path).map(|m| m.len()).unwrap_or(0);
        if self.postmaster.stop() {
            return Ok(());
        }
        Err(LocalError::Server {
            problem: format!(
                "(pid {}) did not exit after SIGINT, SIGQUIT and SIGKILL",
                self.postmaster.pid
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

fn free_port() -> Result<u16, LocalError> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| LocalError::io("finding a free TCP port on 127.0.0.1", e))
}

/// `<data_dir>.log`, e.g. `.kandas/pg.log` for `.kandas/pg`.
fn log_path_for(data_dir: &Path) -> PathBuf {
    let mut name = data_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| OsString::from("pg"));
    name.push(".log");
    data_dir.with_file_name(name)
}

/// Creates the data directory (mode 0700) and hands it to `run_as`.
fn prepare_data_dir(data_dir: &Path, run_as: Option<&RunAs>) -> Result<(), LocalError> {
    let created = match fs::create_dir(data_dir) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
        Err(e) => {
            return Err(LocalError::io(
                format!("creating the data directory {}", data_dir.display()),
                e,
            ));
        }
    };
    let meta = fs::metadata(data_dir)
        .map_err(|e| LocalError::io(format!("inspecting {}", data_dir.display()), e))?;
    if !meta.is_dir() {
        return Err(LocalError::io(
            format!("using {} as a data directory", data_dir.display()),
            io::Error::new(io::ErrorKind::NotADirectory, "it is not a directory"),
        ));
    }
    if let Some(user) = run_as
        && (created || meta.uid() != user.uid)
    {
        chown_recursive(data_dir, user)?;
    }
    // PostgreSQL insists on 0700 (or 0750) for its data directory.
    if created || meta.permissions().mode() & 0o027 != 0 {
        fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| LocalError::io(format!("restricting {}", data_dir.display()), e))?;
    }
    Ok(())
}

fn initdb(
    bins: &PgBinaries,
    data_dir: &Path,
    run_as: Option<&RunAs>,
    ephemeral: bool,
) -> Result<(), LocalError> {
    tracing::info!(data_dir = %data_dir.display(), "creating a private PostgreSQL cluster");
    let mut cmd = pg_command(&bins.initdb(), run_as, libc::SIGTERM);
    cmd.arg("-D")
        .arg(data_dir)
        .arg("-U")
        .arg(SUPERUSER)
        .arg("-A")
        .arg("trust")
        .arg("-E")
        .arg("UTF8")
        .arg("--no-locale");
    if ephemeral {
        cmd.arg("--no-sync");
    }
    run_bounded(cmd, INITDB_TIMEOUT).map(|_| ())
}

/// Removes `postmaster.pid` left by a server that is gone (its owner was killed, the machine
/// rebooted, the pid is now used by another program); waits a little for a server that is still
/// shutting down; refuses to touch a live server on the same data directory.
fn clear_stale_pid_file(data_dir: &Path, patience: Duration) -> Result<(), LocalError> {
    let pid_file = data_dir.join("postmaster.pid");
    let deadline = Instant::now() + patience;
    loop {
        let text = match fs::read_to_string(&pid_file) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(LocalError::io(format!("reading {}", pid_file.display()), e)),
        };
        let pid = text
            .lines()
            .next()
            .and_then(|line| line.trim().parse::<libc::pid_t>().ok())
            .map(|pid| pid.abs()) // negative in single-user mode
            .unwrap_or(0);
        if !server_on(pid, data_dir) {
            tracing::warn!(
                pid_file = %pid_file.display(),
                pid,
                "removing a stale postmaster.pid (its server is gone)"
            );
            return match fs::remove_file(&pid_file) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(LocalError::io(
                    format!("removing {}", pid_file.display()),
                    e,
                )),
            };
        }
        if Instant::now() >= deadline {
            return Err(LocalError::AlreadyRunning {
                data_dir: data_dir.to_path_buf(),
                pid,
            });
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Whether `pid` is a live PostgreSQL server on `data_dir` (as far as can be told).
fn server_on(pid: libc::pid_t, data_dir: &Path) -> bool {
    if !pid_alive(pid) {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        if let Ok(comm) = fs::read_to_string(proc_dir.join("comm")) {
            let comm = comm.trim();
            if comm != "postgres" && comm != "postmaster" {
                return false; // the pid was reused by another program
            }
        }
        // The postmaster's working directory is its data directory.
        if let (Ok(cwd), Ok(dir)) = (
            fs::read_link(proc_dir.join("cwd")),
            fs::canonicalize(data_dir),
        ) {
            return cwd == dir;
        }
    }
    true
}

/// Opens (creating, rotating) the server log, hands it to `run_as`, writes a start marker and
/// returns the offset where this start's output begins.
fn open_log(log_path: &Path, run_as: Option<&RunAs>, port: u16) -> Result<u64, LocalError> {
    if fs::metadata(log_path).is_ok_and(|m| m.len() > LOG_ROTATE_BYTES) {
        let mut old = log_path.as_os_str().to_os_string();
        old.push(".1");
        let _ = fs::rename(log_path, old);
    }
    let mut file = log_file(log_path)?;
    if let Some(user) = run_as {
        chown(log_path, user)?;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let offset = file
        .seek(SeekFrom::End(0))
        .map_err(|e| LocalError::io(format!("writing {}", log_path.display()), e))?;
    let _ = writeln!(
        file,
        "--- kandas: starting PostgreSQL on 127.0.0.1:{port} (unix time {now}) ---"
    );
    Ok(offset)
}

fn log_file(log_path: &Path) -> Result<fs::File, LocalError> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(log_path)
        .map_err(|e| LocalError::io(format!("opening the server log {}", log_path.display()), e))
}

fn read_log_from(log_path: &Path, offset: u64) -> String {
    let Ok(mut file) = fs::File::open(log_path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    // At most the last 64 KiB of this start's output.
    let start = offset.max(len.saturating_sub(64 * 1024));
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_ok() {
        let _ = file.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn start_postmaster(
    bins: &PgBinaries,
    data_dir: &Path,
    log_path: &Path,
    run_as: Option<&RunAs>,
    port: u16,
    options: &ClusterOptions,
) -> Result<Arc<Postmaster>, LocalError> {
    let log = log_file(log_path)?;
    let log_err = log
        .try_clone()
        .map_err(|e| LocalError::io(format!("opening {}", log_path.display()), e))?;
    // A Unix socket in the data directory when its path fits in sun_path; TCP only otherwise.
    let socket_dir =
        if data_dir.as_os_str().as_bytes().len() + "/.s.PGSQL.65535".len() <= MAX_SOCKET_PATH {
            data_dir.as_os_str().to_os_string()
        } else {
            OsString::new()
        };
    let mut cmd = pg_command(&bins.postgres(), run_as, libc::SIGINT);
    cmd.stdout(log).stderr(log_err).process_group(0);
    cmd.arg("-D").arg(data_dir).arg("-p").arg(port.to_string());
    let mut setting = |name: &str, value: &std::ffi::OsStr| {
        let mut arg = OsString::from(format!("{name}="));
        arg.push(value);
        cmd.arg("-c").arg(arg);
    };
    setting("listen_addresses", "127.0.0.1".as_ref());
    setting("unix_socket_directories", &socket_dir);
    setting(
        "max_connections",
        options.max_connections.max(1).to_string().as_ref(),
    );
    if options.ephemeral {
        setting("fsync", "off".as_ref());
        setting("synchronous_commit", "off".as_ref());
        setting("full_page_writes", "off".as_ref());
    }
    Postmaster::spawn(cmd)
}

/// Waits until the server reports "ready" in postmaster.pid and accepts TCP connections.
fn wait_until_ready(
    pm: &Postmaster,
    data_dir: &Path,
    log_path: &Path,
    log_offset: u64,
    port: u16,
) -> Result<(), LocalError> {
    let deadline = Instant::now() + START_TIMEOUT;
    let pid_file = data_dir.join("postmaster.pid");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let failure = |problem: String| LocalError::Server {
        problem,
        log: log_path.to_path_buf(),
        log_tail: tail_lines(&read_log_from(log_path, log_offset), LOG_TAIL_LINES),
    };
    loop {
        if let Some(status) = pm.exit_status() {
            return Err(failure(format!(
                "exited during startup ({}) on port {port} with data directory {}",
                status.map_or_else(|| "unknown status".to_owned(), describe_status),
                data_dir.display()
            )));
        }
        // Lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
        let ready = fs::read_to_string(&pid_file).is_ok_and(|text| {
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            lines.first().and_then(|l| l.parse::<libc::pid_t>().ok()) == Some(pm.pid)
                && lines.get(7) == Some(&"ready")
        });
        if ready && TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(failure(format!(
                "did not accept connections on port {port} within {} s",
                START_TIMEOUT.as_secs()
            )));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// Shared test cluster
// ---------------------------------------------------------------------------------------------

const TEST_DIR_PREFIX: &str = "kandas-test-pg-";

struct SharedCluster {
    cluster: LocalCluster,
    dir: PathBuf,
}

static SHARED: OnceLock<Result<SharedCluster, String>> = OnceLock::new();

/// A cluster shared by all tests of one test binary: created in a fresh temporary directory
/// (`$TMPDIR/kandas-test-pg-<pid>`) on first use, with ephemeral settings and 300 connections.
/// It is stopped and its directory removed when the process exits normally; if the process is
/// killed, PR_SET_PDEATHSIG stops the server and a later run removes the directory (any
/// `kandas-test-pg-<pid>` whose process is gone). A failure is remembered and returned again.
pub fn shared_test_cluster() -> Result<&'static LocalCluster, LocalError> {
    let shared = SHARED.get_or_init(|| {
        remove_dead_test_dirs();
        start_shared().map_err(|e| e.to_string())
    });
    match shared {
        Ok(shared) => Ok(&shared.cluster),
        Err(message) => Err(LocalError::SharedCluster(message.clone())),
    }
}

fn start_shared() -> Result<SharedCluster, LocalError> {
    let dir = std::env::temp_dir().join(format!("{TEST_DIR_PREFIX}{}", std::process::id()));
    if dir.exists() {
        // Left by an earlier process with our (reused) pid.
        let _ = fs::remove_dir_all(&dir);
    }
    fs::create_dir_all(&dir)
        .map_err(|e| LocalError::io(format!("creating {}", dir.display()), e))?;
    // Traversable by the `postgres` user when running as root.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))
        .map_err(|e| LocalError::io(format!("opening up {}", dir.display()), e))?;
    let options = ClusterOptions {
        port: None,
        ephemeral: true,
        max_connections: 300,
    };
    let bins = PgBinaries::locate()?;
    let cluster = match LocalCluster::start_with(&bins, &dir.join("data"), options, &dir) {
        Ok(cluster) => cluster,
        Err(e) => {
            let _ = fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    // SAFETY: registering a plain extern "C" function.
    unsafe { libc::atexit(stop_shared_at_exit) };
    Ok(SharedCluster { cluster, dir })
}

extern "C" fn stop_shared_at_exit() {
    // Never unwind out of an extern "C" function.
    let _ = std::panic::catch_unwind(|| {
        if let Some(Ok(shared)) = SHARED.get()
            && shared.cluster.shutdown().is_ok()
        {
            let _ = fs::remove_dir_all(&shared.dir);
        }
    });
}

/// Removes `kandas-test-pg-<pid>` directories of processes that are gone and whose server is
/// gone too.
fn remove_dead_test_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEST_DIR_PREFIX))
            .and_then(|p| p.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if pid == std::process::id() as libc::pid_t || pid_alive(pid) {
            continue;
        }
        let data_dir = entry.path().join("data");
        let server_pid = fs::read_to_string(data_dir.join("postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse().ok()))
            .unwrap_or(0);
        if server_pid != 0 && server_on(server_pid, &data_dir) {
            continue;
        }
        tracing::debug!(dir = %entry.path().display(), "removing a dead test cluster");
        let _ = fs::remove_dir_all(entry.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bins() -> PgBinaries {
        PgBinaries::locate().expect("PostgreSQL binaries are installed")
    }

    fn psql_as_client(port: u16, sql: &str) -> Result<String, String> {
        let out = Command::new(bins().psql())
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-U", "kandas", "-d", "kandas", "-c", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// A temp dir that the `postgres` user can traverse (tempdir() makes 0700 dirs).
    fn open_tempdir() -> tempfile::TempDir {
        let dir = tempfile::Builder::new()
            .prefix("kandas-pg-unit-")
            .tempdir()
            .unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    fn options() -> ClusterOptions {
        ClusterOptions {
            ephemeral: true,
            ..ClusterOptions::default()
        }
    }

    #[test]
    fn start_query_stop_restart_keeps_data() {
        let tmp = open_tempdir();
        let data = tmp.path().join("pg");
        let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
        let port = cluster.port();
        assert_eq!(
            cluster.url("kandas"),
            format!("postgres://kandas@127.0.0.1:{port}/kandas")
        );
        assert_eq!(psql_as_client(port, "select 1").unwrap(), "1");
        psql_as_client(
            port,
            "create table kept (v text); insert into kept values ('x')",
        )
        .unwrap();
        if euid() == 0 {
            let meta = fs::metadata(&data).unwrap();
            assert_eq!(meta.uid(), lookup_user_by_name("postgres").unwrap().uid);
        }
        assert!(cluster.log_path().exists());
        assert_eq!(cluster.log_path(), tmp.path().join("pg.log"));
        cluster.stop().unwrap();
        assert!(psql_as_client(port, "select 1").is_err());
        assert!(!data.join("postmaster.pid").exists());

        let again = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
        assert_eq!(
            psql_as_client(again.port(), "select v from kept").unwrap(),
            "x"
        );
        drop(again); // Drop stops it too
        assert!(!data.join("postmaster.pid").exists());
    }

    #[test]
    fn stale_pid_file_is_removed() {
        let tmp = open_tempdir();
        let data = tmp.path().join("pg");
        let fixed_port = free_port().unwrap();
        let cluster = LocalCluster::start_with(
            &bins(),
            &data,
            ClusterOptions {
                port: Some(fixed_port),
                ..options()
            },
            tmp.path(),
        )
        .unwrap();
        assert_eq!(cluster.port(), fixed_port);
        let pid_file = data.join("postmaster.pid");
        let real = fs::read_to_string(&pid_file).unwrap();
        cluster.stop().unwrap();

        // A dead pid, like a server SIGKILLed together with its parent.
        let mut child = Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let mut lines: Vec<String> = real.lines().map(str::to_owned).collect();
        lines[0] = dead.to_string();
        fs::write(&pid_file, lines.join("\n") + "\n").unwrap();
        let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
        assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");
        cluster.stop().unwrap();

        // A live pid of an unrelated program (pid reuse after a reboot).
        lines[0] = std::process::id().to_string();
        fs::write(&pid_file, lines.join("\n") + "\n").unwrap();
        let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
        assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");

        // A live server on the same directory is refused (after a bounded wait).
        let live = fs::read_to_string(&pid_file).unwrap();
        let started = Instant::now();
        let err = clear_stale_pid_file(&data, Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, LocalError::AlreadyRunning { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(fs::read_to_string(&pid_file).unwrap(), live);
        cluster.stop().unwrap();
    }

    const CHILD_ENV: &str = "KANDAS_TEST_PG_CHILD_DIR";

    /// Not a test by itself: the body of the child process of
    /// `server_dies_with_a_killed_parent`.
    #[test]
    fn child_process_that_starts_a_cluster() {
        let Some(dir) = std::env::var_os(CHILD_ENV) else {
            return;
        };
        let dir = PathBuf::from(dir);
        // Start from a thread that ends at once: the server must survive that thread.
        let cluster = thread::spawn(move || {
            LocalCluster::start_with(&bins(), &dir.join("pg"), options(), &dir).unwrap()
        })
        .join()
        .unwrap();
        println!("READY {}", cluster.port());
        thread::sleep(Duration::from_secs(120));
    }

    #[test]
    fn server_dies_with_a_killed_parent() {
        use std::io::BufRead;
        let tmp = open_tempdir();
        struct KillOnDrop(std::process::Child);
        impl Drop for KillOnDrop {
            fn drop(&mut self) {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "local::postgres::tests::child_process_that_starts_a_cluster",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, tmp.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut child = KillOnDrop(child);
        let mut port = None;
        for line in io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            // libtest prints the test name on the same line.
            if let Some((_, p)) = line.split_once("READY ") {
                port = Some(p.trim().parse::<u16>().unwrap());
                break;
            }
        }
        let port = port.expect("child started a cluster");
        thread::sleep(Duration::from_millis(500));
        assert_eq!(psql_as_client(port, "select 1").unwrap(), "1");
        let data = tmp.path().join("pg");
        let pid: libc::pid_t = fs::read_to_string(data.join("postmaster.pid"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pid_alive(pid));
        child.0.kill().unwrap(); // SIGKILL
        child.0.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while pid_alive(pid) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        assert!(
            !pid_alive(pid),
            "postmaster {pid} outlived its killed parent"
        );
        // The directory is reusable afterwards.
        let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
        assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");
        cluster.stop().unwrap();
    }

    #[test]
    fn unreachable_data_dir_outside_the_project_is_a_clear_error_as_root() {
        if euid() != 0 {
            return; // only root switches users
        }
        let tmp = open_tempdir();
        let home = tmp.path().join("home");
        fs::create_dir(&home).unwrap();
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
        let project = home.join("project");
        let data = project.join(".kandas").join("pg");
        // Like /root/project/.kandas/pg with kandas started in /root/project.
        let err = LocalCluster::start_with(&bins(), &data, options(), &project).unwrap_err();
        match &err {
            LocalError::DataDirUnreachable { blocked, user, .. } => {
                assert_eq!(blocked, &fs::canonicalize(&home).unwrap());
                assert_eq!(user, "postgres");
            }
            other => panic!("unexpected error: {other}"),
        }
        let message = err.to_string();
        assert!(message.contains("chmod o+x"), "{message}");
        assert!(message.contains("KANDAS_DATABASE_URL"), "{message}");
        // Nothing was changed outside the project.
        assert_eq!(fs::metadata(&home).unwrap().mode() & 0o777, 0o700);
        assert!(!data.exists());
    }

    #[test]
    fn closed_directories_inside_the_project_are_opened_as_root() {
        if euid() != 0 {
            return;
        }
        let tmp = open_tempdir();
        let project = tmp.path().join("checkout");
        fs::create_dir(&project).unwrap();
        fs::set_permissions(&project, fs::Permissions::from_mode(0o700)).unwrap();
        let kandas = project.join(".kandas");
        fs::create_dir(&kandas).unwrap();
        fs::set_permissions(&kandas, fs::Permissions::from_mode(0o700)).unwrap();
        let data = kandas.join("pg");
        let cluster = LocalCluster::start_with(&bins(), &data, options(), &project).unwrap();
        assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");
        // Search only, never read, for others.
        assert_eq!(fs::metadata(&project).unwrap().mode() & 0o777, 0o701);
        assert_eq!(fs::metadata(&kandas).unwrap().mode() & 0o777, 0o701);
        assert_eq!(fs::metadata(&data).unwrap().mode() & 0o777, 0o700);
        cluster.stop().unwrap();
    }

    #[test]
    fn start_uses_the_working_directory_as_the_project() {
        // Through the public entry point, in a directory reachable by everyone.
        let tmp = open_tempdir();
        let cluster = LocalCluster::start(&tmp.path().join("pg"), options()).unwrap();
        assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");
        cluster.stop().unwrap();
    }

    #[test]
    fn shared_cluster_is_shared_and_has_300_connections() {
        let a = shared_test_cluster().unwrap();
        let b = shared_test_cluster().unwrap();
        assert!(std::ptr::eq(a, b));
        assert_eq!(
            psql_as_client(a.port(), "show max_connections").unwrap(),
            "300"
        );
        assert_eq!(psql_as_client(a.port(), "show fsync").unwrap(), "off");
        assert!(a.data_dir().starts_with(
            std::env::temp_dir().join(format!("{TEST_DIR_PREFIX}{}", std::process::id()))
        ));
    }

    #[test]
    fn locate_follows_the_search_order() {
        let tmp = tempfile::tempdir().unwrap();
        let make = |dir: &Path| {
            fs::create_dir_all(dir).unwrap();
            for name in REQUIRED_BINARIES {
                let file = dir.join(name);
                fs::write(&file, "#!/bin/sh\n").unwrap();
                fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).unwrap();
            }
        };
        let root = tmp.path();
        let none = locate_with(None, None, root).unwrap_err();
        let message = none.to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(message.contains("postgresql-server"), "{message}");
        assert!(message.contains("brew install postgresql"), "{message}");
        assert!(message.contains("KANDAS_PG_BIN"), "{message}");
        assert!(message.contains("KANDAS_DATABASE_URL"), "{message}");

        make(&root.join("opt/homebrew/opt/postgresql@14/bin"));
        make(&root.join("opt/homebrew/opt/postgresql@16/bin"));
        assert_eq!(
            locate_with(None, None, root).unwrap().bin_dir,
            root.join("opt/homebrew/opt/postgresql@16/bin")
        );
        make(&root.join("usr/local/pgsql/bin"));
        assert_eq!(
            locate_with(None, None, root).unwrap().bin_dir,
            root.join("usr/local/pgsql/bin")
        );
        make(&root.join("usr/lib/postgresql/9.6/bin"));
        make(&root.join("usr/lib/postgresql/15/bin"));
        make(&root.join("usr/lib/postgresql/13/bin"));
        assert_eq!(
            locate_with(None, None, root).unwrap().bin_dir,
            root.join("usr/lib/postgresql/15/bin")
        );
        let on_path = root.join("somewhere/bin");
        make(&on_path);
        fs::write(on_path.join("pg_ctl"), "").unwrap();
        fs::set_permissions(on_path.join("pg_ctl"), fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([root.join("nothing"), on_path.clone()]).unwrap();
        assert_eq!(
            locate_with(None, Some(path.clone()), root).unwrap().bin_dir,
            on_path
        );
        let env = root.join("env/bin");
        make(&env);
        assert_eq!(
            locate_with(Some(env.clone().into()), Some(path.clone()), root)
                .unwrap()
                .bin_dir,
            env
        );
        let bad = locate_with(Some(root.join("missing").into()), Some(path), root).unwrap_err();
        assert!(bad.to_string().contains("KANDAS_PG_BIN="), "{bad}");
    }

    #[test]
    fn long_data_dir_paths_run_on_tcp_only() {
        let tmp = open_tempdir();
        let mut data = tmp.path().to_path_buf();
        while data.as_os_str().len() < 120 {
            data.push("a-rather-long-directory-name");
        }
        fs::create_dir_all(data.parent().unwrap()).unwrap();
        let mut dir = data.parent().unwrap().to_path_buf();
        while dir != tmp.path() {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
            dir.pop();
        }
        let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
        assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");
        assert_eq!(
            cluster
                .psql("kandas", "show unix_socket_directories")
                .unwrap()
                .trim(),
            ""
        );
        cluster.stop().unwrap();
    }
}
