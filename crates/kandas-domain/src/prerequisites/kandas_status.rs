//! The kandas status: none valid for a new assignment, one valid on the date for the
//! procedures that build on it.

use super::{Ctx, Prerequisite, PrerequisiteCode, prerequisite};

// SPEC 5.2; seeds 000, 004.
const BASIS_KANDAS_NEW: &str = "Public service «Assignment/extension of kandas status»: a valid \
    status is extended, not assigned again";
// SPEC 5.2; seeds 000, 004.
pub(super) const BASIS_KANDAS_EXTENSION: &str = "Public service «Assignment/extension of kandas \
    status»: extension of the previously issued status";
// SPEC 5.3; seeds 000, 001.
pub(super) const BASIS_KANDAS_PERMIT: &str = "Rules for issuing temporary and permanent residence \
    permits to foreigners and stateless persons: kandas category, with a valid kandas status";
// SPEC 5.6 (a); seed 000 (names no act for simplified citizenship).
pub(super) const BASIS_KANDAS_CITIZENSHIP: &str = "Admission to citizenship of the Republic of \
    Kazakhstan in a simplified (registration) manner: kandas permanently residing legally (no \
    legal act cited)";
// SPEC 6 (eligibility); seed 000.
pub(super) const BASIS_KANDAS_QUOTA: &str = "Government resolution on the regional quota for \
    accepting kandas: kandas with a valid status are eligible";

impl Ctx<'_> {
    pub(super) fn no_valid_kandas_status(&self) -> Prerequisite {
        match self.kandas_status() {
            None => prerequisite(
                PrerequisiteCode::NoValidKandasStatus,
                true,
                format!("no kandas status is valid on {}", self.as_of),
                self.person(),
                BASIS_KANDAS_NEW,
            ),
            Some(s) => prerequisite(
                PrerequisiteCode::NoValidKandasStatus,
                false,
                format!(
                    "kandas certificate {} is valid until {} inclusive; apply for its extension instead",
                    s.certificate_number, s.valid_until
                ),
                Some(s.evidence.clone()),
                BASIS_KANDAS_NEW,
            ),
        }
    }

    pub(super) fn kandas_status_valid(&self, legal_basis: &'static str) -> Prerequisite {
        if let Some(s) = self.kandas_status() {
            return prerequisite(
                PrerequisiteCode::KandasStatusValid,
                true,
                format!(
                    "kandas certificate {} is valid on {}, until {} inclusive",
                    s.certificate_number, self.as_of, s.valid_until
                ),
                Some(s.evidence.clone()),
                legal_basis,
            );
        }
        // A status that would be valid but for its annulment is what breaks it; else the
        // status that lapsed last, if any.
        let annulled = self
            .records
            .kandas_statuses
            .iter()
            .filter(|s| s.valid_from <= self.as_of && self.as_of <= s.valid_until)
            .filter_map(|s| {
                s.annulment
                    .as_ref()
                    .filter(|a| a.in_force_on(self.as_of))
                    .map(|a| (s, a))
            })
            .max_by_key(|(s, _)| s.valid_until);
        if let Some((s, a)) = annulled {
            return prerequisite(
                PrerequisiteCode::KandasStatusValid,
                false,
                format!(
                    "kandas certificate {} was {}; no kandas status is valid on {}",
                    s.certificate_number,
                    a.describe(),
                    self.as_of
                ),
                Some(s.evidence.clone()),
                legal_basis,
            );
        }
        let lapsed = self
            .records
            .kandas_statuses
            .iter()
            .filter(|s| s.valid_until < self.as_of)
            .max_by_key(|s| s.valid_until);
        match lapsed {
            Some(s) => prerequisite(
                PrerequisiteCode::KandasStatusValid,
                false,
                format!(
                    "kandas certificate {} expired after {}; no kandas status is valid on {}",
                    s.certificate_number, s.valid_until, self.as_of
                ),
                Some(s.evidence.clone()),
                legal_basis,
            ),
            None => prerequisite(
                PrerequisiteCode::KandasStatusValid,
                false,
                format!("no kandas status is valid on {}", self.as_of),
                self.person(),
                legal_basis,
            ),
        }
    }
}
