//! Entitlement lines and the payments recorded against them.

use super::Tx;
use crate::domain::support::{Line, SupportKind};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct LineRow {
    pub kind: SupportKind,
    pub mci_year: i32,
    pub mci_tenge: i64,
    pub mci: i64,
    pub tenge: i64,
    pub per_payment: Option<i64>,
    /// The monthly rate in MCI the commission set, as its decision recorded it.
    pub per_payment_mci: Option<i64>,
    pub max_payments: Option<i32>,
    pub paid_tenge: i64,
    pub payments: i32,
    /// The date of the inclusion decision that fixed the line.
    pub decision_date: NaiveDate,
}

impl LineRow {
    pub fn line(&self) -> Line {
        Line {
            kind: self.kind,
            mci: self.mci,
            tenge: self.tenge,
            per_payment: self.per_payment,
            per_payment_mci: self.per_payment_mci,
            max_payments: self.max_payments,
        }
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.support.insert_lines", db.system.name = "postgresql"))]
pub async fn insert_lines(
    tx: &mut Tx<'_>,
    application_id: Uuid,
    mci_year: i32,
    mci_tenge: i64,
    lines: &[Line],
) -> Result<(), sqlx::Error> {
    for line in lines {
        sqlx::query!(
            "INSERT INTO entitlement_lines (application_id, kind, mci_year, mci_tenge, mci, tenge, per_payment, max_payments)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            application_id,
            line.kind.as_str(),
            mci_year,
            mci_tenge,
            line.mci,
            line.tenge,
            line.per_payment,
            line.max_payments
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.support.lines", db.system.name = "postgresql"))]
pub async fn lines<'e>(
    executor: impl PgExecutor<'e>,
    application_id: Uuid,
) -> Result<Vec<LineRow>, sqlx::Error> {
    sqlx::query_as!(
        LineRow,
        r#"SELECT l.kind AS "kind: SupportKind", l.mci_year, l.mci_tenge, l.mci, l.tenge, l.per_payment,
                CASE WHEN l.kind = 'rent' THEN q.rent_mci::bigint END AS per_payment_mci,
                l.max_payments, l.paid_tenge, l.payments, d.decision_date
         FROM entitlement_lines l JOIN decisions d USING (application_id)
         JOIN quota_decisions q USING (application_id)
         WHERE l.application_id = $1
         ORDER BY CASE l.kind WHEN 'relocation' THEN 1 WHEN 'rent' THEN 2 ELSE 3 END"#,
        application_id
    )
    .fetch_all(executor)
    .await
}

/// Locks one line for a payment.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.support.line_for_update", db.system.name = "postgresql"))]
pub async fn line_for_update(
    tx: &mut Tx<'_>,
    application_id: Uuid,
    kind: SupportKind,
) -> Result<Option<LineRow>, sqlx::Error> {
    sqlx::query_as!(
        LineRow,
        r#"SELECT l.kind AS "kind: SupportKind", l.mci_year, l.mci_tenge, l.mci, l.tenge, l.per_payment,
                CASE WHEN l.kind = 'rent' THEN q.rent_mci::bigint END AS per_payment_mci,
                l.max_payments, l.paid_tenge, l.payments, d.decision_date
         FROM entitlement_lines l JOIN decisions d USING (application_id)
         JOIN quota_decisions q USING (application_id)
         WHERE l.application_id = $1 AND l.kind = $2 FOR UPDATE OF l"#,
        application_id,
        kind.as_str()
    )
    .fetch_optional(&mut **tx)
    .await
}

#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub id: Uuid,
    pub application_id: Uuid,
    pub kind: SupportKind,
    pub tenge: i64,
    pub period: String,
    pub created_at: DateTime<Utc>,
}

/// Records a payment and adds it to its line; the line's CHECKs refuse an overpayment.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.support.record_payment", db.system.name = "postgresql"))]
pub async fn record_payment(
    tx: &mut Tx<'_>,
    application_id: Uuid,
    kind: SupportKind,
    tenge: i64,
    period: &str,
    recorded_by: &str,
) -> Result<PaymentRow, sqlx::Error> {
    sqlx::query!(
        "UPDATE entitlement_lines SET paid_tenge = paid_tenge + $3, payments = payments + 1
         WHERE application_id = $1 AND kind = $2",
        application_id,
        kind.as_str(),
        tenge
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query_as!(
        PaymentRow,
        r#"INSERT INTO payments (id, application_id, kind, tenge, period, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, application_id, kind AS "kind: SupportKind", tenge, period, created_at"#,
        Uuid::now_v7(),
        application_id,
        kind.as_str(),
        tenge,
        period,
        recorded_by
    )
    .fetch_one(&mut **tx)
    .await
}

#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.support.payments", db.system.name = "postgresql"))]
pub async fn payments<'e>(
    executor: impl PgExecutor<'e>,
    application_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    sqlx::query_as!(
        PaymentRow,
        r#"SELECT id, application_id, kind AS "kind: SupportKind", tenge, period, created_at
         FROM payments
         WHERE application_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3"#,
        application_id,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}
