//! Appeals: requests parsed into the commands of `service::applications::appeal`, and an
//! appeal as the API shows it.

use super::confirmation::{Stated, presented};
use crate::api::convert::assurance_to_proto;
use crate::api::convert::date_to_proto;
use crate::api::{page_size, parse_name, parse_request_id, required_text};
use crate::domain::appeal::AppealState;
use crate::domain::ids::{AppealId, ApplicationId};
use crate::error::{AllValid, ApiResult, FieldError};
use crate::pb;
use crate::service::applications::appeal::{DecideAppeal, FileAppeal};
use crate::service::mutation::Idempotency;
use crate::store::appeals::AppealRow;
use chrono::NaiveDate;

/// Longest grounds or reason kept.
const MAX_TEXT: usize = 2000;

fn text(field: &str, value: &str) -> Result<String, FieldError> {
    required_text(field, value, MAX_TEXT)
}

pub(in crate::api) fn file_command(req: &pb::FileAppealRequest) -> ApiResult<FileAppeal> {
    let (request_id, application, grounds, confirmation) = (
        parse_request_id(&req.request_id),
        parse_name::<ApplicationId>("application", &req.application),
        text("grounds", &req.grounds),
        presented(req, |bare| {
            use pb::file_appeal_request::ApplicantConfirmation as C;
            bare.applicant_confirmation.take().map(|given| match given {
                C::ApplicantSignature(der) => Stated::Signature(der),
                C::SmsConfirmation(sms) => Stated::Sms(sms),
            })
        }),
    )
        .or_invalid()?;
    Ok(FileAppeal {
        key: Idempotency::new(request_id, req),
        application,
        grounds,
        confirmation,
    })
}

pub(in crate::api) fn decide_command(req: &pb::DecideAppealRequest) -> ApiResult<DecideAppeal> {
    let (request_id, appeal, reason) = (
        parse_request_id(&req.request_id),
        parse_name::<AppealId>("name", &req.name),
        text("reason", &req.reason),
    )
        .or_invalid()?;
    Ok(DecideAppeal {
        key: Idempotency::new(request_id, req),
        appeal,
        overturn: req.overturn,
        reason,
    })
}

pub(in crate::api) fn list_limit(req: &pb::ListAppealsRequest) -> ApiResult<i64> {
    page_size(req.page_size).map_err(|e| crate::error::ApiError::InvalidArgument(vec![e]))
}

pub(in crate::api) fn appeal_to_proto(row: &AppealRow, today: NaiveDate) -> pb::Appeal {
    use pb::appeal::State;
    let state = match row.state {
        AppealState::Pending => State::Pending,
        AppealState::Upheld => State::Upheld,
        AppealState::Overturned => State::Overturned,
    };
    pb::Appeal {
        name: AppealId::from(row.id).to_string(),
        application: ApplicationId::from(row.application_id).to_string(),
        state: state as i32,
        filed_on: Some(date_to_proto(row.filed_on)),
        deadline: Some(date_to_proto(row.deadline)),
        overdue: state == State::Pending && today > row.deadline,
        grounds: row.grounds.clone(),
        filed_by: row.filed_by.clone(),
        refused_by: row.refused_by.clone(),
        refusal_code: row.refusal_code.clone(),
        decided_by: row.decided_by.clone().unwrap_or_default(),
        decided_on: row.decided_on.map(date_to_proto),
        reason: row.reason.clone(),
        filing_assurance: assurance_to_proto(row.filing_assurance) as i32,
    }
}
