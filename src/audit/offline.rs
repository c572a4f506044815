//! The exported audit log and its offline verification: no database, no server, only the
//! file and the public key(s).
//!
//! The file is JSON Lines, one object per line, each with a `type`:
//! 1. one `header`: `format` (`kandas-audit-log`), `version` (2), `exported_at`, and the
//!    number of `events` and `heads` that follow;
//! 2. one `head` per signed head, in the order they were signed (positions never decrease):
//!    `seq`, `hash` (hex), `signed_at` (RFC 3339, microseconds), `key_id`, `signature` (hex);
//! 3. one `event` per sealed event in position order, with every field the chain hash covers:
//!    `seq`, `id`, `recorded_at`, `client`, `role`, `operator_id`, `rpc`, `subject`,
//!    `request_id`, `outcome`, `applicant`, `tag` (hex; absent on events from before tags),
//!    and `prev_hash`, `hash` (hex).
//!
//! Version 2 added `tag`; version 1 files (no tags) still verify.
//!
//! A witness ([`read_witness`]) is any file of such lines: an earlier export, the service's head
//! file (one `head` line), or a registry's copy of the heads it received, either as `head`
//! lines or as the record events that carried them (`KIND_AUDIT_HEAD_SIGNED`, one `RecordEvent`
//! per line in the proto3 JSON mapping, as grpcurl or the Connect protocol print it). Its heads, and the
//! event hashes of an export, are what the log must still agree with ([`check_witnessed`]).
//!
//! Heads come first so a verifier reads the events once, in one pass, keeping only the hashes
//! at signed positions. The chain is recomputed with [`super::chain_hash`], the sealer's own.

use super::signing::{PublicKey, SignedHead};
use super::{EventRow, Problem, chain_hash};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::BufRead;

mod witness;
pub use witness::{Witness, first_divergence, read_witness};

pub const FORMAT: &str = "kandas-audit-log";
pub const VERSION: u32 = 2;
/// Versions this verifier reads.
const READS: [u32; 2] = [1, 2];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Header(Header),
    Head(HeadLine),
    Event(EventLine),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    pub events: u64,
    pub heads: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct HeadLine {
    seq: i64,
    hash: String,
    signed_at: DateTime<Utc>,
    key_id: String,
    signature: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EventLine {
    seq: i64,
    id: i64,
    recorded_at: DateTime<Utc>,
    client: String,
    role: String,
    operator_id: String,
    rpc: String,
    subject: String,
    request_id: String,
    outcome: String,
    applicant: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    prev_hash: String,
    hash: String,
}

fn to_line(line: &Line) -> String {
    let mut text = serde_json::to_string(line).unwrap_or_default();
    text.push('\n');
    text
}

/// The header line of an export of `events` events and `heads` heads.
pub fn header_line(exported_at: DateTime<Utc>, events: u64, heads: u64) -> String {
    to_line(&Line::Header(Header {
        format: FORMAT.into(),
        version: VERSION,
        exported_at,
        events,
        heads,
    }))
}

pub fn head_line(head: &SignedHead) -> String {
    to_line(&Line::Head(HeadLine {
        seq: head.seq,
        hash: hex::encode(&head.hash),
        signed_at: head.signed_at,
        key_id: head.key_id.clone(),
        signature: hex::encode(&head.signature),
    }))
}

/// The line of one sealed event (an unsealed one has no place in the chain yet).
pub fn event_line(event: &EventRow) -> Option<String> {
    Some(to_line(&Line::Event(EventLine {
        seq: event.seq?,
        id: event.id,
        recorded_at: event.recorded_at,
        client: event.client.clone(),
        role: event.role.clone(),
        operator_id: event.operator_id.clone(),
        rpc: event.rpc.clone(),
        subject: event.subject.clone(),
        request_id: event.request_id.clone(),
        outcome: event.outcome.clone(),
        applicant: event.applicant.clone(),
        tag: event.tag.as_ref().map(hex::encode),
        prev_hash: hex::encode(event.prev_hash.as_deref()?),
        hash: hex::encode(event.hash.as_deref()?),
    })))
}

/// A file that is not an export at all (as opposed to an export that does not verify).
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FormatError {
    pub line: usize,
    pub message: String,
}

/// What verifying an export found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub events: i64,
    pub heads: usize,
    /// The last position a head signed; events after it are chained but not yet signed.
    pub last_signed: i64,
    pub last_seq: i64,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// The earliest position where the log stops being what was signed.
    pub fn first_bad(&self) -> Option<i64> {
        self.problems.iter().map(|p| p.seq).min()
    }
}

fn problem(seq: i64, problem: impl Into<String>) -> Problem {
    Problem {
        seq,
        problem: problem.into(),
    }
}

/// Checks signed heads against a chain that ends at `chain_end`; `hash_at` gives the hash of
/// the event at a position, if there is one. Shared by the database's verification and the
/// offline one, so both judge heads alike.
pub fn check_heads<'h>(
    heads: &[SignedHead],
    keys: &[PublicKey],
    hash_at: impl Fn(i64) -> Option<&'h [u8]>,
    chain_end: i64,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut previous = 0_i64;
    let mut beyond_end_reported = false;
    for head in heads {
        let when = head
            .signed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        if head.seq < previous {
            problems.push(problem(
                head.seq,
                format!(
                    "the head signed at {when} is at {} but an earlier one was at {previous}: signed heads were reordered",
                    head.seq
                ),
            ));
        }
        previous = previous.max(head.seq);
        match keys.iter().find(|k| k.key_id() == head.key_id) {
            None => problems.push(problem(
                head.seq,
                format!(
                    "the head signed at {when} names key {}, and no public key given has that id",
                    head.key_id
                ),
            )),
            Some(key) if !key.verifies(head) => problems.push(problem(
                head.seq,
                format!("the signature of the head signed at {when} does not verify (the head was forged or altered)"),
            )),
            Some(_) => {}
        }
        if head.seq > chain_end {
            if !beyond_end_reported {
                problems.push(problem(
                    chain_end + 1,
                    format!(
                        "the log ends at {chain_end} but the head signed at {when} covers up to {}: events were removed from the end",
                        head.seq
                    ),
                ));
                beyond_end_reported = true;
            }
            continue;
        }
        match hash_at(head.seq) {
            Some(hash) if hash == head.hash.as_slice() => {}
            Some(_) => problems.push(problem(
                head.seq,
                format!("the chain here differs from the head signed at {when}: the log up to here was rewritten"),
            )),
            None => problems.push(problem(
                head.seq,
                format!("the event the head signed at {when} covers is missing"),
            )),
        }
    }
    problems
}

/// Checks the log against heads a witness holds: each must still be in the log's signed heads
/// (`logged`), within the chain, with the chain's hash at its position. A log cut together with
/// its heads, or rewritten and signed over, or stripped of its heads, is caught here.
pub fn check_witnessed<'h>(
    witnessed: &[SignedHead],
    logged: &[SignedHead],
    hash_at: impl Fn(i64) -> Option<&'h [u8]>,
    chain_end: i64,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut beyond_end_reported = false;
    // A witness may hold every head of years of signing: look each up, not through a list.
    let logged: std::collections::HashSet<(i64, &[u8], &[u8])> = logged
        .iter()
        .map(|l| (l.seq, l.hash.as_slice(), l.signature.as_slice()))
        .collect();
    for head in witnessed {
        let when = head
            .signed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        if head.seq > chain_end {
            if !beyond_end_reported {
                problems.push(problem(
                    chain_end + 1,
                    format!(
                        "the log ends at {chain_end} but a witness holds a head signed at {when} up to {}: events were removed from the end",
                        head.seq
                    ),
                ));
                beyond_end_reported = true;
            }
            continue;
        }
        if hash_at(head.seq) != Some(head.hash.as_slice()) {
            problems.push(problem(
                head.seq,
                format!("the chain here differs from the head signed at {when} that a witness holds: the log up to here was rewritten"),
            ));
        } else if !logged.contains(&(head.seq, head.hash.as_slice(), head.signature.as_slice())) {
            problems.push(problem(
                head.seq,
                format!("the head signed at {when} that a witness holds is missing from the log's signed heads: signed heads were deleted"),
            ));
        }
    }
    problems
}

/// The non-blank lines of an export or head file, each parsed with its 1-based number; `what`
/// names the file kind in the error for a line that is not one of its lines.
fn lines_of<'a>(
    input: impl BufRead + 'a,
    what: &'a str,
) -> impl Iterator<Item = Result<(usize, Line), FormatError>> + 'a {
    input.lines().enumerate().filter_map(move |(index, text)| {
        let number = index + 1;
        let text = match text {
            Ok(text) => text,
            Err(e) => {
                return Some(Err(FormatError {
                    line: number,
                    message: format!("cannot be read: {e}"),
                }));
            }
        };
        if text.trim().is_empty() {
            return None;
        }
        Some(
            serde_json::from_str(&text)
                .map(|line| (number, line))
                .map_err(|e| FormatError {
                    line: number,
                    message: format!("not a line of {what}: {e}"),
                }),
        )
    })
}

impl HeadLine {
    /// The signed head this line states, its hex decoded.
    fn decode(self, number: usize) -> Result<SignedHead, FormatError> {
        Ok(SignedHead {
            seq: self.seq,
            hash: decode_hex(&self.hash, number, "hash")?,
            signed_at: self.signed_at,
            key_id: self.key_id,
            signature: decode_hex(&self.signature, number, "signature")?,
        })
    }
}

fn decode_hex(text: &str, line: usize, what: &str) -> Result<Vec<u8>, FormatError> {
    hex::decode(text).map_err(|_| FormatError {
        line,
        message: format!("`{what}` is not hex"),
    })
}

/// Verifies an export read from `input` against `keys` (several after a rotation).
pub fn verify_export(input: impl BufRead, keys: &[PublicKey]) -> Result<Report, FormatError> {
    verify_export_with(input, keys, &[])
}

/// Verifies an export as [`verify_export`] does, and against `witnesses` too: the heads they
/// hold must be in the log and agree with its chain, and an earlier export's events must
/// still have their hashes. The first position where the log disagrees is reported.
pub fn verify_export_with(
    input: impl BufRead,
    keys: &[PublicKey],
    witnesses: &[Witness],
) -> Result<Report, FormatError> {
    let mut report = Report::default();
    // The log's hashes at the positions a witness speaks of, filled in as the events pass.
    let mut wanted: HashMap<i64, Vec<u8>> = witnesses
        .iter()
        .flat_map(|w| {
            w.heads
                .iter()
                .map(|h| h.seq)
                .chain(w.event_hashes.keys().copied())
        })
        .map(|seq| (seq, Vec::new()))
        .collect();
    let mut header: Option<Header> = None;
    let mut heads: Vec<SignedHead> = Vec::new();
    let mut head_positions: HashMap<i64, Vec<u8>> = HashMap::new();
    let mut prev = vec![0u8; 32];
    let mut expected = 1_i64;
    let mut seen_event = false;
    for parsed in lines_of(input, "an audit export") {
        let (number, line) = parsed?;
        match line {
            Line::Header(h) => {
                if header.is_some() || number != 1 {
                    return Err(FormatError {
                        line: number,
                        message: "the header must be the first line, and only once".into(),
                    });
                }
                if h.format != FORMAT || !READS.contains(&h.version) {
                    return Err(FormatError {
                        line: number,
                        message: format!(
                            "format {} version {} is not {FORMAT} version 1 or {VERSION}",
                            h.format, h.version
                        ),
                    });
                }
                header = Some(h);
            }
            _ if header.is_none() => {
                return Err(FormatError {
                    line: number,
                    message: "the file does not start with a header".into(),
                });
            }
            Line::Head(h) => {
                if seen_event {
                    return Err(FormatError {
                        line: number,
                        message: "signed heads must come before the events".into(),
                    });
                }
                let head = h.decode(number)?;
                head_positions.insert(head.seq, Vec::new());
                heads.push(head);
            }
            Line::Event(e) => {
                seen_event = true;
                let seq = e.seq;
                let stated_prev = decode_hex(&e.prev_hash, number, "prev_hash")?;
                let stated_hash = decode_hex(&e.hash, number, "hash")?;
                if seq > expected {
                    report.problems.push(problem(
                        expected,
                        format!("events {expected}..{} are missing", seq - 1),
                    ));
                } else if seq < expected {
                    report.problems.push(problem(
                        seq,
                        format!(
                            "event {seq} comes after event {}: events were reordered",
                            expected - 1
                        ),
                    ));
                }
                if stated_prev != prev {
                    report.problems.push(problem(
                        seq,
                        "does not link to the previous event (an event before it was removed, moved or altered)",
                    ));
                }
                let row = EventRow {
                    id: e.id,
                    recorded_at: e.recorded_at,
                    client: e.client,
                    role: e.role,
                    operator_id: e.operator_id,
                    rpc: e.rpc,
                    subject: e.subject,
                    request_id: e.request_id,
                    outcome: e.outcome,
                    applicant: e.applicant,
                    tag: e
                        .tag
                        .as_deref()
                        .map(|t| decode_hex(t, number, "tag"))
                        .transpose()?,
                    seq: Some(seq),
                    prev_hash: None,
                    hash: None,
                };
                if chain_hash(&stated_prev, seq, &row) != stated_hash {
                    report.problems.push(problem(
                        seq,
                        "content does not match its hash (the event was altered)",
                    ));
                }
                if let Some(slot) = head_positions.get_mut(&seq) {
                    *slot = stated_hash.clone();
                }
                if let Some(slot) = wanted.get_mut(&seq) {
                    *slot = stated_hash.clone();
                }
                prev = stated_hash;
                expected = expected.max(seq + 1);
                report.last_seq = report.last_seq.max(seq);
                report.events += 1;
            }
        }
    }
    let Some(header) = header else {
        return Err(FormatError {
            line: 1,
            message: "the file is empty".into(),
        });
    };
    if header.events != report.events as u64 || header.heads != heads.len() as u64 {
        report.problems.push(problem(
            report.last_seq + 1,
            format!(
                "the header announces {} events and {} heads, the file holds {} and {}: the file was cut or added to",
                header.events,
                header.heads,
                report.events,
                heads.len()
            ),
        ));
    }
    if report.events > 0 && heads.is_empty() {
        report.problems.push(problem(
            1,
            "no signed head: nothing shows this log is the one the service wrote",
        ));
    }
    report.problems.extend(check_heads(
        &heads,
        keys,
        |seq| {
            head_positions
                .get(&seq)
                .filter(|h| !h.is_empty())
                .map(Vec::as_slice)
        },
        report.last_seq,
    ));
    let log_hashes: HashMap<i64, Vec<u8>> =
        wanted.into_iter().filter(|(_, h)| !h.is_empty()).collect();
    for witness in witnesses {
        let (genuine, foreign): (Vec<SignedHead>, Vec<SignedHead>) =
            witness.heads.iter().cloned().partition(|head| {
                keys.iter()
                    .any(|key| key.key_id() == head.key_id && key.verifies(head))
            });
        for head in foreign {
            report.problems.push(problem(
                head.seq,
                "a witness holds a head that no public key given verifies: a forged witness, or a key is missing",
            ));
        }
        report.problems.extend(check_witnessed(
            &genuine,
            &heads,
            |seq| log_hashes.get(&seq).map(Vec::as_slice),
            report.last_seq,
        ));
        if let Some(seq) = first_divergence(&witness.event_hashes, &log_hashes) {
            let what = if seq > report.last_seq {
                "a witness export holds this event and the log does not: events were removed"
            } else {
                "the event here differs from the one a witness export holds: the log was rewritten from here"
            };
            report.problems.push(problem(seq, what));
        }
    }
    report.heads = heads.len();
    report.last_signed = heads.iter().map(|h| h.seq).max().unwrap_or(0);
    report.problems.sort_by_key(|p| p.seq);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::super::signing::HeadSigner;
    use super::*;

    fn event(id: i64) -> EventRow {
        EventRow {
            id,
            recorded_at: DateTime::from_timestamp_micros(1_780_000_000_000_000 + id).unwrap(),
            client: "urn:kandas:psc:almaty-01".into(),
            role: "psc".into(),
            operator_id: "op-1".into(),
            rpc: "/kandas.v1.PersonService/GetPerson".into(),
            subject: format!("persons/{id}"),
            request_id: String::new(),
            outcome: "OK".into(),
            applicant: String::new(),
            tag: None,
            seq: None,
            prev_hash: None,
            hash: None,
        }
    }

    /// A sealed chain of `n` events, as the sealer would link it.
    fn chain(n: i64) -> Vec<EventRow> {
        let mut prev = vec![0u8; 32];
        (1..=n)
            .map(|seq| {
                let mut e = event(seq + 100);
                let hash = chain_hash(&prev, seq, &e);
                e.seq = Some(seq);
                e.prev_hash = Some(std::mem::replace(&mut prev, hash.clone()));
                e.hash = Some(hash);
                e
            })
            .collect()
    }

    fn export(events: &[EventRow], heads: &[SignedHead]) -> String {
        let mut text = header_line(Utc::now(), events.len() as u64, heads.len() as u64);
        for head in heads {
            text.push_str(&head_line(head));
        }
        for e in events {
            text.push_str(&event_line(e).unwrap());
        }
        text
    }

    fn head_at(signer: &HeadSigner, events: &[EventRow], seq: i64) -> SignedHead {
        let hash = events[seq as usize - 1].hash.clone().unwrap();
        signer.sign(seq, &hash, Utc::now())
    }

    fn verify(text: &str, signer: &HeadSigner) -> Report {
        verify_export(text.as_bytes(), &[signer.public_key()]).unwrap()
    }

    #[test]
    fn an_untouched_export_verifies() {
        let (signer, _) = HeadSigner::generate().unwrap();
        let events = chain(5);
        let heads = [head_at(&signer, &events, 3), head_at(&signer, &events, 5)];
        let report = verify(&export(&events, &heads), &signer);
        assert!(report.intact(), "{:?}", report.problems);
        assert_eq!((report.events, report.heads, report.last_signed), (5, 2, 5));
    }

    #[test]
    fn an_edited_event_is_the_first_bad_position() {
        let (signer, _) = HeadSigner::generate().unwrap();
        let mut events = chain(5);
        let heads = [head_at(&signer, &events, 5)];
        events[2].outcome = "PermissionDenied".into();
        let report = verify(&export(&events, &heads), &signer);
        assert_eq!(report.first_bad(), Some(3), "{:?}", report.problems);
    }

    #[test]
    fn a_chain_recomputed_after_an_edit_is_caught_by_the_signed_head() {
        let (signer, _) = HeadSigner::generate().unwrap();
        let events = chain(5);
        let heads = [head_at(&signer, &events, 2), head_at(&signer, &events, 4)];
        let mut rewritten = events.clone();
        rewritten[2].outcome = "PermissionDenied".into();
        let mut prev = rewritten[1].hash.clone().unwrap();
        for e in &mut rewritten[2..] {
            let hash = chain_hash(&prev, e.seq.unwrap(), e);
            e.prev_hash = Some(std::mem::replace(&mut prev, hash.clone()));
            e.hash = Some(hash);
        }
        let report = verify(&export(&rewritten, &heads), &signer);
        assert_eq!(report.first_bad(), Some(4), "{:?}", report.problems);
        assert!(report.problems[0].problem.contains("rewritten"));
    }

    #[test]
    fn deleted_reordered_and_truncated_logs_name_the_first_bad_position() {
        let (signer, _) = HeadSigner::generate().unwrap();
        let events = chain(6);
        let heads = [head_at(&signer, &events, 6)];
        let mut deleted = events.clone();
        deleted.remove(2);
        assert_eq!(
            verify(&export(&deleted, &heads), &signer).first_bad(),
            Some(3)
        );
        let mut swapped = events.clone();
        swapped.swap(1, 2);
        assert_eq!(
            verify(&export(&swapped, &heads), &signer).first_bad(),
            Some(2)
        );
        let truncated = &events[..4];
        let report = verify(&export(truncated, &heads), &signer);
        assert_eq!(report.first_bad(), Some(5), "{:?}", report.problems);
        assert!(report.problems[0].problem.contains("removed from the end"));
    }

    #[test]
    fn a_head_from_another_key_or_a_forged_one_is_refused() {
        let (signer, _) = HeadSigner::generate().unwrap();
        let (other, _) = HeadSigner::generate().unwrap();
        let events = chain(3);
        let foreign = [head_at(&other, &events, 3)];
        let report = verify(&export(&events, &foreign), &signer);
        assert_eq!(report.first_bad(), Some(3));
        let mut forged = head_at(&signer, &events, 3);
        forged.signature[0] ^= 1;
        let report = verify(&export(&events, &[forged]), &signer);
        assert!(report.problems[0].problem.contains("does not verify"));
        let both = [head_at(&other, &events, 2), head_at(&signer, &events, 3)];
        let rotated = verify_export(
            export(&events, &both).as_bytes(),
            &[signer.public_key(), other.public_key()],
        )
        .unwrap();
        assert!(rotated.intact(), "{:?}", rotated.problems);
    }

    #[test]
    fn heads_going_backwards_are_reported() {
        let (signer, _) = HeadSigner::generate().unwrap();
        let events = chain(4);
        let heads = [head_at(&signer, &events, 4), head_at(&signer, &events, 2)];
        let report = verify(&export(&events, &heads), &signer);
        assert_eq!(report.first_bad(), Some(2));
        assert!(report.problems[0].problem.contains("reordered"));
    }

    #[test]
    fn a_file_that_is_not_an_export_is_a_format_error_not_a_panic() {
        let (signer, _) = HeadSigner::generate().unwrap();
        for bad in [
            "",
            "garbage",
            "{\"type\":\"event\"}",
            "{\"type\":\"header\",\"format\":\"x\",\"version\":1,\"exported_at\":\"2026-01-01T00:00:00Z\",\"events\":0,\"heads\":0}",
        ] {
            assert!(
                verify_export(bad.as_bytes(), &[signer.public_key()]).is_err(),
                "{bad}"
            );
        }
    }
}
