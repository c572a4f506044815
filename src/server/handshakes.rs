//! Connections still in their TLS handshake are the ones anyone can open: no certificate has
//! been shown yet. They are held apart from the authenticated ones so that a flood of slow
//! handshakes cannot take the places of the callers being served:
//!
//! - at most `max` connections handshake at once, a part of all the connections, so the rest
//!   stays for connections that authenticated;
//! - at most `per_source` of them come from one source (an IPv4 address, or an IPv6 /64, which
//!   one host holds whole), so one host cannot fill them;
//! - when all `max` are taken, the oldest handshake is given up for the new one: a legitimate
//!   handshake takes milliseconds, so the oldest is the likeliest to be a slow one, and a flood
//!   from many sources then delays new callers instead of locking them out.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Where a connection comes from, as far as limits go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(IpAddr);

impl Source {
    pub fn of(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V4(_) => Source(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Source(IpAddr::V6(prefix.into()))
                }
            },
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    /// The handshakes in progress, oldest first, and how to give each up.
    order: BTreeMap<u64, (Source, CancellationToken)>,
    per_source: HashMap<Source, usize>,
}

impl Inner {
    fn forget(&mut self, seq: u64) -> Option<CancellationToken> {
        let (source, given_up) = self.order.remove(&seq)?;
        if let Some(count) = self.per_source.get_mut(&source) {
            *count -= 1;
            if *count == 0 {
                self.per_source.remove(&source);
            }
        }
        Some(given_up)
    }
}

/// The handshakes in progress.
#[derive(Debug)]
pub struct Handshakes {
    max: usize,
    per_source: usize,
    inner: Mutex<Inner>,
}

/// A handshake's place, given back when dropped.
#[derive(Debug)]
pub struct HandshakeSlot {
    handshakes: Arc<Handshakes>,
    seq: u64,
    given_up: CancellationToken,
}

impl HandshakeSlot {
    /// Cancelled when a newer handshake took this one's place.
    pub fn given_up(&self) -> &CancellationToken {
        &self.given_up
    }
}

impl Drop for HandshakeSlot {
    fn drop(&mut self) {
        self.handshakes.lock().forget(self.seq);
    }
}

/// A handshake let in, and whether an older one was given up for it.
#[derive(Debug)]
pub struct Admitted {
    pub slot: HandshakeSlot,
    pub gave_up_oldest: bool,
}

impl Handshakes {
    pub fn new(max: usize, per_source: usize) -> Handshakes {
        Handshakes {
            max: max.max(1),
            per_source: per_source.max(1),
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Handshakes in progress now.
    pub fn count(&self) -> usize {
        self.lock().order.len()
    }

    /// A place for a handshake from `source`, or `None` when that source has its limit.
    pub fn admit(self: &Arc<Self>, source: Source) -> Option<Admitted> {
        let mut inner = self.lock();
        if inner.per_source.get(&source).copied().unwrap_or(0) >= self.per_source {
            return None;
        }
        let mut gave_up_oldest = false;
        if inner.order.len() >= self.max
            && let Some(oldest) = inner.order.keys().next().copied()
            && let Some(given_up) = inner.forget(oldest)
        {
            given_up.cancel();
            gave_up_oldest = true;
        }
        let seq = inner.next;
        inner.next += 1;
        let given_up = CancellationToken::new();
        inner.order.insert(seq, (source, given_up.clone()));
        *inner.per_source.entry(source).or_default() += 1;
        Some(Admitted {
            slot: HandshakeSlot {
                handshakes: self.clone(),
                seq,
                given_up,
            },
            gave_up_oldest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source::of(text.parse().unwrap())
    }

    #[test]
    fn one_source_holds_at_most_its_handshakes_and_gets_them_back() {
        let handshakes = Arc::new(Handshakes::new(10, 2));
        let a = handshakes.admit(source("10.0.0.1")).unwrap();
        let _b = handshakes.admit(source("10.0.0.1")).unwrap();
        assert!(handshakes.admit(source("10.0.0.1")).is_none());
        assert!(handshakes.admit(source("10.0.0.2")).is_some());
        drop(a);
        assert!(handshakes.admit(source("10.0.0.1")).is_some());
    }

    #[test]
    fn when_all_are_taken_the_oldest_handshake_is_given_up_for_the_newest() {
        let handshakes = Arc::new(Handshakes::new(2, 2));
        let oldest = handshakes.admit(source("10.0.0.1")).unwrap();
        let second = handshakes.admit(source("10.0.0.2")).unwrap();
        assert!(!oldest.gave_up_oldest && !second.gave_up_oldest);
        let newest = handshakes.admit(source("10.0.0.3")).unwrap();
        assert!(newest.gave_up_oldest);
        assert!(oldest.slot.given_up().is_cancelled());
        assert!(!second.slot.given_up().is_cancelled());
        assert_eq!(handshakes.count(), 2);
        // The given-up handshake's source has its place back at once, and dropping the slot
        // later gives back nothing twice.
        let again = handshakes.admit(source("10.0.0.1")).unwrap();
        assert!(again.gave_up_oldest, "the second is the oldest now");
        drop(oldest);
        assert_eq!(handshakes.count(), 2);
        drop((newest, again));
        assert_eq!(handshakes.count(), 0);
    }

    #[test]
    fn an_ipv6_host_is_one_source_across_its_64_prefix() {
        assert_eq!(source("2001:db8::1"), source("2001:db8::ffff:1"));
        assert_ne!(source("2001:db8::1"), source("2001:db8:0:1::1"));
        assert_eq!(source("::ffff:10.0.0.1"), source("10.0.0.1"));
    }
}
