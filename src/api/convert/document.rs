//! Documents presented and the checklist, both ways.

use super::*;

pub(super) const DOCUMENT_TYPES: [(pb::DocumentType, DocumentType); 30] = [
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
    (
        pb::DocumentType::KandasCertificate,
        DocumentType::KandasCertificate,
    ),
    (
        pb::DocumentType::UssrPassport1974,
        DocumentType::UssrPassport1974,
    ),
    (pb::DocumentType::MilitaryId, DocumentType::MilitaryId),
    (
        pb::DocumentType::PrisonReleaseCertificate,
        DocumentType::PrisonReleaseCertificate,
    ),
    (
        pb::DocumentType::ReturnCertificate,
        DocumentType::ReturnCertificate,
    ),
    (
        pb::DocumentType::CitizenshipRenunciation,
        DocumentType::CitizenshipRenunciation,
    ),
    (
        pb::DocumentType::OwnerIdentityDocument,
        DocumentType::OwnerIdentityDocument,
    ),
    (
        pb::DocumentType::ApplicantConsentForm,
        DocumentType::ApplicantConsentForm,
    ),
];

pub fn document_type_to_proto(kind: DocumentType) -> pb::DocumentType {
    DOCUMENT_TYPES
        .iter()
        .find(|(_, d)| *d == kind)
        .map(|(p, _)| *p)
        .unwrap_or(pb::DocumentType::Unspecified)
}

pub(super) fn document_type_from_proto(value: i32) -> Option<DocumentType> {
    let proto = pb::DocumentType::try_from(value).ok()?;
    DOCUMENT_TYPES
        .iter()
        .find(|(p, _)| *p == proto)
        .map(|(_, d)| *d)
}

pub(super) fn form_to_proto(form: DocumentForm) -> pb::DocumentForm {
    match form {
        DocumentForm::Original => pb::DocumentForm::Original,
        DocumentForm::Copy => pb::DocumentForm::Copy,
        DocumentForm::NotarizedCopy => pb::DocumentForm::NotarizedCopy,
        DocumentForm::Electronic => pb::DocumentForm::Electronic,
    }
}

pub(super) fn form_from_proto(value: i32) -> Option<DocumentForm> {
    match pb::DocumentForm::try_from(value).ok()? {
        pb::DocumentForm::Original => Some(DocumentForm::Original),
        pb::DocumentForm::Copy => Some(DocumentForm::Copy),
        pb::DocumentForm::NotarizedCopy => Some(DocumentForm::NotarizedCopy),
        pb::DocumentForm::Electronic => Some(DocumentForm::Electronic),
        pb::DocumentForm::Unspecified => None,
    }
}

pub(super) fn is_language_code(value: &str) -> bool {
    value.len() == 2 && value.chars().all(|c| c.is_ascii_lowercase())
}

pub(super) fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64 && value.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

pub(super) const MAX_DOCUMENTS: usize = 100;
pub(super) const MAX_TEXT: usize = 256;

/// Parses presented documents; every problem is reported with its path.
pub fn documents_from_proto(docs: &[pb::Document]) -> Result<Vec<Document>, Vec<FieldError>> {
    if docs.len() > MAX_DOCUMENTS {
        return Err(vec![FieldError::new(
            "documents",
            format!("at most {MAX_DOCUMENTS} documents"),
        )]);
    }
    let mut fields = Fields::new();
    let documents = docs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| document_from_proto(i, d, &mut fields))
        .collect();
    fields.into_result(documents)
}

pub(super) fn document_from_proto(
    i: usize,
    d: &pb::Document,
    fields: &mut Fields,
) -> Option<Document> {
    let path = |field: &str| format!("documents[{i}].{field}");
    let before = fields.count();
    let kind = document_type_from_proto(d.r#type);
    if kind.is_none() {
        fields.push(FieldError::new(path("type"), "required: a DocumentType"));
    }
    let form = form_from_proto(d.form);
    if form.is_none() {
        fields.push(FieldError::new(
            path("form"),
            "required: ORIGINAL, COPY, NOTARIZED_COPY or ELECTRONIC",
        ));
    }
    let holder = if d.holder.is_empty() {
        None
    } else {
        fields
            .check(parse_name::<PersonId>(&path("holder"), &d.holder))
            .map(PersonId::uuid)
    };
    if !d.language.is_empty() && !is_language_code(&d.language) {
        fields.push(FieldError::new(
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
        fields.push(FieldError::new(
            path("translation.language"),
            "must be an ISO 639-1 code in lower case, e.g. `kk`",
        ));
    }
    let issuing_country = fields
        .check(optional_country(
            &path("issuing_country"),
            &d.issuing_country,
        ))
        .unwrap_or_default();
    for (field, value) in [("number", &d.number), ("storage_ref", &d.storage_ref)] {
        if value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
            fields.push(FieldError::new(
                path(field),
                format!("at most {MAX_TEXT} characters, no control characters"),
            ));
        }
    }
    if !(d.content_sha256.is_empty() || is_sha256_hex(&d.content_sha256)) {
        fields.push(FieldError::new(
            path("content_sha256"),
            "must be 64 lower-case hex digits",
        ));
    }
    let issue_date = fields
        .check(date_from_proto(&path("issue_date"), d.issue_date.as_ref()))
        .flatten();
    let expiry_date = fields
        .check(date_from_proto(
            &path("expiry_date"),
            d.expiry_date.as_ref(),
        ))
        .flatten();
    if let (Some(issued), Some(expires)) = (issue_date, expiry_date)
        && expires < issued
    {
        fields.push(FieldError::new(
            path("expiry_date"),
            "must not be before issue_date",
        ));
    }
    if d.amount_tenge < 0 {
        fields.push(FieldError::new(
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
                fields.push(FieldError::new(
                    path("photo"),
                    "count and sizes must not be negative",
                ));
                None
            }
        },
    };
    if fields.count() > before {
        return None;
    }
    Some(Document {
        kind: kind?,
        holder,
        form: form?,
        language: d.language.clone(),
        translation,
        number: d.number.clone(),
        issuing_country,
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
            .map(|id| PersonId::from(id).to_string())
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
            .map(|id| PersonId::from(id).to_string())
            .unwrap_or_default(),
        status: status as i32,
        detail: item.detail.clone(),
        legal_basis: item.legal_basis.clone(),
        description: item.description.clone(),
    }
}
