//! The record event feed and the registries' subscriptions to it.

use super::Tx;
use crate::domain::record_event::{EventKind, Facts, NewEvent, RecordEvent, Subject};
use crate::domain::regions::Region;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// Notified with the last sequence number whenever events commit.
pub const FEED_CHANNEL: &str = "kandas_record_events";

/// Appends the events of one act, in order. The head row stays locked until the transaction
/// ends, so sequence numbers become visible in commit order with no gap; the notification is
/// delivered on commit. Appending last in a transaction keeps the lock short.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.record_events.append", db.system.name = "postgresql"))]
pub async fn append(tx: &mut Tx<'_>, events: &[NewEvent]) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let last = sqlx::query_scalar!(
        "UPDATE record_feed_head SET seq = seq + $1 RETURNING seq",
        count
    )
    .fetch_one(&mut **tx)
    .await?;
    let first = last - count + 1;
    let seqs: Vec<i64> = (first..=last).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.facts.kind().as_str()).collect();
    let resources: Vec<&str> = events.iter().map(|e| e.resource.as_str()).collect();
    let persons: Vec<Option<Uuid>> = events.iter().map(|e| e.subject.person_id()).collect();
    let regions: Vec<Option<&str>> = events
        .iter()
        .map(|e| e.subject.region().map(|r| r.code()))
        .collect();
    let facts: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::to_value(&e.facts))
        .collect::<Result<_, _>>()
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query!(
        "INSERT INTO record_events (seq, kind, resource, person_id, region, facts)
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::uuid[], $5::text[],
                              $6::jsonb[])",
        &seqs,
        &kinds as &[&str],
        &resources as &[&str],
        &persons as &[Option<Uuid>],
        &regions as &[Option<&str>],
        &facts,
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!("SELECT pg_notify($1, $2)", FEED_CHANNEL, last.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

struct EventRow {
    seq: i64,
    occurred_at: DateTime<Utc>,
    resource: String,
    person_id: Option<Uuid>,
    region: Option<Region>,
    facts: Json<Facts>,
}

impl TryFrom<EventRow> for RecordEvent {
    type Error = sqlx::Error;

    /// The table's check gives every kind but a signed audit head its person; a row without
    /// one is refused rather than shown as about nobody.
    fn try_from(row: EventRow) -> Result<Self, Self::Error> {
        let subject = match (row.facts.0.kind().is_personal(), row.person_id) {
            (true, Some(id)) => Subject::Person {
                id,
                region: row.region,
            },
            (false, _) => Subject::AuditLog,
            (true, None) => {
                return Err(sqlx::Error::Decode(
                    format!("record event {} has no person", row.seq).into(),
                ));
            }
        };
        Ok(RecordEvent {
            seq: row.seq,
            occurred_at: row.occurred_at,
            resource: row.resource,
            subject,
            facts: row.facts.0,
        })
    }
}

/// One read of the feed for a subscriber.
pub struct Page {
    /// The subscriber's events after the position asked, in order.
    pub events: Vec<RecordEvent>,
    /// The position this read covered: past every event returned and every event of other
    /// kinds before the next one; a reader resumes from here without missing or repeating one.
    pub covered: i64,
}

/// The events after `after` of `kinds` (in `regions`, or everywhere when `None`; a signed audit
/// head, in no region, reaches every subscriber to its kind), at most `limit`. One snapshot
/// reads the head and the events, so `covered` never passes an event the page could not see.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.record_events.page", db.system.name = "postgresql"))]
pub async fn page(
    pool: &PgPool,
    after: i64,
    kinds: &[EventKind],
    regions: Option<&[Region]>,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let head = sqlx::query_scalar!("SELECT seq FROM record_feed_head")
        .fetch_one(&mut *tx)
        .await?;
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let codes: Option<Vec<&str>> = regions.map(|r| r.iter().map(Region::code).collect());
    let rows = sqlx::query_as!(
        EventRow,
        r#"SELECT seq, occurred_at, resource, person_id, region AS "region: Region",
                facts AS "facts: Json<Facts>"
         FROM record_events
         WHERE seq > $1 AND seq <= $2 AND kind = ANY($3)
           AND ($4::text[] IS NULL OR region = ANY($4) OR kind = 'audit_head_signed')
         ORDER BY seq LIMIT $5"#,
        after,
        head,
        &kinds as &[&str],
        codes.as_deref() as Option<&[&str]>,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let full = i64::try_from(rows.len()).is_ok_and(|n| n >= limit);
    let covered = match rows.last() {
        Some(last) if full => last.seq,
        _ => head.max(after),
    };
    Ok(Page {
        events: rows
            .into_iter()
            .map(RecordEvent::try_from)
            .collect::<Result<_, _>>()?,
        covered,
    })
}

/// The last position of the feed.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.record_events.head", db.system.name = "postgresql"))]
pub async fn head<'e>(executor: impl PgExecutor<'e>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!("SELECT seq FROM record_feed_head")
        .fetch_one(executor)
        .await
}

/// A registry's subscription as stored.
#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub organisation_id: String,
    pub kinds: Vec<String>,
    pub acknowledged: i64,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl SubscriptionRow {
    /// The kinds as parsed; a name this build does not know is skipped.
    pub fn kinds(&self) -> Vec<EventKind> {
        self.kinds
            .iter()
            .filter_map(|k| EventKind::parse(k))
            .collect()
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.record_events.subscription", db.system.name = "postgresql"))]
pub async fn subscription<'e>(
    executor: impl PgExecutor<'e>,
    organisation: &str,
) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as!(
        SubscriptionRow,
        "SELECT organisation_id, kinds, acknowledged, acknowledged_at FROM record_subscriptions
         WHERE organisation_id = $1",
        organisation
    )
    .fetch_optional(executor)
    .await
}

/// Sets the kinds an organisation receives, keeping its acknowledged position.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.record_events.set_subscription", db.system.name = "postgresql"))]
pub async fn set_subscription(
    tx: &mut Tx<'_>,
    organisation: &str,
    kinds: &[EventKind],
) -> Result<SubscriptionRow, sqlx::Error> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    sqlx::query_as!(
        SubscriptionRow,
        "INSERT INTO record_subscriptions (organisation_id, kinds) VALUES ($1, $2)
         ON CONFLICT (organisation_id) DO UPDATE SET kinds = EXCLUDED.kinds, updated_at = now()
         RETURNING organisation_id, kinds, acknowledged, acknowledged_at",
        organisation,
        &kinds as &[&str]
    )
    .fetch_one(&mut **tx)
    .await
}

/// Moves an organisation's acknowledged position forward to `seq`; never back.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.record_events.acknowledge", db.system.name = "postgresql"))]
pub async fn acknowledge<'e>(
    executor: impl PgExecutor<'e>,
    organisation: &str,
    seq: i64,
) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as!(
        SubscriptionRow,
        "UPDATE record_subscriptions
         SET acknowledged = GREATEST(acknowledged, $2),
             acknowledged_at = CASE WHEN $2 > acknowledged THEN now() ELSE acknowledged_at END
         WHERE organisation_id = $1
         RETURNING organisation_id, kinds, acknowledged, acknowledged_at",
        organisation,
        seq
    )
    .fetch_optional(executor)
    .await
}

/// Subscriptions in organisation id order, after `after`, at most `limit`.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.record_events.subscriptions", db.system.name = "postgresql"))]
pub async fn subscriptions<'e>(
    executor: impl PgExecutor<'e>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as!(
        SubscriptionRow,
        "SELECT organisation_id, kinds, acknowledged, acknowledged_at FROM record_subscriptions
         WHERE $1::text IS NULL OR organisation_id > $1
         ORDER BY organisation_id LIMIT $2",
        after,
        limit
    )
    .fetch_all(executor)
    .await
}

/// The head and how far behind it each subscriber has acknowledged, in organisation id order,
/// at most `limit` subscribers: one statement, so every lag is measured from the same head.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.record_events.lags", db.system.name = "postgresql"))]
pub async fn lags<'e>(
    executor: impl PgExecutor<'e>,
    limit: i64,
) -> Result<(i64, Vec<(String, i64)>), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT h.seq AS "seq!", s.organisation_id AS "organisation_id?",
                h.seq - s.acknowledged AS "lag?"
         FROM record_feed_head h
         LEFT JOIN (SELECT organisation_id, acknowledged FROM record_subscriptions
                    ORDER BY organisation_id LIMIT $1) s ON true
         ORDER BY s.organisation_id"#,
        limit
    )
    .fetch_all(executor)
    .await?;
    let head = rows.first().map_or(0, |row| row.seq);
    let lags = rows
        .into_iter()
        .filter_map(|row| row.organisation_id.zip(row.lag))
        .collect();
    Ok((head, lags))
}
