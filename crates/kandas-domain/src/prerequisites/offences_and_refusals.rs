//! The refusal bar of the permit: no administrative offence in migration, tax or labour law and
//! no refused permit in the 12 months before the submission. Each bars for 12 months counted
//! by the term rule of SPEC 3: through the same date a year later, and no more from the day
//! after.

use super::{Ctx, Prerequisite, PrerequisiteCode, prerequisite};
use crate::period::Period;
use crate::procedure::Procedure;
use crate::records::OffenceField;
use chrono::NaiveDate;

/// How long an offence or a refusal bars a permit (SPEC 5.3).
pub const BAR: Period = Period::months(12);

// SPEC 5.3; seeds 000, 001.
const BASIS_OFFENCE: &str = "Rules for issuing temporary and permanent residence permits to \
    foreigners and stateless persons: no administrative offence in migration, tax or labour law \
    within the year";
// SPEC 5.3; seeds 000, 001.
const BASIS_REFUSAL: &str = "Rules for issuing temporary and permanent residence permits to \
    foreigners and stateless persons: after a refusal, documents are accepted again only after a \
    year";

/// Whether an event on `event` still bars on `as_of`: from its own day through the same date
/// 12 months later. An event recorded for a later day does not bar yet.
pub(super) fn within_look_back(event: NaiveDate, as_of: NaiveDate) -> bool {
    BAR.covers(event, as_of)
}

/// The first day on which `event` no longer bars: the day after the bar's last day.
pub(super) fn first_day_outside_look_back(event: NaiveDate) -> Option<NaiveDate> {
    BAR.first_day_after(event)
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
                        "administrative offence in {field} law on {}, which bars through {}{}",
                        o.date,
                        BAR.last_day(o.date),
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
                        "a permanent residence permit was refused on {}, which bars a new application through {}{}",
                        r.decision_date,
                        BAR.last_day(r.decision_date),
                        earliest
                            .map(|d| format!("; one is accepted from {d}"))
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
