//! Residence registration (SPEC 5.5; seeds 002, 001, 003).

use super::{FOREIGN, IDENTITY};
use crate::documents::{Check, DocumentType as T, Requirement, Whom};

/// The act behind residence registration and its documents (SPEC 5.5; seed 002 names it).
pub const RULES: &str = "Rules for providing public services for «Permanent and temporary \
    registration of foreigners, stateless persons permanently residing in the Republic of \
    Kazakhstan, as well as refugees» (in force 16 March 2024)";

/// **Decision:** "every person over 14 being registered" is read as aged 14 or more
/// (age ≥ 14, seed 002 "individuals above 14 years old"), the same boundary as "aged 14 to
/// 18" elsewhere; the applicant's identity document is always required.
pub static IDENTITY_DOCUMENT: Requirement = Requirement {
    id: "registration.identity_document",
    accepted: IDENTITY,
    description: "identity document, original or electronic from the digital document \
                  service, valid on the submission date",
    legal_basis: RULES,
    checks: &[
        Check::HasNumber,
        Check::ValidOnSubmission,
        Check::OriginalOrElectronic,
        Check::StateLanguageOrNotarizedTranslation,
    ],
    per: Whom::EachPersonAged14OrMore,
    reusable: true,
};
/// **Decision:** "children" are family members under 18; the child's birth certificate
/// establishes the legal representative's authority. Waived when an authorised person
/// applies with a notarized power of attorney.
pub static REPRESENTATIVE_AUTHORITY: Requirement = Requirement {
    id: "registration.representative_authority",
    accepted: &[T::BirthCertificate],
    description: "document of the legal representative's authority for the child (the \
                  child's birth certificate)",
    legal_basis: RULES,
    checks: FOREIGN,
    per: Whom::EachChildUnder18,
    reusable: true,
};
pub static POWER_OF_ATTORNEY: Requirement = Requirement {
    id: "registration.power_of_attorney",
    accepted: &[T::PowerOfAttorney],
    description: "notarized power of attorney of the authorised person",
    legal_basis: RULES,
    checks: &[Check::Notarized],
    per: Whom::Applicant,
    reusable: false,
};
pub static OWNER_IDENTITY_DOCUMENT: Requirement = Requirement {
    id: "registration.owner_identity_document",
    accepted: &[T::OwnerIdentityDocument],
    description: "identity document of the owner of the dwelling",
    legal_basis: RULES,
    checks: &[Check::HasNumber, Check::ValidOnSubmission],
    per: Whom::Applicant,
    reusable: false,
};
/// **Decision:** a housing contract with the owner also carries the owner's consent.
pub static OWNER_CONSENT: Requirement = Requirement {
    id: "registration.owner_consent",
    accepted: &[T::OwnerConsent, T::HousingContract],
    description: "consent of the owner of the dwelling to the registration",
    legal_basis: RULES,
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
/// **Decision:** the organisation's request is presented as OWNER_CONSENT (or as a
/// HOUSING_CONTRACT with the organisation).
pub static ORGANISATION_REQUEST: Requirement = Requirement {
    id: "registration.organisation_request",
    accepted: &[T::OwnerConsent, T::HousingContract],
    description: "request of the administration of the organisation that owns the dwelling",
    legal_basis: RULES,
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static ALL: [&Requirement; 6] = [
    &IDENTITY_DOCUMENT,
    &REPRESENTATIVE_AUTHORITY,
    &POWER_OF_ATTORNEY,
    &OWNER_IDENTITY_DOCUMENT,
    &OWNER_CONSENT,
    &ORGANISATION_REQUEST,
];
