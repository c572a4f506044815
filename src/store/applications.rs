//! Applications and their one decision.

use super::Tx;
use crate::domain::details::{Details, Outcome};
use crate::domain::documents::{ChecklistItem, Document};
use crate::domain::jurisdiction::{Placement, Scope};
use crate::domain::lifecycle::{State, Step};
use crate::domain::procedure::Procedure;
use crate::domain::regions::Region;
use crate::domain::signature::Assurance;
use chrono::{DateTime, NaiveDate, Utc};
// The statements built with format! join only constant fragments; values are always bound.
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use sqlx::{FromRow, PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct ApplicationRow {
    pub id: Uuid,
    pub procedure: Procedure,
    pub applicant_id: Uuid,
    pub state: State,
    pub submitted_by: String,
    pub operator_id: String,
    pub region: Option<Region>,
    pub submission_date: NaiveDate,
    pub deadline: Option<NaiveDate>,
    pub deadline_provisional: bool,
    pub details: Json<Details>,
    pub documents: Json<Vec<Document>>,
    pub checklist: Json<Vec<ChecklistItem>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub pending_step: Step,
    pub step_deadline: Option<NaiveDate>,
    pub forwarded_on: Option<NaiveDate>,
    pub notified_on: Option<NaiveDate>,
    pub submission_assurance: Assurance,
    pub withdrawal_assurance: Option<Assurance>,
    #[sqlx(flatten)]
    pub decision: DecisionColumns,
}

/// The decision, when there is one (LEFT JOIN: all `None` otherwise).
#[derive(Debug, Clone, FromRow)]
pub struct DecisionColumns {
    /// `Approved` or `Refused`.
    pub outcome: Option<State>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_date: Option<NaiveDate>,
    pub reason_code: Option<String>,
    pub reason_text: Option<String>,
    pub result: Option<Json<Outcome>>,
}

/// The columns of [`ApplicationRow`]. Shared, and so run-time text, by the three statements
/// that read whole applications: `query_as!` cannot fill the flattened [`DecisionColumns`],
/// and `list` adds the filters it is asked for.
const SELECT: &str =
    "SELECT a.id, a.procedure, a.applicant_id, a.state, a.submitted_by, a.operator_id, a.region,
    a.submission_date, a.deadline, a.deadline_provisional, a.details, a.documents, a.checklist,
    a.version, a.created_at, a.updated_at, a.pending_step, a.step_deadline, a.forwarded_on, a.notified_on,
    a.submission_assurance, a.withdrawal_assurance,
    d.outcome, d.decided_by, d.decided_at, d.decision_date, d.reason_code, d.reason_text, d.result
    FROM applications a LEFT JOIN decisions d ON d.application_id = a.id";

/// A new application as it will be stored.
pub struct NewApplication<'a> {
    pub id: Uuid,
    pub applicant_id: Uuid,
    pub submitted_by: &'a str,
    pub operator_id: &'a str,
    pub region: Option<Region>,
    pub submission_date: NaiveDate,
    pub deadline: Option<NaiveDate>,
    pub deadline_provisional: bool,
    /// The first step the application waits for, and when it is due.
    pub pending_step: Step,
    pub step_deadline: Option<NaiveDate>,
    pub details: &'a Details,
    pub documents: &'a [Document],
    pub checklist: &'a [ChecklistItem],
    pub assurance: Assurance,
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.insert", db.system.name = "postgresql"))]
pub async fn insert(
    tx: &mut Tx<'_>,
    app: &NewApplication<'_>,
) -> Result<ApplicationRow, sqlx::Error> {
    sqlx::query!(
        "INSERT INTO applications (id, procedure, applicant_id, state, submitted_by, operator_id,
            submission_date, deadline, deadline_provisional, details, documents, checklist, pending_step, step_deadline, region,
            submission_assurance)
         VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        app.id,
        app.details.procedure().as_str(),
        app.applicant_id,
        app.submitted_by,
        app.operator_id,
        app.submission_date,
        app.deadline,
        app.deadline_provisional,
        Json(app.details) as _,
        Json(app.documents) as _,
        Json(app.checklist) as _,
        app.pending_step.as_str(),
        app.step_deadline,
        app.region.map(|region| region.code()),
        app.assurance.as_str()
    )
    .execute(&mut **tx)
    .await?;
    get(&mut **tx, app.id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

impl ApplicationRow {
    /// Where the application lies, for the caller's scope.
    pub fn placement(&self) -> Placement<'_> {
        Placement {
            region: self.region,
            applicant: self.applicant_id,
            submitted_by: &self.submitted_by,
        }
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.get", db.system.name = "postgresql"))]
pub async fn get<'e>(
    executor: impl PgExecutor<'e>,
    id: Uuid,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!("{SELECT} WHERE a.id = $1")))
        .bind(id)
        .fetch_optional(executor)
        .await
}

/// Reads and locks an application for a state change.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.get_for_update", db.system.name = "postgresql"))]
pub async fn get_for_update(
    tx: &mut Tx<'_>,
    id: Uuid,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "{SELECT} WHERE a.id = $1 FOR UPDATE OF a"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// The open application of a procedure for a person, if any.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.open_for", db.system.name = "postgresql"))]
pub async fn open_for<'e>(
    executor: impl PgExecutor<'e>,
    applicant_id: Uuid,
    procedure: Procedure,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM applications WHERE applicant_id = $1 AND procedure = $2 AND state = 'submitted' LIMIT 1",
        applicant_id,
        procedure.as_str()
    )
    .fetch_optional(executor)
    .await
}

pub struct Decision<'a> {
    /// `Approved` or `Refused`.
    pub outcome: State,
    pub decided_by: &'a str,
    pub operator_id: &'a str,
    pub decision_date: NaiveDate,
    pub reason_code: &'a str,
    pub reason_text: &'a str,
    pub result: &'a Outcome,
    /// What the application waits for after the decision.
    pub next_step: Step,
    pub next_step_deadline: Option<NaiveDate>,
}

/// Records the decision and moves the application to its final state. The caller holds the
/// row lock and has checked that the application is still open.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.decide", db.system.name = "postgresql"))]
pub async fn decide(tx: &mut Tx<'_>, id: Uuid, decision: &Decision<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO decisions (application_id, outcome, decided_by, operator_id, decision_date, reason_code, reason_text, result)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        decision.outcome.as_str(),
        decision.decided_by,
        decision.operator_id,
        decision.decision_date,
        decision.reason_code,
        decision.reason_text,
        Json(decision.result) as _
    )
    .execute(&mut **tx)
    .await?;
    set_state(
        tx,
        id,
        decision.outcome,
        decision.next_step,
        decision.next_step_deadline,
    )
    .await
}

/// Moves an application to `state`, waiting for `step` (due on `step_deadline`).
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.set_state", db.system.name = "postgresql"))]
pub async fn set_state(
    tx: &mut Tx<'_>,
    id: Uuid,
    state: State,
    step: Step,
    step_deadline: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE applications SET state = $2, pending_step = $3, step_deadline = $4,
            version = version + 1, updated_at = now() WHERE id = $1",
        id,
        state.as_str(),
        step.as_str(),
        step_deadline
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Opens a refused application again, as an overturned appeal does: its refusal is removed
/// (the appeal keeps a copy), and it waits for a decision by a new deadline.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.reopen", db.system.name = "postgresql"))]
pub async fn reopen(
    tx: &mut Tx<'_>,
    id: Uuid,
    deadline: Option<NaiveDate>,
    deadline_provisional: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM decisions WHERE application_id = $1", id)
        .execute(&mut **tx)
        .await?;
    sqlx::query!(
        "UPDATE applications SET state = 'submitted', pending_step = 'decide', deadline = $2,
            step_deadline = $2, deadline_provisional = $3, version = version + 1, updated_at = now()
         WHERE id = $1",
        id,
        deadline,
        deadline_provisional
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.mark_forwarded", db.system.name = "postgresql"))]
pub async fn mark_forwarded(
    tx: &mut Tx<'_>,
    id: Uuid,
    on: NaiveDate,
    decision_deadline: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE applications SET forwarded_on = $2, pending_step = 'decide', step_deadline = $3, deadline = $3,
            version = version + 1, updated_at = now()
         WHERE id = $1",
        id,
        on,
        decision_deadline
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.mark_notified", db.system.name = "postgresql"))]
pub async fn mark_notified(tx: &mut Tx<'_>, id: Uuid, on: NaiveDate) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE applications SET notified_on = $2, pending_step = 'done', step_deadline = NULL,
            version = version + 1, updated_at = now()
         WHERE id = $1",
        id,
        on
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct ListFilter {
    /// Only applications within this scope.
    pub scope: Scope,
    /// Any of these procedures.
    pub procedures: Option<Vec<Procedure>>,
    pub state: Option<State>,
    pub applicant_id: Option<Uuid>,
    /// Undecided and with a deadline before this date.
    pub overdue_on: Option<NaiveDate>,
    /// Keyset pagination: only ids after this one.
    pub after: Option<Uuid>,
}

/// Narrows a query of `applications a` to the files of `scope`.
pub fn within(query: &mut QueryBuilder<Postgres>, scope: &Scope) {
    match scope {
        Scope::Everywhere => {}
        // Most offices serve one region. Named with `=`, the (region, id) index yields its
        // files already in id order, and a page stops after its rows; `= ANY` of one element
        // is planned as a filter over the primary key's order instead, reading the files of
        // every region until the page fills (ten times slower with twenty regions).
        Scope::Regions(regions) if regions.len() == 1 => {
            query.push(" AND a.region = ").push_bind(regions[0].code());
        }
        Scope::Regions(regions) => {
            let codes: Vec<&str> = regions.iter().map(Region::code).collect();
            query
                .push(" AND a.region = ANY(")
                .push_bind(codes)
                .push(")");
        }
        Scope::OwnWork { client, .. } => {
            query
                .push(" AND a.submitted_by = ")
                .push_bind(client.clone());
        }
        Scope::Applicant(id) => {
            query.push(" AND a.applicant_id = ").push_bind(*id);
        }
        Scope::Nothing => {
            query.push(" AND false");
        }
    }
}

/// One page in id order (ids are UUIDv7, so this is submission order), `limit` rows at most.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.list", db.system.name = "postgresql"))]
pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    let mut query: QueryBuilder<Postgres> = QueryBuilder::new(SELECT);
    query.push(" WHERE true");
    within(&mut query, &filter.scope);
    if let Some(procedures) = &filter.procedures {
        query
            .push(" AND a.procedure = ANY(")
            .push_bind(procedures.clone())
            .push(")");
    }
    if let Some(s) = &filter.state {
        query.push(" AND a.state = ").push_bind(*s);
    }
    if let Some(id) = filter.applicant_id {
        query.push(" AND a.applicant_id = ").push_bind(id);
    }
    if let Some(today) = filter.overdue_on {
        query
            .push(" AND a.pending_step <> 'done' AND a.step_deadline < ")
            .push_bind(today);
    }
    if let Some(after) = filter.after {
        query.push(" AND a.id > ").push_bind(after);
    }
    query.push(" ORDER BY a.id LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(executor).await
}

/// Records how the applicant confirmed the withdrawal.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.applications.set_withdrawal_assurance", db.system.name = "postgresql"))]
pub async fn set_withdrawal_assurance(
    tx: &mut Tx<'_>,
    id: Uuid,
    assurance: Assurance,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE applications SET withdrawal_assurance = $2 WHERE id = $1",
        id,
        assurance.as_str()
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
