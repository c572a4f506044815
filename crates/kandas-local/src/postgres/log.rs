//! The server log next to the data directory: its path, rotation, start markers and reading
//! back what one start wrote.

use std::ffi::OsString;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::user::{RunAs, chown};
use crate::LocalError;

const LOG_ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// `<data_dir>.log`, e.g. `.kandas/pg.log` for `.kandas/pg`.
pub(super) fn log_path_for(data_dir: &Path) -> PathBuf {
    let mut name = data_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| OsString::from("pg"));
    name.push(".log");
    data_dir.with_file_name(name)
}

/// Opens (creating, rotating) the server log, hands it to `run_as`, writes a start marker and
/// returns the offset where this start's output begins.
pub(super) fn open_log(
    log_path: &Path,
    run_as: Option<&RunAs>,
    socket: &Path,
) -> Result<u64, LocalError> {
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
        "--- kandas: starting PostgreSQL on the Unix socket {} (unix time {now}) ---",
        socket.display()
    );
    Ok(offset)
}

pub(super) fn log_file(log_path: &Path) -> Result<fs::File, LocalError> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(log_path)
        .map_err(|e| LocalError::io(format!("opening the server log {}", log_path.display()), e))
}

pub(super) fn read_log_from(log_path: &Path, offset: u64) -> String {
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
