//! Residence permit card (SPEC 5.4; seeds 000, 001).

use super::{DUTY, IDENTITY_CHECKS};
use crate::documents::{DocumentType as T, Requirement, Whom};

pub static IDENTITY_DOCUMENT: Requirement = Requirement {
    id: "card.identity_document",
    accepted: &[T::IdentityDocument],
    description: "valid national passport",
    legal_basis: "Residence permit card: valid national passport (no legal act cited)",
    checks: IDENTITY_CHECKS,
    per: Whom::Applicant,
    reusable: true,
};
/// **Decision:** SPEC names no amount for the card's fee; the state duty of 4 MCI
/// (seed 001) is used, and `STATE_DUTY_MCI` is the one place to change it.
pub static STATE_FEE: Requirement = Requirement {
    id: "card.state_fee",
    accepted: &[T::StateDutyPayment],
    description: "payment of the state fee of 4 MCI",
    legal_basis: "Tax Code (state fee); 4 MCI, as for the permit, by decision of the service operator",
    checks: DUTY,
    per: Whom::Applicant,
    reusable: false,
};
pub static ALL: [&Requirement; 2] = [&IDENTITY_DOCUMENT, &STATE_FEE];
