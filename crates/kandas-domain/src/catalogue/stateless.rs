//! Stateless person certificate (SPEC 5.4; seed 000).

use super::{DUTY, FOREIGN};
use crate::documents::{Check, DocumentType as T, Requirement, Whom};

/// **Decision:** as for the card, 4 MCI.
pub static STATE_FEE: Requirement = Requirement {
    id: "stateless.state_fee",
    accepted: &[T::StateDutyPayment],
    description: "payment of the state fee of 4 MCI",
    legal_basis: "Tax Code (state fee); 4 MCI, as for the permit, by decision of the service operator",
    checks: DUTY,
    per: Whom::Applicant,
    reusable: false,
};
pub static PHOTOS: Requirement = Requirement {
    id: "stateless.photos",
    accepted: &[T::Photo],
    description: "three photos 35×45 mm (paper form)",
    legal_basis: "Stateless person certificate: three photos for the paper form (no legal act cited)",
    checks: &[Check::Photos { count: 3 }],
    per: Whom::Applicant,
    reusable: false,
};
/// One of the listed documents; an expired passport counts, so there is no validity check.
pub static IDENTITY_BASIS: Requirement = Requirement {
    id: "stateless.identity_basis",
    accepted: &[
        T::IdentityDocument,
        T::StatelessPersonDocument,
        T::UssrPassport1974,
        T::MilitaryId,
        T::PrisonReleaseCertificate,
        T::CitizenshipTerminationCertificate,
        T::ReturnCertificate,
    ],
    description: "one of: expired passport, stateless person's certificate, USSR passport \
                  of the 1974 model, military ID, certificate of release from prison, \
                  certificate of renunciation or change of citizenship, certificate of \
                  return issued abroad",
    legal_basis: "Stateless person certificate: one of the listed documents (no legal act cited)",
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
/// The same list for an applicant under 16, where a birth certificate also counts.
pub static IDENTITY_BASIS_UNDER_16: Requirement = Requirement {
    id: "stateless.identity_basis",
    accepted: &[
        T::IdentityDocument,
        T::StatelessPersonDocument,
        T::UssrPassport1974,
        T::MilitaryId,
        T::PrisonReleaseCertificate,
        T::CitizenshipTerminationCertificate,
        T::BirthCertificate,
        T::ReturnCertificate,
    ],
    description: "one of: expired passport, stateless person's certificate, USSR passport \
                  of the 1974 model, military ID, certificate of release from prison, \
                  certificate of renunciation or change of citizenship, birth certificate \
                  (under 16), certificate of return issued abroad",
    legal_basis: "Stateless person certificate: one of the listed documents (no legal act cited)",
    checks: FOREIGN,
    per: Whom::Applicant,
    reusable: true,
};
pub static ALL: [&Requirement; 4] = [
    &STATE_FEE,
    &PHOTOS,
    &IDENTITY_BASIS,
    &IDENTITY_BASIS_UNDER_16,
];
