//! Appeals of refusals (SPEC 5.7): when one may be filed, who decides it, and by when.

use super::calendar::Term;
use super::period::Period;
use chrono::NaiveDate;

/// **Decision:** a refusal may be appealed within 3 months of the decision, through the same
/// date three months later by the term rule of SPEC 3: the window is the applicant's, not an
/// authority's deadline, so its end does not move to a working day.
pub const FILING_WINDOW: Period = Period::months(3);
/// **Decision:** an appeal is decided within 5 working days of filing, after the
/// public-services law's term for a complaint to the service provider.
pub const DECISION_TERM: Term = Term::WorkingDays(5);

/// Where an appeal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealState {
    Pending,
    /// The refusal stands, finally.
    Upheld,
    /// The application is open again; the refusal no longer bars.
    Overturned,
}

impl AppealState {
    pub fn as_str(self) -> &'static str {
        match self {
            AppealState::Pending => "pending",
            AppealState::Upheld => "upheld",
            AppealState::Overturned => "overturned",
        }
    }

    pub fn parse(text: &str) -> Option<AppealState> {
        [
            AppealState::Pending,
            AppealState::Upheld,
            AppealState::Overturned,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Why an appeal cannot be filed or decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppealRefusal {
    /// Only a refusal is appealed.
    NotRefused,
    /// The last day to appeal has passed.
    WindowClosed { last_day: NaiveDate },
    /// The organisation that refused does not decide the appeal against itself.
    SameOrganisation,
    /// The appeal was decided already.
    Decided(AppealState),
}

/// The last day an appeal of a refusal of `refused_on` is accepted: what the refusal's
/// notification names and what [`may_file`] holds filings to.
pub fn last_day_to_file(refused_on: NaiveDate) -> NaiveDate {
    FILING_WINDOW.last_day(refused_on)
}

/// Whether an appeal filed on `today` against a refusal of `refused_on` is in time: up to and
/// including the last day of [`FILING_WINDOW`].
pub fn may_file(today: NaiveDate, refused_on: NaiveDate) -> Result<(), AppealRefusal> {
    let last_day = last_day_to_file(refused_on);
    if today <= last_day {
        Ok(())
    } else {
        Err(AppealRefusal::WindowClosed { last_day })
    }
}

/// Whether the organisation `deciding` (a client URI) may decide an appeal against the refusal
/// `refused_by` made, in its present `state`.
pub fn may_decide(
    state: AppealState,
    refused_by: &str,
    deciding: &str,
) -> Result<(), AppealRefusal> {
    if state != AppealState::Pending {
        return Err(AppealRefusal::Decided(state));
    }
    if refused_by == deciding {
        return Err(AppealRefusal::SameOrganisation);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn an_appeal_is_in_time_up_to_the_last_day_of_the_window() {
        let refused = day(2026, 6, 1);
        let last_day = day(2026, 9, 1);
        assert_eq!(may_file(day(2026, 8, 31), refused), Ok(()));
        assert_eq!(may_file(last_day, refused), Ok(()));
        assert_eq!(
            may_file(day(2026, 9, 2), refused),
            Err(AppealRefusal::WindowClosed { last_day })
        );
    }

    #[test]
    fn the_window_ends_on_its_date_even_when_that_is_a_day_off() {
        // Refused 2026-02-28: the window ends Thursday 2026-05-28, and one refused
        // 2026-03-07 ends Sunday 2026-06-07, which does not move to Monday.
        assert_eq!(FILING_WINDOW.last_day(day(2026, 2, 28)), day(2026, 5, 28));
        let refused = day(2026, 3, 7);
        assert_eq!(may_file(day(2026, 6, 7), refused), Ok(()));
        assert_eq!(
            may_file(day(2026, 6, 8), refused),
            Err(AppealRefusal::WindowClosed {
                last_day: day(2026, 6, 7)
            })
        );
    }

    #[test]
    fn the_window_of_a_refusal_on_30_november_ends_on_28_february() {
        assert_eq!(FILING_WINDOW.last_day(day(2026, 11, 30)), day(2027, 2, 28));
    }

    #[test]
    fn an_appeal_is_decided_within_five_working_days_of_filing() {
        let calendar = Calendar::kazakhstan_default();
        // Filed Friday 2026-06-05: the 5th working day after is Friday 2026-06-12.
        assert_eq!(
            calendar.deadline(day(2026, 6, 5), DECISION_TERM).date,
            day(2026, 6, 12)
        );
    }

    #[test]
    fn another_organisation_decides_a_pending_appeal_once() {
        let refused_by = "urn:kandas:police:almaty-01";
        assert_eq!(
            may_decide(AppealState::Pending, refused_by, refused_by),
            Err(AppealRefusal::SameOrganisation)
        );
        assert_eq!(
            may_decide(
                AppealState::Pending,
                refused_by,
                "urn:kandas:police:astana-01"
            ),
            Ok(())
        );
        assert_eq!(
            may_decide(
                AppealState::Upheld,
                refused_by,
                "urn:kandas:police:astana-01"
            ),
            Err(AppealRefusal::Decided(AppealState::Upheld))
        );
    }
}
