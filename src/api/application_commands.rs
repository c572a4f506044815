//! `ApplicationService` requests parsed into the commands of `service::applications`: every
//! malformed field is collected, and permission to submit a procedure is checked before the
//! rest of the request is.

use super::convert::{
    date_from_proto, details_from_proto, documents_from_proto, procedure_from_proto,
    state_from_proto,
};
use super::{Fields, decode_page_token, page_size, parse_name, parse_request_id};
use crate::domain::admission::{People, Submission};
use crate::domain::caller::Caller;
use crate::domain::details::{FamilyMember, Relation};
use crate::domain::procedure::Procedure;
use crate::domain::records::PersonRecords;
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pb::{self, rpc::application_service as rpc};
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
    fields: &mut Fields,
) -> Option<Submission> {
    let applicant = fields.check(parse_name("applicant", applicant, "persons"));
    let details = details_from_proto("details", details, fields);
    let documents = documents_from_proto(documents, fields);
    if let (Some(applicant), Some(details)) = (applicant, &details)
        && details.family().iter().any(|m| m.person_id == applicant)
    {
        fields.push(FieldError::new(
            "details",
            "the applicant is not listed again as a family member",
        ));
    }
    for (i, document) in documents.iter().enumerate() {
        if let (Some(holder), Some(details)) = (document.holder, &details)
            && !details.family().iter().any(|m| m.person_id == holder)
        {
            fields.push(FieldError::new(
                format!("documents[{i}].holder"),
                "must be empty (the applicant) or a family member of this application",
            ));
        }
    }
    Some(Submission {
        applicant: applicant?,
        details: details?,
        documents,
    })
}

pub(super) fn submit_command(
    caller: &Caller,
    req: &pb::SubmitApplicationRequest,
) -> ApiResult<Submit> {
    if let Some(procedure) = requested_procedure(req.details.as_ref()) {
        ensure_may_submit(caller, procedure)?;
    }
    let mut fields = Fields::new();
    let request_id = fields.check(parse_request_id(&req.request_id));
    let submission = parse_submission(
        &req.applicant,
        req.details.as_ref(),
        &req.documents,
        &mut fields,
    );
    fields.finish()?;
    let (Some(request_id), Some(submission)) = (request_id, submission) else {
        return Err(super::lost_field());
    };
    Ok(Submit {
        key: Idempotency::new(rpc::SUBMIT_APPLICATION, request_id, req),
        submission,
    })
}

pub(super) fn check_command(
    caller: &Caller,
    req: &pb::CheckDocumentsRequest,
) -> ApiResult<Submission> {
    if let Some(procedure) = requested_procedure(req.details.as_ref()) {
        ensure_may_submit(caller, procedure)?;
    }
    let mut fields = Fields::new();
    let submission = parse_submission(
        &req.applicant,
        req.details.as_ref(),
        &req.documents,
        &mut fields,
    );
    fields.finish()?;
    submission.ok_or_else(super::lost_field)
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
    caller: &Caller,
    req: &pb::ListRequiredDocumentsRequest,
    today: chrono::NaiveDate,
) -> ApiResult<RequiredFor> {
    let procedure = requested_procedure(req.details.as_ref()).ok_or_else(|| {
        ApiError::field("details", "required: the typed details of one procedure")
    })?;
    ensure_may_submit(caller, procedure)?;
    let mut fields = Fields::new();
    if !req.applicant.is_empty() {
        let applicant = fields.check(parse_name("applicant", &req.applicant, "persons"));
        let details = details_from_proto("details", req.details.as_ref(), &mut fields);
        fields.finish()?;
        let (Some(applicant), Some(details)) = (applicant, details) else {
            return Err(super::lost_field());
        };
        return Ok(RequiredFor::Registered { applicant, details });
    }
    // Described, not registered: stand-in records carry the ages that matter.
    let description = req.description.clone().unwrap_or_default();
    let mut birth_date = |field: String, date: Option<&pb::Date>| {
        fields
            .check(date_from_proto(&field, date))
            .flatten()
            .unwrap_or(today)
    };
    let mut applicant = PersonRecords::new(
        Uuid::nil(),
        birth_date(
            "description.birth_date".into(),
            description.birth_date.as_ref(),
        ),
    );
    applicant.ethnic_kazakh = description.ethnic_kazakh;
    let mut family = Vec::new();
    let mut labels = Vec::new();
    for (i, member) in description.family.iter().enumerate() {
        let id = Uuid::from_u128(i as u128 + 1);
        let birth = birth_date(
            format!("description.family[{i}].birth_date"),
            member.birth_date.as_ref(),
        );
        labels.push((id, format!("family[{i}]")));
        family.push((
            FamilyMember {
                person_id: id,
                relation: relation_from(member.relation),
            },
            PersonRecords::new(id, birth),
        ));
    }
    let details = details_from_proto("details", req.details.as_ref(), &mut fields);
    fields.finish()?;
    let Some(mut details) = details else {
        return Err(super::lost_field());
    };
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
        .check(decode_page_token(&req.page_token))
        .flatten()
        .and_then(|key| Uuid::parse_str(&key).ok());
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
        fields.check(parse_name("applicant", &req.applicant, "persons"))
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
    use pb::decide_application_request::Decision;
    let mut fields = Fields::new();
    let request_id = fields.check(parse_request_id(&req.request_id));
    let id = fields.check(parse_name("name", &req.name, "applications"));
    let verdict = match &req.decision {
        None => {
            fields.push(FieldError::new("decision", "required: approve or refuse"));
            None
        }
        Some(Decision::Refuse(refusal)) => {
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
            Some(Verdict::Refuse {
                code: refusal.reason_code.clone(),
                text: refusal.reason_text.clone(),
            })
        }
        Some(Decision::Approve(approval)) => Some(Verdict::Approve(Approval {
            rent_mci: approval.rent_mci,
            housing_cost_tenge: approval.housing_cost_tenge,
        })),
    };
    fields.finish()?;
    let (Some(request_id), Some(application), Some(verdict)) = (request_id, id, verdict) else {
        return Err(super::lost_field());
    };
    Ok(Decide {
        key: Idempotency::new(rpc::DECIDE_APPLICATION, request_id, req),
        application,
        etag: req.etag.clone(),
        verdict,
    })
}

pub(super) fn withdraw_command(req: &pb::WithdrawApplicationRequest) -> ApiResult<Withdraw> {
    let mut fields = Fields::new();
    let request_id = fields.check(parse_request_id(&req.request_id));
    let id = fields.check(parse_name("name", &req.name, "applications"));
    if req.reason.chars().count() > 2000 {
        fields.push(FieldError::new("reason", "at most 2000 characters"));
    }
    fields.finish()?;
    let (Some(request_id), Some(application)) = (request_id, id) else {
        return Err(super::lost_field());
    };
    Ok(Withdraw {
        key: Idempotency::new(rpc::WITHDRAW_APPLICATION, request_id, req),
        application,
        etag: req.etag.clone(),
    })
}
