//! The requirements catalogue of SPEC §5 as data: for each procedure, the documents required,
//! whose they are, the condition under which each applies, the exemptions that waive it, the
//! checks a presented document must pass, and what the service meets from its own records.
//!
//! [`checklist`] is the one evaluation behind `ListRequiredDocuments` (no documents),
//! `CheckDocuments` (dry run) and `SubmitApplication` (refused at the door while any item is
//! missing or invalid), so the three always agree.
//!
//! "Never ask for what the state already holds" (SPEC §5, seed 004): a requirement is
//! `SATISFIED_FROM_RECORDS` when
//! - it is a record of the service itself (the kandas certificate: [`extension::KANDAS_CERTIFICATE`],
//!   [`citizenship::KANDAS_CERTIFICATE`]); without the record the item is missing and presenting
//!   a paper does not help; or
//! - it is `reusable` and the same person presented a document of an accepted type with an
//!   earlier application (`PersonRecords.presented`) that still passes the requirement's checks
//!   on this submission date; the detail names that application.
//!
//! The order of precedence for one item is: exemption (`WAIVED`), then records
//! (`SATISFIED_FROM_RECORDS`), then the documents presented now.
//!
//! Decisions where SPEC is silent are marked **Decision** where they are made.

mod evaluate;

pub mod card;
pub mod citizenship;
pub mod extension;
pub mod kandas;
pub mod permit;
pub mod registration;
pub mod stateless;

pub use evaluate::applied;

use chrono::NaiveDate;

use super::details::{Details, FamilyMember};
use super::documents::{
    Check, CheckContext, ChecklistItem, Document, DocumentType as T, Requirement, STATE_DUTY_MCI,
    evaluate_with, iin_assignment,
};
use super::money::Mci;
use super::procedure::Procedure;
use super::records::PersonRecords;
use super::role::Role;

/// One application being checked at the door (or described before submitting).
#[derive(Debug, Clone)]
pub struct Case<'a> {
    pub details: &'a Details,
    pub submission_date: NaiveDate,
    pub applicant: &'a PersonRecords,
    /// Each member of `details.family()`, in that order, with their records.
    pub family: Vec<(&'a FamilyMember, &'a PersonRecords)>,
    /// Documents presented now; `holder: None` = applicant, `Some(person_id)` = that family member.
    pub documents: &'a [Document],
    /// MCI of the submission year when set; solvency (1,320 MCI) and state duty (4 MCI) need it.
    pub mci: Option<Mci>,
    /// The role of the organisation filing: the caller's, never what a request says. An
    /// intermediary presents the applicant's consent form (SPEC 5.1).
    pub filed_by: Role,
}

impl Case<'_> {
    /// What the checks of this submission depend on besides the documents.
    pub fn check_context(&self) -> CheckContext {
        CheckContext {
            submission_date: self.submission_date,
            mci: self.mci,
        }
    }
}

/// The one checklist behind ListRequiredDocuments, CheckDocuments and SubmitApplication.
pub fn checklist(case: &Case<'_>) -> Vec<ChecklistItem> {
    if let Details::IinAssignment { by_representative } = case.details {
        // Kept exactly as seeds 000 and 003 describe it (documents presented now only).
        return iin_assignment::checklist(
            *by_representative,
            case.filed_by,
            case.documents,
            case.submission_date,
        );
    }
    evaluate_with(&applied(case), case.documents, &case.check_context())
}

/// The requirements a procedure may ask for, in checklist order (conditions decide which apply
/// to a given case). Regional quota inclusion asks for no documents (SPEC §6).
pub fn requirements(procedure: Procedure) -> &'static [&'static Requirement] {
    match procedure {
        Procedure::IinAssignment => &IIN_ALL,
        Procedure::KandasStatusAssignment => &kandas::ALL,
        Procedure::KandasStatusExtension => &extension::ALL,
        Procedure::PermanentResidencePermit => &permit::ALL,
        Procedure::ResidencePermitCard => &card::ALL,
        Procedure::StatelessPersonCertificate => &stateless::ALL,
        Procedure::ResidenceRegistration => &registration::ALL,
        Procedure::RegionalQuotaInclusion => &[],
        Procedure::SimplifiedCitizenship => &citizenship::ALL,
    }
}

static IIN_ALL: [&Requirement; 4] = [
    &iin_assignment::IDENTITY_DOCUMENT,
    &iin_assignment::TRANSLATION,
    &iin_assignment::POWER_OF_ATTORNEY,
    &iin_assignment::CONSENT_FORM,
];

// ---------------------------------------------------------------------------------------------
// The catalogue, one module per procedure. `reusable` is decided per document:
// - yes: identity documents (re-checked for validity on each submission date), birth
//   certificates, nationality and kinship proofs, biographies, the prior consent decision,
//   certificates of termination of citizenship and the historic documents of the stateless
//   certificate: each records a lasting fact, and seed 004 forbids asking again for what the
//   state holds;
// - no: application forms and questionnaires, renunciation applications, obligations, powers
//   of attorney, consents (of a child, of an owner, of the state of departure), housing
//   contracts and organisations' requests: each is made for one application; payments: one per
//   application; photos, medical, criminal-record, solvency, study and employment documents:
//   they certify the present state and must be fresh.
// ---------------------------------------------------------------------------------------------

const IDENTITY: &[T] = &[T::IdentityDocument, T::StatelessPersonDocument];
const IDENTITY_CHECKS: &[Check] = &[
    Check::HasNumber,
    Check::ValidOnSubmission,
    Check::StateLanguageOrNotarizedTranslation,
];
/// Documents typically issued abroad: a foreign-language one needs a notarized translation
/// into Kazakh or Russian (SPEC §5 common rules).
const FOREIGN: &[Check] = &[Check::StateLanguageOrNotarizedTranslation];
const DUTY: &[Check] = &[Check::AmountAtLeastMci(STATE_DUTY_MCI)];

#[cfg(test)]
mod tests;
