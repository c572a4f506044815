//! The permanent residence permit: one per person, and held for the procedures that follow it.

use super::{Ctx, Prerequisite, PrerequisiteCode, prerequisite};

// SPEC 5.3; seeds 000, 001 say nothing of a second permit.
const BASIS_NO_PERMIT_YET: &str = "Decision of the service operator: one permanent residence \
    permit per person (no act sets this)";
// SPEC 5.4; seeds 000, 001 (name no act for the card).
pub(super) const BASIS_PERMIT_CARD: &str = "Residence permit card: issued to the holder of a \
    permanent residence permit (no legal act cited)";
// SPEC 5.5; seeds 002, 001, 003.
pub(super) const BASIS_PERMIT_REGISTRATION: &str = "Rules for providing public services for \
    «Permanent and temporary registration of foreigners, stateless persons permanently residing \
    in the Republic of Kazakhstan, as well as refugees» (in force 16 March 2024)";

impl Ctx<'_> {
    pub(super) fn no_permit_yet(&self) -> Prerequisite {
        match self.permit() {
            None => prerequisite(
                PrerequisiteCode::NoPermitYet,
                true,
                format!("no permanent residence permit is held on {}", self.as_of),
                None,
                BASIS_NO_PERMIT_YET,
            ),
            Some(p) => prerequisite(
                PrerequisiteCode::NoPermitYet,
                false,
                format!(
                    "permanent residence permit {} was already granted on {}",
                    p.number, p.granted_on
                ),
                Some(p.evidence.clone()),
                BASIS_NO_PERMIT_YET,
            ),
        }
    }

    pub(super) fn permit_granted(&self, legal_basis: &'static str) -> Prerequisite {
        match self.permit() {
            Some(p) => prerequisite(
                PrerequisiteCode::PermitGranted,
                true,
                format!(
                    "permanent residence permit {} granted on {}",
                    p.number, p.granted_on
                ),
                Some(p.evidence.clone()),
                legal_basis,
            ),
            None => match self.annulled_permit() {
                Some(p) => prerequisite(
                    PrerequisiteCode::PermitGranted,
                    false,
                    format!(
                        "permanent residence permit {} granted on {} was {}; none is held on {}",
                        p.number,
                        p.granted_on,
                        p.annulment
                            .as_ref()
                            .map(|a| a.describe())
                            .unwrap_or_default(),
                        self.as_of
                    ),
                    Some(p.evidence.clone()),
                    legal_basis,
                ),
                None => prerequisite(
                    PrerequisiteCode::PermitGranted,
                    false,
                    format!("no permanent residence permit is granted on {}", self.as_of),
                    self.person(),
                    legal_basis,
                ),
            },
        }
    }
}
