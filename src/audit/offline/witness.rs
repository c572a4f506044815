//! Witnesses: signed heads (and, from an export, event hashes) held outside the database, read
//! from any file of export lines, the service's head file, or a registry's record feed lines.

use super::{FormatError, Line, decode_hex};
use crate::audit::signing::SignedHead;
use chrono::DateTime;
use std::collections::HashMap;
use std::io::BufRead;

/// What a witness file holds: signed heads, and the event hashes if it is an export.
#[derive(Debug, Clone, Default)]
pub struct Witness {
    pub heads: Vec<SignedHead>,
    pub event_hashes: std::collections::BTreeMap<i64, Vec<u8>>,
}

/// Reads a witness: every `head` line, and the `hash` of every `event` line, of any version;
/// and every signed audit head among lines of the registries' record feed (a `RecordEvent` in
/// the proto3 JSON mapping, as grpcurl or the Connect protocol print it; other kinds skipped).
pub fn read_witness(input: impl BufRead) -> Result<Witness, FormatError> {
    let mut witness = Witness::default();
    let mut feed: Option<prost_reflect::MessageDescriptor> = None;
    for (index, text) in input.lines().enumerate() {
        let number = index + 1;
        let text = text.map_err(|e| FormatError {
            line: number,
            message: format!("cannot be read: {e}"),
        })?;
        if text.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| FormatError {
            line: number,
            message: format!("not JSON: {e}"),
        })?;
        // Export and head-file lines name their `type`; a record event never has one.
        if value.get("type").is_none() {
            let descriptor = match &feed {
                Some(descriptor) => descriptor,
                None => feed.insert(record_event_descriptor(number)?),
            };
            if let Some(head) = feed_head(descriptor, &text, number)? {
                witness.heads.push(head);
            }
            continue;
        }
        let line: Line = serde_json::from_value(value).map_err(|e| FormatError {
            line: number,
            message: format!("not a line of an audit export or head file: {e}"),
        })?;
        match line {
            Line::Header(_) => {}
            Line::Head(h) => witness.heads.push(h.decode(number)?),
            Line::Event(e) => {
                witness
                    .event_hashes
                    .insert(e.seq, decode_hex(&e.hash, number, "hash")?);
            }
        }
    }
    Ok(witness)
}

fn record_event_descriptor(line: usize) -> Result<prost_reflect::MessageDescriptor, FormatError> {
    crate::server::descriptor_pool()
        .ok()
        .and_then(|pool| pool.get_message_by_name("kandas.v1.RecordEvent"))
        .ok_or_else(|| FormatError {
            line,
            message: "this build cannot read record events".into(),
        })
}

/// The signed head a record feed line carries; `None` for an event of another kind. Both the
/// JSON names (`signedAt`) and the proto names (`signed_at`) are read, int64 as a string or a
/// number, bytes in base64; fields this build does not know are passed over, as a newer
/// service may add some.
fn feed_head(
    descriptor: &prost_reflect::MessageDescriptor,
    text: &str,
    line: usize,
) -> Result<Option<SignedHead>, FormatError> {
    use crate::pb::record_event::Facts;
    let bad = |message: String| FormatError { line, message };
    let options = prost_reflect::DeserializeOptions::new().deny_unknown_fields(false);
    let mut json = serde_json::Deserializer::from_str(text);
    let message = prost_reflect::DynamicMessage::deserialize_with_options(
        descriptor.clone(),
        &mut json,
        &options,
    )
    .map_err(|e| {
        bad(format!(
            "not a line of an audit export, head file or record feed: {e}"
        ))
    })?;
    let event: crate::pb::RecordEvent = message
        .transcode_to()
        .map_err(|e| bad(format!("not a record event: {e}")))?;
    let Some(Facts::AuditHeadSigned(head)) = event.facts else {
        return Ok(None);
    };
    let signed_at = head
        .signed_at
        .and_then(|t| {
            let nanos = u32::try_from(t.nanos).ok()?;
            DateTime::from_timestamp(t.seconds, nanos)
        })
        .ok_or_else(|| bad("`auditHeadSigned.signedAt` is missing or out of range".into()))?;
    Ok(Some(SignedHead {
        seq: head.seq,
        hash: head.hash,
        signed_at,
        key_id: head.key_id,
        signature: head.signature,
    }))
}

/// The first position where a witness's event hashes and the log's differ (an event there
/// the witness saw that the log lacks, or has otherwise): with an earlier export as witness,
/// the exact place a rewrite begins.
pub fn first_divergence(
    witness: &std::collections::BTreeMap<i64, Vec<u8>>,
    log: &HashMap<i64, Vec<u8>>,
) -> Option<i64> {
    witness
        .iter()
        .find(|&(seq, hash)| log.get(seq) != Some(hash))
        .map(|(seq, _)| *seq)
}
