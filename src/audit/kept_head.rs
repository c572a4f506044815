//! The last head this service signed, kept outside the database (SPEC §7, decision 2).
//!
//! Signed heads in the database prove nothing to someone who can delete them: cut the log's
//! tail together with the heads that cover it, and the service would sign the shorter chain as
//! if nothing had happened. So the service keeps the last head it signed in a file beside its
//! signing key, and learns it again at start from that file and from its witnesses (earlier
//! exports, a registry's copy). It signs a new head only if the chain still extends the kept
//! one: the chain reaches the kept position, the event there still has the kept hash, the
//! database still holds the kept head (and the one it replaced), and every event sealed since
//! links and is tagged. If not, it stops signing and says where the log stops being what it
//! signed.
//!
//! Why the replaced head too: the check and the new head's insert are one transaction of the
//! service's, but a superuser's `DELETE FROM audit_signed_heads` is another, and PostgreSQL does
//! not order them. A delete whose snapshot is taken after the check found the kept head and
//! before the new head commits removes the kept head and leaves the new one, which becomes the
//! kept head. Checking only the kept head, the service would never notice; the head it replaced
//! is gone, and the next check finds that.

use super::offline::{self, FormatError};
use super::signing::{PublicKey, SignedHead};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where the log contradicts a head the service signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the audit log contradicts the head signed up to {kept_seq}: {kind} (first bad position {first_bad})"
)]
pub struct Contradiction {
    /// The first position where the log stops being what was signed.
    pub first_bad: i64,
    /// The position of the kept head it contradicts.
    pub kept_seq: i64,
    pub kind: ContradictionKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContradictionKind {
    #[error("the chain ends before the signed position: events were removed from the end")]
    Truncated,
    #[error(
        "the chain at the signed position no longer has the signed hash: the log was rewritten"
    )]
    Rewritten,
    #[error("the database no longer holds a head this service signed: signed heads were deleted")]
    HeadDeleted,
    #[error("an event sealed since the signed head does not link to the one before it")]
    Unlinked,
    #[error("an event sealed since the signed head is not the service's (no valid tag)")]
    Untagged,
}

/// What the database shows about a kept head, read in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Where the chain ends now.
    pub chain_end: i64,
    /// The hash of the event at the kept position, if there is one.
    pub hash_at_kept: Option<Vec<u8>>,
    /// Whether `audit_signed_heads` still holds the kept head (same position, hash, signature).
    pub kept_in_log: bool,
    /// Whether it still holds the head the kept one replaced (true when there is none).
    pub replaced_in_log: bool,
}

/// Whether a chain seen as `seen` extends `kept` (which replaced `replaced`, if this process
/// signed it): the decision to sign or to stop.
pub fn extends(
    kept: &SignedHead,
    replaced: Option<&SignedHead>,
    seen: &Seen,
) -> Result<(), Contradiction> {
    let contradiction = |first_bad, kind| Contradiction {
        first_bad,
        kept_seq: kept.seq,
        kind,
    };
    if seen.chain_end < kept.seq {
        return Err(contradiction(
            seen.chain_end + 1,
            ContradictionKind::Truncated,
        ));
    }
    if seen.hash_at_kept.as_deref() != Some(kept.hash.as_slice()) {
        return Err(contradiction(kept.seq, ContradictionKind::Rewritten));
    }
    if !seen.kept_in_log {
        return Err(contradiction(kept.seq, ContradictionKind::HeadDeleted));
    }
    if let Some(replaced) = replaced
        && !seen.replaced_in_log
    {
        return Err(contradiction(replaced.seq, ContradictionKind::HeadDeleted));
    }
    Ok(())
}

/// `found`, moved to the first position where the log's hashes (`logged`) differ from those the
/// service knows (`known`: sealed by this replica, or held by a witness export), if earlier.
pub fn refine(
    found: Contradiction,
    known: &[(i64, Vec<u8>)],
    logged: &std::collections::HashMap<i64, Vec<u8>>,
) -> Contradiction {
    let differs = known
        .iter()
        .filter(|(seq, hash)| logged.get(seq) != Some(hash))
        .map(|(seq, _)| *seq)
        .min();
    match differs {
        Some(seq) if seq < found.first_bad => Contradiction {
            first_bad: seq,
            ..found
        },
        _ => found,
    }
}

/// How many sealed positions and their hashes a replica remembers (about 80 bytes each):
/// enough to name the first bad position of a recent rewrite exactly.
const REMEMBERED: usize = 100_000;

/// The later of two heads by position (the first on a tie: the head file before witnesses).
fn later(a: Option<SignedHead>, b: &SignedHead) -> Option<SignedHead> {
    match a {
        Some(a) if a.seq >= b.seq => Some(a),
        _ => Some(b.clone()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeptHeadError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a file of signed audit heads: {source}")]
    Format {
        path: PathBuf,
        #[source]
        source: FormatError,
    },
    #[error("writing the audit head file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The last head kept, and the one it replaced while this process ran.
#[derive(Debug, Default)]
struct Kept {
    last: Option<SignedHead>,
    replaced: Option<SignedHead>,
}

/// The kept head, its file and the heads witnesses hold.
#[derive(Debug)]
pub struct HeadKeeper {
    /// `None`: kept in memory only (tests; a service always has a file).
    file: Option<PathBuf>,
    kept: Mutex<Kept>,
    /// Every head the witnesses and the head file held at start that verifies with a key of
    /// this service: verification checks each against the log.
    witnessed: Vec<SignedHead>,
    /// The position where the log first contradicted a kept head; signing stays stopped.
    stopped: Mutex<Option<Contradiction>>,
    /// Hashes at positions this replica sealed (the latest [`REMEMBERED`]) and that witness
    /// exports hold: where a contradiction is found, they show where the log first differs.
    known: Mutex<BTreeMap<i64, Vec<u8>>>,
}

impl HeadKeeper {
    /// A keeper that remembers in memory only.
    pub fn in_memory() -> Self {
        Self {
            file: None,
            kept: Mutex::new(Kept::default()),
            witnessed: Vec::new(),
            stopped: Mutex::new(None),
            known: Mutex::new(BTreeMap::new()),
        }
    }

    /// Learns the last head from `file` (absent on a first start) and from `witnesses`
    /// (files that must exist: exports, earlier head files, a registry's copy). Heads that do
    /// not verify with `keys` are not this service's and are passed over, with a warning.
    pub fn load(
        file: Option<PathBuf>,
        witnesses: &[PathBuf],
        keys: &[PublicKey],
    ) -> Result<Self, KeptHeadError> {
        let mut heads = Vec::new();
        let mut known = BTreeMap::new();
        if let Some(path) = &file {
            match std::fs::File::open(path) {
                Ok(opened) => heads.extend(read_witness(path, opened)?.heads),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(KeptHeadError::Read {
                        path: path.clone(),
                        source,
                    });
                }
            }
        }
        for path in witnesses {
            let opened = std::fs::File::open(path).map_err(|source| KeptHeadError::Read {
                path: path.clone(),
                source,
            })?;
            let witness = read_witness(path, opened)?;
            heads.extend(witness.heads);
            known.extend(witness.event_hashes);
        }
        let (genuine, foreign): (Vec<_>, Vec<_>) = heads.into_iter().partition(|head| {
            keys.iter()
                .any(|key| key.key_id() == head.key_id && key.verifies(head))
        });
        if !foreign.is_empty() {
            tracing::warn!(
                heads = foreign.len(),
                "witnessed audit heads that no key of this service signed are ignored"
            );
        }
        // Only the latest positions, as for those sealed here: memory stays bounded however
        // large the witness exports are.
        while known.len() > REMEMBERED {
            known.pop_first();
        }
        let last = genuine.iter().fold(None, later);
        if let Some(head) = &last {
            tracing::info!(seq = head.seq, "learned the last signed audit head");
        }
        Ok(Self {
            file,
            kept: Mutex::new(Kept {
                last,
                replaced: None,
            }),
            witnessed: genuine,
            stopped: Mutex::new(None),
            known: Mutex::new(known),
        })
    }

    /// The head every new one must extend, if any is known.
    pub fn last(&self) -> Option<SignedHead> {
        self.kept().last.clone()
    }

    /// The head the kept one replaced, if this process signed the kept one: the database must
    /// still hold it too, since a deletion of heads that raced that signature removes it (and
    /// not the new head).
    pub fn replaced(&self) -> Option<SignedHead> {
        self.kept().replaced.clone()
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The heads to check the log against: the witnesses' and the kept one.
    pub fn witnessed(&self) -> Vec<SignedHead> {
        let mut heads = self.witnessed.clone();
        if let Some(last) = self.last()
            && !heads.contains(&last)
        {
            heads.push(last);
        }
        heads
    }

    /// Keeps `head` as the last signed one: in the file first (written whole, then renamed
    /// over the old one, so a crash leaves the old head or the new one, never half of one).
    pub fn keep(&self, head: &SignedHead) -> Result<(), KeptHeadError> {
        if let Some(path) = &self.file {
            write_atomically(path, offline::head_line(head).as_bytes()).map_err(|source| {
                KeptHeadError::Write {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        let mut kept = self.kept();
        if let Some(before) = kept.last.replace(head.clone()) {
            kept.replaced = Some(before);
        }
        Ok(())
    }

    /// Stops signing for good (until an operator resolves it and restarts).
    pub fn stop(&self, contradiction: Contradiction) {
        let mut stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        if stopped.is_none() {
            *stopped = Some(contradiction);
        }
    }

    /// Remembers the hashes of positions just sealed, forgetting the oldest beyond a bound.
    /// A position is sealed once: if it comes again (the log was cut and grew back), the hash
    /// first sealed there is kept, since that is the one a rewrite contradicts.
    pub fn remember(&self, seqs: &[i64], hashes: &[Vec<u8>]) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        for (seq, hash) in seqs.iter().zip(hashes) {
            known.entry(*seq).or_insert_with(|| hash.clone());
        }
        while known.len() > REMEMBERED {
            known.pop_first();
        }
    }

    /// The known hashes at positions up to `seq`.
    pub fn known_upto(&self, seq: i64) -> Vec<(i64, Vec<u8>)> {
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .range(..=seq)
            .map(|(seq, hash)| (*seq, hash.clone()))
            .collect()
    }

    /// Why signing stopped, if it did.
    pub fn stopped(&self) -> Option<Contradiction> {
        self.stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn read_witness(path: &Path, file: std::fs::File) -> Result<offline::Witness, KeptHeadError> {
    offline::read_witness(std::io::BufReader::new(file)).map_err(|source| KeptHeadError::Format {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `path` so that `path` holds either its old content or all of the new:
/// a temporary file beside it, flushed to disk, renamed over it, and the directory flushed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)?;
    std::fs::File::open(&dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::super::signing::HeadSigner;
    use super::*;
    use chrono::Utc;

    fn head(seq: i64, hash: u8) -> SignedHead {
        let (signer, _) = HeadSigner::generate().unwrap();
        signer.sign(seq, &[hash; 32], Utc::now())
    }

    fn seen(chain_end: i64, hash_at_kept: Option<u8>, kept_in_log: bool) -> Seen {
        Seen {
            chain_end,
            hash_at_kept: hash_at_kept.map(|h| vec![h; 32]),
            kept_in_log,
            replaced_in_log: true,
        }
    }

    #[test]
    fn a_chain_that_grew_past_the_kept_head_extends_it() {
        let kept = head(20, 1);
        assert_eq!(extends(&kept, None, &seen(20, Some(1), true)), Ok(()));
        assert_eq!(extends(&kept, None, &seen(35, Some(1), true)), Ok(()));
    }

    #[test]
    fn a_chain_cut_below_the_kept_head_is_truncated_after_its_end() {
        let kept = head(20, 1);
        let refused = extends(&kept, None, &seen(10, None, false)).unwrap_err();
        assert_eq!(refused.kind, ContradictionKind::Truncated);
        assert_eq!(refused.first_bad, 11);
        assert_eq!(refused.kept_seq, 20);
    }

    #[test]
    fn a_chain_cut_and_regrown_past_the_kept_head_is_rewritten_there() {
        // Attack B after more traffic: the chain is as long again, but not the same chain.
        let kept = head(20, 1);
        let refused = extends(&kept, None, &seen(25, Some(2), false)).unwrap_err();
        assert_eq!(refused.kind, ContradictionKind::Rewritten);
        assert_eq!(refused.first_bad, 20);
    }

    #[test]
    fn an_intact_chain_whose_heads_were_deleted_contradicts_the_kept_head() {
        let kept = head(20, 1);
        let refused = extends(&kept, None, &seen(20, Some(1), false)).unwrap_err();
        assert_eq!(refused.kind, ContradictionKind::HeadDeleted);
    }

    #[test]
    fn a_head_deleted_while_the_next_was_signed_is_found_at_the_next_check() {
        // A superuser's DELETE of every head took its snapshot after the signature at 12
        // checked that 5 was held, and before the new head committed: 5 is gone, 12 is not.
        let replaced = head(5, 5);
        let kept = head(12, 1);
        let mut after_the_race = seen(12, Some(1), true);
        assert_eq!(extends(&kept, Some(&replaced), &after_the_race), Ok(()));
        after_the_race.replaced_in_log = false;
        let refused = extends(&kept, Some(&replaced), &after_the_race).unwrap_err();
        assert_eq!(refused.kind, ContradictionKind::HeadDeleted);
        assert_eq!(refused.first_bad, 5);
        assert_eq!(refused.kept_seq, 12);
    }

    #[test]
    fn the_keeper_remembers_the_head_the_kept_one_replaced() {
        let keeper = HeadKeeper::in_memory();
        let (first, second) = (head(5, 5), head(12, 1));
        keeper.keep(&first).unwrap();
        assert_eq!(keeper.replaced(), None);
        keeper.keep(&second).unwrap();
        assert_eq!(keeper.last(), Some(second.clone()));
        assert_eq!(keeper.replaced(), Some(first));
        assert_eq!(keeper.witnessed(), vec![second]);
    }

    #[test]
    fn a_contradiction_moves_to_the_first_hash_the_service_knows_otherwise() {
        let kept = head(12, 1);
        let found = extends(&kept, None, &seen(12, Some(2), true)).unwrap_err();
        let known: Vec<(i64, Vec<u8>)> = (8..=12).map(|seq| (seq, vec![seq as u8; 32])).collect();
        let mut logged: std::collections::HashMap<i64, Vec<u8>> = known.iter().cloned().collect();
        assert_eq!(refine(found.clone(), &known, &logged), found);
        logged.insert(10, vec![0; 32]);
        logged.remove(&11);
        let refined = refine(found.clone(), &known, &logged);
        assert_eq!(refined.first_bad, 10);
        assert_eq!(refined.kind, found.kind);
    }

    #[test]
    fn a_replica_remembers_a_bounded_number_of_sealed_hashes() {
        let keeper = HeadKeeper::in_memory();
        let seqs: Vec<i64> = (1..=(REMEMBERED as i64 + 5)).collect();
        let hashes: Vec<Vec<u8>> = seqs.iter().map(|_| vec![0; 32]).collect();
        keeper.remember(&seqs, &hashes);
        let known = keeper.known_upto(i64::MAX);
        assert_eq!(known.len(), REMEMBERED);
        assert_eq!(known[0].0, 6);
        // Sealed again after a cut: the first hash stays.
        keeper.remember(&[10], &[vec![1; 32]]);
        assert_eq!(keeper.known_upto(10).last().unwrap().1, vec![0; 32]);
    }

    #[test]
    fn the_kept_head_survives_in_its_file_and_a_witness_can_be_later() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("audit.head");
        let (signer, _) = HeadSigner::generate().unwrap();
        let keys = [signer.public_key()];
        let keeper = HeadKeeper::load(Some(file.clone()), &[], &keys).unwrap();
        assert_eq!(keeper.last(), None);
        let first = signer.sign(5, &[5; 32], Utc::now());
        keeper.keep(&first).unwrap();
        let again = HeadKeeper::load(Some(file.clone()), &[], &keys).unwrap();
        assert_eq!(again.last(), Some(first.clone()));
        // A witness that saw a later head wins; one signed by another key is ignored.
        let witness = dir.path().join("witness.jsonl");
        let later = signer.sign(9, &[9; 32], Utc::now());
        let (stranger, _) = HeadSigner::generate().unwrap();
        let foreign = stranger.sign(50, &[1; 32], Utc::now());
        std::fs::write(
            &witness,
            offline::head_line(&later) + &offline::head_line(&foreign),
        )
        .unwrap();
        let learned = HeadKeeper::load(Some(file), &[witness], &keys).unwrap();
        assert_eq!(learned.last(), Some(later));
        assert_eq!(learned.witnessed().len(), 2);
    }

    #[test]
    fn a_missing_witness_or_a_file_that_is_not_heads_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (signer, _) = HeadSigner::generate().unwrap();
        let keys = [signer.public_key()];
        let missing = dir.path().join("missing");
        assert!(HeadKeeper::load(None, std::slice::from_ref(&missing), &keys).is_err());
        let garbage = dir.path().join("garbage");
        std::fs::write(&garbage, "not json\n").unwrap();
        assert!(HeadKeeper::load(Some(garbage), &[], &keys).is_err());
    }
}
