//! The server's Unix socket: the directory it lives in, the first gate in front of the roles'
//! passwords, and the addresses (a URL, a libpq connection string) that reach it.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::user::{RunAs, chown, euid};
use crate::LocalError;

/// Longest Unix socket path (sun_path is 108 bytes on Linux, 104 on macOS, incl. the NUL).
const MAX_SOCKET_PATH: usize = 103;
/// The longest name the server gives its socket inside the directory.
const LONGEST_SOCKET_NAME: &str = "/.s.PGSQL.65535";
/// Short enough on every system for a socket path, and reachable by the `postgres` user.
const SHORT_BASE: &str = "/tmp";

/// A directory only the server's OS user may enter (root passes anyway), holding the socket.
#[derive(Debug)]
pub(super) enum SocketDir {
    /// `<data_dir>.sock`: the same on every start, so a URL handed out keeps working after a
    /// restart of the server.
    Beside(PathBuf),
    /// A fresh directory with a random name under `/tmp`, used when the one beside the data
    /// directory has too long a path; removed when the cluster is dropped.
    Temporary(tempfile::TempDir),
}

impl SocketDir {
    pub(super) fn path(&self) -> &Path {
        match self {
            SocketDir::Beside(path) => path,
            SocketDir::Temporary(dir) => dir.path(),
        }
    }
}

/// `<data_dir>.sock`, e.g. `.kandas/pg.sock` for `.kandas/pg`, next to the log.
pub(super) fn socket_dir_beside(data_dir: &Path) -> PathBuf {
    let mut name = data_dir
        .file_name()
        .map(OsStr::to_os_string)
        .unwrap_or_else(|| "pg".into());
    name.push(".sock");
    data_dir.with_file_name(name)
}

/// The socket file the server creates for `port` in `dir`.
pub(super) fn socket_path(dir: &Path, port: u16) -> PathBuf {
    dir.join(format!(".s.PGSQL.{port}"))
}

fn fits_a_socket_address(dir: &Path) -> bool {
    dir.as_os_str().len() + LONGEST_SOCKET_NAME.len() <= MAX_SOCKET_PATH
}

/// Makes the socket directory for `data_dir`, mode 0700 and owned by whoever runs the server.
pub(super) fn prepare_socket_dir(
    data_dir: &Path,
    run_as: Option<&RunAs>,
) -> Result<SocketDir, LocalError> {
    let beside = socket_dir_beside(data_dir);
    if fits_a_socket_address(&beside) {
        create_private_dir(&beside, run_as)?;
        return Ok(SocketDir::Beside(beside));
    }
    // A random name, created exclusively with mode 0700: nobody can have prepared it for us.
    let temporary = tempfile::Builder::new()
        .prefix("kandas-pg-")
        .tempdir_in(SHORT_BASE)
        .map_err(|e| LocalError::io(format!("creating a socket directory in {SHORT_BASE}"), e))?;
    make_private(temporary.path(), run_as)?;
    Ok(SocketDir::Temporary(temporary))
}

fn create_private_dir(dir: &Path, run_as: Option<&RunAs>) -> Result<(), LocalError> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(LocalError::io(format!("creating {}", dir.display()), e)),
    }
    make_private(dir, run_as)
}

/// Hands `dir` to the server's user and closes it to everybody else, whatever an earlier run
/// or an operator left there. A symbolic link is refused: it could point anywhere.
fn make_private(dir: &Path, run_as: Option<&RunAs>) -> Result<(), LocalError> {
    let meta = fs::symlink_metadata(dir)
        .map_err(|e| LocalError::io(format!("inspecting {}", dir.display()), e))?;
    let refuse = |why: String| {
        LocalError::io(
            format!("using {} as the PostgreSQL socket directory", dir.display()),
            io::Error::new(io::ErrorKind::PermissionDenied, why),
        )
    };
    if !meta.is_dir() {
        return Err(refuse("it is not a directory; remove it".to_owned()));
    }
    match run_as {
        Some(user) if meta.uid() != user.uid => chown(dir, user)?,
        None if meta.uid() != euid() => {
            return Err(refuse(format!(
                "it belongs to uid {}, not to uid {}; remove it",
                meta.uid(),
                euid()
            )));
        }
        _ => {}
    }
    if meta.mode() & 0o7777 != 0o700 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| LocalError::io(format!("restricting {}", dir.display()), e))?;
    }
    Ok(())
}

/// `postgres://USER:PASSWORD@localhost:PORT/DATABASE?host=SOCKET_DIR`. sqlx and libpq both
/// take a `host` parameter that starts with `/` as the socket directory, overriding
/// `localhost`.
pub(super) fn socket_url(
    socket_dir: &Path,
    port: u16,
    user: &str,
    password: &str,
    database: &str,
) -> String {
    format!(
        "postgres://{}:{}@localhost:{port}/{}?host={}",
        percent_encode(user.as_bytes(), false),
        percent_encode(password.as_bytes(), false),
        percent_encode(database.as_bytes(), false),
        percent_encode(socket_dir.as_os_str().as_bytes(), true),
    )
}

/// Everything but unreserved characters (and `/` where asked, for readable paths) as `%XX`,
/// so that no character of a path or name can end the URL part it sits in.
fn percent_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut text = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/')
        {
            text.push(char::from(byte));
        } else {
            text.push_str(&format!("%{byte:02X}"));
        }
    }
    text
}

/// A libpq connection string for psql and the replication tools: the socket directory, `user`
/// and `database`. The password comes from a pgpass file (`PGPASSFILE` or `passfile=`).
pub(super) fn socket_conninfo(socket_dir: &Path, port: u16, user: &str, database: &str) -> String {
    format!(
        "host={} port={port} user={} dbname={} connect_timeout=10",
        conninfo_value(&socket_dir.to_string_lossy()),
        conninfo_value(user),
        conninfo_value(database),
    )
}

/// A value quoted as libpq's connection strings require for spaces, quotes and backslashes.
pub(super) fn conninfo_value(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The socket directory as a `unix_socket_directories` list of one: PostgreSQL splits that
/// setting at commas and trims spaces unless the entry is double-quoted.
pub(super) fn socket_dir_setting(socket_dir: &Path) -> OsString {
    let bytes = socket_dir.as_os_str().as_bytes();
    let mut quoted = Vec::with_capacity(bytes.len() + 2);
    quoted.push(b'"');
    for &byte in bytes {
        // A quote inside a quoted entry is written twice.
        if byte == b'"' {
            quoted.push(b'"');
        }
        quoted.push(byte);
    }
    quoted.push(b'"');
    OsString::from_vec(quoted)
}
