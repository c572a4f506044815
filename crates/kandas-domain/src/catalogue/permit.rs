//! Permanent residence permit (SPEC 5.3; seeds 000, 001).

use super::{DUTY, FOREIGN, IDENTITY, IDENTITY_CHECKS};
use crate::documents::{Check, DocumentType as T, Requirement, SOLVENCY_MCI, Whom};

/// The act behind the permit and its documents (SPEC 5.3; seeds 000, 001: seed 001 names it).
pub const RULES: &str = "Rules for issuing temporary and permanent residence permits to \
    foreigners and stateless persons";

pub static APPLICATION_FORM: Requirement = Requirement {
    id: "permit.application_form",
    accepted: &[T::ApplicationForm],
    description: "application-questionnaire",
    legal_basis: RULES,
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
/// **Decision:** asked of the applicant and every family member aged 16 or more; a child
/// under 16 is identified by `permit.birth_certificate` (seed 000: "a birth certificate or
/// other document proving the identity of a child under sixteen").
pub static IDENTITY_DOCUMENT: Requirement = Requirement {
    id: "permit.identity_document",
    accepted: IDENTITY,
    description: "national passport or stateless person's document (copy, original shown), \
                  valid on the submission date",
    legal_basis: RULES,
    checks: IDENTITY_CHECKS,
    per: Whom::EachPersonAged16OrMore,
    reusable: true,
};
pub static BIRTH_CERTIFICATE: Requirement = Requirement {
    id: "permit.birth_certificate",
    accepted: &[
        T::BirthCertificate,
        T::IdentityDocument,
        T::StatelessPersonDocument,
    ],
    description: "birth certificate (or other identity document) of each child under 16 \
                  in the application",
    legal_basis: RULES,
    checks: &[
        Check::ValidOnSubmission,
        Check::StateLanguageOrNotarizedTranslation,
    ],
    per: Whom::EachChildUnder16,
    reusable: true,
};
pub static DEPARTURE_CONSENT: Requirement = Requirement {
    id: "permit.departure_consent",
    accepted: &[T::DepartureConsent],
    description: "written consent of the state of citizenship (departure sheet) or another \
                  document permitting departure for permanent residence abroad",
    legal_basis: RULES,
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: false,
};
pub static BIOGRAPHY: Requirement = Requirement {
    id: "permit.biography",
    accepted: &[T::Biography],
    description: "autobiography in Kazakh or Russian (or with a notarized translation into \
                  one of them), signed by the applicant",
    legal_basis: RULES,
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
/// **Decision:** one proof per application (the applicant's), as SPEC states one amount.
pub static SOLVENCY: Requirement = Requirement {
    id: "permit.solvency",
    accepted: &[T::SolvencyProof],
    description: "proof of solvency of at least 1,320 MCI of the submission year",
    legal_basis: "Government Decree of 26 November 2003 No. 1185 (Rules for confirming solvency \
        of foreigners and stateless persons applying for permanent residence permits)",
    checks: &[Check::AmountAtLeastMci(SOLVENCY_MCI)],
    per: Whom::Applicant,
    reusable: false,
};
pub static CRIMINAL_RECORD: Requirement = Requirement {
    id: "permit.criminal_record",
    accepted: &[T::CriminalRecordCertificate],
    description: "certificate of (no) criminal record from the state of nationality or \
                  permanent residence",
    legal_basis: RULES,
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: false,
};
pub static CHILD_CONSENT: Requirement = Requirement {
    id: "permit.child_consent",
    accepted: &[T::ChildConsent],
    description: "notarized consent of the child aged 14 to 18 to permanent residence in \
                  Kazakhstan",
    legal_basis: RULES,
    checks: &[Check::Notarized],
    per: Whom::EachChildAged14To18,
    reusable: false,
};
pub static HOUSING: Requirement = Requirement {
    id: "permit.housing",
    accepted: &[T::HousingContract, T::OwnerConsent],
    description: "notarized housing contract or notarized consent of the owner to provide \
                  housing for residence and permanent registration",
    legal_basis: RULES,
    checks: &[Check::Notarized],
    per: Whom::Applicant,
    reusable: false,
};
/// **Decision:** one per person: each person settling is examined.
pub static MEDICAL_CERTIFICATE: Requirement = Requirement {
    id: "permit.medical_certificate",
    accepted: &[T::MedicalCertificate],
    description: "medical certificate on the absence of diseases that prohibit entry \
                  (Order of the Minister of Health No. 664 of 30 September 2011)",
    legal_basis: "Order of the Minister of Health of the Republic of Kazakhstan of 30 September \
        2011 No. 664 (list of diseases prohibiting entry)",
    checks: &[],
    per: Whom::EachPerson,
    reusable: false,
};
/// **Decision:** one per person: each person receives a permit.
pub static PHOTO: Requirement = Requirement {
    id: "permit.photo",
    accepted: &[T::Photo],
    description: "one photo 35×45 mm",
    legal_basis: RULES,
    checks: &[Check::Photos { count: 1 }],
    per: Whom::EachPerson,
    reusable: false,
};
pub static CITIZENSHIP_TERMINATION: Requirement = Requirement {
    id: "permit.citizenship_termination",
    accepted: &[T::CitizenshipTerminationCertificate],
    description: "certificate of absence or termination of the citizenship of another \
                  state (the applicant has no identity document)",
    legal_basis: RULES,
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
pub static STATE_DUTY: Requirement = Requirement {
    id: "permit.state_duty",
    accepted: &[T::StateDutyPayment],
    description: "payment of the state duty of 4 MCI",
    legal_basis: "Rules for issuing temporary and permanent residence permits to foreigners and \
        stateless persons; state duty of 4 MCI under the Tax Code",
    checks: DUTY,
    per: Whom::Applicant,
    reusable: false,
};
pub static ALL: [&Requirement; 13] = [
    &APPLICATION_FORM,
    &IDENTITY_DOCUMENT,
    &BIRTH_CERTIFICATE,
    &DEPARTURE_CONSENT,
    &BIOGRAPHY,
    &SOLVENCY,
    &CRIMINAL_RECORD,
    &CHILD_CONSENT,
    &HOUSING,
    &MEDICAL_CERTIFICATE,
    &PHOTO,
    &CITIZENSHIP_TERMINATION,
    &STATE_DUTY,
];
