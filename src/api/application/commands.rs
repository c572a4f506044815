//! `ApplicationService` requests parsed into the commands of `service::applications`: every
//! malformed field is collected, and permission to submit a procedure is checked before the
//! rest of the request is.

use super::confirmation::{Stated, presented};
use crate::api::convert::{
    date_from_proto, details_from_proto, documents_from_proto, procedure_from_proto,
    state_from_proto,
};
use crate::api::{Fields, decode_page_key, page_size, parse_name, parse_region, parse_request_id};
use crate::domain::admission::{People, Submission};
use crate::domain::call::Call;
use crate::domain::details::{FamilyMember, Relation};
use crate::domain::ids::{ApplicationId, PersonId};
use crate::domain::person::plausible_birth_date;
use crate::domain::procedure::Procedure;
use crate::domain::records::PersonRecords;
use crate::domain::regions::Region;
use crate::domain::role::Role;
use crate::error::{AllValid, ApiError, ApiResult, FieldError};
use crate::pb;
use crate::service::applications::{
    Approval, Decide, ListQuery, RequiredFor, Submit, Verdict, Withdraw, ensure_may_submit,
};
use crate::service::mutation::Idempotency;
use uuid::Uuid;

/// The procedure named by a request's details, before anything else is validated, so that
/// permission is checked first.
pub(super) fn requested_procedure(details: Option<&pb::ApplicationDetails>) -> Option<Procedure> {
    use pb::application_details::Procedure as P;
    Some(match details?.procedure.as_ref()? {
        P::IinAssignment(_) => Procedure::IinAssignment,
        P::KandasStatusAssignment(_) => Procedure::KandasStatusAssignment,
        P::KandasStatusExtension(_) => Procedure::KandasStatusExtension,
        P::PermanentResidencePermit(_) => Procedure::PermanentResidencePermit,
        P::ResidencePermitCard(_) => Procedure::ResidencePermitCard,
        P::StatelessPersonCertificate(_) => Procedure::StatelessPersonCertificate,
        P::ResidenceRegistration(_) => Procedure::ResidenceRegistration,
        P::SimplifiedCitizenship(_) => Procedure::SimplifiedCitizenship,
        P::RegionalQuotaInclusion(_) => Procedure::RegionalQuotaInclusion,
    })
}

/// A submission's applicant, details and documents, with every malformed field collected.
pub(super) fn parse_submission(
    applicant: &str,
    details: Option<&pb::ApplicationDetails>,
    documents: &[pb::Document],
) -> Result<Submission, Vec<FieldError>> {
    let (applicant, details, documents) = (
        parse_name::<PersonId>("applicant", applicant),
        details_from_proto("details", details),
        documents_from_proto(documents),
    )
        .all_valid()?;
    let applicant = applicant.uuid();
    let mut fields = Fields::new();
    if details.family().iter().any(|m| m.person_id == applicant) {
        fields.push(FieldError::new(
            "details",
            "the applicant is not listed again as a family member",
        ));
    }
    for (i, document) in documents.iter().enumerate() {
        if let Some(holder) = document.holder
            && !details.family().iter().any(|m| m.person_id == holder)
        {
            fields.push(FieldError::new(
                format!("documents[{i}].holder"),
                "must be empty (the applicant) or a family member of this application",
            ));
        }
    }
    fields.into_result(Submission {
        applicant,
        details,
        documents,
    })
}

pub(super) fn submit_command(call: &Call, req: &pb::SubmitApplicationRequest) -> ApiResult<Submit> {
    if let Some(procedure) = requested_procedure(req.details.as_ref()) {
        ensure_may_submit(&call.caller, procedure)?;
    }
    let (request_id, submission, region, confirmation) = (
        parse_request_id(&req.request_id),
        parse_submission(&req.applicant, req.details.as_ref(), &req.documents),
        optional_region(&req.region),
        presented(req, |bare| {
            use pb::submit_application_request::ApplicantConfirmation as C;
            bare.applicant_confirmation.take().map(|given| match given {
                C::ApplicantSignature(der) => Stated::Signature(der),
                C::SmsConfirmation(sms) => Stated::Sms(sms),
            })
        }),
    )
        .or_invalid()?;
    if let (Some(named), Some(said)) = (region, submission.details.region())
        && named != said
    {
        return Err(ApiError::field(
            "region",
            format!("must be empty or {said}, the region the details name"),
        ));
    }
    Ok(Submit {
        key: Idempotency::new(request_id, req),
        submission,
        region,
        confirmation,
    })
}

/// A region the request may leave empty.
fn optional_region(value: &str) -> Result<Option<Region>, FieldError> {
    if value.is_empty() {
        return Ok(None);
    }
    parse_region("region", value).map(Some)
}

pub(super) fn check_command(call: &Call, req: &pb::CheckDocumentsRequest) -> ApiResult<Submission> {
    if let Some(procedure) = requested_procedure(req.details.as_ref()) {
        ensure_may_submit(&call.caller, procedure)?;
    }
    parse_submission(&req.applicant, req.details.as_ref(), &req.documents)
        .map_err(ApiError::InvalidArgument)
}

pub(super) fn relation_from(value: i32) -> Relation {
    match pb::Relation::try_from(value) {
        Ok(pb::Relation::Spouse) => Relation::Spouse,
        Ok(pb::Relation::Child) => Relation::Child,
        Ok(pb::Relation::Parent) => Relation::Parent,
        _ => Relation::Other,
    }
}

pub(super) fn required_command(
    call: &Call,
    req: &pb::ListRequiredDocumentsRequest,
    today: chrono::NaiveDate,
) -> ApiResult<RequiredFor> {
    let procedure = requested_procedure(req.details.as_ref()).ok_or_else(|| {
        ApiError::field("details", "required: the typed details of one procedure")
    })?;
    ensure_may_submit(&call.caller, procedure)?;
    if !req.applicant.is_empty() {
        let (applicant, details) = (
            parse_name::<PersonId>("applicant", &req.applicant),
            details_from_proto("details", req.details.as_ref()),
        )
            .or_invalid()?;
        return Ok(RequiredFor::Registered { applicant, details });
    }
    // Described, not registered: stand-in records carry the ages that matter.
    let description = req.description.clone().unwrap_or_default();
    let birth_date = |field: String, date: Option<&pb::Date>| match date_from_proto(&field, date)? {
        None => Ok(today),
        Some(date) => {
            plausible_birth_date(date, today).map_err(|rule| FieldError::new(field, rule))
        }
    };
    let applicant_birth = birth_date(
        "description.birth_date".into(),
        description.birth_date.as_ref(),
    );
    let mut fields = Fields::new();
    let mut family = Vec::new();
    let mut labels = Vec::new();
    for (i, member) in description.family.iter().enumerate() {
        let id = Uuid::from_u128(i as u128 + 1);
        let field = format!("description.family[{i}].birth_date");
        let Some(birth) = fields.check(birth_date(field, member.birth_date.as_ref())) else {
            continue;
        };
        let label = format!("family[{i}]");
        // Texts name a described member as the request did, never by its stand-in id.
        let mut records = PersonRecords::new(id, birth);
        records.person = label.clone();
        labels.push((id, label));
        family.push((
            FamilyMember {
                person_id: id,
                relation: relation_from(member.relation),
            },
            records,
        ));
    }
    let (applicant_birth, (), mut details) = (
        applicant_birth,
        fields.into_result(()),
        details_from_proto("details", req.details.as_ref()),
    )
        .or_invalid()?;
    let mut applicant = PersonRecords::new(Uuid::nil(), applicant_birth);
    applicant.person = "applicant".into();
    applicant.ethnic_kazakh = description.ethnic_kazakh;
    // The described family replaces any listed in the details.
    details.replace_family(family.iter().map(|(m, _)| m.clone()).collect());
    Ok(RequiredFor::Described {
        people: Box::new(People { applicant, family }),
        details,
        labels,
    })
}

pub(super) fn list_query(req: &pb::ListApplicationsRequest) -> ApiResult<ListQuery> {
    let mut fields = Fields::new();
    let limit = fields.check(page_size(req.page_size)).unwrap_or(0);
    let after = fields
        .check(decode_page_key::<Uuid>(&req.page_token))
        .flatten();
    let mut procedures: Option<Vec<Procedure>> = match req.procedure {
        0 => None,
        v => match procedure_from_proto(v) {
            Some(p) => Some(vec![p]),
            None => {
                fields.push(FieldError::new("procedure", "not a Procedure"));
                None
            }
        },
    };
    if !req.decided_by_role.is_empty() {
        match Role::parse(&req.decided_by_role) {
            Some(role) => {
                let decided: Vec<Procedure> = Procedure::ALL
                    .into_iter()
                    .filter(|p| p.decider() == role)
                    .collect();
                procedures = Some(match procedures {
                    Some(given) => given.into_iter().filter(|p| decided.contains(p)).collect(),
                    None => decided,
                });
            }
            None => fields.push(FieldError::new(
                "decided_by_role",
                "not a role, e.g. `police`",
            )),
        }
    }
    let state = match req.state {
        0 => None,
        v => state_from_proto(v).or_else(|| {
            fields.push(FieldError::new("state", "not an Application.State"));
            None
        }),
    };
    let applicant = if req.applicant.is_empty() {
        None
    } else {
        fields.check(parse_name::<PersonId>("applicant", &req.applicant))
    };
    fields.finish()?;
    Ok(ListQuery {
        procedures,
        state,
        applicant,
        overdue_only: req.overdue_only,
        after,
        limit,
    })
}

pub(super) fn decide_command(req: &pb::DecideApplicationRequest) -> ApiResult<Decide> {
    let (request_id, application, verdict) = (
        parse_request_id(&req.request_id),
        parse_name::<ApplicationId>("name", &req.name),
        verdict_from_proto(req.decision.as_ref()),
    )
        .or_invalid()?;
    Ok(Decide {
        key: Idempotency::new(request_id, req),
        application,
        etag: req.etag.clone(),
        verdict,
    })
}

fn verdict_from_proto(
    decision: Option<&pb::decide_application_request::Decision>,
) -> Result<Verdict, Vec<FieldError>> {
    use pb::decide_application_request::Decision;
    match decision {
        None => Err(vec![FieldError::new(
            "decision",
            "required: approve or refuse",
        )]),
        Some(Decision::Refuse(refusal)) => {
            let mut fields = Fields::new();
            let code_ok = !refusal.reason_code.is_empty()
                && refusal.reason_code.len() <= 64
                && refusal
                    .reason_code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !code_ok {
                fields.push(FieldError::new(
                    "refuse.reason_code",
                    "required: UPPER_SNAKE_CASE, at most 64 characters",
                ));
            }
            if refusal.reason_text.trim().is_empty() || refusal.reason_text.chars().count() > 2000 {
                fields.push(FieldError::new(
                    "refuse.reason_text",
                    "required: the reason in words, at most 2000 characters",
                ));
            }
            fields.into_result(Verdict::Refuse {
                code: refusal.reason_code.clone(),
                text: refusal.reason_text.clone(),
            })
        }
        Some(Decision::Approve(approval)) => Ok(Verdict::Approve(Approval {
            rent_mci: approval.rent_mci,
            housing_cost_tenge: approval.housing_cost_tenge,
        })),
    }
}

pub(super) fn withdraw_command(req: &pb::WithdrawApplicationRequest) -> ApiResult<Withdraw> {
    let reason = if req.reason.chars().count() > 2000 {
        Err(FieldError::new("reason", "at most 2000 characters"))
    } else {
        Ok(())
    };
    let (request_id, application, (), confirmation) = (
        parse_request_id(&req.request_id),
        parse_name::<ApplicationId>("name", &req.name),
        reason,
        presented(req, |bare| {
            use pb::withdraw_application_request::ApplicantConfirmation as C;
            bare.applicant_confirmation.take().map(|given| match given {
                C::ApplicantSignature(der) => Stated::Signature(der),
                C::SmsConfirmation(sms) => Stated::Sms(sms),
            })
        }),
    )
        .or_invalid()?;
    Ok(Withdraw {
        key: Idempotency::new(request_id, req),
        application,
        etag: req.etag.clone(),
        confirmation,
    })
}
