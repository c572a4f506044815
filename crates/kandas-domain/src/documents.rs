//! Documents presented with an application and the requirements catalogue they are checked
//! against (SPEC §5 common rules). Documents are metadata, not files.
//!
//! A procedure's catalogue lists its requirements; for a given applicant each requirement is
//! either required, waived by a named exemption, or satisfied from the service's own records.
//! The same evaluation serves `ListRequiredDocuments`, `CheckDocuments` and
//! `SubmitApplication`, so the three always agree.

use super::money::Mci;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    IdentityDocument,
    PowerOfAttorney,
    ApplicationForm,
    Biography,
    NationalityProof,
    KinshipProof,
    EmployerInvitation,
    StudyCertificate,
    PriorConsentDecision,
    BirthCertificate,
    DepartureConsent,
    SolvencyProof,
    CriminalRecordCertificate,
    ChildConsent,
    HousingContract,
    MedicalCertificate,
    Photo,
    CitizenshipTerminationCertificate,
    StateDutyPayment,
    StatelessPersonDocument,
    OwnerConsent,
    ComplianceObligation,
    // Added with the requirements catalogue (`catalogue.rs`); the proto enum has the same values.
    /// Kandas certificate (SPEC 5.2, 5.6): never asked for, always met from records.
    KandasCertificate,
    /// Passport of the 1974 model of the former USSR (stateless certificate, SPEC 5.4).
    UssrPassport1974,
    /// Military ID (stateless certificate, SPEC 5.4).
    MilitaryId,
    /// Certificate of release from prison (stateless certificate, SPEC 5.4).
    PrisonReleaseCertificate,
    /// Certificate of return issued by a foreign institution of Kazakhstan (stateless
    /// certificate, SPEC 5.4).
    ReturnCertificate,
    /// Notarized application renouncing the previous citizenship (simplified citizenship,
    /// SPEC 5.6); distinct from the questionnaire (`ApplicationForm`).
    CitizenshipRenunciation,
    /// Identity document of the owner of the dwelling (residence registration, SPEC 5.5); the
    /// owner is not a person of the application, so their document has its own type.
    OwnerIdentityDocument,
    /// The applicant's signed consent to an intermediary filing on their behalf under its
    /// service agreement (IIN assignment, SPEC 5.1).
    ApplicantConsentForm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentForm {
    Original,
    Copy,
    NotarizedCopy,
    Electronic,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    /// ISO 639-1 code.
    pub language: String,
    pub notarized: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub count: u32,
    pub width_mm: u32,
    pub height_mm: u32,
}

/// A document as presented; already well-formed (the API layer parsed it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub kind: DocumentType,
    /// `None` for the applicant, otherwise the family member's person id.
    pub holder: Option<Uuid>,
    pub form: DocumentForm,
    /// ISO 639-1 code of the document's language; empty when not stated.
    pub language: String,
    pub translation: Option<Translation>,
    pub number: String,
    pub issuing_country: String,
    pub issue_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub amount_tenge: Option<i64>,
    pub photo: Option<Photo>,
    pub notarized: bool,
    pub content_sha256: String,
    pub storage_ref: String,
}

/// Languages a document may be in, or translated into, without further translation.
pub const STATE_LANGUAGES: [&str; 2] = ["kk", "ru"];

pub fn is_state_language(language: &str) -> bool {
    STATE_LANGUAGES.contains(&language)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Satisfied,
    Missing,
    Invalid,
    Waived,
    SatisfiedFromRecords,
}

/// One requirement evaluated for one holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub requirement: String,
    pub document_type: DocumentType,
    pub holder: Option<Uuid>,
    pub status: ItemStatus,
    /// Why invalid, which exemption waived it, or which record satisfied it.
    pub detail: String,
    pub legal_basis: String,
    pub description: String,
}

impl ChecklistItem {
    /// Missing or invalid: the submission cannot be accepted.
    pub fn is_problem(&self) -> bool {
        matches!(self.status, ItemStatus::Missing | ItemStatus::Invalid)
    }
}

/// How a requirement applies to this applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicability {
    Required,
    Waived {
        exemption: String,
        legal_basis: String,
    },
    FromRecords {
        record: String,
    },
    /// Met only from the service's own records (never demanded from the caller), and the
    /// records do not hold it: the item is missing, with the reason; a document presented
    /// instead does not help.
    NotOnRecord {
        reason: String,
    },
}

/// Whose document a requirement asks for. Ages are whole years on the submission date
/// (`records::age_on`); "child" means a family member of that age, whatever the relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whom {
    /// The applicant only (one per application).
    Applicant,
    /// The applicant and each family member.
    EachPerson,
    /// Each family member, not the applicant.
    EachFamilyMember,
    /// Each family member under 16 (age < 16).
    EachChildUnder16,
    /// Each family member aged 14 to 18 (14 ≤ age < 18).
    EachChildAged14To18,
    /// Each family member under 18 (a minor, acting through a legal representative).
    EachChildUnder18,
    /// The applicant, and each family member aged 14 or more (age ≥ 14).
    EachPersonAged14OrMore,
    /// The applicant, and each family member aged 16 or more (age ≥ 16).
    EachPersonAged16OrMore,
}

/// Solvency for the permanent residence permit: at least 1,320 MCI (SPEC 5.3).
pub const SOLVENCY_MCI: i64 = 1_320;
/// State duty (and state fee): 4 MCI (SPEC 5.3, seed 001).
pub const STATE_DUTY_MCI: i64 = 4;
/// Photo size, width × height in millimetres (SPEC 5.3, 5.4, 5.6).
pub const PHOTO_SIZE_MM: (u32, u32) = (35, 45);

/// What the checks of one submission may depend on besides the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckContext {
    pub submission_date: NaiveDate,
    /// MCI of the submission year, when set; money checks need it.
    pub mci: Option<Mci>,
}

impl CheckContext {
    /// A context without MCI (money checks then fail naming the year).
    pub fn on(submission_date: NaiveDate) -> CheckContext {
        CheckContext {
            submission_date,
            mci: None,
        }
    }
}

/// A check a presented document must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Not expired on the submission date.
    ValidOnSubmission,
    /// In Kazakh or Russian, or with a notarized translation into one of them.
    StateLanguageOrNotarizedTranslation,
    /// The document itself is notarized.
    Notarized,
    /// A document number is given.
    HasNumber,
    /// `amount_tenge` is at least this many MCI of the submission year (solvency, state duty).
    AmountAtLeastMci(i64),
    /// At least `count` photos of 35×45 mm.
    Photos { count: u32 },
    /// Presented as the original or in electronic form from the digital document service, not
    /// as a copy (identity documents for residence registration, SPEC 5.5; seed 002).
    OriginalOrElectronic,
}

/// One entry of a procedure's catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub id: &'static str,
    /// Any of these document types meets the requirement.
    pub accepted: &'static [DocumentType],
    pub description: &'static str,
    pub legal_basis: &'static str,
    pub checks: &'static [Check],
    /// Whose document it is: one item per such person.
    pub per: Whom,
    /// Whether a document of the same holder presented with an earlier application
    /// (`PersonRecords.presented`) that still passes the checks on this submission date meets
    /// it from records. True for documents that describe a lasting fact (identity, birth,
    /// nationality, kinship, biography); false for what belongs to one application or must be
    /// fresh (forms, consents, payments, photos, medical and criminal-record certificates).
    pub reusable: bool,
}

/// A requirement as it applies to one holder in one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub requirement: &'static Requirement,
    pub holder: Option<Uuid>,
    pub applicability: Applicability,
}

/// Evaluates applied requirements against the documents presented, on the submission date.
/// Without documents (`ListRequiredDocuments`) every required item is simply missing.
/// Money checks fail here for want of an MCI; use [`evaluate_with`] to give one.
pub fn evaluate(
    applied: &[Applied],
    documents: &[Document],
    submission_date: NaiveDate,
) -> Vec<ChecklistItem> {
    evaluate_with(applied, documents, &CheckContext::on(submission_date))
}

/// Evaluates applied requirements against the documents presented, with the MCI of the
/// submission year for money checks.
pub fn evaluate_with(
    applied: &[Applied],
    documents: &[Document],
    ctx: &CheckContext,
) -> Vec<ChecklistItem> {
    applied
        .iter()
        .map(|a| {
            let req = a.requirement;
            let (status, detail, legal_basis) = match &a.applicability {
                Applicability::Waived {
                    exemption,
                    legal_basis,
                } => (ItemStatus::Waived, exemption.clone(), legal_basis.clone()),
                Applicability::FromRecords { record } => (
                    ItemStatus::SatisfiedFromRecords,
                    record.clone(),
                    req.legal_basis.to_string(),
                ),
                Applicability::NotOnRecord { reason } => (
                    ItemStatus::Missing,
                    reason.clone(),
                    req.legal_basis.to_string(),
                ),
                Applicability::Required => {
                    let (status, detail) = evaluate_required(req, a.holder, documents, ctx);
                    (status, detail, req.legal_basis.to_string())
                }
            };
            ChecklistItem {
                requirement: req.id.to_string(),
                document_type: req.accepted[0],
                holder: a.holder,
                status,
                detail,
                legal_basis,
                description: describe(req, ctx),
            }
        })
        .collect()
}

/// The requirement in words; a money requirement also names the amount of the year.
fn describe(req: &Requirement, ctx: &CheckContext) -> String {
    let mut text = req.description.to_string();
    for check in req.checks {
        if let Check::AmountAtLeastMci(count) = check {
            let year = ctx.submission_date.year();
            match ctx.mci.and_then(|mci| mci.times(*count)) {
                Some(amount) => text.push_str(&format!(
                    " ({} MCI = {} tenge in {year})",
                    thousands(*count),
                    thousands(amount)
                )),
                None => text.push_str(&format!(
                    " ({} MCI; MCI for {year} is not set)",
                    thousands(*count)
                )),
            }
        }
    }
    text
}

/// `5190240` as `5,190,240`.
pub fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn evaluate_required(
    req: &Requirement,
    holder: Option<Uuid>,
    documents: &[Document],
    ctx: &CheckContext,
) -> (ItemStatus, String) {
    let candidates: Vec<&Document> = documents
        .iter()
        .filter(|d| d.holder == holder && req.accepted.contains(&d.kind))
        .collect();
    if candidates.is_empty() {
        return (ItemStatus::Missing, String::new());
    }
    // Any one candidate passing every check meets the requirement; otherwise report the
    // problems of the first so the caller knows what to fix.
    let mut first_problems: Option<Vec<String>> = None;
    for doc in candidates {
        let problems = problems_on(doc, req.checks, ctx);
        if problems.is_empty() {
            return (ItemStatus::Satisfied, String::new());
        }
        first_problems.get_or_insert(problems);
    }
    (
        ItemStatus::Invalid,
        first_problems.unwrap_or_default().join("; "),
    )
}

/// Every failed check of one document, in words.
pub fn problems_on(doc: &Document, checks: &[Check], ctx: &CheckContext) -> Vec<String> {
    let submission_date = ctx.submission_date;
    let mut problems = Vec::new();
    for check in checks {
        match check {
            Check::ValidOnSubmission => {
                if let Some(expiry) = doc.expiry_date
                    && expiry < submission_date
                {
                    problems.push(format!(
                        "expired on {expiry}, before the submission date {submission_date}"
                    ));
                }
            }
            Check::StateLanguageOrNotarizedTranslation => {
                if !is_state_language(&doc.language) {
                    match &doc.translation {
                        None if doc.language.trim().is_empty() => problems.push(
                            "the document's language is not stated: a document not in Kazakh \
                             or Russian needs a notarized translation into one of them"
                                .into(),
                        ),
                        None => problems.push(format!(
                            "the document is in `{}`: a notarized translation into Kazakh or \
                             Russian is required",
                            doc.language
                        )),
                        Some(t) if !is_state_language(&t.language) => problems.push(format!(
                            "translation language `{}` is neither Kazakh (kk) nor Russian (ru)",
                            t.language
                        )),
                        Some(t) if !t.notarized => {
                            problems.push("the translation must be notarized".into())
                        }
                        Some(_) => {}
                    }
                }
            }
            Check::Notarized => {
                if !doc.notarized && doc.form != DocumentForm::NotarizedCopy {
                    problems.push("must be notarized".into());
                }
            }
            Check::HasNumber => {
                if doc.number.trim().is_empty() {
                    problems.push("the document number is required".into());
                }
            }
            Check::AmountAtLeastMci(count) => {
                if let Some(problem) = amount_problem(doc.amount_tenge, *count, ctx) {
                    problems.push(problem);
                }
            }
            Check::Photos { count } => {
                let (width, height) = PHOTO_SIZE_MM;
                match doc.photo {
                    None => problems.push(format!(
                        "the number and size of the photos are required: {count} of \
                         {width}×{height} mm"
                    )),
                    Some(photo) => {
                        if photo.count < *count {
                            problems.push(format!(
                                "{} photo(s) presented, {count} required",
                                photo.count
                            ));
                        }
                        if (photo.width_mm, photo.height_mm) != (width, height) {
                            problems.push(format!(
                                "photos are {}×{} mm, {width}×{height} mm required",
                                photo.width_mm, photo.height_mm
                            ));
                        }
                    }
                }
            }
            Check::OriginalOrElectronic => {
                if !matches!(doc.form, DocumentForm::Original | DocumentForm::Electronic) {
                    problems.push(
                        "must be the original or the electronic document from the digital \
                         document service, not a copy"
                            .into(),
                    );
                }
            }
        }
    }
    problems
}

/// Why an amount falls short of `count` MCI of the submission year, if it does.
fn amount_problem(amount: Option<i64>, count: i64, ctx: &CheckContext) -> Option<String> {
    let year = ctx.submission_date.year();
    let Some(mci) = ctx.mci else {
        return Some(format!(
            "MCI for {year} is not set: the required amount of {} MCI cannot be computed until \
             an administrator sets it",
            thousands(count)
        ));
    };
    let Some(required) = mci.times(count) else {
        return Some(format!(
            "{} MCI of {year} overflows the tenge range",
            thousands(count)
        ));
    };
    match amount {
        None => Some(format!(
            "the amount is required: at least {} MCI = {} tenge in {year}",
            thousands(count),
            thousands(required)
        )),
        Some(paid) if paid < required => Some(format!(
            "{} tenge is less than {} MCI = {} tenge (MCI {} in {year})",
            thousands(paid),
            thousands(count),
            thousands(required),
            thousands(mci.tenge())
        )),
        Some(_) => None,
    }
}

pub mod iin_assignment;

#[cfg(test)]
mod tests {
    use super::iin_assignment::checklist;
    use super::*;
    use crate::role::Role::{self, *};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn passport(language: &str, translation: Option<Translation>) -> Document {
        Document {
            kind: DocumentType::IdentityDocument,
            holder: None,
            form: DocumentForm::Original,
            language: language.into(),
            translation,
            number: "E1234567".into(),
            issuing_country: "CHN".into(),
            issue_date: Some(date(2020, 1, 1)),
            expiry_date: Some(date(2030, 1, 1)),
            amount_tenge: None,
            photo: None,
            notarized: false,
            content_sha256: String::new(),
            storage_ref: String::new(),
        }
    }

    fn statuses(items: &[ChecklistItem]) -> Vec<(&str, ItemStatus)> {
        items
            .iter()
            .map(|i| (i.requirement.as_str(), i.status))
            .collect()
    }

    #[test]
    fn nothing_presented_lists_every_required_document() {
        let items = checklist(true, Psc, &[], date(2026, 3, 2));
        assert_eq!(
            statuses(&items),
            vec![
                ("iin.identity_document", ItemStatus::Missing),
                ("iin.identity_document_translation", ItemStatus::Missing),
                ("iin.power_of_attorney", ItemStatus::Missing),
            ]
        );
    }

    #[test]
    fn foreign_passport_with_notarized_russian_translation_is_complete() {
        let doc = passport(
            "zh",
            Some(Translation {
                language: "ru".into(),
                notarized: true,
            }),
        );
        let items = checklist(false, Psc, &[doc], date(2026, 3, 2));
        assert!(items.iter().all(|i| !i.is_problem()), "{items:?}");
    }

    #[test]
    fn kazakh_language_document_waives_the_translation() {
        let items = checklist(false, Psc, &[passport("kk", None)], date(2026, 3, 2));
        assert_eq!(items[1].status, ItemStatus::Waived);
        assert!(!items[1].legal_basis.is_empty());
    }

    #[test]
    fn unnotarized_or_foreign_translation_is_invalid_with_the_reason() {
        let not_notarized = passport(
            "mn",
            Some(Translation {
                language: "kk".into(),
                notarized: false,
            }),
        );
        let items = checklist(false, Psc, &[not_notarized], date(2026, 3, 2));
        assert_eq!(items[1].status, ItemStatus::Invalid);
        assert!(items[1].detail.contains("notarized"));
        let english = passport(
            "mn",
            Some(Translation {
                language: "en".into(),
                notarized: true,
            }),
        );
        let items = checklist(false, Psc, &[english], date(2026, 3, 2));
        assert_eq!(items[1].status, ItemStatus::Invalid);
    }

    #[test]
    fn identity_document_expiring_on_the_submission_date_is_still_valid_that_day() {
        let mut doc = passport("kk", None);
        doc.expiry_date = Some(date(2026, 3, 2));
        assert_eq!(
            checklist(false, Psc, &[doc.clone()], date(2026, 3, 2))[0].status,
            ItemStatus::Satisfied
        );
        assert_eq!(
            checklist(false, Psc, &[doc], date(2026, 3, 3))[0].status,
            ItemStatus::Invalid
        );
    }

    #[test]
    fn power_of_attorney_must_be_notarized() {
        let mut poa = passport("kk", None);
        poa.kind = DocumentType::PowerOfAttorney;
        let items = checklist(
            true,
            Psc,
            &[passport("kk", None), poa.clone()],
            date(2026, 3, 2),
        );
        assert_eq!(items[2].status, ItemStatus::Invalid);
        poa.notarized = true;
        let items = checklist(true, Psc, &[passport("kk", None), poa], date(2026, 3, 2));
        assert_eq!(items[2].status, ItemStatus::Satisfied);
    }

    #[test]
    fn a_family_members_document_does_not_serve_the_applicant() {
        let mut doc = passport("kk", None);
        doc.holder = Some(Uuid::nil());
        assert_eq!(
            checklist(false, Psc, &[doc], date(2026, 3, 2))[0].status,
            ItemStatus::Missing
        );
    }

    fn consent_form(expiry: Option<NaiveDate>) -> Document {
        Document {
            kind: DocumentType::ApplicantConsentForm,
            expiry_date: expiry,
            language: "en".into(),
            ..passport("en", None)
        }
    }

    fn consent_item(items: &[ChecklistItem]) -> Option<&ChecklistItem> {
        items.iter().find(|i| i.requirement == "iin.consent_form")
    }

    #[test]
    fn the_consent_form_is_asked_of_an_intermediary_and_of_no_other_channel() {
        let day = date(2026, 3, 2);
        let items = checklist(false, Intermediary, &[passport("kk", None)], day);
        let consent = consent_item(&items).expect("an intermediary presents the consent form");
        assert_eq!(consent.status, ItemStatus::Missing);
        assert_eq!(consent.document_type, DocumentType::ApplicantConsentForm);
        assert!(consent.legal_basis.contains("AIFC Expat Centre"));
        for channel in [Psc, Mission, Portal] {
            let items = checklist(false, channel, &[passport("kk", None)], day);
            assert_eq!(consent_item(&items), None, "{channel}");
            assert!(
                items.iter().all(|i| !i.is_problem()),
                "{channel}: {items:?}"
            );
            // A consent form presented anyway changes nothing.
            let with_consent = checklist(
                false,
                channel,
                &[passport("kk", None), consent_form(None)],
                day,
            );
            assert_eq!(with_consent, items, "{channel}");
        }
    }

    #[test]
    fn an_intermediarys_application_with_the_consent_form_is_complete_on_the_day() {
        let day = date(2026, 3, 2);
        let documents = [passport("kk", None), consent_form(Some(day))];
        let items = checklist(false, Intermediary, &documents, day);
        assert!(items.iter().all(|i| !i.is_problem()), "{items:?}");
        assert_eq!(consent_item(&items).unwrap().status, ItemStatus::Satisfied);
        // The day after the consent runs out it no longer consents.
        let items = checklist(false, Intermediary, &documents, date(2026, 3, 3));
        let consent = consent_item(&items).unwrap();
        assert_eq!(consent.status, ItemStatus::Invalid);
        assert!(consent.detail.contains("2026-03-02"), "{}", consent.detail);
    }

    #[test]
    fn an_intermediary_filing_for_a_representative_needs_both_papers() {
        let items = checklist(true, Intermediary, &[], date(2026, 3, 2));
        let ids: Vec<&str> = items.iter().map(|i| i.requirement.as_str()).collect();
        assert_eq!(
            ids,
            [
                "iin.identity_document",
                "iin.identity_document_translation",
                "iin.power_of_attorney",
                "iin.consent_form",
            ]
        );
        let power = &items[2];
        assert!(power.legal_basis.contains("AIFC Expat Centre"));
        assert!(!power.legal_basis.contains("no legal act"));
    }

    #[test]
    fn every_role_but_the_intermediary_gets_the_same_checklist() {
        let day = date(2026, 3, 2);
        let psc = checklist(true, Psc, &[], day);
        for role in Role::ALL {
            let items = checklist(true, role, &[], day);
            assert_eq!(items == psc, role != Intermediary, "{role}");
        }
    }
}
