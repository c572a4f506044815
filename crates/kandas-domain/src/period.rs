//! Terms in months and years counted from an event (SPEC 3, after the Civil Code's art.
//! 169–171): the term begins the day after the event and ends on the same date N months or
//! years after it, the last day of the month where that date does not exist. Unlike a
//! deadline for an authority (`calendar::Term`), such an end never moves to a working day.
//! What is valid for the period is valid through its end; what is barred for the period is
//! barred through its end and accepted from the next day.

use chrono::{Days, Months, NaiveDate};

/// A length of time in whole months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    months: u32,
}

impl Period {
    pub const fn months(months: u32) -> Period {
        Period { months }
    }

    pub const fn years(years: u32) -> Period {
        Period { months: years * 12 }
    }

    /// The last day of the period counted from `event`.
    pub fn last_day(self, event: NaiveDate) -> NaiveDate {
        // chrono clamps a missing day to the month's last, as the term rule does.
        event
            .checked_add_months(Months::new(self.months))
            .unwrap_or(NaiveDate::MAX)
    }

    /// The first day no longer inside the period counted from `event`; `None` where that lies
    /// past the last date there is.
    pub fn first_day_after(self, event: NaiveDate) -> Option<NaiveDate> {
        event
            .checked_add_months(Months::new(self.months))?
            .checked_add_days(Days::new(1))
    }

    /// Whether `day` lies within the period counted from `event`, the event's own day included.
    pub fn covers(self, event: NaiveDate, day: NaiveDate) -> bool {
        event <= day && day <= self.last_day(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_year_from_20_may_ends_on_20_may_with_no_move_to_a_working_day() {
        let year = Period::years(1);
        // 2026-05-20 is a Wednesday; 2028-05-20 a Saturday, which stays the end all the same.
        assert_eq!(year.last_day(d(2025, 5, 20)), d(2026, 5, 20));
        assert_eq!(year.last_day(d(2027, 5, 20)), d(2028, 5, 20));
        assert!(year.covers(d(2025, 5, 20), d(2026, 5, 19)));
        assert!(year.covers(d(2025, 5, 20), d(2026, 5, 20)));
        assert!(!year.covers(d(2025, 5, 20), d(2026, 5, 21)));
        assert_eq!(year.first_day_after(d(2025, 5, 20)), Some(d(2026, 5, 21)));
    }

    #[test]
    fn twelve_months_from_10_march_bar_through_10_march_and_accept_from_the_11th() {
        let bar = Period::months(12);
        assert!(bar.covers(d(2025, 3, 10), d(2026, 3, 9)));
        assert!(bar.covers(d(2025, 3, 10), d(2026, 3, 10)));
        assert!(!bar.covers(d(2025, 3, 10), d(2026, 3, 11)));
        assert_eq!(bar.first_day_after(d(2025, 3, 10)), Some(d(2026, 3, 11)));
    }

    #[test]
    fn a_missing_end_date_is_the_last_day_of_the_month() {
        assert_eq!(Period::years(1).last_day(d(2024, 2, 29)), d(2025, 2, 28));
        assert_eq!(Period::months(3).last_day(d(2026, 11, 30)), d(2027, 2, 28));
        assert_eq!(Period::months(1).last_day(d(2026, 1, 31)), d(2026, 2, 28));
    }

    #[test]
    fn nothing_before_the_event_is_covered() {
        assert!(!Period::years(1).covers(d(2025, 5, 20), d(2025, 5, 19)));
    }

    #[test]
    fn a_period_ending_past_the_calendar_has_no_day_after() {
        assert!(Period::years(1).covers(NaiveDate::MAX, NaiveDate::MAX));
        assert_eq!(Period::years(1).first_day_after(NaiveDate::MAX), None);
    }

    proptest! {
        #[test]
        fn the_day_after_the_last_is_the_first_outside(
            days in 0i64..60_000,
            months in 1u32..240,
        ) {
            let event = d(1990, 1, 1) + chrono::Duration::days(days);
            let period = Period::months(months);
            let last = period.last_day(event);
            prop_assert!(period.covers(event, last));
            let after = period.first_day_after(event).unwrap();
            prop_assert!(!period.covers(event, after));
            prop_assert_eq!(last.succ_opt(), Some(after));
        }
    }
}
