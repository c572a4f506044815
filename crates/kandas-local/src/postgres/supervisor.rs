//! Keeping the server up: when the postmaster exits without having been asked to (killed, an
//! immediate stop by someone else, a crash), it is started again on the same data directory,
//! whose WAL brings back every committed transaction. Attempts are spaced by a growing pause;
//! when they all fail the supervisor gives up and says so, and kandas exits non-zero so that
//! its own supervisor (systemd's `Restart=on-failure`) takes over.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::postmaster::Postmaster;
use super::process::describe_status;
use crate::LocalError;

/// How a [`LocalCluster`](super::LocalCluster) restarts a server that exited unexpectedly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Attempts in a row before giving up; 0 never restarts.
    pub attempts: u32,
    /// The pause before the first attempt; it doubles for each further one.
    pub first_delay: Duration,
    /// The longest pause between two attempts.
    pub max_delay: Duration,
    /// A server that ran this long is stable again: its next exit starts a fresh series of
    /// attempts. One that exits sooner continues the series, so a server that dies over and
    /// over is given up on instead of restarted forever.
    pub stable_after: Duration,
}

impl Default for RestartPolicy {
    /// 1, 2, 4, 8, 16, 30, 30, 30 s: about two minutes before giving up.
    fn default() -> Self {
        RestartPolicy {
            attempts: 8,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            stable_after: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    /// The pause before attempt `n` (from 1).
    pub fn delay(&self, n: u32) -> Duration {
        let doubled = self
            .first_delay
            .saturating_mul(1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX));
        doubled.min(self.max_delay)
    }
}

/// Starts a server on the cluster's data directory and waits until it accepts connections.
pub(super) type Launch = Box<dyn Fn() -> Result<Arc<Postmaster>, LocalError> + Send + Sync>;

/// The server now running, and the thread that restarts it.
pub(super) struct Supervisor {
    state: Mutex<State>,
    changed: Condvar,
    restarts: Arc<AtomicU64>,
    failure: watch::Sender<Option<String>>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("pid", &self.current().pid)
            .field("restarts", &self.restarts.load(Ordering::Relaxed))
            .finish()
    }
}

struct State {
    current: Arc<Postmaster>,
    /// Set by a stop: the server's exit is then expected.
    stopping: bool,
}

impl Supervisor {
    /// Watches `first` from a thread of its own, restarting the server with `launch`.
    pub(super) fn start(
        first: Arc<Postmaster>,
        launch: Launch,
        policy: RestartPolicy,
    ) -> Result<Arc<Supervisor>, LocalError> {
        let supervisor = Arc::new(Supervisor {
            state: Mutex::new(State {
                current: first,
                stopping: false,
            }),
            changed: Condvar::new(),
            restarts: Arc::new(AtomicU64::new(0)),
            failure: watch::Sender::new(None),
        });
        let watched = Arc::clone(&supervisor);
        thread::Builder::new()
            .name("kandas-postgres-supervisor".to_owned())
            .spawn(move || watched.run(launch, policy))
            .map_err(|e| LocalError::io("starting the thread that supervises PostgreSQL", e))?;
        Ok(supervisor)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn current(&self) -> Arc<Postmaster> {
        Arc::clone(&self.lock().current)
    }

    /// How often the server was restarted after an unexpected exit.
    pub(super) fn restarts(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.restarts)
    }

    /// `Some(reason)` once the supervisor has given up.
    pub(super) fn failure(&self) -> watch::Receiver<Option<String>> {
        self.failure.subscribe()
    }

    /// From now on the server's exit is expected: it is not restarted. Returns the server
    /// running now (a restart under way finishes first).
    pub(super) fn stop_restarting(&self) -> Arc<Postmaster> {
        let mut state = self.lock();
        state.stopping = true;
        self.changed.notify_all();
        Arc::clone(&state.current)
    }

    fn run(&self, launch: Launch, policy: RestartPolicy) {
        let mut attempt = 0u32;
        loop {
            let exited = self.current();
            exited.wait_exited();
            if self.lock().stopping {
                return;
            }
            if exited.started.elapsed() >= policy.stable_after {
                attempt = 0;
            }
            let status = exited
                .exit_status()
                .flatten()
                .map_or_else(|| "unknown status".to_owned(), describe_status);
            tracing::warn!(
                pid = exited.pid,
                %status,
                "PostgreSQL exited unexpectedly; restarting it"
            );
            loop {
                attempt += 1;
                if attempt > policy.attempts {
                    let reason = format!(
                        "PostgreSQL exited ({status}) and {} restart attempts failed",
                        policy.attempts
                    );
                    tracing::error!(%reason, "giving up on the private PostgreSQL cluster");
                    self.failure.send_replace(Some(reason));
                    return;
                }
                let delay = policy.delay(attempt);
                tracing::warn!(
                    attempt,
                    attempts = policy.attempts,
                    delay_ms = delay.as_millis() as u64,
                    "restarting PostgreSQL"
                );
                let deadline = Instant::now() + delay;
                let mut state = self.lock();
                while !state.stopping && Instant::now() < deadline {
                    let left = deadline.saturating_duration_since(Instant::now());
                    state = self
                        .changed
                        .wait_timeout(state, left)
                        .map(|(guard, _)| guard)
                        .unwrap_or_else(|poisoned| poisoned.into_inner().0);
                }
                if state.stopping {
                    return;
                }
                // Under the lock: a stop waits for this start and then stops what it started.
                match launch() {
                    Ok(started) => {
                        tracing::info!(
                            pid = started.pid,
                            attempt,
                            "PostgreSQL restarted; committed transactions were recovered from its WAL"
                        );
                        state.current = started;
                        self.restarts.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Err(error) => {
                        tracing::error!(attempt, %error, "restarting PostgreSQL failed");
                    }
                }
            }
        }
    }
}
