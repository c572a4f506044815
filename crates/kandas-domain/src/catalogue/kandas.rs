//! Kandas status assignment (SPEC 5.2; seeds 000, 004).

use super::{FOREIGN, IDENTITY_CHECKS};
use crate::documents::{DocumentType as T, Requirement, Whom};

/// The public service behind kandas status and its documents (SPEC 5.2; seeds 000, 004: seed 004
/// is its service card; no act is named beyond "the Rules" it refers to).
pub const SERVICE: &str = "Public service «Assignment/extension of kandas status»";

pub static APPLICATION_FORM: Requirement = Requirement {
    id: "kandas.application_form",
    accepted: &[T::ApplicationForm],
    description: "application for the assignment of kandas status",
    legal_basis: SERVICE,
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static BIOGRAPHY: Requirement = Requirement {
    id: "kandas.biography",
    accepted: &[T::Biography],
    description: "biography (personal history) in any form",
    legal_basis: SERVICE,
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
/// **Decision:** a birth certificate counts as an identity document here, as seeds 000
/// and 004 list it among them ("birth certificates, passport, certificate of a stateless
/// person or other official documents").
pub static IDENTITY_DOCUMENT: Requirement = Requirement {
    id: "kandas.identity_document",
    accepted: &[
        T::IdentityDocument,
        T::StatelessPersonDocument,
        T::BirthCertificate,
    ],
    description: "identity document (passport, stateless person's certificate or birth \
                  certificate), valid on the submission date, with a notarized translation \
                  into Kazakh or Russian",
    legal_basis: SERVICE,
    checks: IDENTITY_CHECKS,
    per: Whom::EachPerson,
    reusable: true,
};
pub static NATIONALITY_PROOF: Requirement = Requirement {
    id: "kandas.nationality_proof",
    accepted: &[T::NationalityProof],
    description: "document confirming Kazakh nationality (the identity documents do not \
                  state it)",
    legal_basis: SERVICE,
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
/// **Decision:** one requirement covers the kinship and the relatives' citizenship and
/// residence (SPEC names them as one group of documents).
pub static KINSHIP_PROOF: Requirement = Requirement {
    id: "kandas.kinship_proof",
    accepted: &[T::KinshipProof],
    description: "documents establishing the kinship with close relatives who are citizens \
                  permanently residing in Kazakhstan, and their citizenship and residence \
                  (ground 3)",
    legal_basis: "Public service «Assignment/extension of kandas status»; the Rules, subclause 3) \
        of clause 2",
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
pub static EMPLOYER_INVITATION: Requirement = Requirement {
    id: "kandas.employer_invitation",
    accepted: &[T::EmployerInvitation],
    description: "invitation of the employer (ground 4)",
    legal_basis: "Public service «Assignment/extension of kandas status», condition 4) invitation \
        of the employers; the invitation is asked by decision of the service operator",
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static STUDY_CERTIFICATE: Requirement = Requirement {
    id: "kandas.study_certificate",
    accepted: &[T::StudyCertificate],
    description: "certificate from the higher education institution in Kazakhstan where \
                  the applicant studies (ground 5)",
    legal_basis: "Public service «Assignment/extension of kandas status», condition 5): \
        certificate from the place of study",
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static PRIOR_CONSENT_DECISION: Requirement = Requirement {
    id: "kandas.prior_consent_decision",
    accepted: &[T::PriorConsentDecision],
    description: "copy of the decision on consent to the assignment of kandas status \
                  obtained through a foreign institution of Kazakhstan",
    legal_basis: SERVICE,
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
pub static ALL: [&Requirement; 8] = [
    &APPLICATION_FORM,
    &BIOGRAPHY,
    &IDENTITY_DOCUMENT,
    &NATIONALITY_PROOF,
    &KINSHIP_PROOF,
    &EMPLOYER_INVITATION,
    &STUDY_CERTIFICATE,
    &PRIOR_CONSENT_DECISION,
];
