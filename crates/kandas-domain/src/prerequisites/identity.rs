//! The IIN: already assigned for every procedure but its own assignment and the kandas status
//! assignment, and not yet assigned for its own assignment.

use super::{Ctx, Prerequisite, PrerequisiteCode, prerequisite};

// SPEC 5.3, 5.4, 5.5, 5.6; seeds 000, 001, 002, 003 (the path starts with the IIN; no act).
const BASIS_IIN: &str = "Decision of the service operator after the published kandas path, which \
    begins with the IIN (no legal act cited)";
// SPEC 2.1, 5.1; seeds 000, 003 (no act named).
const BASIS_IIN_NEW: &str =
    "An IIN is unique and not subject to change or regeneration (no legal act cited)";

impl Ctx<'_> {
    // Privacy (SPEC 7): descriptions may reach logs, so they never carry the IIN itself.
    pub(super) fn iin_assigned(&self) -> Prerequisite {
        let satisfied = self.records.iin.is_some();
        let description = if satisfied {
            "an IIN is assigned to the person".to_string()
        } else {
            "no IIN is assigned to the person; apply for IIN assignment first".to_string()
        };
        prerequisite(
            PrerequisiteCode::IinAssigned,
            satisfied,
            description,
            self.person(),
            BASIS_IIN,
        )
    }

    pub(super) fn iin_not_yet_assigned(&self) -> Prerequisite {
        let satisfied = self.records.iin.is_none();
        let description = if satisfied {
            "the person holds no IIN yet".to_string()
        } else {
            "the person already holds an IIN; it is never reissued".to_string()
        };
        prerequisite(
            PrerequisiteCode::IinNotYetAssigned,
            satisfied,
            description,
            self.person(),
            BASIS_IIN_NEW,
        )
    }
}
