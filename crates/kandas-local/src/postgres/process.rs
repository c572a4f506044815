//! Commands for the PostgreSQL binaries: who they run as, the signal they get if kandas dies,
//! running short-lived ones with a time limit, and checking whether a process is alive.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::user::RunAs;
use crate::LocalError;

/// How many lines of a command's output or of the server log go into an error.
pub(super) const LOG_TAIL_LINES: usize = 40;

/// A command for one of the PostgreSQL binaries: run as `run_as` (when root), from `/`, with
/// stdin closed and `death_signal` delivered if kandas dies.
pub(super) fn pg_command(program: &Path, run_as: Option<&RunAs>, death_signal: Signal) -> Command {
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
#[expect(
    unsafe_code,
    reason = "pre_exec is unsafe: the closure runs between fork and exec"
)]
fn set_death_signal(cmd: &mut Command, signal: Signal) {
    use nix::sys::prctl::set_pdeathsig;
    use nix::unistd::getppid;

    let parent = Pid::this();
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe calls (prctl, getppid) and builds errors without allocating.
    unsafe {
        cmd.pre_exec(move || {
            // std runs this after setuid, which would have cleared an earlier death signal.
            set_pdeathsig(signal)?;
            // The parent may have died before prctl: then nobody would ever signal us.
            if getppid() != parent {
                return Err(Errno::ESRCH.into());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn set_death_signal(_cmd: &mut Command, _signal: Signal) {}

pub(super) fn describe(cmd: &Command) -> String {
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

pub(super) fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

/// Runs a short-lived command with a time limit; returns its stdout, or an error carrying the
/// command line, the exit status and the (combined) output.
pub(super) fn run_bounded(mut cmd: Command, timeout: Duration) -> Result<String, LocalError> {
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

pub(super) fn tail_lines(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub(super) fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // No signal: only checks that the process exists and whether we may signal it.
    matches!(kill(Pid::from_raw(pid), None), Ok(()) | Err(Errno::EPERM))
}
