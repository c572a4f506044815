//! The data directory: creating it for the right user, initdb, client authentication, and a
//! postmaster.pid left behind by a server that is gone.

use std::fs;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::SUPERUSER;
use super::binaries::PgBinaries;
use super::process::{pg_command, pid_alive, run_bounded};
use super::roles::{sql_ident, sql_literal};
use super::user::{RunAs, chown, chown_recursive};
use crate::LocalError;

const INITDB_TIMEOUT: Duration = Duration::from_secs(180);

/// The whole of pg_hba.conf. Only the server's OS user and root can enter the socket
/// directory and there is no TCP; and even they must give a role's password, so that sharing
/// the server's OS account (the `postgres` user, shared with the distribution's own cluster
/// when kandas runs as root) grants nothing. The same holds for replication (a standby or a
/// base backup made from this cluster).
pub(super) const HBA: &str = "\
# Written by kandas on every start; edits are lost. The server listens only on a Unix socket
# in a directory that only its own OS user may enter, and every role logs in with a password.
local all all scram-sha-256
local replication all scram-sha-256
";

/// Creates the data directory (mode 0700) and hands it to `run_as`.
pub(super) fn prepare_data_dir(data_dir: &Path, run_as: Option<&RunAs>) -> Result<(), LocalError> {
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

/// Creates the cluster with `superuser_password` for the superuser, handed to initdb in a
/// file only the server's user can read (never on a command line, which every user sees).
pub(super) fn initdb(
    bins: &PgBinaries,
    data_dir: &Path,
    run_as: Option<&RunAs>,
    ephemeral: bool,
    superuser_password: &str,
) -> Result<(), LocalError> {
    tracing::info!(data_dir = %data_dir.display(), "creating a private PostgreSQL cluster");
    let password_file = private_file_beside(data_dir, run_as, superuser_password)?;
    let mut cmd = pg_command(&bins.initdb(), run_as, Signal::SIGTERM);
    cmd.arg("-D")
        .arg(data_dir)
        .arg("-U")
        .arg(SUPERUSER)
        .arg(format!("--pwfile={}", password_file.path().display()))
        // Replaced by `write_hba` before the first start; TCP is refused even before that.
        .arg("--auth-local=scram-sha-256")
        .arg("--auth-host=reject")
        .arg("-E")
        .arg("UTF8")
        .arg("--no-locale");
    if ephemeral {
        cmd.arg("--no-sync");
    }
    run_bounded(cmd, INITDB_TIMEOUT).map(|_| ())
}

/// A file beside `data_dir` holding `content`, mode 0600 and owned by `run_as` (or us), removed
/// when dropped.
fn private_file_beside(
    data_dir: &Path,
    run_as: Option<&RunAs>,
    content: &str,
) -> Result<tempfile::NamedTempFile, LocalError> {
    let dir = data_dir.parent().unwrap_or(Path::new("/"));
    let mut file = tempfile::Builder::new()
        .prefix(".kandas-pg-")
        .tempfile_in(dir)
        .map_err(|e| LocalError::io(format!("creating a file in {}", dir.display()), e))?;
    file.write_all(content.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| LocalError::io(format!("writing {}", file.path().display()), e))?;
    if let Some(user) = run_as {
        chown(file.path(), user)?;
    }
    Ok(file)
}

/// Sets the superuser's password of a cluster that is not running, in single-user mode: a
/// cluster made by an older kandas trusted every local connection and has no password yet.
/// No server listens meanwhile, so nobody can log in before the password holds.
pub(super) fn set_superuser_password(
    bins: &PgBinaries,
    data_dir: &Path,
    run_as: Option<&RunAs>,
    password: &str,
) -> Result<(), LocalError> {
    tracing::info!(
        data_dir = %data_dir.display(),
        "giving the superuser of a private PostgreSQL cluster made by an older kandas a password"
    );
    // Single-user mode reads one statement a line from standard input.
    let script = tempfile::tempfile()
        .and_then(|mut file| {
            writeln!(
                file,
                "ALTER ROLE {} PASSWORD {}",
                sql_ident(SUPERUSER),
                sql_literal(password)
            )?;
            file.seek(SeekFrom::Start(0))?;
            Ok(file)
        })
        .map_err(|e| LocalError::io("preparing the password statement", e))?;
    let mut cmd = pg_command(&bins.postgres(), run_as, Signal::SIGTERM);
    cmd.arg("--single")
        .arg("-D")
        .arg(data_dir)
        // The statement's text, which holds the password, never goes to the output.
        .arg("-c")
        .arg("log_min_error_statement=panic")
        .arg("-c")
        .arg("password_encryption=scram-sha-256")
        .arg("postgres")
        .stdin(Stdio::from(script));
    let output = run_bounded(cmd, INITDB_TIMEOUT)?;
    // Single-user mode exits 0 after a failed statement: its output tells.
    if output.contains("ERROR:") || output.contains("FATAL:") {
        return Err(LocalError::Command {
            command: format!(
                "postgres --single -D {} (setting the password)",
                data_dir.display()
            ),
            status: "the statement failed".to_owned(),
            output,
        });
    }
    Ok(())
}

/// Writes `pg_hba.conf` unless it already says exactly [`HBA`]: a cluster made by an older
/// kandas trusted TCP connections from 127.0.0.1, and loses those `host` lines here.
pub(super) fn write_hba(data_dir: &Path, run_as: Option<&RunAs>) -> Result<(), LocalError> {
    let path = hba_path(data_dir);
    if fs::read_to_string(&path).is_ok_and(|text| text == HBA) {
        return Ok(());
    }
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(HBA.as_bytes()))
        .map_err(|e| LocalError::io(format!("writing {}", path.display()), e))?;
    if let Some(user) = run_as {
        chown(&path, user)?;
    }
    tracing::info!(file = %path.display(), "wrote pg_hba.conf: password logins over the Unix socket only");
    Ok(())
}

pub(super) fn hba_path(data_dir: &Path) -> PathBuf {
    data_dir.join("pg_hba.conf")
}

/// Removes `postmaster.pid` left by a server that is gone (its owner was killed, the machine
/// rebooted, the pid is now used by another program); waits a little for a server that is still
/// shutting down; refuses to touch a live server on the same data directory.
pub(super) fn clear_stale_pid_file(data_dir: &Path, patience: Duration) -> Result<(), LocalError> {
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
            .and_then(|line| line.trim().parse::<i32>().ok())
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
pub(super) fn server_on(pid: i32, data_dir: &Path) -> bool {
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
