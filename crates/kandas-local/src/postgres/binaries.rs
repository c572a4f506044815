//! Finding the PostgreSQL server binaries on this machine.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::LocalError;

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

    /// Beside the server binaries in every distribution's layout; only copies of a cluster
    /// (a standby, a backup) need it.
    pub fn pg_basebackup(&self) -> PathBuf {
        self.bin_dir.join("pg_basebackup")
    }
}

pub(super) const REQUIRED_BINARIES: [&str; 3] = ["initdb", "postgres", "psql"];

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

pub(super) fn locate_with(
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
