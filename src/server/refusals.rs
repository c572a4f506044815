//! Connections refused or given up before they could call, counted by reason for
//! `kandas_connections_refused_total` and summarised in the log at most once per period: a
//! flood of connections must not become a flood of log lines.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Why a connection was refused or closed before its first call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every connection place was taken.
    TotalLimit,
    /// Its source had its limit of connections still handshaking.
    SourceHandshakes,
    /// Its handshake was the oldest when every handshake place was taken, and was given up.
    OldestHandshake,
    /// Its handshake did not finish in time.
    HandshakeTimeout,
    /// Its handshake failed (no certificate, an unknown CA, a revoked certificate, not TLS).
    HandshakeFailed,
    /// Its client certificate had its limit of connections.
    ClientLimit,
}

impl Refused {
    pub const ALL: [Refused; 6] = [
        Refused::TotalLimit,
        Refused::SourceHandshakes,
        Refused::OldestHandshake,
        Refused::HandshakeTimeout,
        Refused::HandshakeFailed,
        Refused::ClientLimit,
    ];

    /// The `reason` label.
    pub fn label(self) -> &'static str {
        match self {
            Refused::TotalLimit => "connection_limit",
            Refused::SourceHandshakes => "source_handshake_limit",
            Refused::OldestHandshake => "oldest_handshake_given_up",
            Refused::HandshakeTimeout => "handshake_timeout",
            Refused::HandshakeFailed => "handshake_failed",
            Refused::ClientLimit => "client_connection_limit",
        }
    }

    /// Whether it says the server is at a limit, not only that one client failed.
    fn is_limit(self) -> bool {
        matches!(
            self,
            Refused::TotalLimit | Refused::SourceHandshakes | Refused::OldestHandshake
        )
    }
}

/// The counts since start.
#[derive(Debug, Default)]
pub struct Refusals {
    counts: [AtomicU64; Refused::ALL.len()],
}

impl Refusals {
    pub fn note(&self, refused: Refused) {
        self.counts[refused as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Every reason and its count so far.
    pub fn counts(&self) -> [(Refused, u64); Refused::ALL.len()] {
        Refused::ALL.map(|r| (r, self.counts[r as usize].load(Ordering::Relaxed)))
    }
}

/// Logs what was refused in each `every` that refused anything: one line, a warning when a
/// limit was reached.
pub async fn summarize(refusals: std::sync::Arc<Refusals>, every: Duration) {
    let mut seen = refusals.counts();
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let now = refusals.counts();
        let since: Vec<(Refused, u64)> = now
            .iter()
            .zip(&seen)
            .map(|((r, count), (_, before))| (*r, count - before))
            .filter(|(_, count)| *count > 0)
            .collect();
        seen = now;
        if since.is_empty() {
            continue;
        }
        let text = since
            .iter()
            .map(|(r, count)| format!("{}={count}", r.label()))
            .collect::<Vec<_>>()
            .join(" ");
        let secs = every.as_secs();
        if since.iter().any(|(r, _)| r.is_limit()) {
            tracing::warn!("connections refused in the last {secs} s at a limit: {text}");
        } else {
            tracing::info!("connections refused in the last {secs} s: {text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_is_counted_apart() {
        let refusals = Refusals::default();
        refusals.note(Refused::SourceHandshakes);
        refusals.note(Refused::SourceHandshakes);
        refusals.note(Refused::HandshakeFailed);
        let counts = refusals.counts();
        assert!(counts.contains(&(Refused::SourceHandshakes, 2)));
        assert!(counts.contains(&(Refused::HandshakeFailed, 1)));
        assert!(counts.contains(&(Refused::TotalLimit, 0)));
        for (index, reason) in Refused::ALL.iter().enumerate() {
            assert_eq!(*reason as usize, index);
        }
    }
}
