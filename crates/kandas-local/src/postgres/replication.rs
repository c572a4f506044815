//! Copies of a [`LocalCluster`] made with PostgreSQL's own tools, for trying what operators do
//! with real servers: a streaming standby to fail over to, and a base backup plus a WAL archive
//! to restore to a point in time.
//!
//! Every copy runs as the same OS user as its origin and reaches it over the origin's socket
//! as the replication role, with a password from a file that user can read (see
//! `super::roles`). The copy gets its origin's password file too: its roles are the origin's.

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::binaries::PgBinaries;
use super::cluster::{ClusterOptions, LocalCluster};
use super::data_dir::prepare_data_dir;
use super::process::{pg_command, run_bounded};
use super::roles::{
    Passwords, REPLICATION, pgpass_path, replication_pgpass_path, replication_role_script,
};
use super::socket::{conninfo_value, socket_conninfo};
use super::user::{RunAs, choose_run_as, chown, ensure_reachable};
use crate::LocalError;

const BASE_BACKUP_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a promotion or a recovery may take before the copy counts as broken.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(120);

impl LocalCluster {
    /// `pg_basebackup` of this running cluster into `data_dir` (new or empty), with the WAL it
    /// needs streamed alongside: a copy that starts on its own.
    pub fn base_backup(&self, data_dir: &Path, project_root: &Path) -> Result<(), LocalError> {
        let run_as = self.server_user()?;
        prepare_copy_dir(data_dir, run_as.as_ref(), project_root)?;
        let passfile = self.replication_passfile(run_as.as_ref())?;
        let mut cmd = pg_command(
            &self.bins().pg_basebackup(),
            run_as.as_ref(),
            Signal::SIGTERM,
        );
        cmd.env("PGPASSFILE", &passfile)
            .arg("-D")
            .arg(data_dir)
            .arg("-d")
            .arg(socket_conninfo(
                self.socket_dir(),
                self.port(),
                REPLICATION,
                "postgres",
            ))
            .arg("--wal-method=stream")
            .arg("--checkpoint=fast")
            .arg("--no-password");
        run_bounded(cmd, BASE_BACKUP_TIMEOUT)?;
        // The copy's roles are this cluster's, and so are their passwords.
        let copy = std::path::absolute(data_dir)
            .map_err(|e| LocalError::io(format!("resolving {}", data_dir.display()), e))?;
        self.passwords().write(&pgpass_path(&copy), None)
    }

    /// Makes the replication role (once) and writes its password for the server's user, who
    /// runs the copy's walreceiver; returns that file.
    fn replication_passfile(&self, run_as: Option<&RunAs>) -> Result<PathBuf, LocalError> {
        let path = replication_pgpass_path(self.data_dir());
        let mut passwords = Passwords::read(self.password_file())?;
        let (password, made) = passwords.get_or_make(REPLICATION)?;
        self.psql_script("postgres", &replication_role_script(&password))?;
        if made {
            passwords.write(self.password_file(), None)?;
        }
        passwords.only(REPLICATION).write(&path, run_as)?;
        Ok(path)
    }

    /// A streaming standby of this cluster in `data_dir`, made by a base backup and started.
    /// It connects as `name`, the name a primary's `synchronous_standby_names` lists.
    pub fn start_standby(
        &self,
        data_dir: &Path,
        name: &str,
        mut options: ClusterOptions,
        project_root: &Path,
    ) -> Result<LocalCluster, LocalError> {
        self.base_backup(data_dir, project_root)?;
        let run_as = self.server_user()?;
        write_signal_file(data_dir, "standby.signal", run_as.as_ref())?;
        let passfile = replication_pgpass_path(self.data_dir());
        options.settings.push((
            "primary_conninfo".into(),
            format!(
                "{} passfile={} application_name={name}",
                socket_conninfo(self.socket_dir(), self.port(), REPLICATION, "postgres"),
                conninfo_value(&passfile.to_string_lossy()),
            ),
        ));
        LocalCluster::start_with(self.bins(), data_dir, options, project_root)
    }

    /// Promotes this standby and waits until it takes writes.
    pub fn promote(&self) -> Result<(), LocalError> {
        let promoted = self.psql(
            "postgres",
            &format!("SELECT pg_promote(true, {})", RECOVERY_TIMEOUT.as_secs()),
        )?;
        if promoted.trim() != "t" {
            return Err(self.broken(format!("was not promoted ({})", promoted.trim())));
        }
        self.wait_until_writable()
    }

    /// SIGKILL to the server and every process of it at once, as when its machine dies: no
    /// shutdown checkpoint, no goodbye to the standbys or the clients.
    /// Nothing restarts it afterwards: its machine is gone.
    pub fn kill(&self) {
        let _ = killpg(Pid::from_raw(self.expect_death()), Signal::SIGKILL);
        self.wait_for_exit();
    }

    /// Starts a cluster restored from the base backup in `data_dir` (see
    /// [`base_backup`](Self::base_backup)), replaying the WAL in `archive` up to `target_time`
    /// (a timestamp PostgreSQL reads, e.g. `2026-12-01 10:00:00.123+00`) and then taking
    /// writes. Transactions committed after `target_time` are not replayed.
    pub fn start_restored(
        bins: &PgBinaries,
        data_dir: &Path,
        archive: &Path,
        target_time: &str,
        mut options: ClusterOptions,
        project_root: &Path,
    ) -> Result<LocalCluster, LocalError> {
        let run_as = choose_run_as(data_dir)?;
        write_signal_file(data_dir, "recovery.signal", run_as.as_ref())?;
        options.settings.extend([
            (
                "restore_command".into(),
                format!("cp '{}/%f' '%p'", archive.display()),
            ),
            ("recovery_target_time".into(), target_time.into()),
            ("recovery_target_inclusive".into(), "true".into()),
            ("recovery_target_action".into(), "promote".into()),
        ]);
        let cluster = LocalCluster::start_with(bins, data_dir, options, project_root)?;
        cluster.wait_until_writable()?;
        Ok(cluster)
    }

    /// Settings that copy every finished WAL segment into `archive`, made here for the
    /// server's user. Pass them in [`ClusterOptions::settings`] when starting the cluster.
    pub fn archive_settings(
        archive: &Path,
        data_dir: &Path,
    ) -> Result<Vec<(String, String)>, LocalError> {
        fs::create_dir_all(archive)
            .map_err(|e| LocalError::io(format!("creating {}", archive.display()), e))?;
        if let Some(user) = choose_run_as(data_dir)? {
            chown(archive, &user)?;
        }
        let dir = archive.display();
        Ok(vec![
            ("archive_mode".into(), "on".into()),
            (
                "archive_command".into(),
                format!("test ! -f '{dir}/%f' && cp '%p' '{dir}/%f'"),
            ),
        ])
    }

    fn server_user(&self) -> Result<Option<RunAs>, LocalError> {
        choose_run_as(self.data_dir())
    }

    fn wait_until_writable(&self) -> Result<(), LocalError> {
        let deadline = Instant::now() + RECOVERY_TIMEOUT;
        loop {
            let recovering = self.psql("postgres", "SELECT pg_is_in_recovery()");
            if matches!(&recovering, Ok(answer) if answer.trim() == "f") {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.broken(format!(
                    "was still in recovery after {} s ({recovering:?})",
                    RECOVERY_TIMEOUT.as_secs()
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn broken(&self, problem: String) -> LocalError {
        LocalError::Server {
            problem,
            log: self.log_path().to_path_buf(),
            log_tail: String::new(),
        }
    }
}

/// A new (or empty) data directory for a copy, reachable by the server's user.
fn prepare_copy_dir(
    data_dir: &Path,
    run_as: Option<&RunAs>,
    project_root: &Path,
) -> Result<(), LocalError> {
    let data_dir: PathBuf = std::path::absolute(data_dir)
        .map_err(|e| LocalError::io(format!("resolving {}", data_dir.display()), e))?;
    if let Some(parent) = data_dir.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| LocalError::io(format!("creating {}", parent.display()), e))?;
        if let Some(user) = run_as {
            ensure_reachable(parent, &data_dir, user, project_root)?;
        }
    }
    prepare_data_dir(&data_dir, run_as)
}

/// The empty file that tells a starting server to run as a standby or to recover.
fn write_signal_file(
    data_dir: &Path,
    name: &str,
    run_as: Option<&RunAs>,
) -> Result<(), LocalError> {
    let path = data_dir.join(name);
    fs::write(&path, b"").map_err(|e| LocalError::io(format!("writing {}", path.display()), e))?;
    if let Some(user) = run_as {
        chown(&path, user)?;
    }
    Ok(())
}
