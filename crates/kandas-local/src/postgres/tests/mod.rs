//! Unit tests of the private cluster. Most start real servers; the helpers here are shared.

mod auth;
mod binaries;
mod cluster;
mod parent_death;
mod root;
mod shared;
mod socket;
mod supervisor;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::{ClusterOptions, LocalCluster, PgBinaries};

pub(super) fn bins() -> PgBinaries {
    PgBinaries::locate().expect("PostgreSQL binaries are installed")
}

/// psql as an outside client would run it, on the socket in `socket_dir`, as the superuser
/// with the password in `passfile`.
pub(super) fn psql_as_client(
    passfile: &Path,
    socket_dir: &Path,
    port: u16,
    sql: &str,
) -> Result<String, String> {
    let out = Command::new(bins().psql())
        .env("PGPASSFILE", passfile)
        .args(["-X", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1"])
        .arg("-h")
        .arg(socket_dir)
        .args(["-p", &port.to_string()])
        .args(["-U", "kandas", "-d", "kandas", "-c", sql])
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// [`psql_as_client`] on a running cluster.
pub(super) fn psql_on(cluster: &LocalCluster, sql: &str) -> Result<String, String> {
    psql_as_client(
        cluster.password_file(),
        cluster.socket_dir(),
        cluster.port(),
        sql,
    )
}

/// A temp dir that the `postgres` user can traverse (tempdir() makes 0700 dirs).
pub(super) fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("kandas-pg-unit-")
        .tempdir()
        .unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

pub(super) fn options() -> ClusterOptions {
    ClusterOptions {
        ephemeral: true,
        ..ClusterOptions::default()
    }
}
