//! Supervising the running server process: the thread that spawns and reaps it, and stopping
//! it with escalating signals.

use std::io;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::process::describe;
use crate::LocalError;

/// How long a fast shutdown may take before an immediate shutdown, then SIGKILL.
const FAST_STOP_TIMEOUT: Duration = Duration::from_secs(30);
const IMMEDIATE_STOP_TIMEOUT: Duration = Duration::from_secs(10);
const KILL_TIMEOUT: Duration = Duration::from_secs(5);

/// The running server process, shared with the thread that spawned it and waits for it.
#[derive(Debug)]
pub(super) struct Postmaster {
    pub(super) pid: i32,
    pub(super) started: Instant,
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
                    pid: child.id() as i32,
                    started: Instant::now(),
                    state: Mutex::new(PostmasterState::default()),
                    changed: Condvar::new(),
                });
                let _ = tx.send(Ok(Arc::clone(&pm)));
                drop(cmd);
                pm.wait_and_reap(&mut child);
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

    /// Waits for the child to exit, then reaps it under the lock: whoever holds the lock and
    /// sees `exited == false` may signal the pid, which cannot have been reused while the
    /// zombie is unreaped.
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    fn wait_and_reap(&self, child: &mut Child) {
        wait_without_reaping(Pid::from_raw(self.pid));
        let mut state = self.lock();
        state.exited = true;
        state.status = child.wait().ok();
        self.changed.notify_all();
    }

    /// Where nix offers no `waitid`, polls instead, checking and reaping under the lock for
    /// the same reason as above.
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    fn wait_and_reap(&self, child: &mut Child) {
        loop {
            let mut state = self.lock();
            match child.try_wait() {
                Ok(None) => {}
                result => {
                    state.exited = true;
                    state.status = result.ok().flatten();
                    self.changed.notify_all();
                    return;
                }
            }
            drop(state);
            thread::sleep(Duration::from_millis(50));
        }
    }

    pub(super) fn exit_status(&self) -> Option<Option<ExitStatus>> {
        let state = self.lock();
        state.exited.then_some(state.status)
    }

    /// Sends `signal` unless the server has already exited. Returns whether it still ran.
    fn signal(&self, signal: Signal) -> bool {
        let state = self.lock();
        if state.exited {
            return false;
        }
        let _ = kill(Pid::from_raw(self.pid), signal);
        true
    }

    /// Fast shutdown (SIGINT); if it takes too long, immediate shutdown (SIGQUIT), then
    /// SIGKILL. Returns whether the server has exited.
    pub(super) fn stop(&self) -> bool {
        for (signal, timeout, name) in [
            (Signal::SIGINT, FAST_STOP_TIMEOUT, "fast"),
            (Signal::SIGQUIT, IMMEDIATE_STOP_TIMEOUT, "immediate"),
            (Signal::SIGKILL, KILL_TIMEOUT, "SIGKILL"),
        ] {
            if !self.signal(signal) || self.wait_exit(timeout) {
                if signal != Signal::SIGINT {
                    tracing::warn!(pid = self.pid, "PostgreSQL needed a {name} stop");
                }
                return true;
            }
        }
        false
    }

    /// Waits for as long as the server runs.
    pub(super) fn wait_exited(&self) {
        let mut state = self.lock();
        while !state.exited {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Waits until the server exits or `timeout` passes; returns whether it exited.
    pub(super) fn wait_exit(&self, timeout: Duration) -> bool {
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
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn wait_without_reaping(pid: Pid) {
    use nix::errno::Errno;
    use nix::sys::wait::{Id, WaitPidFlag, waitid};

    loop {
        match waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {
            Err(Errno::EINTR) => continue,
            // ECHILD etc. included: the blocking reap by the caller is the fallback.
            _ => return,
        }
    }
}
