//! Documents presented with an application and the requirements catalogue they are checked
//! against (SPEC §5 common rules). Documents are metadata, not files.
//!
//! A procedure's catalogue lists its requirements; for a given applicant each requirement is
//! either required, waived by a named exemption, or satisfied from the service's own records.
//! The same evaluation serves `ListRequiredDocuments`, `CheckDocuments` and
//! `SubmitApplication`, so the three always agree.

use chrono::NaiveDate;
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
pub fn evaluate(
    applied: &[Applied],
    documents: &[Document],
    submission_date: NaiveDate,
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
                Applicability::Required => {
                    let (status, detail) =
                        evaluate_required(req, a.holder, documents, submission_date);
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
                description: req.description.to_string(),
            }
        })
        .collect()
}

fn evaluate_required(
    req: &Requirement,
    holder: Option<Uuid>,
    documents: &[Document],
    submission_date: NaiveDate,
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
        let problems = problems_of(doc, req.checks, submission_date);
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
pub fn problems_of(doc: &Document, checks: &[Check], submission_date: NaiveDate) -> Vec<String> {
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
                        None => problems.push(
                            "a notarized translation into Kazakh or Russian is required".into(),
                        ),
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
        }
    }
    problems
}

/// Requirements of IIN assignment (SPEC §5.1; seeds 000 and 003).
pub mod iin_assignment {
    use super::*;

    pub const IDENTITY_DOCUMENT: Requirement = Requirement {
        id: "iin.identity_document",
        accepted: &[
            DocumentType::IdentityDocument,
            DocumentType::StatelessPersonDocument,
        ],
        description: "identity document of the non-resident, foreigner or stateless person, valid on the submission date",
        legal_basis: "SPEC 5.1; seed 000 (IIN), seed 003",
        checks: &[Check::HasNumber, Check::ValidOnSubmission],
    };

    pub const TRANSLATION: Requirement = Requirement {
        id: "iin.identity_document_translation",
        accepted: &[
            DocumentType::IdentityDocument,
            DocumentType::StatelessPersonDocument,
        ],
        description: "notarized translation of the identity document into Kazakh or Russian",
        legal_basis: "SPEC 5.1 and the translation Decision of SPEC 5: one of Kazakh or Russian suffices",
        checks: &[Check::StateLanguageOrNotarizedTranslation],
    };

    pub const POWER_OF_ATTORNEY: Requirement = Requirement {
        id: "iin.power_of_attorney",
        accepted: &[DocumentType::PowerOfAttorney],
        description: "notarized power of attorney of the representative",
        legal_basis: "SPEC 5.1; seed 003",
        checks: &[Check::Notarized],
    };

    /// What the requirements are for this applicant. `identity_language` is the language of
    /// the identity document presented, when known: a document already in Kazakh or Russian
    /// needs no translation.
    pub fn applied(by_representative: bool, identity_language: Option<&str>) -> Vec<Applied> {
        let mut applied = vec![Applied {
            requirement: &IDENTITY_DOCUMENT,
            holder: None,
            applicability: Applicability::Required,
        }];
        let translation = match identity_language {
            Some(lang) if is_state_language(lang) => Applicability::Waived {
                exemption: format!("the identity document is in a state language ({lang})"),
                legal_basis: "SPEC 5 translations: only foreign-language documents need one".into(),
            },
            _ => Applicability::Required,
        };
        applied.push(Applied {
            requirement: &TRANSLATION,
            holder: None,
            applicability: translation,
        });
        if by_representative {
            applied.push(Applied {
                requirement: &POWER_OF_ATTORNEY,
                holder: None,
                applicability: Applicability::Required,
            });
        }
        applied
    }

    /// The checklist for an IIN application with the documents presented.
    pub fn checklist(
        by_representative: bool,
        documents: &[Document],
        submission_date: NaiveDate,
    ) -> Vec<ChecklistItem> {
        let identity_language = documents
            .iter()
            .find(|d| d.holder.is_none() && IDENTITY_DOCUMENT.accepted.contains(&d.kind))
            .map(|d| d.language.as_str());
        evaluate(
            &applied(by_representative, identity_language),
            documents,
            submission_date,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::iin_assignment::checklist;
    use super::*;

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
        let items = checklist(true, &[], date(2026, 3, 2));
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
        let items = checklist(false, &[doc], date(2026, 3, 2));
        assert!(items.iter().all(|i| !i.is_problem()), "{items:?}");
    }

    #[test]
    fn kazakh_language_document_waives_the_translation() {
        let items = checklist(false, &[passport("kk", None)], date(2026, 3, 2));
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
        let items = checklist(false, &[not_notarized], date(2026, 3, 2));
        assert_eq!(items[1].status, ItemStatus::Invalid);
        assert!(items[1].detail.contains("notarized"));
        let english = passport(
            "mn",
            Some(Translation {
                language: "en".into(),
                notarized: true,
            }),
        );
        let items = checklist(false, &[english], date(2026, 3, 2));
        assert_eq!(items[1].status, ItemStatus::Invalid);
    }

    #[test]
    fn identity_document_expiring_on_the_submission_date_is_still_valid_that_day() {
        let mut doc = passport("kk", None);
        doc.expiry_date = Some(date(2026, 3, 2));
        assert_eq!(
            checklist(false, &[doc.clone()], date(2026, 3, 2))[0].status,
            ItemStatus::Satisfied
        );
        assert_eq!(
            checklist(false, &[doc], date(2026, 3, 3))[0].status,
            ItemStatus::Invalid
        );
    }

    #[test]
    fn power_of_attorney_must_be_notarized() {
        let mut poa = passport("kk", None);
        poa.kind = DocumentType::PowerOfAttorney;
        let items = checklist(true, &[passport("kk", None), poa.clone()], date(2026, 3, 2));
        assert_eq!(items[2].status, ItemStatus::Invalid);
        poa.notarized = true;
        let items = checklist(true, &[passport("kk", None), poa], date(2026, 3, 2));
        assert_eq!(items[2].status, ItemStatus::Satisfied);
    }

    #[test]
    fn a_family_members_document_does_not_serve_the_applicant() {
        let mut doc = passport("kk", None);
        doc.holder = Some(Uuid::nil());
        assert_eq!(
            checklist(false, &[doc], date(2026, 3, 2))[0].status,
            ItemStatus::Missing
        );
    }
}
