//! `SupportService`: what an included family is entitled to, and payments that never exceed it.

use super::convert::timestamp;
use super::{
    Fields, caller, commit_mutation, decode_page_token, name_of, next_page, page_size, parse_name,
    parse_request_id, replay_or_claim, respond,
};
use crate::domain::caller::Caller;
use crate::domain::support::{self, PaymentProblem, SupportKind};
use crate::error::{ApiError, ApiResult, FieldError, Violation, failed_precondition};
use crate::pb::{self, support_service_server::SupportService};
use crate::state::AppState;
use crate::store::support::{self as store, LineRow, PaymentRow};
use tonic::{Request, Response, Status};
use uuid::Uuid;

const RECORD: &str = crate::pb::rpc::support_service::RECORD_PAYMENT;

pub struct SupportApi {
    state: AppState,
}

fn kind_to_proto(kind: SupportKind) -> pb::SupportKind {
    match kind {
        SupportKind::Relocation => pb::SupportKind::Relocation,
        SupportKind::Rent => pb::SupportKind::Rent,
        SupportKind::MobilityCertificate => pb::SupportKind::MobilityCertificate,
    }
}

fn kind_from_proto(value: i32) -> Option<SupportKind> {
    match pb::SupportKind::try_from(value).ok()? {
        pb::SupportKind::Relocation => Some(SupportKind::Relocation),
        pb::SupportKind::Rent => Some(SupportKind::Rent),
        pb::SupportKind::MobilityCertificate => Some(SupportKind::MobilityCertificate),
        pb::SupportKind::Unspecified => None,
    }
}

fn line_to_proto(row: &LineRow) -> pb::EntitlementLine {
    pb::EntitlementLine {
        kind: kind_to_proto(row.kind) as i32,
        mci: row.mci,
        tenge: row.tenge,
        paid_tenge: row.paid_tenge,
        max_payments: row.max_payments.unwrap_or(0),
        payments: row.payments,
        per_payment_tenge: row.per_payment.unwrap_or(0),
    }
}

fn payment_to_proto(row: &PaymentRow) -> pb::Payment {
    pb::Payment {
        name: name_of("payments", row.id),
        application: name_of("applications", row.application_id),
        kind: kind_to_proto(row.kind) as i32,
        tenge: row.tenge,
        period: row.period.clone(),
        create_time: Some(timestamp(row.created_at)),
    }
}

impl SupportApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn entitlement(&self, req: &pb::GetEntitlementRequest) -> ApiResult<pb::Entitlement> {
        let id = parse_name("application", &req.application, "applications")
            .map_err(|e| ApiError::InvalidArgument(vec![e]))?;
        let lines = store::lines(&self.state.pool, id).await?;
        let first = lines.first().ok_or_else(|| {
            ApiError::not_found("entitlement (only an approved quota inclusion has one)")
        })?;
        Ok(pb::Entitlement {
            application: req.application.clone(),
            mci_year: first.mci_year,
            mci_tenge: first.mci_tenge,
            lines: lines.iter().map(line_to_proto).collect(),
        })
    }

    async fn record(
        &self,
        caller: &Caller,
        req: &pb::RecordPaymentRequest,
    ) -> ApiResult<pb::Payment> {
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        let id = fields.check(parse_name("application", &req.application, "applications"));
        let kind = kind_from_proto(req.kind);
        if kind.is_none() {
            fields.push(FieldError::new(
                "kind",
                "required: RELOCATION, RENT or MOBILITY_CERTIFICATE",
            ));
        }
        if req.tenge <= 0 {
            fields.push(FieldError::new(
                "tenge",
                "required: a positive whole number of tenge",
            ));
        }
        let period = (!req.period.is_empty()).then_some(req.period.as_str());
        if let Some(p) = period
            && !support::is_period(p)
        {
            fields.push(FieldError::new("period", "the month paid, as YYYY-MM"));
        }
        fields.finish()?;
        let (Some(request_id), Some(id), Some(kind)) = (request_id, id, kind) else {
            return Err(super::lost_field());
        };
        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(
            &mut tx,
            &crate::domain::caller::Call::new(RECORD, caller.clone()),
            request_id,
            req,
        )
        .await?
        {
            return Ok(first);
        }
        let row = store::line_for_update(&mut tx, id, kind)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(format!("{} entitlement of this application", kind.as_str()))
            })?;
        let line = row.line();
        if let Err(problem) =
            support::check_payment(&line, row.paid_tenge, row.payments, req.tenge, period)
        {
            let (reason, what) = match problem {
                PaymentProblem::NotPositive => (
                    "PAYMENT_NOT_POSITIVE",
                    "a payment is a positive amount".to_string(),
                ),
                PaymentProblem::AboveSinglePayment { cap } => (
                    "ABOVE_MONTHLY_AMOUNT",
                    format!("a single payment of this line is at most {cap} tenge"),
                ),
                PaymentProblem::AboveLine { remaining } => (
                    "ABOVE_ENTITLEMENT",
                    format!("only {remaining} tenge of this line remain unpaid"),
                ),
                PaymentProblem::TooManyPayments { max } => (
                    "PAYMENTS_EXHAUSTED",
                    format!("this line allows at most {max} payments, all made"),
                ),
                PaymentProblem::PeriodRequired => (
                    "PERIOD_REQUIRED",
                    "a rent payment names the month paid (period YYYY-MM)".to_string(),
                ),
                PaymentProblem::PeriodNotAllowed => (
                    "PERIOD_NOT_ALLOWED",
                    "only rent payments name a month".to_string(),
                ),
            };
            return Err(failed_precondition(
                reason,
                what.clone(),
                vec![Violation::new(
                    reason,
                    format!("{}/{}", req.application, kind.as_str()),
                    what,
                )],
            ));
        }
        let payment = store::record_payment(
            &mut tx,
            id,
            kind,
            req.tenge,
            period.unwrap_or(""),
            &caller.client(),
        )
        .await?;
        let response = payment_to_proto(&payment);
        commit_mutation(
            tx,
            &crate::domain::caller::Call::new(RECORD, caller.clone()),
            request_id,
            &req.application,
            &response,
        )
        .await?;
        Ok(response)
    }

    async fn list(&self, req: &pb::ListPaymentsRequest) -> ApiResult<pb::ListPaymentsResponse> {
        let mut fields = Fields::new();
        let id = fields.check(parse_name("application", &req.application, "applications"));
        let limit = fields.check(page_size(req.page_size)).unwrap_or(0);
        let after = fields
            .check(decode_page_token(&req.page_token))
            .flatten()
            .and_then(|k| Uuid::parse_str(&k).ok());
        fields.finish()?;
        let Some(id) = id else {
            return Err(super::lost_field());
        };
        let mut rows = store::payments(&self.state.pool, id, after, limit + 1).await?;
        let next_page_token = next_page(&mut rows, limit, |r| r.id.to_string());
        Ok(pb::ListPaymentsResponse {
            payments: rows.iter().map(payment_to_proto).collect(),
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl SupportService for SupportApi {
    async fn get_entitlement(
        &self,
        request: Request<pb::GetEntitlementRequest>,
    ) -> Result<Response<pb::Entitlement>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.entitlement(&req).await;
        let subject: String = req.application.chars().take(64).collect();
        respond(
            &self.state,
            &crate::domain::caller::Call::new(
                crate::pb::rpc::support_service::GET_ENTITLEMENT,
                caller.clone(),
            )
            .about(&subject)
            .with_request_id(""),
            true,
            result,
        )
        .await
    }

    async fn record_payment(
        &self,
        request: Request<pb::RecordPaymentRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.record(&caller, &req).await;
        let subject: String = req.application.chars().take(64).collect();
        respond(
            &self.state,
            &crate::domain::caller::Call::new(RECORD, caller.clone())
                .about(&subject)
                .with_request_id(&req.request_id),
            false,
            result,
        )
        .await
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.list(&req).await;
        let subject: String = req.application.chars().take(64).collect();
        respond(
            &self.state,
            &crate::domain::caller::Call::new(
                crate::pb::rpc::support_service::LIST_PAYMENTS,
                caller.clone(),
            )
            .about(&subject)
            .with_request_id(""),
            true,
            result,
        )
        .await
    }
}
