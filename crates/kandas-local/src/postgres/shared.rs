//! The throwaway cluster shared by all tests of one test binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::OnceLock;

use super::binaries::PgBinaries;
use super::cluster::{ClusterOptions, LocalCluster};
use super::data_dir::server_on;
use super::process::pid_alive;
use crate::LocalError;

pub(super) const TEST_DIR_PREFIX: &str = "kandas-test-pg-";

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
        ephemeral: true,
        max_connections: 300,
        ..ClusterOptions::default()
    };
    let bins = PgBinaries::locate()?;
    let cluster = match LocalCluster::start_with(&bins, &dir.join("data"), options, &dir) {
        Ok(cluster) => cluster,
        Err(e) => {
            let _ = fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    // Statics are never dropped and std has no exit hook: the C runtime's atexit is the one
    // hook left when the test binary returns from main. nix does not wrap it; its re-exported
    // libc does.
    // SAFETY: registers a plain `extern "C" fn()` that never unwinds (see below); atexit
    // only stores the pointer. If it cannot (out of memory), the cluster is left to
    // PR_SET_PDEATHSIG and the next run's cleanup, as after a kill.
    #[expect(
        unsafe_code,
        reason = "atexit is the C runtime's; nix does not wrap it"
    )]
    unsafe {
        nix::libc::atexit(stop_shared_at_exit)
    };
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
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() as i32 || pid_alive(pid) {
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
