//! Simplified citizenship (SPEC 5.6; seed 000).

use super::{DUTY, FOREIGN, IDENTITY};
use crate::documents::{Check, DocumentType as T, Requirement, Whom};

/// The procedure behind simplified citizenship and its documents (SPEC 5.6; seed 000 describes
/// it and names no act for it).
pub const PROCEDURE: &str = "Admission to citizenship of the Republic of Kazakhstan in a \
    simplified (registration) manner (no legal act cited)";

pub static RENUNCIATION: Requirement = Requirement {
    id: "citizenship.renunciation",
    accepted: &[T::CitizenshipRenunciation],
    description: "notarized application renouncing the previous citizenship",
    legal_basis: PROCEDURE,
    checks: &[Check::Notarized],
    per: Whom::Applicant,
    reusable: false,
};
pub static BIOGRAPHY: Requirement = Requirement {
    id: "citizenship.biography",
    accepted: &[T::Biography],
    description: "autobiography in free form",
    legal_basis: PROCEDURE,
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
pub static APPLICATION_FORM: Requirement = Requirement {
    id: "citizenship.application_form",
    accepted: &[T::ApplicationForm],
    description: "application questionnaire",
    legal_basis: PROCEDURE,
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static PHOTOS: Requirement = Requirement {
    id: "citizenship.photos",
    accepted: &[T::Photo],
    description: "four photos 35×45 mm",
    legal_basis: PROCEDURE,
    checks: &[Check::Photos { count: 4 }],
    per: Whom::Applicant,
    reusable: false,
};
pub static COMPLIANCE_OBLIGATION: Requirement = Requirement {
    id: "citizenship.compliance_obligation",
    accepted: &[T::ComplianceObligation],
    description: "obligation to comply with the conditions",
    legal_basis: PROCEDURE,
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
/// **Decision:** asked of the applicant and of every family member aged 16 or more (each
/// acquires citizenship), a child under 16 by `citizenship.birth_certificate`, as for the
/// permit. No validity check: the document proves the other citizenship, and SPEC asks
/// for a copy only.
pub static IDENTITY_DOCUMENT: Requirement = Requirement {
    id: "citizenship.identity_document",
    accepted: IDENTITY,
    description: "copy of the identity document confirming the citizenship of another state \
                  (or the stateless person's document)",
    legal_basis: PROCEDURE,
    checks: &[Check::HasNumber, Check::StateLanguageOrNotarizedTranslation],
    per: Whom::EachPersonAged16OrMore,
    reusable: true,
};
pub static BIRTH_CERTIFICATE: Requirement = Requirement {
    id: "citizenship.birth_certificate",
    accepted: &[
        T::BirthCertificate,
        T::IdentityDocument,
        T::StatelessPersonDocument,
    ],
    description: "birth certificate (or other identity document) of each child under 16 \
                  in the application",
    legal_basis: "Decision of the service operator: a child under 16 is identified by a birth \
        certificate, as for the permit (no act sets this)",
    checks: FOREIGN,
    per: Whom::EachChildUnder16,
    reusable: true,
};
pub static KANDAS_CERTIFICATE: Requirement = Requirement {
    id: "citizenship.kandas_certificate",
    accepted: &[T::KandasCertificate],
    description: "kandas certificate valid on the submission date (an extended status \
                  counts): satisfied from records, never asked for",
    legal_basis: "Admission to citizenship of the Republic of Kazakhstan in a simplified \
        (registration) manner, kandas (no legal act cited); read from records, not requested, by \
        decision of the service operator",
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static STUDY_CERTIFICATE: Requirement = Requirement {
    id: "citizenship.study_certificate",
    accepted: &[T::StudyCertificate],
    description: "certificate from the higher education institution confirming the study",
    legal_basis: "Admission to citizenship of the Republic of Kazakhstan in a simplified \
        (registration) manner, ethnic Kazakhs studying in higher educational institutions (no \
        legal act cited)",
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static NATIONALITY_PROOF: Requirement = Requirement {
    id: "citizenship.nationality_proof",
    accepted: &[T::NationalityProof],
    description: "certificate of proof of Kazakh nationality",
    legal_basis: "Admission to citizenship of the Republic of Kazakhstan in a simplified \
        (registration) manner, ethnic Kazakhs studying in higher educational institutions (no \
        legal act cited)",
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
/// **Decision:** SPEC names no amount; the state duty of 4 MCI is used as for the permit.
pub static STATE_DUTY: Requirement = Requirement {
    id: "citizenship.state_duty",
    accepted: &[T::StateDutyPayment],
    description: "payment of the state duty of 4 MCI",
    legal_basis: "Tax Code art. 619 (state duty; kandas exempt); 4 MCI, as for the permit, by \
        decision of the service operator",
    checks: DUTY,
    per: Whom::Applicant,
    reusable: false,
};
pub static ALL: [&Requirement; 11] = [
    &RENUNCIATION,
    &BIOGRAPHY,
    &APPLICATION_FORM,
    &PHOTOS,
    &COMPLIANCE_OBLIGATION,
    &IDENTITY_DOCUMENT,
    &BIRTH_CERTIFICATE,
    &KANDAS_CERTIFICATE,
    &STUDY_CERTIFICATE,
    &NATIONALITY_PROOF,
    &STATE_DUTY,
];
