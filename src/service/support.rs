//! Support's use cases: the entitlement an approved quota inclusion fixed, payments checked
//! against it, and the payments made (SPEC 6).

use crate::domain::call::Call;
use crate::domain::ids::ApplicationId;
use crate::domain::support::{self, PaymentProblem, SupportKind};
use crate::error::{ApiError, ApiResult, Reason, Violation, failed_precondition};
use crate::service::applications;
use crate::service::mutation::{self, Idempotency};
use crate::state::AppState;
use crate::store::support::{self as store, LineRow, PaymentRow};
use prost::Message;
use uuid::Uuid;

/// RecordPayment, parsed. `name` is the application as the caller named it, which the audit
/// event and any refusal repeat.
pub struct RecordPayment {
    pub key: Idempotency,
    pub application: ApplicationId,
    pub name: String,
    pub kind: SupportKind,
    pub tenge: i64,
    /// The month paid, `YYYY-MM`; only rent names one.
    pub period: Option<String>,
}

/// ListPayments, parsed.
pub struct PaymentsQuery {
    pub application: ApplicationId,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// An application's entitlement: the MCI it was fixed at and its lines.
pub struct Entitlement {
    pub mci_year: i32,
    pub mci_tenge: i64,
    pub lines: Vec<LineRow>,
}

impl Entitlement {
    /// The monthly rent the commission set, in MCI and in tenge.
    pub fn monthly_rent(&self) -> Option<(i64, i64)> {
        let rent = self.lines.iter().find(|l| l.kind == SupportKind::Rent)?;
        Some((rent.per_payment_mci?, rent.per_payment?))
    }
}

pub async fn entitlement(
    state: &AppState,
    call: &Call,
    application: ApplicationId,
) -> ApiResult<Entitlement> {
    applications::ensure_within(&state.pool, call, application).await?;
    let lines = store::lines(&state.pool, application.uuid()).await?;
    // Every line of one entitlement was fixed at the same MCI.
    let Some(&LineRow {
        mci_year,
        mci_tenge,
        ..
    }) = lines.first()
    else {
        return Err(ApiError::not_found(
            "entitlement (only an approved quota inclusion has one)",
        ));
    };
    Ok(Entitlement {
        mci_year,
        mci_tenge,
        lines,
    })
}

/// Records a payment against one line of the entitlement, never above it. `present` turns
/// the recorded payment into the answer, which a retry gets again.
pub async fn record_payment<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: RecordPayment,
    present: impl FnOnce(&PaymentRow) -> R,
) -> ApiResult<R> {
    let RecordPayment {
        key,
        application: id,
        name,
        kind,
        tenge,
        period,
    } = command;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    applications::ensure_within(&mut *tx, call, id).await?;
    let id = id.uuid();
    let row = store::line_for_update(&mut tx, id, kind)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("{} entitlement of this application", kind.as_str()))
        })?;
    let period = period.as_deref();
    support::check_payment(
        &row.line(),
        row.paid_tenge,
        row.payments,
        tenge,
        period,
        row.decision_date,
    )
    .map_err(|problem| refused(problem, &format!("{name}/{}", kind.as_str())))?;
    let payment = store::record_payment(
        &mut tx,
        id,
        kind,
        tenge,
        period.unwrap_or(""),
        &call.caller.client(),
    )
    .await?;
    let answer = present(&payment);
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

/// One more payment than the page holds, so the caller can tell whether another page follows.
pub async fn payments(
    state: &AppState,
    call: &Call,
    query: PaymentsQuery,
) -> ApiResult<Vec<PaymentRow>> {
    applications::ensure_within(&state.pool, call, query.application).await?;
    Ok(store::payments(
        &state.pool,
        query.application.uuid(),
        query.after,
        query.limit + 1,
    )
    .await?)
}

/// The rule a payment broke, as the caller is told it; `line` names the line it was for.
fn refused(problem: PaymentProblem, line: &str) -> ApiError {
    let (reason, what) = match problem {
        PaymentProblem::NotPositive => (
            Reason::PaymentNotPositive,
            "a payment is a positive amount".to_string(),
        ),
        PaymentProblem::AboveSinglePayment { cap } => (
            Reason::AboveMonthlyAmount,
            format!("a single payment of this line is at most {cap} tenge"),
        ),
        PaymentProblem::AboveLine { remaining } => (
            Reason::AboveEntitlement,
            format!("only {remaining} tenge of this line remain unpaid"),
        ),
        PaymentProblem::TooManyPayments { max } => (
            Reason::PaymentsExhausted,
            format!("this line allows at most {max} payments, all made"),
        ),
        PaymentProblem::PeriodRequired => (
            Reason::PeriodRequired,
            "a rent payment names the month paid (period YYYY-MM)".to_string(),
        ),
        PaymentProblem::PeriodNotAllowed => (
            Reason::PeriodNotAllowed,
            "only rent payments name a month".to_string(),
        ),
        PaymentProblem::PeriodOutsideRentMonths { first, last } => (
            Reason::PeriodOutsideRentMonths,
            format!(
                "rent is paid for the 12 months after the inclusion decision: {first} to {last}"
            ),
        ),
    };
    failed_precondition(
        reason,
        what.clone(),
        vec![Violation::new(reason.as_str(), line, what)],
    )
}
