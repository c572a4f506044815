//! Permanent registration: active for citizenship and the quota, and the 10-day rule for a
//! permit holder without one.

use super::{Ctx, Prerequisite, PrerequisiteCode, days_between, prerequisite};
use crate::records::RegistrationKind;
use chrono::NaiveDate;

/// A permit holder without an active permanent registration for more than this many calendar
/// days is in violation (SPEC 5.5).
pub const REGISTRATION_GRACE_DAYS: i64 = 10;

/// The last day a permit holder without an active permanent registration since
/// `unregistered_since` (the last day of the last one, or the permit's grant) may register
/// permanently before being in violation: the tenth day after it (SPEC 5.5). The lapse check
/// and the notification of an ended registration both count by it.
pub fn register_again_by(unregistered_since: NaiveDate) -> NaiveDate {
    unregistered_since
        .checked_add_days(chrono::Days::new(REGISTRATION_GRACE_DAYS.unsigned_abs()))
        .unwrap_or(NaiveDate::MAX)
}

// SPEC 5.6 (a), (b); seed 000 (names no act for simplified citizenship).
pub(super) const BASIS_REGISTRATION_CITIZENSHIP: &str = "Admission to citizenship of the Republic \
    of Kazakhstan in a simplified (registration) manner: permanently residing legally (no legal \
    act cited)";
// SPEC 6 (eligibility); seed 000.
pub(super) const BASIS_REGISTRATION_QUOTA: &str = "Government resolution on the regional quota \
    for accepting kandas: kandas registered in one of its regions are eligible";
// SPEC 5.5; seeds 001 (10 days without registration), 003 (Administrative Code), 002.
const BASIS_LAPSE: &str = "Administrative Code of the Republic of Kazakhstan: more than 10 \
    calendar days without registration is an administrative violation";

impl Ctx<'_> {
    pub(super) fn permanent_registration_active(&self, legal_basis: &'static str) -> Prerequisite {
        match self.registration() {
            Some(r) => prerequisite(
                PrerequisiteCode::PermanentRegistrationActive,
                true,
                format!(
                    "permanently registered in {} since {}",
                    r.region, r.registered_on
                ),
                Some(r.evidence.clone()),
                legal_basis,
            ),
            None => prerequisite(
                PrerequisiteCode::PermanentRegistrationActive,
                false,
                format!("no active permanent registration on {}", self.as_of),
                self.person(),
                legal_basis,
            ),
        }
    }

    pub(super) fn registration_lapse(&self) -> Prerequisite {
        let mut p = self.registration_lapse_inner();
        p.blocking = false;
        p
    }

    fn registration_lapse_inner(&self) -> Prerequisite {
        let Some(permit) = self.permit() else {
            return prerequisite(
                PrerequisiteCode::RegistrationLapse,
                true,
                format!(
                    "no permanent residence permit on {}, so no permanent registration is due",
                    self.as_of
                ),
                None,
                BASIS_LAPSE,
            );
        };
        if let Some(r) = self.registration() {
            return prerequisite(
                PrerequisiteCode::RegistrationLapse,
                true,
                format!(
                    "permanently registered in {} since {}",
                    r.region, r.registered_on
                ),
                Some(r.evidence.clone()),
                BASIS_LAPSE,
            );
        }
        // Unregistered since the later of the permit's grant and the last day of the last
        // permanent registration that has ended (replaced, or ended by police: SPEC 5.7).
        let ended = self
            .records
            .registrations
            .iter()
            .filter(|r| r.kind == RegistrationKind::Permanent)
            .filter_map(|r| r.last_day().filter(|u| *u < self.as_of).map(|u| (u, r)))
            .max_by_key(|(u, _)| *u);
        let (since, evidence, what) = match ended {
            Some((until, r)) if until > permit.granted_on => (
                until,
                r.evidence.clone(),
                match r.ended {
                    Some(end) if end.last_day == until => format!(
                        "the last permanent registration was ended by police ({}), its last day {until}",
                        end.reason.as_str().replace('_', " ")
                    ),
                    _ => format!("the last permanent registration ended on {until}"),
                },
            ),
            _ => (
                permit.granted_on,
                permit.evidence.clone(),
                format!(
                    "permanent residence permit {} granted on {}",
                    permit.number, permit.granted_on
                ),
            ),
        };
        let days = days_between(since, self.as_of);
        let satisfied = self.as_of <= register_again_by(since);
        let description = if satisfied {
            format!(
                "{what}; no active permanent registration for {days} days on {} (a violation after more than {REGISTRATION_GRACE_DAYS})",
                self.as_of
            )
        } else {
            format!(
                "{what}; no active permanent registration for {days} days on {}, more than {REGISTRATION_GRACE_DAYS}: in violation until registered",
                self.as_of
            )
        };
        prerequisite(
            PrerequisiteCode::RegistrationLapse,
            satisfied,
            description,
            Some(evidence),
            BASIS_LAPSE,
        )
    }
}
