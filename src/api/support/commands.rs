//! `SupportService` requests parsed into the commands of `service::support`, every malformed
//! field collected.

use crate::api::{decode_page_key, page_size, parse_name, parse_request_id};
use crate::domain::ids::ApplicationId;
use crate::domain::support::{self, SupportKind};
use crate::error::{AllValid, ApiError, ApiResult, FieldError};
use crate::pb;
use crate::service::mutation::Idempotency;
use crate::service::support::{PaymentsQuery, RecordPayment};
use uuid::Uuid;

fn kind_from_proto(value: i32) -> Option<SupportKind> {
    match pb::SupportKind::try_from(value).ok()? {
        pb::SupportKind::Relocation => Some(SupportKind::Relocation),
        pb::SupportKind::Rent => Some(SupportKind::Rent),
        pb::SupportKind::MobilityCertificate => Some(SupportKind::MobilityCertificate),
        pb::SupportKind::Unspecified => None,
    }
}

fn parse_application(value: &str) -> Result<ApplicationId, FieldError> {
    parse_name::<ApplicationId>("application", value)
}

pub(super) fn entitlement_of(req: &pb::GetEntitlementRequest) -> ApiResult<ApplicationId> {
    parse_application(&req.application).map_err(|e| ApiError::InvalidArgument(vec![e]))
}

pub(super) fn record_command(req: &pb::RecordPaymentRequest) -> ApiResult<RecordPayment> {
    let kind = kind_from_proto(req.kind).ok_or_else(|| {
        FieldError::new("kind", "required: RELOCATION, RENT or MOBILITY_CERTIFICATE")
    });
    let tenge = if req.tenge > 0 {
        Ok(req.tenge)
    } else {
        Err(FieldError::new(
            "tenge",
            "required: a positive whole number of tenge",
        ))
    };
    let (request_id, application, kind, tenge, period) = (
        parse_request_id(&req.request_id),
        parse_application(&req.application),
        kind,
        tenge,
        parse_period(&req.period),
    )
        .or_invalid()?;
    Ok(RecordPayment {
        key: Idempotency::new(request_id, req),
        application,
        name: req.application.clone(),
        kind,
        tenge,
        period,
    })
}

/// The month paid, if named.
fn parse_period(value: &str) -> Result<Option<String>, FieldError> {
    match value {
        "" => Ok(None),
        p if support::is_period(p) => Ok(Some(p.to_string())),
        _ => Err(FieldError::new("period", "the month paid, as YYYY-MM")),
    }
}

pub(super) fn payments_query(req: &pb::ListPaymentsRequest) -> ApiResult<PaymentsQuery> {
    let (application, limit, after) = (
        parse_application(&req.application),
        page_size(req.page_size),
        decode_page_key::<Uuid>(&req.page_token),
    )
        .or_invalid()?;
    Ok(PaymentsQuery {
        application,
        after,
        limit,
    })
}
