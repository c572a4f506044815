//! What this replica holds of the audit evidence outside the database: the signing key (and the
//! tag key derived from it), the kept head, and what the sealer refused, shared by the writers,
//! the sealer, verification and `/metrics`.

use super::kept_head::HeadKeeper;
use super::signing::HeadSigner;
use super::tag::TagKey;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct Evidence {
    /// `None` only where no key was given: events are then neither tagged nor checked, and
    /// heads are not signed.
    pub signer: Option<Arc<HeadSigner>>,
    pub keeper: HeadKeeper,
    /// Events this replica's sealer refused since it started.
    refused: AtomicU64,
}

impl Evidence {
    pub fn new(signer: Option<Arc<HeadSigner>>, keeper: HeadKeeper) -> Self {
        Self {
            signer,
            keeper,
            refused: AtomicU64::new(0),
        }
    }

    /// No key: nothing tagged, nothing signed, nothing kept.
    pub fn unsigned() -> Self {
        Self::new(None, HeadKeeper::in_memory())
    }

    pub fn tag_key(&self) -> Option<&TagKey> {
        self.signer.as_deref().map(HeadSigner::tag_key)
    }

    pub fn count_refused(&self, events: u64) {
        self.refused.fetch_add(events, Ordering::Relaxed);
    }

    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}
