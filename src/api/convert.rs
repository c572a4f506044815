//! Proto ⟷ domain conversion. Parsing collects every field problem, with its path.

use super::{name_of, parse_name};
use crate::domain::documents::{
    ChecklistItem, Document, DocumentForm, DocumentType, ItemStatus, Photo, Translation,
};
use crate::domain::iin::Sex;
use crate::domain::procedures::{Details, Outcome, Procedure};
use crate::error::FieldError;
use crate::pb;
use crate::store::applications::ApplicationRow;
use crate::store::persons::PersonRow;
use chrono::{DateTime, Datelike, NaiveDate, Utc};

pub fn date_to_proto(date: NaiveDate) -> pb::Date {
    pb::Date {
        year: date.year(),
        month: date.month() as i32,
        day: date.day() as i32,
    }
}

/// An optional date: unset or all-zero means absent; anything else must be a real date.
pub fn date_from_proto(
    field: &str,
    date: Option<&pb::Date>,
) -> Result<Option<NaiveDate>, FieldError> {
    match date {
        None => Ok(None),
        Some(d) if d.year == 0 && d.month == 0 && d.day == 0 => Ok(None),
        Some(d) => u32::try_from(d.month)
            .ok()
            .zip(u32::try_from(d.day).ok())
            .and_then(|(m, day)| NaiveDate::from_ymd_opt(d.year, m, day))
            .filter(|date| (1800..=2200).contains(&date.year()))
            .map(Some)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "must be a real calendar date between the years 1800 and 2200",
                )
            }),
    }
}

pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

pub fn sex_to_proto(sex: Sex) -> pb::Sex {
    match sex {
        Sex::Male => pb::Sex::Male,
        Sex::Female => pb::Sex::Female,
    }
}

pub fn sex_from_proto(value: i32) -> Option<Sex> {
    match pb::Sex::try_from(value) {
        Ok(pb::Sex::Male) => Some(Sex::Male),
        Ok(pb::Sex::Female) => Some(Sex::Female),
        _ => None,
    }
}

pub fn procedure_to_proto(procedure: Procedure) -> pb::Procedure {
    match procedure {
        Procedure::IinAssignment => pb::Procedure::IinAssignment,
        Procedure::KandasStatusAssignment => pb::Procedure::KandasStatusAssignment,
        Procedure::KandasStatusExtension => pb::Procedure::KandasStatusExtension,
        Procedure::PermanentResidencePermit => pb::Procedure::PermanentResidencePermit,
        Procedure::ResidencePermitCard => pb::Procedure::ResidencePermitCard,
        Procedure::StatelessPersonCertificate => pb::Procedure::StatelessPersonCertificate,
        Procedure::ResidenceRegistration => pb::Procedure::ResidenceRegistration,
        Procedure::RegionalQuotaInclusion => pb::Procedure::RegionalQuotaInclusion,
        Procedure::SimplifiedCitizenship => pb::Procedure::SimplifiedCitizenship,
    }
}

pub fn procedure_from_proto(value: i32) -> Option<Procedure> {
    let proto = pb::Procedure::try_from(value).ok()?;
    Procedure::ALL
        .into_iter()
        .find(|p| procedure_to_proto(*p) == proto)
}

pub fn person_to_proto(row: &PersonRow) -> pb::Person {
    pb::Person {
        name: name_of("persons", row.id),
        iin: row.iin.clone().unwrap_or_default(),
        surname: row.surname.clone(),
        given_name: row.given_name.clone(),
        patronymic: row.patronymic.clone(),
        birth_date: Some(date_to_proto(row.birth_date)),
        sex: sex_to_proto(row.sex()) as i32,
        citizenship: row.citizenship.clone(),
        ethnic_kazakh: row.ethnic_kazakh,
        create_time: Some(timestamp(row.created_at)),
        etag: etag(row.version),
    }
}

pub fn etag(version: i32) -> String {
    format!("v{version}")
}

const DOCUMENT_TYPES: [(pb::DocumentType, DocumentType); 22] = [
    (
        pb::DocumentType::IdentityDocument,
        DocumentType::IdentityDocument,
    ),
    (
        pb::DocumentType::PowerOfAttorney,
        DocumentType::PowerOfAttorney,
    ),
    (
        pb::DocumentType::ApplicationForm,
        DocumentType::ApplicationForm,
    ),
    (pb::DocumentType::Biography, DocumentType::Biography),
    (
        pb::DocumentType::NationalityProof,
        DocumentType::NationalityProof,
    ),
    (pb::DocumentType::KinshipProof, DocumentType::KinshipProof),
    (
        pb::DocumentType::EmployerInvitation,
        DocumentType::EmployerInvitation,
    ),
    (
        pb::DocumentType::StudyCertificate,
        DocumentType::StudyCertificate,
    ),
    (
        pb::DocumentType::PriorConsentDecision,
        DocumentType::PriorConsentDecision,
    ),
    (
        pb::DocumentType::BirthCertificate,
        DocumentType::BirthCertificate,
    ),
    (
        pb::DocumentType::DepartureConsent,
        DocumentType::DepartureConsent,
    ),
    (pb::DocumentType::SolvencyProof, DocumentType::SolvencyProof),
    (
        pb::DocumentType::CriminalRecordCertificate,
        DocumentType::CriminalRecordCertificate,
    ),
    (pb::DocumentType::ChildConsent, DocumentType::ChildConsent),
    (
        pb::DocumentType::HousingContract,
        DocumentType::HousingContract,
    ),
    (
        pb::DocumentType::MedicalCertificate,
        DocumentType::MedicalCertificate,
    ),
    (pb::DocumentType::Photo, DocumentType::Photo),
    (
        pb::DocumentType::CitizenshipTerminationCertificate,
        DocumentType::CitizenshipTerminationCertificate,
    ),
    (
        pb::DocumentType::StateDutyPayment,
        DocumentType::StateDutyPayment,
    ),
    (
        pb::DocumentType::StatelessPersonDocument,
        DocumentType::StatelessPersonDocument,
    ),
    (pb::DocumentType::OwnerConsent, DocumentType::OwnerConsent),
    (
        pb::DocumentType::ComplianceObligation,
        DocumentType::ComplianceObligation,
    ),
];

pub fn document_type_to_proto(kind: DocumentType) -> pb::DocumentType {
    DOCUMENT_TYPES
        .iter()
        .find(|(_, d)| *d == kind)
        .map(|(p, _)| *p)
        .unwrap_or(pb::DocumentType::Unspecified)
}

fn document_type_from_proto(value: i32) -> Option<DocumentType> {
    let proto = pb::DocumentType::try_from(value).ok()?;
    DOCUMENT_TYPES
        .iter()
        .find(|(p, _)| *p == proto)
        .map(|(_, d)| *d)
}

fn form_to_proto(form: DocumentForm) -> pb::DocumentForm {
    match form {
        DocumentForm::Original => pb::DocumentForm::Original,
        DocumentForm::Copy => pb::DocumentForm::Copy,
        DocumentForm::NotarizedCopy => pb::DocumentForm::NotarizedCopy,
        DocumentForm::Electronic => pb::DocumentForm::Electronic,
    }
}

fn form_from_proto(value: i32) -> Option<DocumentForm> {
    match pb::DocumentForm::try_from(value).ok()? {
        pb::DocumentForm::Original => Some(DocumentForm::Original),
        pb::DocumentForm::Copy => Some(DocumentForm::Copy),
        pb::DocumentForm::NotarizedCopy => Some(DocumentForm::NotarizedCopy),
        pb::DocumentForm::Electronic => Some(DocumentForm::Electronic),
        pb::DocumentForm::Unspecified => None,
    }
}

fn is_language_code(value: &str) -> bool {
    value.len() == 2 && value.chars().all(|c| c.is_ascii_lowercase())
}

fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64 && value.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

fn is_country_code(value: &str) -> bool {
    value.len() == 3 && value.chars().all(|c| c.is_ascii_uppercase())
}

const MAX_DOCUMENTS: usize = 100;
const MAX_TEXT: usize = 256;

/// Parses presented documents; every problem is reported with its path.
pub fn documents_from_proto(docs: &[pb::Document], errors: &mut Vec<FieldError>) -> Vec<Document> {
    if docs.len() > MAX_DOCUMENTS {
        errors.push(FieldError::new(
            "documents",
            format!("at most {MAX_DOCUMENTS} documents"),
        ));
        return Vec::new();
    }
    docs.iter()
        .enumerate()
        .filter_map(|(i, d)| document_from_proto(i, d, errors))
        .collect()
}

fn document_from_proto(
    i: usize,
    d: &pb::Document,
    errors: &mut Vec<FieldError>,
) -> Option<Document> {
    let path = |field: &str| format!("documents[{i}].{field}");
    let before = errors.len();
    let kind = document_type_from_proto(d.r#type);
    if kind.is_none() {
        errors.push(FieldError::new(path("type"), "required: a DocumentType"));
    }
    let form = form_from_proto(d.form);
    if form.is_none() {
        errors.push(FieldError::new(
            path("form"),
            "required: ORIGINAL, COPY, NOTARIZED_COPY or ELECTRONIC",
        ));
    }
    let holder = if d.holder.is_empty() {
        None
    } else {
        match parse_name(&path("holder"), &d.holder, "persons") {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    };
    if !d.language.is_empty() && !is_language_code(&d.language) {
        errors.push(FieldError::new(
            path("language"),
            "must be an ISO 639-1 code in lower case, e.g. `zh`",
        ));
    }
    let translation = d.translation.as_ref().map(|t| Translation {
        language: t.language.clone(),
        notarized: t.notarized,
    });
    if let Some(t) = &translation
        && !is_language_code(&t.language)
    {
        errors.push(FieldError::new(
            path("translation.language"),
            "must be an ISO 639-1 code in lower case, e.g. `kk`",
        ));
    }
    if !d.issuing_country.is_empty() && !is_country_code(&d.issuing_country) {
        errors.push(FieldError::new(
            path("issuing_country"),
            "must be an ISO 3166-1 alpha-3 code, e.g. `CHN`",
        ));
    }
    for (field, value) in [("number", &d.number), ("storage_ref", &d.storage_ref)] {
        if value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
            errors.push(FieldError::new(
                path(field),
                format!("at most {MAX_TEXT} characters, no control characters"),
            ));
        }
    }
    if !(d.content_sha256.is_empty() || is_sha256_hex(&d.content_sha256)) {
        errors.push(FieldError::new(
            path("content_sha256"),
            "must be 64 lower-case hex digits",
        ));
    }
    let issue_date =
        date_from_proto(&path("issue_date"), d.issue_date.as_ref()).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
    let expiry_date =
        date_from_proto(&path("expiry_date"), d.expiry_date.as_ref()).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
    if let (Some(issued), Some(expires)) = (issue_date, expiry_date)
        && expires < issued
    {
        errors.push(FieldError::new(
            path("expiry_date"),
            "must not be before issue_date",
        ));
    }
    if d.amount_tenge < 0 {
        errors.push(FieldError::new(
            path("amount_tenge"),
            "must not be negative",
        ));
    }
    let photo = match &d.photo {
        None => None,
        Some(p) => match (
            u32::try_from(p.count),
            u32::try_from(p.width_mm),
            u32::try_from(p.height_mm),
        ) {
            (Ok(count), Ok(width_mm), Ok(height_mm)) => Some(Photo {
                count,
                width_mm,
                height_mm,
            }),
            _ => {
                errors.push(FieldError::new(
                    path("photo"),
                    "count and sizes must not be negative",
                ));
                None
            }
        },
    };
    if errors.len() > before {
        return None;
    }
    Some(Document {
        kind: kind?,
        holder,
        form: form?,
        language: d.language.clone(),
        translation,
        number: d.number.clone(),
        issuing_country: d.issuing_country.clone(),
        issue_date,
        expiry_date,
        amount_tenge: (d.amount_tenge != 0).then_some(d.amount_tenge),
        photo,
        notarized: d.notarized,
        content_sha256: d.content_sha256.clone(),
        storage_ref: d.storage_ref.clone(),
    })
}

pub fn document_to_proto(d: &Document) -> pb::Document {
    pb::Document {
        r#type: document_type_to_proto(d.kind) as i32,
        holder: d
            .holder
            .map(|id| name_of("persons", id))
            .unwrap_or_default(),
        form: form_to_proto(d.form) as i32,
        language: d.language.clone(),
        translation: d.translation.as_ref().map(|t| pb::Translation {
            language: t.language.clone(),
            notarized: t.notarized,
        }),
        number: d.number.clone(),
        issuing_country: d.issuing_country.clone(),
        issue_date: d.issue_date.map(date_to_proto),
        expiry_date: d.expiry_date.map(date_to_proto),
        amount_tenge: d.amount_tenge.unwrap_or_default(),
        photo: d.photo.map(|p| pb::PhotoSpec {
            count: p.count as i32,
            width_mm: p.width_mm as i32,
            height_mm: p.height_mm as i32,
        }),
        content_sha256: d.content_sha256.clone(),
        storage_ref: d.storage_ref.clone(),
        notarized: d.notarized,
    }
}

pub fn checklist_to_proto(item: &ChecklistItem) -> pb::ChecklistItem {
    use pb::checklist_item::Status;
    let status = match item.status {
        ItemStatus::Satisfied => Status::Satisfied,
        ItemStatus::Missing => Status::Missing,
        ItemStatus::Invalid => Status::Invalid,
        ItemStatus::Waived => Status::Waived,
        ItemStatus::SatisfiedFromRecords => Status::SatisfiedFromRecords,
    };
    pb::ChecklistItem {
        requirement: item.requirement.clone(),
        document_type: document_type_to_proto(item.document_type) as i32,
        holder: item
            .holder
            .map(|id| name_of("persons", id))
            .unwrap_or_default(),
        status: status as i32,
        detail: item.detail.clone(),
        legal_basis: item.legal_basis.clone(),
        description: item.description.clone(),
    }
}

pub fn details_to_proto(details: &Details) -> pb::application::Details {
    match details {
        Details::IinAssignment { by_representative } => {
            pb::application::Details::IinAssignment(pb::IinAssignment {
                by_representative: *by_representative,
            })
        }
    }
}

fn state_to_proto(state: &str) -> pb::application::State {
    match state {
        "submitted" => pb::application::State::Submitted,
        "approved" => pb::application::State::Approved,
        "refused" => pb::application::State::Refused,
        "withdrawn" => pb::application::State::Withdrawn,
        _ => pb::application::State::Unspecified,
    }
}

pub fn state_from_proto(value: i32) -> Option<&'static str> {
    match pb::application::State::try_from(value).ok()? {
        pb::application::State::Submitted => Some("submitted"),
        pb::application::State::Approved => Some("approved"),
        pb::application::State::Refused => Some("refused"),
        pb::application::State::Withdrawn => Some("withdrawn"),
        pb::application::State::Unspecified => None,
    }
}

/// The stored application as the API shows it, with `overdue` as of `today`.
pub fn application_to_proto(row: &ApplicationRow, today: NaiveDate) -> pb::Application {
    let details: Option<Details> = serde_json::from_value(row.details.0.clone()).ok();
    let procedure = Procedure::parse(&row.procedure);
    let decision = row.decision.outcome.as_ref().map(|outcome| {
        let result = row
            .decision
            .result
            .as_ref()
            .and_then(|r| serde_json::from_value::<Outcome>(r.0.clone()).ok());
        pb::Decision {
            outcome: if outcome == "approved" {
                pb::decision::Outcome::Approved as i32
            } else {
                pb::decision::Outcome::Refused as i32
            },
            decided_by: row.decision.decided_by.clone().unwrap_or_default(),
            decide_time: row.decision.decided_at.map(timestamp),
            decision_date: row.decision.decision_date.map(date_to_proto),
            reason_code: row.decision.reason_code.clone().unwrap_or_default(),
            reason_text: row.decision.reason_text.clone().unwrap_or_default(),
            result: match result {
                Some(Outcome::IinAssigned { iin }) => Some(pb::decision::Result::IinAssignment(
                    pb::IinAssignmentResult { iin },
                )),
                _ => None,
            },
        }
    });
    let open = row.state == "submitted";
    pb::Application {
        name: name_of("applications", row.id),
        procedure: procedure
            .map(procedure_to_proto)
            .unwrap_or(pb::Procedure::Unspecified) as i32,
        state: state_to_proto(&row.state) as i32,
        applicant: name_of("persons", row.applicant_id),
        documents: row.documents.0.iter().map(document_to_proto).collect(),
        submission_date: Some(date_to_proto(row.submission_date)),
        deadline: row.deadline.map(date_to_proto),
        deadline_provisional: row.deadline_provisional,
        overdue: open && row.deadline.is_some_and(|d| d < today),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        etag: etag(row.version),
        submitted_by: row.submitted_by.clone(),
        checklist: row.checklist.0.iter().map(checklist_to_proto).collect(),
        decision,
        details: details.as_ref().map(details_to_proto),
    }
}
