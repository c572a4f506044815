//! Citizenship: not yet a citizen of Kazakhstan for admission, no citizenship at all for the
//! stateless person's certificate.

use super::{Ctx, Prerequisite, PrerequisiteCode, prerequisite};
use crate::country::is_stateless;

// SPEC 5.6; seed 000 (names no act for admission to citizenship).
const BASIS_NOT_A_CITIZEN: &str = "Admission to citizenship of the Republic of Kazakhstan in a \
    simplified (registration) manner: admission applies to non-citizens (no legal act cited)";
// SPEC 5.4; seed 000 (names no act for the certificate).
const BASIS_STATELESS: &str =
    "Stateless person certificate: issued to a person without citizenship (no legal act cited)";

impl Ctx<'_> {
    pub(super) fn not_a_citizen(&self) -> Prerequisite {
        let citizenship = self
            .records
            .kazakh_citizenship
            .as_ref()
            .filter(|c| c.granted_on <= self.as_of);
        match citizenship {
            None => prerequisite(
                PrerequisiteCode::NotACitizen,
                true,
                format!(
                    "the person is not a citizen of Kazakhstan on {}",
                    self.as_of
                ),
                self.person(),
                BASIS_NOT_A_CITIZEN,
            ),
            Some(c) => prerequisite(
                PrerequisiteCode::NotACitizen,
                false,
                format!(
                    "the person has been a citizen of Kazakhstan since {}",
                    c.granted_on
                ),
                Some(c.evidence.clone()),
                BASIS_NOT_A_CITIZEN,
            ),
        }
    }

    pub(super) fn stateless(&self) -> Prerequisite {
        // Decision: stateless means no foreign citizenship on record (`citizenship` empty or
        // ICAO's XXA) and not a citizen of Kazakhstan either.
        if let Some(c) = self
            .records
            .kazakh_citizenship
            .as_ref()
            .filter(|c| c.granted_on <= self.as_of)
        {
            return prerequisite(
                PrerequisiteCode::Stateless,
                false,
                format!(
                    "the person has been a citizen of Kazakhstan since {}",
                    c.granted_on
                ),
                Some(c.evidence.clone()),
                BASIS_STATELESS,
            );
        }
        let citizenship = self.records.citizenship.trim();
        let (satisfied, description) = if is_stateless(citizenship) {
            (true, "the person holds no citizenship".to_string())
        } else {
            (
                false,
                format!("the person is recorded as a citizen of {citizenship}"),
            )
        };
        prerequisite(
            PrerequisiteCode::Stateless,
            satisfied,
            description,
            self.person(),
            BASIS_STATELESS,
        )
    }
}
