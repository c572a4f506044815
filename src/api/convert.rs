//! Proto ⟷ domain conversion. Parsing collects every field problem, with its path.

use super::parse_region;
use super::{Fields, name_of, parse_name};
use crate::domain::details::{
    CitizenshipCategory, Details, FamilyMember, KandasGround, Outcome, PermitCategory, Relation,
};
use crate::domain::documents::{
    ChecklistItem, Document, DocumentForm, DocumentType, ItemStatus, Photo, Translation,
};
use crate::domain::iin::Sex;
use crate::domain::issuance::{Issued, IssuedKind};
use crate::domain::lifecycle::State;
use crate::domain::procedure::Procedure;
use crate::domain::records::RegistrationKind;
use crate::domain::regions::Region;
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
        kazakh_citizenship_since: row.kazakh_citizenship_since.map(date_to_proto),
    }
}

pub use crate::service::applications::etag;

const DOCUMENT_TYPES: [(pb::DocumentType, DocumentType); 29] = [
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
pub fn documents_from_proto(docs: &[pb::Document], fields: &mut Fields) -> Vec<Document> {
    if docs.len() > MAX_DOCUMENTS {
        fields.push(FieldError::new(
            "documents",
            format!("at most {MAX_DOCUMENTS} documents"),
        ));
        return Vec::new();
    }
    docs.iter()
        .enumerate()
        .filter_map(|(i, d)| document_from_proto(i, d, fields))
        .collect()
}

fn document_from_proto(i: usize, d: &pb::Document, fields: &mut Fields) -> Option<Document> {
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
        fields.check(parse_name(&path("holder"), &d.holder, "persons"))
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
    if !d.issuing_country.is_empty() && !is_country_code(&d.issuing_country) {
        fields.push(FieldError::new(
            path("issuing_country"),
            "must be an ISO 3166-1 alpha-3 code, e.g. `CHN`",
        ));
    }
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

fn relation_from_proto(value: i32) -> Option<Relation> {
    match pb::Relation::try_from(value).ok()? {
        pb::Relation::Spouse => Some(Relation::Spouse),
        pb::Relation::Child => Some(Relation::Child),
        pb::Relation::Parent => Some(Relation::Parent),
        pb::Relation::OtherRelative => Some(Relation::Other),
        pb::Relation::Unspecified => None,
    }
}

pub fn relation_to_proto(relation: Relation) -> pb::Relation {
    match relation {
        Relation::Spouse => pb::Relation::Spouse,
        Relation::Child => pb::Relation::Child,
        Relation::Parent => pb::Relation::Parent,
        Relation::Other => pb::Relation::OtherRelative,
    }
}

const MAX_FAMILY: usize = 20;

fn family_from_proto(
    path: &str,
    family: &[pb::FamilyMember],
    fields: &mut Fields,
) -> Vec<FamilyMember> {
    if family.len() > MAX_FAMILY {
        fields.push(FieldError::new(
            path,
            format!("at most {MAX_FAMILY} family members"),
        ));
        return Vec::new();
    }
    let mut members: Vec<FamilyMember> = Vec::new();
    for (i, member) in family.iter().enumerate() {
        let person = fields.check(parse_name(
            &format!("{path}[{i}].person"),
            &member.person,
            "persons",
        ));
        let relation = relation_from_proto(member.relation);
        if relation.is_none() {
            fields.push(FieldError::new(
                format!("{path}[{i}].relation"),
                "required: SPOUSE, CHILD, PARENT or OTHER_RELATIVE",
            ));
        }
        if let Some(id) = person
            && members.iter().any(|m| m.person_id == id)
        {
            fields.push(FieldError::new(
                format!("{path}[{i}].person"),
                "listed twice",
            ));
            continue;
        }
        if let (Some(person_id), Some(relation)) = (person, relation) {
            members.push(FamilyMember {
                person_id,
                relation,
            });
        }
    }
    members
}

fn family_to_proto(family: &[FamilyMember]) -> Vec<pb::FamilyMember> {
    family
        .iter()
        .map(|m| pb::FamilyMember {
            person: name_of("persons", m.person_id),
            relation: relation_to_proto(m.relation) as i32,
        })
        .collect()
}

fn ground_from_proto(value: i32) -> Option<KandasGround> {
    use pb::kandas_status_assignment::Ground;
    match Ground::try_from(value).ok()? {
        Ground::QuotaRegionResettlement => Some(KandasGround::QuotaRegionResettlement),
        Ground::DevelopmentPotentialSettlement => {
            Some(KandasGround::DevelopmentPotentialSettlement)
        }
        Ground::FamilyReunification => Some(KandasGround::FamilyReunification),
        Ground::EmployerInvitation => Some(KandasGround::EmployerInvitation),
        Ground::HigherEducationStudent => Some(KandasGround::HigherEducationStudent),
        Ground::Unspecified => None,
    }
}

fn ground_to_proto(ground: KandasGround) -> pb::kandas_status_assignment::Ground {
    use pb::kandas_status_assignment::Ground;
    match ground {
        KandasGround::QuotaRegionResettlement => Ground::QuotaRegionResettlement,
        KandasGround::DevelopmentPotentialSettlement => Ground::DevelopmentPotentialSettlement,
        KandasGround::FamilyReunification => Ground::FamilyReunification,
        KandasGround::EmployerInvitation => Ground::EmployerInvitation,
        KandasGround::HigherEducationStudent => Ground::HigherEducationStudent,
    }
}

pub fn registration_kind_to_proto(kind: RegistrationKind) -> pb::residence_registration::Kind {
    use pb::residence_registration::Kind;
    match kind {
        RegistrationKind::Permanent => Kind::Permanent,
        RegistrationKind::Temporary => Kind::Temporary,
        RegistrationKind::Refugee => Kind::Refugee,
    }
}

const MAX_ADDRESS: usize = 500;

/// Parses the typed details of a procedure; `path` is the field's name in the request.
pub fn details_from_proto(
    path: &str,
    details: Option<&pb::ApplicationDetails>,
    fields: &mut Fields,
) -> Option<Details> {
    use pb::application_details::Procedure as P;
    let Some(procedure) = details.and_then(|d| d.procedure.as_ref()) else {
        fields.push(FieldError::new(
            path,
            "required: the typed details of one procedure (e.g. iin_assignment)",
        ));
        return None;
    };
    let before = fields.count();
    let details = match procedure {
        P::IinAssignment(d) => Details::IinAssignment {
            by_representative: d.by_representative,
        },
        P::KandasStatusAssignment(d) => {
            let mut grounds = Vec::new();
            for (i, g) in d.grounds.iter().enumerate() {
                match ground_from_proto(*g) {
                    Some(g) if !grounds.contains(&g) => grounds.push(g),
                    Some(_) => fields.push(FieldError::new(
                        format!("{path}.kandas_status_assignment.grounds[{i}]"),
                        "listed twice",
                    )),
                    None => fields.push(FieldError::new(
                        format!("{path}.kandas_status_assignment.grounds[{i}]"),
                        "not a Ground",
                    )),
                }
            }
            if d.grounds.is_empty() {
                fields.push(FieldError::new(
                    format!("{path}.kandas_status_assignment.grounds"),
                    "at least one ground of SPEC 5.2 is required",
                ));
            }
            Details::KandasStatusAssignment {
                grounds,
                nationality_in_identity_document: d.nationality_in_identity_document,
                consent_via_foreign_institution: d.consent_via_foreign_institution,
                family: family_from_proto(
                    &format!("{path}.kandas_status_assignment.family"),
                    &d.family,
                    fields,
                ),
            }
        }
        P::KandasStatusExtension(_) => Details::KandasStatusExtension,
        P::PermanentResidencePermit(d) => {
            use pb::permanent_residence_permit::Category;
            let category = match Category::try_from(d.category) {
                Ok(Category::KandasAndFamily) => Some(PermitCategory::KandasAndFamily),
                Ok(Category::OtherForeigner) => Some(PermitCategory::OtherForeigner),
                _ => {
                    fields.push(FieldError::new(
                        format!("{path}.permanent_residence_permit.category"),
                        "required: KANDAS_AND_FAMILY or OTHER_FOREIGNER",
                    ));
                    None
                }
            };
            Details::PermanentResidencePermit {
                category: category.unwrap_or(PermitCategory::OtherForeigner),
                refugee_or_asylum: d.refugee_or_asylum,
                ethnic_kazakh_from_prc: d.ethnic_kazakh_from_prc,
                former_compatriot: d.former_compatriot,
                treaty_simplified_citizenship: d.treaty_simplified_citizenship,
                without_identity_document: d.without_identity_document,
                family: family_from_proto(
                    &format!("{path}.permanent_residence_permit.family"),
                    &d.family,
                    fields,
                ),
            }
        }
        P::ResidencePermitCard(d) => Details::ResidencePermitCard { renewal: d.renewal },
        P::StatelessPersonCertificate(d) => Details::StatelessPersonCertificate {
            paper_form: d.paper_form,
        },
        P::ResidenceRegistration(d) => {
            use pb::residence_registration::Kind;
            let field = |f: &str| format!("{path}.residence_registration.{f}");
            let kind = match Kind::try_from(d.kind) {
                Ok(Kind::Permanent) => Some(RegistrationKind::Permanent),
                Ok(Kind::Temporary) => Some(RegistrationKind::Temporary),
                Ok(Kind::Refugee) => Some(RegistrationKind::Refugee),
                _ => {
                    fields.push(FieldError::new(
                        field("kind"),
                        "required: PERMANENT, TEMPORARY or REFUGEE",
                    ));
                    None
                }
            };
            let region = fields.check(parse_region(&field("region"), &d.region));
            let address = d.address.trim();
            if address.is_empty()
                || address.chars().count() > MAX_ADDRESS
                || address.chars().any(char::is_control)
            {
                fields.push(FieldError::new(
                    field("address"),
                    format!("required: at most {MAX_ADDRESS} characters, no control characters"),
                ));
            }
            let until = fields
                .check(date_from_proto(&field("until"), d.until.as_ref()))
                .flatten();
            match (kind, until) {
                (Some(RegistrationKind::Temporary), None) => fields.push(FieldError::new(
                    field("until"),
                    "required for a temporary registration",
                )),
                (Some(RegistrationKind::Permanent), Some(_)) => fields.push(FieldError::new(
                    field("until"),
                    "a permanent registration has no end date",
                )),
                _ => {}
            }
            Details::ResidenceRegistration {
                kind: kind.unwrap_or(RegistrationKind::Permanent),
                // A placeholder only where the error above already refuses the request.
                region: region.unwrap_or(Region::Astana),
                address: address.to_string(),
                until,
                by_representative: d.by_representative,
                owner_is_organisation: d.owner_is_organisation,
                family: family_from_proto(&field("family"), &d.family, fields),
            }
        }
        P::SimplifiedCitizenship(d) => {
            use pb::simplified_citizenship::Category;
            let category = match Category::try_from(d.category) {
                Ok(Category::Kandas) => Some(CitizenshipCategory::Kandas),
                Ok(Category::RepressionVictimDescendant) => {
                    Some(CitizenshipCategory::RepressionVictimDescendant)
                }
                Ok(Category::EthnicKazakhStudent) => Some(CitizenshipCategory::EthnicKazakhStudent),
                _ => {
                    fields.push(FieldError::new(
                        format!("{path}.simplified_citizenship.category"),
                        "required: KANDAS, REPRESSION_VICTIM_DESCENDANT or ETHNIC_KAZAKH_STUDENT",
                    ));
                    None
                }
            };
            Details::SimplifiedCitizenship {
                category: category.unwrap_or(CitizenshipCategory::Kandas),
                family: family_from_proto(
                    &format!("{path}.simplified_citizenship.family"),
                    &d.family,
                    fields,
                ),
            }
        }
        P::RegionalQuotaInclusion(d) => {
            let field = |f: &str| format!("{path}.regional_quota_inclusion.{f}");
            let region = fields.check(parse_region(&field("region"), &d.region));
            if !(2000..=2200).contains(&d.year) {
                fields.push(FieldError::new(
                    field("year"),
                    "required: the quota year, e.g. 2026",
                ));
            }
            Details::RegionalQuotaInclusion {
                region: region.unwrap_or(Region::Astana),
                year: d.year,
                family: family_from_proto(&field("family"), &d.family, fields),
            }
        }
    };
    (fields.count() == before).then_some(details)
}

pub fn details_to_proto(details: &Details) -> pb::ApplicationDetails {
    use pb::application_details::Procedure as P;
    let procedure = match details {
        Details::IinAssignment { by_representative } => P::IinAssignment(pb::IinAssignment {
            by_representative: *by_representative,
        }),
        Details::KandasStatusAssignment {
            grounds,
            nationality_in_identity_document,
            consent_via_foreign_institution,
            family,
        } => P::KandasStatusAssignment(pb::KandasStatusAssignment {
            grounds: grounds.iter().map(|g| ground_to_proto(*g) as i32).collect(),
            nationality_in_identity_document: *nationality_in_identity_document,
            consent_via_foreign_institution: *consent_via_foreign_institution,
            family: family_to_proto(family),
        }),
        Details::KandasStatusExtension => P::KandasStatusExtension(pb::KandasStatusExtension {}),
        Details::PermanentResidencePermit {
            category,
            refugee_or_asylum,
            ethnic_kazakh_from_prc,
            former_compatriot,
            treaty_simplified_citizenship,
            without_identity_document,
            family,
        } => P::PermanentResidencePermit(pb::PermanentResidencePermit {
            category: match category {
                PermitCategory::KandasAndFamily => {
                    pb::permanent_residence_permit::Category::KandasAndFamily
                }
                PermitCategory::OtherForeigner => {
                    pb::permanent_residence_permit::Category::OtherForeigner
                }
            } as i32,
            refugee_or_asylum: *refugee_or_asylum,
            ethnic_kazakh_from_prc: *ethnic_kazakh_from_prc,
            former_compatriot: *former_compatriot,
            treaty_simplified_citizenship: *treaty_simplified_citizenship,
            without_identity_document: *without_identity_document,
            family: family_to_proto(family),
        }),
        Details::ResidencePermitCard { renewal } => {
            P::ResidencePermitCard(pb::ResidencePermitCard { renewal: *renewal })
        }
        Details::StatelessPersonCertificate { paper_form } => {
            P::StatelessPersonCertificate(pb::StatelessPersonCertificate {
                paper_form: *paper_form,
            })
        }
        Details::ResidenceRegistration {
            kind,
            region,
            address,
            until,
            by_representative,
            owner_is_organisation,
            family,
        } => P::ResidenceRegistration(pb::ResidenceRegistration {
            kind: registration_kind_to_proto(*kind) as i32,
            region: region.to_string(),
            address: address.clone(),
            until: until.map(date_to_proto),
            by_representative: *by_representative,
            owner_is_organisation: *owner_is_organisation,
            family: family_to_proto(family),
        }),
        Details::SimplifiedCitizenship { category, family } => {
            P::SimplifiedCitizenship(pb::SimplifiedCitizenship {
                category: match category {
                    CitizenshipCategory::Kandas => pb::simplified_citizenship::Category::Kandas,
                    CitizenshipCategory::RepressionVictimDescendant => {
                        pb::simplified_citizenship::Category::RepressionVictimDescendant
                    }
                    CitizenshipCategory::EthnicKazakhStudent => {
                        pb::simplified_citizenship::Category::EthnicKazakhStudent
                    }
                } as i32,
                family: family_to_proto(family),
            })
        }
        Details::RegionalQuotaInclusion {
            region,
            year,
            family,
        } => P::RegionalQuotaInclusion(pb::RegionalQuotaInclusion {
            region: region.to_string(),
            year: *year,
            family: family_to_proto(family),
        }),
    };
    pb::ApplicationDetails {
        procedure: Some(procedure),
    }
}

fn issued_kind_to_proto(kind: IssuedKind) -> pb::issued_record::Kind {
    use pb::issued_record::Kind;
    match kind {
        IssuedKind::KandasCertificate => Kind::KandasCertificate,
        IssuedKind::KandasExtension => Kind::KandasExtension,
        IssuedKind::PermanentResidencePermit => Kind::PermanentResidencePermit,
        IssuedKind::ResidencePermitCard => Kind::ResidencePermitCard,
        IssuedKind::StatelessPersonCertificate => Kind::StatelessPersonCertificate,
        IssuedKind::Registration => Kind::Registration,
        IssuedKind::Citizenship => Kind::Citizenship,
        IssuedKind::QuotaInclusion => Kind::QuotaInclusion,
    }
}

pub fn issued_to_proto(issued: &Issued) -> pb::IssuedRecord {
    pb::IssuedRecord {
        person: name_of("persons", issued.person_id),
        kind: issued_kind_to_proto(issued.kind) as i32,
        number: issued.number.clone(),
        valid_from: issued.valid_from.map(date_to_proto),
        valid_until: issued.valid_until.map(date_to_proto),
        region: issued.region.clone(),
        address: issued.address.clone(),
    }
}

fn state_to_proto(state: State) -> pb::application::State {
    match state {
        State::Submitted => pb::application::State::Submitted,
        State::Approved => pb::application::State::Approved,
        State::Refused => pb::application::State::Refused,
        State::Withdrawn => pb::application::State::Withdrawn,
    }
}

pub fn state_from_proto(value: i32) -> Option<State> {
    match pb::application::State::try_from(value).ok()? {
        pb::application::State::Submitted => Some(State::Submitted),
        pb::application::State::Approved => Some(State::Approved),
        pb::application::State::Refused => Some(State::Refused),
        pb::application::State::Withdrawn => Some(State::Withdrawn),
        pb::application::State::Unspecified => None,
    }
}

/// The stored application as the API shows it, with `overdue` as of `today`.
pub fn application_to_proto(row: &ApplicationRow, today: NaiveDate) -> pb::Application {
    let decision = row.decision.outcome.map(|outcome| {
        let result = row.decision.result.as_ref().map(|r| &r.0);
        pb::Decision {
            outcome: if outcome == State::Approved {
                pb::decision::Outcome::Approved as i32
            } else {
                pb::decision::Outcome::Refused as i32
            },
            decided_by: row.decision.decided_by.clone().unwrap_or_default(),
            decide_time: row.decision.decided_at.map(timestamp),
            decision_date: row.decision.decision_date.map(date_to_proto),
            reason_code: row.decision.reason_code.clone().unwrap_or_default(),
            reason_text: row.decision.reason_text.clone().unwrap_or_default(),
            issued: match result {
                Some(Outcome::Issued { records }) => records.iter().map(issued_to_proto).collect(),
                _ => Vec::new(),
            },
            result: match result {
                Some(Outcome::IinAssigned { iin }) => Some(pb::decision::Result::IinAssignment(
                    pb::IinAssignmentResult { iin: iin.clone() },
                )),
                _ => None,
            },
        }
    });
    let step_open = row.pending_step.is_pending();
    pb::Application {
        name: name_of("applications", row.id),
        procedure: procedure_to_proto(row.procedure) as i32,
        state: state_to_proto(row.state) as i32,
        applicant: name_of("persons", row.applicant_id),
        documents: row.documents.0.iter().map(document_to_proto).collect(),
        submission_date: Some(date_to_proto(row.submission_date)),
        deadline: row.deadline.map(date_to_proto),
        deadline_provisional: row.deadline_provisional,
        overdue: step_open && row.step_deadline.is_some_and(|d| d < today),
        pending_step: if step_open {
            row.pending_step.to_string()
        } else {
            String::new()
        },
        step_deadline: row.step_deadline.map(date_to_proto),
        forwarded_on: row.forwarded_on.map(date_to_proto),
        notified_on: row.notified_on.map(date_to_proto),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        etag: etag(row.version),
        submitted_by: row.submitted_by.clone(),
        checklist: row.checklist.0.iter().map(checklist_to_proto).collect(),
        decision,
        details: Some(details_to_proto(&row.details.0)),
    }
}
