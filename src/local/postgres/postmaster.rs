//! Supervising the running server process: the thread that spawns and reaps it, and stopping
//! it with escalating signals.

use std::io;
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::process::describe;
use crate::local::LocalError;

/// How long a fast shutdown may take before an immediate shutdown, then SIGKILL.
const FAST_STOP_TIMEOUT: Duration = Duration::from_secs(30);
const IMMEDIATE_STOP_TIMEOUT: Duration = Duration::from_secs(10);
const KILL_TIMEOUT: Duration = Duration::from_secs(5);

/// The running server process, shared with the thread that spawned it and waits for it.
#[derive(Debug)]
pub(super) struct Postmaster {
    pub(super) pid: libc::pid_t,
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
    pub(super) fn spawn(mut cmd: Command) -> Result<Arc<Postmaster>, LocalError> {
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

    pub(super) fn exit_status(&self) -> Option<Option<ExitStatus>> {
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
    pub(super) fn stop(&self) -> bool {
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
