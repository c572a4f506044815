//! Appeals of refusals.

use super::Tx;
use super::applications::within;
use crate::domain::appeal::AppealState;
use crate::domain::jurisdiction::Scope;
use crate::domain::signature::Assurance;
use chrono::NaiveDate;
use sqlx::{FromRow, PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct AppealRow {
    pub id: Uuid,
    pub application_id: Uuid,
    pub filed_by: String,
    pub filed_on: NaiveDate,
    pub grounds: String,
    pub refused_by: String,
    pub refused_on: NaiveDate,
    pub refusal_code: String,
    pub deadline: NaiveDate,
    pub state: AppealState,
    pub decided_by: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub reason: String,
    pub filing_assurance: Assurance,
}

/// The columns of [`AppealRow`], for the one statement whose filter is assembled at run time.
const COLUMNS: &str = "id, application_id, filed_by, filed_on, grounds, refused_by, refused_on,
    refusal_code, deadline, state, decided_by, decided_on, reason, filing_assurance";

/// A new appeal, with the refusal it is against.
pub struct NewAppeal<'a> {
    pub id: Uuid,
    pub application_id: Uuid,
    pub filed_by: &'a str,
    pub operator_id: &'a str,
    pub filed_on: NaiveDate,
    pub grounds: &'a str,
    pub refused_by: &'a str,
    pub refused_on: NaiveDate,
    pub refusal_code: &'a str,
    pub refusal_text: &'a str,
    pub deadline: NaiveDate,
    pub assurance: Assurance,
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.appeals.insert", db.system.name = "postgresql"))]
pub async fn insert(tx: &mut Tx<'_>, appeal: &NewAppeal<'_>) -> Result<AppealRow, sqlx::Error> {
    sqlx::query_as!(
        AppealRow,
        r#"INSERT INTO appeals (id, application_id, filed_by, operator_id, filed_on, grounds,
            refused_by, refused_on, refusal_code, refusal_text, deadline, state, filing_assurance)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12)
         RETURNING id, application_id, filed_by, filed_on, grounds, refused_by, refused_on,
            refusal_code, deadline, state AS "state: AppealState", decided_by, decided_on, reason,
            filing_assurance AS "filing_assurance: Assurance""#,
        appeal.id,
        appeal.application_id,
        appeal.filed_by,
        appeal.operator_id,
        appeal.filed_on,
        appeal.grounds,
        appeal.refused_by,
        appeal.refused_on,
        appeal.refusal_code,
        appeal.refusal_text,
        appeal.deadline,
        appeal.assurance.as_str(),
    )
    .fetch_one(&mut **tx)
    .await
}

/// Reads and locks an appeal for its decision.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.appeals.get_for_update", db.system.name = "postgresql"))]
pub async fn get_for_update(tx: &mut Tx<'_>, id: Uuid) -> Result<Option<AppealRow>, sqlx::Error> {
    sqlx::query_as!(
        AppealRow,
        r#"SELECT id, application_id, filed_by, filed_on, grounds, refused_by, refused_on,
            refusal_code, deadline, state AS "state: AppealState", decided_by, decided_on, reason,
            filing_assurance AS "filing_assurance: Assurance"
         FROM appeals WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.appeals.decide", db.system.name = "postgresql"))]
pub async fn decide(
    tx: &mut Tx<'_>,
    id: Uuid,
    state: AppealState,
    decided_by: &str,
    decided_on: NaiveDate,
    reason: &str,
) -> Result<AppealRow, sqlx::Error> {
    sqlx::query_as!(
        AppealRow,
        r#"UPDATE appeals SET state = $2, decided_by = $3, decided_on = $4, reason = $5
         WHERE id = $1
         RETURNING id, application_id, filed_by, filed_on, grounds, refused_by, refused_on,
            refusal_code, deadline, state AS "state: AppealState", decided_by, decided_on, reason,
            filing_assurance AS "filing_assurance: Assurance""#,
        id,
        state.as_str(),
        decided_by,
        decided_on,
        reason
    )
    .fetch_one(&mut **tx)
    .await
}

/// Pending appeals on applications within `scope`, oldest deadline first; with `overdue_on`,
/// only those past their deadline.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.appeals.pending", db.system.name = "postgresql"))]
pub async fn pending<'e>(
    executor: impl PgExecutor<'e>,
    scope: &Scope,
    overdue_on: Option<NaiveDate>,
    limit: i64,
) -> Result<Vec<AppealRow>, sqlx::Error> {
    // Dynamic: the scope's filter (`within`) is assembled at run time.
    let columns: Vec<String> = COLUMNS
        .split(',')
        .map(|c| format!("p.{}", c.trim()))
        .collect();
    let mut query: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {} FROM appeals p JOIN applications a ON a.id = p.application_id
         WHERE p.state = 'pending'",
        columns.join(", ")
    ));
    within(&mut query, scope);
    if let Some(today) = overdue_on {
        query.push(" AND p.deadline < ").push_bind(today);
    }
    query
        .push(" ORDER BY p.deadline, p.id LIMIT ")
        .push_bind(limit);
    query.build_query_as().fetch_all(executor).await
}
