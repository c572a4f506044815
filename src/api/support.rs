//! `SupportService`: what an included family is entitled to, and payments that never exceed
//! it. Each method parses its request into a command and runs the use case in
//! `service::support`.

mod commands;

use super::convert::timestamp;
use super::{Rpc, handle, next_page};
use crate::domain::ids::{ApplicationId, PaymentId};
use crate::domain::support::SupportKind;
use crate::pb::rpc::support_service as rpc;
use crate::pb::{self, support_service_server::SupportService};
use crate::service::support as use_case;
use crate::state::AppState;
use crate::store::support::{LineRow, PaymentRow};
use commands::{entitlement_of, payments_query, record_command};
use tonic::{Request, Response, Status};

const GET: Rpc = Rpc::read(rpc::GET_ENTITLEMENT);
const RECORD: Rpc = Rpc::change(rpc::RECORD_PAYMENT);
const LIST: Rpc = Rpc::read(rpc::LIST_PAYMENTS);

pub struct SupportApi {
    state: AppState,
}

impl SupportApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn kind_to_proto(kind: SupportKind) -> pb::SupportKind {
    match kind {
        SupportKind::Relocation => pb::SupportKind::Relocation,
        SupportKind::Rent => pb::SupportKind::Rent,
        SupportKind::MobilityCertificate => pb::SupportKind::MobilityCertificate,
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
        per_payment_mci: row.per_payment_mci.unwrap_or(0),
    }
}

fn payment_to_proto(row: &PaymentRow) -> pb::Payment {
    pb::Payment {
        name: PaymentId::from(row.id).to_string(),
        application: ApplicationId::from(row.application_id).to_string(),
        kind: kind_to_proto(row.kind) as i32,
        tenge: row.tenge,
        period: row.period.clone(),
        create_time: Some(timestamp(row.created_at)),
    }
}

#[tonic::async_trait]
impl SupportService for SupportApi {
    async fn get_entitlement(
        &self,
        request: Request<pb::GetEntitlementRequest>,
    ) -> Result<Response<pb::Entitlement>, Status> {
        handle(&self.state, request, GET, async |call, req| {
            let id = entitlement_of(&req)?;
            let entitlement = use_case::entitlement(&self.state, call, id).await?;
            let (rent_mci_per_month, rent_tenge_per_month) =
                entitlement.monthly_rent().unwrap_or_default();
            Ok(pb::Entitlement {
                application: req.application.clone(),
                mci_year: entitlement.mci_year,
                mci_tenge: entitlement.mci_tenge,
                lines: entitlement.lines.iter().map(line_to_proto).collect(),
                rent_mci_per_month,
                rent_tenge_per_month,
            })
        })
        .await
    }

    async fn record_payment(
        &self,
        request: Request<pb::RecordPaymentRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        handle(&self.state, request, RECORD, async |call, req| {
            let command = record_command(&req)?;
            use_case::record_payment(&self.state, call, command, payment_to_proto).await
        })
        .await
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        handle(&self.state, request, LIST, async |call, req| {
            let query = payments_query(&req)?;
            let limit = query.limit;
            let mut rows = use_case::payments(&self.state, call, query).await?;
            let next_page_token = next_page(&mut rows, limit, |r| r.id.to_string());
            Ok(pb::ListPaymentsResponse {
                payments: rows.iter().map(payment_to_proto).collect(),
                next_page_token,
            })
        })
        .await
    }
}
