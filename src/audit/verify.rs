//! Verifying the whole log on demand: the chain walked in order, then every signed head
//! checked against it.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub seq: i64,
    pub problem: String,
}

#[derive(Debug, Clone)]
pub struct Verification {
    pub verified: i64,
    pub pending: i64,
    pub head_hash: Vec<u8>,
    /// Signed heads checked against the chain.
    pub signed_heads: i64,
    /// The position of the furthest signed head (0: none).
    pub last_signed: i64,
    /// Sorted by position: the first is where the log first stops being what was written.
    pub problems: Vec<Problem>,
}

impl Verification {
    pub fn first_bad(&self) -> Option<i64> {
        self.problems.iter().map(|p| p.seq).min()
    }
}

/// Walks the whole chain in `seq` order and reports every inconsistency, then checks every
/// signed head against it with `keys` (the current public key, and older ones after a
/// rotation).
pub async fn verify(
    pool: &PgPool,
    keys: &[PublicKey],
    evidence: &Evidence,
) -> Result<Verification, sqlx::Error> {
    let head = sqlx::query!("SELECT seq, hash FROM audit_chain_head")
        .fetch_one(pool)
        .await?;
    let (head_seq, head_hash) = (head.seq, head.hash);
    let pending =
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM audit_events WHERE seq IS NULL"#)
            .fetch_one(pool)
            .await?;
    let mut problems = Vec::new();
    let mut expected_seq = 1_i64;
    let mut prev = vec![0u8; 32];
    let mut verified = 0_i64;
    loop {
        let page = sqlx::query_as!(
            EventRow,
            "SELECT id, recorded_at, client, role, operator_id, rpc, subject, request_id, outcome,
                    applicant, tag, seq, prev_hash, hash
             FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            expected_seq,
            head_seq,
            VERIFY_PAGE
        )
        .fetch_all(pool)
        .await?;
        let Some(last) = page.last().and_then(|e| e.seq) else {
            break;
        };
        for event in &page {
            let seq = event.seq.unwrap_or_default();
            if seq != expected_seq {
                problems.push(Problem {
                    seq: expected_seq,
                    problem: format!("events {expected_seq}..{} are missing", seq - 1),
                });
            }
            if event.prev_hash.as_deref() != Some(prev.as_slice()) {
                problems.push(Problem {
                    seq,
                    problem: "does not link to the previous event (an event before it was removed or altered)".into(),
                });
            }
            let recomputed = chain_hash(event.prev_hash.as_deref().unwrap_or_default(), seq, event);
            if event.hash.as_deref() != Some(recomputed.as_slice()) {
                problems.push(Problem {
                    seq,
                    problem: "content does not match its hash (the event was altered)".into(),
                });
            }
            prev = event.hash.clone().unwrap_or_default();
            expected_seq = seq + 1;
            verified += 1;
        }
        if last >= head_seq {
            break;
        }
    }
    if expected_seq <= head_seq {
        problems.push(Problem {
            seq: expected_seq,
            problem: format!(
                "events {expected_seq}..{head_seq} are missing at the end of the chain"
            ),
        });
    } else if head_seq > 0 && prev != head_hash {
        problems.push(Problem {
            seq: head_seq,
            problem: "the last event does not match the chain head".into(),
        });
    }
    let chain_end = expected_seq - 1;
    let heads = signed_heads(pool).await?;
    let witnessed = evidence.keeper.witnessed();
    let positions: Vec<i64> = heads.iter().chain(&witnessed).map(|h| h.seq).collect();
    let hashes = hashes_at(pool, &positions).await?;
    problems.extend(offline::check_heads(
        &heads,
        keys,
        |seq| hashes.get(&seq).map(Vec::as_slice),
        chain_end,
    ));
    problems.extend(offline::check_witnessed(
        &witnessed,
        &heads,
        |seq| hashes.get(&seq).map(Vec::as_slice),
        chain_end,
    ));
    if let Some(stopped) = evidence.keeper.stopped() {
        problems.push(Problem {
            seq: stopped.first_bad,
            problem: format!("head signing stopped: {stopped}"),
        });
    }
    for refused in refusals(pool).await? {
        let reason = tag::Refusal::parse(&refused.reason)
            .map(tag::Refusal::explain)
            .unwrap_or("was refused");
        let claimed = refused
            .recorded_at
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .unwrap_or_else(|| "an unknown time (the row is gone)".into());
        problems.push(Problem {
            seq: refused.after_seq + 1,
            problem: format!(
                "event id {} claiming to be recorded at {claimed} {reason}; it was kept out of the chain",
                refused.event_id
            ),
        });
    }
    problems.sort_by_key(|p| p.seq);
    Ok(Verification {
        verified,
        pending,
        head_hash,
        signed_heads: heads.len() as i64,
        last_signed: positions.iter().copied().max().unwrap_or(0),
        problems,
    })
}
