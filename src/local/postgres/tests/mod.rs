//! Unit tests of the private cluster. Most start real servers; the helpers here are shared.

mod binaries;
mod cluster;
mod parent_death;
mod root;
mod shared;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use super::{ClusterOptions, PgBinaries};

pub(super) fn bins() -> PgBinaries {
    PgBinaries::locate().expect("PostgreSQL binaries are installed")
}

pub(super) fn psql_as_client(port: u16, sql: &str) -> Result<String, String> {
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
