//! Reading events back: pages of the sealed chain, hashes at chosen positions, and the
//! filtered listing of ListAuditEvents.

use super::EventRow;
use sqlx::{PgExecutor, PgPool};
use std::collections::HashMap;

/// The events sealed at positions `after + 1 ..= end`, in chain order, at most `limit`.
pub(crate) async fn sealed_after<'e>(
    executor: impl PgExecutor<'e>,
    after: i64,
    end: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as!(
        EventRow,
        "SELECT id, recorded_at, client, role, operator_id, rpc, subject, request_id, outcome,
                applicant, tag, seq, prev_hash, hash
         FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
        after,
        end,
        limit
    )
    .fetch_all(executor)
    .await
}

/// The chain hash at each of `positions` that holds a sealed event.
pub(crate) async fn hashes_at<'e>(
    executor: impl PgExecutor<'e>,
    positions: &[i64],
) -> Result<HashMap<i64, Vec<u8>>, sqlx::Error> {
    // `seq = ANY` matches sealed events only, and those have their hash.
    let rows = sqlx::query!(
        r#"SELECT seq AS "seq!", hash AS "hash!" FROM audit_events WHERE seq = ANY($1)"#,
        positions
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|row| (row.seq, row.hash)).collect())
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub subject: Option<String>,
    pub client: Option<String>,
    pub after_id: Option<i64>,
}

/// Events in id order matching `filter`, at most `limit`. A subject has its own statement so
/// that its index (subject, id) serves it. No `after_id` reads from the smallest id there can
/// be, not from where the identity starts: a row an administrator forced in below it is
/// listed too.
pub async fn list(
    pool: &PgPool,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let client = filter.client.as_deref();
    let after_id = filter.after_id.unwrap_or(i64::MIN);
    match &filter.subject {
        Some(subject) => {
            sqlx::query_as!(
                EventRow,
                "SELECT id, recorded_at, client, role, operator_id, rpc, subject, request_id,
                        outcome, applicant, tag, seq, prev_hash, hash
                 FROM audit_events
                 WHERE subject = $1 AND ($2::text IS NULL OR client = $2)
                   AND id > $3
                 ORDER BY id LIMIT $4",
                subject,
                client,
                after_id,
                limit
            )
            .fetch_all(pool)
            .await
        }
        None => {
            sqlx::query_as!(
                EventRow,
                "SELECT id, recorded_at, client, role, operator_id, rpc, subject, request_id,
                        outcome, applicant, tag, seq, prev_hash, hash
                 FROM audit_events
                 WHERE ($1::text IS NULL OR client = $1) AND id > $2
                 ORDER BY id LIMIT $3",
                client,
                after_id,
                limit
            )
            .fetch_all(pool)
            .await
        }
    }
}
