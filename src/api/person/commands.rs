//! `PersonService` requests parsed into the commands of `service::persons`, every malformed
//! field collected in request order.

use crate::api::convert::{date_from_proto, sex_from_proto};
use crate::api::{
    Fields, feed_page_size, optional_country, parse_cursor, parse_name, parse_request_id,
};
use crate::domain::correction::{Correctable, SupportingDocument};
use crate::domain::ids::PersonId;
use crate::domain::iin::{Iin, IinError};
use crate::domain::person::{IdentityDocument, PersonDetails, RawPerson};
use crate::domain::record_life::{
    AnnullableKind, Annulment, AnnulmentGround, EndReason, RegistrationEnd,
};
use crate::domain::verification_code::VerificationCode;
use crate::error::{AllValid, ApiError, ApiResult, FieldError};
use crate::pb;
use crate::service::certificates::Download;
use crate::service::mutation::Idempotency;
use crate::service::persons::{Correct, Lookup, ProposedPerson, RecordArrival, Register};
use crate::service::records::{AnnulRecord, EndRegistration};
use chrono::NaiveDate;
use uuid::Uuid;

/// The rule an IIN broke, named for the caller.
pub(super) fn iin_rule(error: &IinError) -> String {
    format!("{} ({error})", error.rule())
}

pub(super) fn register_command(
    req: &pb::RegisterPersonRequest,
    today: NaiveDate,
) -> ApiResult<Register> {
    let input = req.person.clone().unwrap_or_default();
    let iin = if input.iin.is_empty() {
        Ok(None)
    } else {
        Iin::parse(&input.iin)
            .map(Some)
            .map_err(|e| FieldError::new("person.iin", iin_rule(&e)))
    };
    let document = req
        .identity_document
        .as_ref()
        .map(|doc| {
            IdentityDocument::parse(&doc.number, &doc.issuing_country).map_err(|problems| {
                problems
                    .into_iter()
                    .map(|(field, rule)| {
                        FieldError::new(format!("identity_document.{field}"), rule)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .transpose();
    let (request_id, iin, details, document) = (
        parse_request_id(&req.request_id),
        iin,
        person_details(&input, today),
        document,
    )
        .or_invalid()?;
    Ok(Register {
        key: Idempotency::new(request_id, req),
        iin,
        details,
        document,
        confirmed_distinct: req.confirmed_distinct,
    })
}

/// Longest reason or supporting-document text kept.
const MAX_TEXT: usize = 500;

fn required_text(field: &str, value: &str) -> Result<String, FieldError> {
    crate::api::required_text(field, value, MAX_TEXT)
}

fn correctable_fields(
    mask: Option<&prost_types::FieldMask>,
) -> Result<Vec<Correctable>, FieldError> {
    let paths = mask.map(|m| m.paths.as_slice()).unwrap_or_default();
    if paths.is_empty() {
        return Err(FieldError::new(
            "update_mask",
            "required: the fields corrected, among surname, given_name, patronymic, birth_date, sex, citizenship, ethnic_kazakh",
        ));
    }
    let mut fields = Vec::new();
    for path in paths {
        match Correctable::parse(path) {
            Some(field) if !fields.contains(&field) => fields.push(field),
            Some(_) => {}
            None if path == "iin" => {
                return Err(FieldError::new(
                    "update_mask",
                    "`iin` is not correctable: an IIN never changes",
                ));
            }
            None => {
                return Err(FieldError::new(
                    "update_mask",
                    format!(
                        "`{path}` is not correctable; the fields are surname, given_name, patronymic, birth_date, sex, citizenship, ethnic_kazakh"
                    ),
                ));
            }
        }
    }
    Ok(fields)
}

fn supporting_document(
    doc: Option<&pb::SupportingDocument>,
) -> Result<SupportingDocument, Vec<FieldError>> {
    let Some(doc) = doc else {
        return Err(vec![FieldError::new(
            "supporting_document",
            "required: the document the correction rests on",
        )]);
    };
    let (kind, number, issue_date, issuing_country) = (
        required_text("supporting_document.kind", &doc.kind),
        required_text("supporting_document.number", &doc.number),
        date_from_proto("supporting_document.issue_date", doc.issue_date.as_ref()),
        optional_country("supporting_document.issuing_country", &doc.issuing_country),
    )
        .all_valid()?;
    Ok(SupportingDocument {
        kind,
        number,
        issue_date,
        issuing_country,
    })
}

pub(super) fn correct_command(req: &pb::UpdatePersonRequest) -> ApiResult<Correct> {
    let input = req.person.clone().unwrap_or_default();
    let birth_date = date_from_proto("person.birth_date", input.birth_date.as_ref());
    let etag = if req.etag.is_empty() {
        Err(FieldError::new(
            "etag",
            "required: the person's etag as read",
        ))
    } else {
        Ok(req.etag.clone())
    };
    let (request_id, person, fields, birth_date, etag, reason, document) = (
        parse_request_id(&req.request_id),
        parse_name::<PersonId>("person.name", &input.name),
        correctable_fields(req.update_mask.as_ref()),
        birth_date,
        etag,
        required_text("reason", &req.reason),
        supporting_document(req.supporting_document.as_ref()),
    )
        .or_invalid()?;
    Ok(Correct {
        key: Idempotency::new(request_id, req),
        person,
        etag,
        fields,
        proposed: ProposedPerson {
            surname: input.surname,
            given_name: input.given_name,
            patronymic: input.patronymic,
            birth_date,
            sex: sex_from_proto(input.sex),
            citizenship: input.citizenship,
            ethnic_kazakh: input.ethnic_kazakh,
        },
        reason,
        document,
    })
}

fn person_details(input: &pb::Person, today: NaiveDate) -> Result<PersonDetails, Vec<FieldError>> {
    let birth_date = date_from_proto("person.birth_date", input.birth_date.as_ref());
    let raw = RawPerson {
        surname: &input.surname,
        given_name: &input.given_name,
        patronymic: &input.patronymic,
        birth_date: birth_date.clone().ok().flatten(),
        sex: sex_from_proto(input.sex),
        citizenship: &input.citizenship,
        ethnic_kazakh: input.ethnic_kazakh,
    };
    let unreadable_birth = birth_date.is_err();
    let details = PersonDetails::parse(raw, today).map_err(|problems| {
        problems
            .into_iter()
            // A birth date that could not be read is reported as such, not also as missing.
            .filter(|(field, _)| !(unreadable_birth && *field == "birth_date"))
            .map(|(field, rule)| FieldError::new(format!("person.{field}"), rule))
            .collect::<Vec<_>>()
    });
    let (_, details) = (birth_date, details).all_valid()?;
    Ok(details)
}

pub(super) fn lookup(req: &pb::GetPersonRequest) -> Result<Lookup, FieldError> {
    match (req.name.is_empty(), req.iin.is_empty()) {
        (false, true) => parse_name::<PersonId>("name", &req.name).map(Lookup::Name),
        (true, false) => Iin::parse(&req.iin)
            .map(Lookup::Iin)
            .map_err(|e| FieldError::new("iin", iin_rule(&e))),
        _ => Err(FieldError::new(
            "name",
            "exactly one of `name` or `iin` is required",
        )),
    }
}

pub(super) fn arrival_command(
    req: &pb::RecordArrivalNotificationRequest,
    today: NaiveDate,
) -> ApiResult<RecordArrival> {
    let (request_id, person, (entry_date, notified_on), host) = (
        parse_request_id(&req.request_id),
        parse_name::<PersonId>("person", &req.person),
        arrival_dates(req, today),
        host(&req.host),
    )
        .or_invalid()?;
    Ok(RecordArrival {
        key: Idempotency::new(request_id, req),
        person,
        entry_date,
        notified_on,
        host,
    })
}

/// The entry date and the day of notification (today when not given), neither in the future
/// and the notification not before the entry.
fn arrival_dates(
    req: &pb::RecordArrivalNotificationRequest,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), Vec<FieldError>> {
    let mut fields = Fields::new();
    let entry = fields
        .check(date_from_proto("entry_date", req.entry_date.as_ref()))
        .flatten();
    let notified = fields
        .check(date_from_proto("notified_on", req.notified_on.as_ref()))
        .flatten()
        .unwrap_or(today);
    let entry = match entry {
        None => Err(FieldError::new("entry_date", "required")),
        Some(e) if e > today => Err(FieldError::new("entry_date", "must not be in the future")),
        Some(e) if notified < e => Err(FieldError::new(
            "notified_on",
            "must not be before entry_date",
        )),
        Some(e) => Ok(e),
    };
    let notified = if notified > today {
        Err(FieldError::new("notified_on", "must not be in the future"))
    } else {
        Ok(notified)
    };
    let ((), entry, notified) = (fields.into_result(()), entry, notified).all_valid()?;
    Ok((entry, notified))
}

fn host(value: &str) -> Result<String, FieldError> {
    let host = value.trim();
    if host.chars().count() > 500 || host.chars().any(char::is_control) {
        Err(FieldError::new(
            "host",
            "at most 500 characters, no control characters",
        ))
    } else {
        Ok(host.to_string())
    }
}

/// `persons/{uuid}/{collection}/{id}`: the person and the record's id, or the rule broken.
fn parse_record_name<'a>(
    field: &str,
    value: &'a str,
    collections: &[&str],
) -> Result<(PersonId, &'a str, &'a str), FieldError> {
    let rule = || {
        FieldError::new(
            field,
            format!(
                "must be a resource name `persons/{{uuid}}/{}/{{id}}`",
                collections.join("|")
            ),
        )
    };
    let mut parts = value.splitn(4, '/');
    let (Some("persons"), Some(person), Some(collection), Some(id)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(rule());
    };
    let person = Uuid::parse_str(person)
        .map(PersonId::from)
        .map_err(|_| rule())?;
    if !collections.contains(&collection)
        || id.is_empty()
        || id.len() > 64
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(rule());
    }
    Ok((person, collection, id))
}

/// A required date, not after today.
fn past_date(
    field: &str,
    value: Option<&pb::Date>,
    today: NaiveDate,
) -> Result<NaiveDate, FieldError> {
    match date_from_proto(field, value)? {
        None => Err(FieldError::new(field, "required")),
        Some(day) if day > today => Err(FieldError::new(field, "must not be in the future")),
        Some(day) => Ok(day),
    }
}

fn end_reason(value: i32) -> Result<EndReason, FieldError> {
    use pb::registration::EndReason as R;
    match R::try_from(value) {
        Ok(R::MovedOut) => Ok(EndReason::MovedOut),
        Ok(R::LeftKazakhstan) => Ok(EndReason::LeftKazakhstan),
        Ok(R::OwnerConsentWithdrawn) => Ok(EndReason::OwnerConsentWithdrawn),
        Ok(R::CourtDecision) => Ok(EndReason::CourtDecision),
        _ => Err(FieldError::new(
            "reason",
            "required: MOVED_OUT, LEFT_KAZAKHSTAN, OWNER_CONSENT_WITHDRAWN or COURT_DECISION",
        )),
    }
}

pub(super) fn end_registration_command(
    req: &pb::EndRegistrationRequest,
    today: NaiveDate,
) -> ApiResult<EndRegistration> {
    let name =
        parse_record_name("name", &req.name, &["registrations"]).and_then(|(person, _, id)| {
            Uuid::parse_str(id)
                .map(|id| (person, id))
                .map_err(|_| FieldError::new("name", "the registration id must be a UUID"))
        });
    let (request_id, (person, registration), last_day, reason) = (
        parse_request_id(&req.request_id),
        name,
        past_date("ended_on", req.ended_on.as_ref(), today),
        end_reason(req.reason),
    )
        .or_invalid()?;
    Ok(EndRegistration {
        key: Idempotency::new(request_id, req),
        person,
        registration,
        end: RegistrationEnd { last_day, reason },
    })
}

fn ground(value: i32) -> Result<AnnulmentGround, FieldError> {
    use pb::annulled_record::Ground as G;
    match G::try_from(value) {
        Ok(G::FalseDocuments) => Ok(AnnulmentGround::FalseDocuments),
        Ok(G::AdministrativeViolation) => Ok(AnnulmentGround::AdministrativeViolation),
        Ok(G::DepartureAbroad) => Ok(AnnulmentGround::DepartureAbroad),
        Ok(G::CourtDecision) => Ok(AnnulmentGround::CourtDecision),
        _ => Err(FieldError::new(
            "ground",
            "required: FALSE_DOCUMENTS, ADMINISTRATIVE_VIOLATION, DEPARTURE_ABROAD or COURT_DECISION",
        )),
    }
}

fn legal_basis(value: &str) -> Result<String, FieldError> {
    let basis = value.trim();
    if basis.is_empty() {
        Err(FieldError::new(
            "legal_basis",
            "required: the act and article, in words",
        ))
    } else if basis.chars().count() > 500 || basis.chars().any(char::is_control) {
        Err(FieldError::new(
            "legal_basis",
            "at most 500 characters, no control characters",
        ))
    } else {
        Ok(basis.to_string())
    }
}

pub(super) fn annul_command(
    req: &pb::AnnulRecordRequest,
    today: NaiveDate,
) -> ApiResult<AnnulRecord> {
    let collections = [
        AnnullableKind::KandasStatus.collection(),
        AnnullableKind::Permit.collection(),
    ];
    let name =
        parse_record_name("name", &req.name, &collections).map(|(person, collection, id)| {
            // The collection was checked against the two kinds just above.
            let kind =
                AnnullableKind::from_collection(collection).unwrap_or(AnnullableKind::Permit);
            (kind, person, id.to_string())
        });
    let (request_id, (kind, person, number), from, ground, legal_basis) = (
        parse_request_id(&req.request_id),
        name,
        past_date("annulled_on", req.annulled_on.as_ref(), today),
        ground(req.ground),
        legal_basis(&req.legal_basis),
    )
        .or_invalid()?;
    Ok(AnnulRecord {
        key: Idempotency::new(request_id, req),
        kind,
        person,
        number,
        annulment: Annulment {
            from,
            ground,
            legal_basis,
        },
    })
}

pub(super) fn download_command(req: &pb::DownloadKandasCertificateRequest) -> ApiResult<Download> {
    let collection = AnnullableKind::KandasStatus.collection();
    let (person, _, number) = parse_record_name("name", &req.name, &[collection])
        .map_err(|e| ApiError::InvalidArgument(vec![e]))?;
    Ok(Download {
        person,
        number: number.to_string(),
    })
}

pub(super) fn verification_code(
    req: &pb::VerifyKandasCertificateRequest,
) -> ApiResult<VerificationCode> {
    VerificationCode::parse(&req.code).map_err(|e| ApiError::field("code", e.to_string()))
}

/// Where a page of the record feed starts, and how many events it holds at most.
pub(super) fn record_events_query(req: &pb::ListRecordEventsRequest) -> ApiResult<(i64, i64)> {
    (parse_cursor(&req.cursor), feed_page_size(req.page_size)).or_invalid()
}
