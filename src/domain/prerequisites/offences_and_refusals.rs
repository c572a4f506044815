//! The refusal bar of the permit: no administrative offence in migration, tax or labour law and
//! no refused permit in the 12 months before the submission.

use super::{Ctx, Prerequisite, PrerequisiteCode, prerequisite};
use crate::domain::procedure::Procedure;
use crate::domain::records::OffenceField;
use chrono::{Months, NaiveDate};

/// The look-back window for offences and refusals, in months (SPEC 5.3).
pub const LOOK_BACK_MONTHS: u32 = 12;

// SPEC 5.3; seeds 000, 001.
const BASIS_OFFENCE: &str = "Rules for issuing temporary and permanent residence permits to \
    foreigners and stateless persons: no administrative offence in migration, tax or labour law \
    within the year";
// SPEC 5.3; seeds 000, 001.
const BASIS_REFUSAL: &str = "Rules for issuing temporary and permanent residence permits to \
    foreigners and stateless persons: after a refusal, documents are accepted again only after a \
    year";

/// Whether `event` lies within the 12 months before `as_of`: after the same day number 12
/// months earlier (the last day of the month where it does not exist) and not after `as_of`.
/// An event exactly 12 months before does not count.
pub(super) fn within_look_back(event: NaiveDate, as_of: NaiveDate) -> bool {
    if event > as_of {
        return false;
    }
    match as_of.checked_sub_months(Months::new(LOOK_BACK_MONTHS)) {
        Some(start) => event > start,
        None => true,
    }
}

/// The first day on which `event` no longer lies within the look-back window: `event` + 12
/// months.
/// Decision: for an event on 29 February, `event` + 12 months is 28 February, which is still
/// inside the window (28 February − 12 months = 28 February < 29 February), so the first day
/// is 1 March; the earliest date given always passes the check.
pub(super) fn first_day_outside_look_back(event: NaiveDate) -> Option<NaiveDate> {
    let candidate = event.checked_add_months(Months::new(LOOK_BACK_MONTHS))?;
    if within_look_back(event, candidate) {
        candidate.succ_opt()
    } else {
        Some(candidate)
    }
}

impl Ctx<'_> {
    pub(super) fn no_offence_12_months(&self) -> Prerequisite {
        // Offences in any other field of law never count.
        let latest = self
            .records
            .offences
            .iter()
            .filter(|o| {
                matches!(
                    o.field,
                    OffenceField::Migration | OffenceField::Tax | OffenceField::Labour
                ) && within_look_back(o.date, self.as_of)
            })
            .max_by_key(|o| o.date);
        match latest {
            None => prerequisite(
                PrerequisiteCode::NoOffence12Months,
                true,
                format!(
                    "no administrative offence in migration, tax or labour law in the 12 months before {}",
                    self.as_of
                ),
                None,
                BASIS_OFFENCE,
            ),
            Some(o) => {
                let field = match o.field {
                    OffenceField::Migration => "migration",
                    OffenceField::Tax => "tax",
                    OffenceField::Labour => "labour",
                    OffenceField::Other => "other",
                };
                let earliest = first_day_outside_look_back(o.date);
                let mut p = prerequisite(
                    PrerequisiteCode::NoOffence12Months,
                    false,
                    format!(
                        "administrative offence in {field} law on {}, within the 12 months before {}{}",
                        o.date,
                        self.as_of,
                        earliest
                            .map(|d| format!("; it no longer counts from {d}"))
                            .unwrap_or_default()
                    ),
                    Some(o.evidence.clone()),
                    BASIS_OFFENCE,
                );
                // Decision: like a refusal, an offence names the first day it no longer
                // counts (the latest offence in the window decides).
                p.earliest_date = earliest;
                p
            }
        }
    }

    pub(super) fn no_refusal_12_months(&self) -> Prerequisite {
        let latest = self
            .records
            .refusals
            .iter()
            .filter(|r| {
                r.procedure == Procedure::PermanentResidencePermit
                    && within_look_back(r.decision_date, self.as_of)
            })
            .max_by_key(|r| r.decision_date);
        match latest {
            None => prerequisite(
                PrerequisiteCode::NoRefusal12Months,
                true,
                format!(
                    "no permanent residence permit refused in the 12 months before {}",
                    self.as_of
                ),
                None,
                BASIS_REFUSAL,
            ),
            Some(r) => {
                let earliest = first_day_outside_look_back(r.decision_date);
                let mut p = prerequisite(
                    PrerequisiteCode::NoRefusal12Months,
                    false,
                    format!(
                        "a permanent residence permit was refused on {}, within the 12 months before {}{}",
                        r.decision_date,
                        self.as_of,
                        earliest
                            .map(|d| format!("; a new application is accepted from {d}"))
                            .unwrap_or_default()
                    ),
                    Some(r.evidence.clone()),
                    BASIS_REFUSAL,
                );
                p.earliest_date = earliest;
                p
            }
        }
    }
}
