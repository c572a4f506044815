//! Figures the metrics endpoint reads from the database at each scrape, for the shipped alert
//! rules (packaging/prometheus/kandas-alerts.yml). Every replica reads the same rows, so every
//! replica shows the same figures, and nothing has to be kept in step between scrapes. Each
//! query is served by an index (tests/api/query_plans.rs): a scrape must not read a table.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

/// Open applications of one deciding office (region and procedure) past their pending step's
/// deadline. The region is `none` for an application a national organisation submitted
/// without naming one (only national organisations see those).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub region: String,
    pub procedure: String,
    pub count: i64,
}

/// Applications whose pending step was due before `today` and is not done, by region and
/// procedure (at most `limit` pairs): the offices' overdue lists, as `overdue_only` lists them.
///
/// Read through `applications_pending_step`, the partial index of open steps by deadline; the
/// rows counted are the overdue ones only, however many applications are decided.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.gauges.overdue", db.system.name = "postgresql"))]
pub async fn overdue<'e>(
    executor: impl PgExecutor<'e>,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Overdue>, sqlx::Error> {
    sqlx::query_as!(
        Overdue,
        r#"SELECT coalesce(region, 'none') AS "region!", procedure, count(*) AS "count!"
           FROM applications
           WHERE pending_step <> 'done' AND step_deadline < $1
           GROUP BY 1, procedure
           ORDER BY 1, procedure
           LIMIT $2"#,
        today,
        limit
    )
    .fetch_all(executor)
    .await
}

/// How far the audit chain is sealed and signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    /// The position of the chain's head (0 before the first event is sealed).
    pub chain_head: i64,
    /// The position of the last signed head (0 before the first signature).
    pub signed_head: i64,
    /// When the last head was signed, if one was.
    pub signed_at: Option<DateTime<Utc>>,
}

/// The chain's head and the last signed head, by any replica: the latest signed head is the
/// last row of `audit_signed_heads_seq`.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.gauges.signing", db.system.name = "postgresql"))]
pub async fn signing<'e>(executor: impl PgExecutor<'e>) -> Result<Signing, sqlx::Error> {
    sqlx::query_as!(
        Signing,
        r#"SELECT h.seq AS "chain_head!",
                  coalesce(s.seq, 0) AS "signed_head!",
                  s.signed_at AS "signed_at?"
           FROM audit_chain_head h
           LEFT JOIN LATERAL (
               SELECT seq, signed_at FROM audit_signed_heads ORDER BY seq DESC, id DESC LIMIT 1
           ) s ON true"#
    )
    .fetch_one(executor)
    .await
}
