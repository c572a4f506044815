//! The applicant's notifications (SPEC 5.8), numbered in commit order like the record feed.

use super::Tx;
use crate::domain::notification::{Facts, NewNotification, Notification, Reader};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// Notified with the last sequence number whenever notifications commit.
pub const CHANNEL: &str = "kandas_notifications";

/// Appends the notifications of one act, in order. The head row stays locked until the
/// transaction ends, so numbers become visible in commit order with no gap; the wake-up is
/// delivered on commit.
///
/// Lock order: an act takes the quota feed's head first, then this one, then the record feed's
/// (`record_events::append`), so two acts never wait on each other's heads.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.notifications.append", db.system.name = "postgresql"))]
pub async fn append(tx: &mut Tx<'_>, notifications: &[NewNotification]) -> Result<(), sqlx::Error> {
    if notifications.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(notifications.len()).unwrap_or(i64::MAX);
    let last = sqlx::query_scalar!(
        "UPDATE notification_feed_head SET seq = seq + $1 RETURNING seq",
        count
    )
    .fetch_one(&mut **tx)
    .await?;
    let first = last - count + 1;
    let seqs: Vec<i64> = (first..=last).collect();
    let persons: Vec<Uuid> = notifications.iter().map(|n| n.person_id).collect();
    let applications: Vec<Option<Uuid>> = notifications.iter().map(|n| n.application_id).collect();
    let offices: Vec<Option<&str>> = notifications
        .iter()
        .map(|n| n.submitted_by.as_deref())
        .collect();
    let kinds: Vec<&str> = notifications
        .iter()
        .map(|n| n.facts.kind().as_str())
        .collect();
    let facts: Vec<serde_json::Value> = notifications
        .iter()
        .map(|n| serde_json::to_value(&n.facts))
        .collect::<Result<_, _>>()
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query!(
        "INSERT INTO notifications (seq, person_id, application_id, submitted_by, kind, facts)
         SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                              $6::jsonb[])",
        &seqs,
        &persons,
        &applications as &[Option<Uuid>],
        &offices as &[Option<&str>],
        &kinds as &[&str],
        &facts,
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!("SELECT pg_notify($1, $2)", CHANNEL, last.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whose notifications a read returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience<'a> {
    /// The applicant's own (the portal's authenticated applicant).
    Applicant(Uuid),
    /// Those of the applications this client URI submitted (the submitting office).
    Office(&'a str),
}

impl<'a> From<&'a Reader> for Audience<'a> {
    fn from(reader: &'a Reader) -> Self {
        match reader {
            Reader::Applicant(person) => Audience::Applicant(*person),
            Reader::Office(client) => Audience::Office(client),
        }
    }
}

struct Row {
    seq: i64,
    occurred_at: DateTime<Utc>,
    person_id: Uuid,
    application_id: Option<Uuid>,
    submitted_by: Option<String>,
    facts: Json<Facts>,
}

impl From<Row> for Notification {
    fn from(row: Row) -> Self {
        Notification {
            seq: row.seq,
            occurred_at: row.occurred_at,
            person_id: row.person_id,
            application_id: row.application_id,
            submitted_by: row.submitted_by,
            facts: row.facts.0,
        }
    }
}

/// One read of an audience's notifications.
pub struct Page {
    /// The audience's notifications after the position asked, in order.
    pub notifications: Vec<Notification>,
    /// The position this read covered: past every notification returned and every other one
    /// before the next; a reader resumes from here without missing or repeating one.
    pub covered: i64,
}

/// The audience's notifications after `after`, at most `limit`. One snapshot reads the head and
/// the rows, so `covered` never passes a notification the page could not see.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.notifications.page", db.system.name = "postgresql"))]
pub async fn page(
    pool: &PgPool,
    audience: &Audience<'_>,
    after: i64,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let head = head(&mut *tx).await?;
    // One statement per audience, so each is served by its own index.
    let rows = match audience {
        Audience::Applicant(person) => {
            sqlx::query_as!(
                Row,
                r#"SELECT seq, occurred_at, person_id, application_id, submitted_by,
                        facts AS "facts: Json<Facts>"
                 FROM notifications
                 WHERE person_id = $1 AND seq > $2 AND seq <= $3
                 ORDER BY seq LIMIT $4"#,
                person,
                after,
                head,
                limit
            )
            .fetch_all(&mut *tx)
            .await?
        }
        Audience::Office(client) => {
            sqlx::query_as!(
                Row,
                r#"SELECT seq, occurred_at, person_id, application_id, submitted_by,
                        facts AS "facts: Json<Facts>"
                 FROM notifications
                 WHERE submitted_by = $1 AND seq > $2 AND seq <= $3
                 ORDER BY seq LIMIT $4"#,
                client,
                after,
                head,
                limit
            )
            .fetch_all(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    let full = i64::try_from(rows.len()).is_ok_and(|n| n >= limit);
    let covered = match rows.last() {
        Some(last) if full => last.seq,
        _ => head.max(after),
    };
    Ok(Page {
        notifications: rows.into_iter().map(Notification::from).collect(),
        covered,
    })
}

/// The last position of the feed.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.notifications.head", db.system.name = "postgresql"))]
pub async fn head<'e>(executor: impl PgExecutor<'e>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!("SELECT seq FROM notification_feed_head")
        .fetch_one(executor)
        .await
}
