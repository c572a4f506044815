//! Working-day calendar of Kazakhstan and legal term arithmetic (SPEC 3).
//!
//! Holidays and decree transfers change by law, so they are data ([`CalendarData`], shipped in
//! data/calendar.toml) and the code only knows the rules for applying them.

mod data;
mod year_exceptions;

pub use data::{
    CalendarData, CalendarError, DatedDayOff, OfficialYear, RecurringDayOff, Transfer, TransferKind,
};

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use data::validate;
use year_exceptions::{YearExceptions, compute_year};

/// Years whose exceptions are computed once when a [`Calendar`] is built; others on demand.
const PRECOMPUTED_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A legal term counted from a submission or decision date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Term {
    /// The N-th working day after the start (the start is day 0).
    WorkingDays(u32),
    /// Start + N days, moved to the next working day if needed.
    CalendarDays(u32),
    /// Same day number N months later (clamped to month end), moved to the next working day.
    Months(u32),
}

/// A computed deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline {
    /// Last day of the term, always a working day.
    pub date: NaiveDate,
    /// True when a year spanned by the term has no official transfers loaded.
    pub provisional: bool,
}

/// The working-day calendar built from [`CalendarData`].
#[derive(Debug, Clone)]
pub struct Calendar {
    data: CalendarData,
    official_years: BTreeSet<i32>,
    precomputed: BTreeMap<i32, YearExceptions>,
}

impl Calendar {
    /// Validates the data and precomputes the exceptions of the years most lookups hit.
    pub fn from_data(data: CalendarData) -> Result<Calendar, CalendarError> {
        validate(&data)?;
        let official_years = data.official_transfer_years.iter().copied().collect();
        let precomputed = PRECOMPUTED_YEARS
            .map(|y| (y, compute_year(&data, y)))
            .collect();
        Ok(Calendar {
            data,
            official_years,
            precomputed,
        })
    }

    /// Parses TOML in the layout of data/calendar.toml and builds the calendar.
    pub fn from_toml(text: &str) -> Result<Calendar, CalendarError> {
        Calendar::from_data(CalendarData::from_toml(text)?)
    }

    /// The shipped Kazakhstan calendar embedded from data/calendar.toml.
    pub fn kazakhstan_default() -> Calendar {
        // The embedded file is covered by unit tests, so this cannot fail in a built binary.
        Calendar::from_data(CalendarData::kazakhstan_default())
            .expect("data/calendar.toml is valid")
    }

    /// The data this calendar was built from.
    pub fn data(&self) -> &CalendarData {
        &self.data
    }

    /// True unless the date is a weekend day (not transferred to working) or a day off.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.exceptions(d.year()).is_working_day(d)
    }

    /// Days off of a year other than Saturdays and Sundays, sorted (the SPEC 3 vectors).
    pub fn days_off(&self, year: i32) -> Vec<NaiveDate> {
        self.exceptions(year).off_weekdays.clone()
    }

    /// Saturdays and Sundays of a year that are worked by decree, sorted.
    pub fn working_weekends(&self, year: i32) -> Vec<NaiveDate> {
        self.exceptions(year).working_weekends.clone()
    }

    /// True when the official transfers of the year are not loaded.
    pub fn is_provisional(&self, year: i32) -> bool {
        !self.official_years.contains(&year)
    }

    /// The date itself if it is a working day, else the first working day after it.
    pub fn next_working_day_on_or_after(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        let mut year = day.year();
        let mut ex = self.exceptions(year);
        loop {
            if day.year() != year {
                year = day.year();
                ex = self.exceptions(year);
            }
            if ex.is_working_day(day) {
                return day;
            }
            match day.succ_opt() {
                Some(next) => day = next,
                // No date exists past the end of chrono's range; the last one is the best answer.
                None => return day,
            }
        }
    }

    /// Last day of a term started on `start`, per SPEC 3, with its provisional flag.
    pub fn deadline(&self, start: NaiveDate, term: Term) -> Deadline {
        let date = match term {
            Term::WorkingDays(n) => self.add_working_days(start, n),
            Term::CalendarDays(n) => {
                let raw = start
                    .checked_add_days(Days::new(u64::from(n)))
                    .unwrap_or(NaiveDate::MAX);
                self.next_working_day_on_or_after(raw)
            }
            Term::Months(n) => {
                // chrono clamps to the last day of the month, which is the SPEC rule.
                let raw = start
                    .checked_add_months(Months::new(n))
                    .unwrap_or(NaiveDate::MAX);
                self.next_working_day_on_or_after(raw)
            }
        };
        Deadline {
            date,
            provisional: self.any_provisional(start.year(), date.year()),
        }
    }

    /// True when any year in `from..=to` is provisional.
    pub fn any_provisional(&self, from: i32, to: i32) -> bool {
        if from > to {
            return false;
        }
        let span = i64::from(to) - i64::from(from) + 1;
        let loaded = self.official_years.range(from..=to).count();
        i64::try_from(loaded).is_ok_and(|loaded| loaded < span)
    }

    /// The N-th working day after `start`; with N = 0 the first working day on or after `start`.
    fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            // A zero term still has to end on a working day, like every other term.
            return self.next_working_day_on_or_after(start);
        }
        let mut remaining = u64::from(n);
        let Some(mut cursor) = start.succ_opt() else {
            return NaiveDate::MAX;
        };
        loop {
            let year = cursor.year();
            let year_end = last_day_of_year(year);
            let ex = self.exceptions(year);
            let available = ex.count_working_days(cursor, year_end);
            // Whole years are skipped by counting, so long terms stay cheap.
            if remaining > available {
                remaining -= available;
                match year_end.succ_opt() {
                    Some(next) => cursor = next,
                    None => return NaiveDate::MAX,
                }
                continue;
            }
            return nth_working_day_within_year(&ex, cursor, remaining).unwrap_or(year_end);
        }
    }

    fn exceptions(&self, year: i32) -> Cow<'_, YearExceptions> {
        match self.precomputed.get(&year) {
            Some(ex) => Cow::Borrowed(ex),
            None => Cow::Owned(compute_year(&self.data, year)),
        }
    }
}

/// Walks from `from` (inclusive) to the `n`-th working day; the caller guarantees it is in the year.
fn nth_working_day_within_year(ex: &YearExceptions, from: NaiveDate, n: u64) -> Option<NaiveDate> {
    let mut remaining = n;
    let mut day = from;
    loop {
        if ex.is_working_day(day) {
            remaining = remaining.saturating_sub(1);
            if remaining == 0 {
                return Some(day);
            }
        }
        let next = day.succ_opt()?;
        if next.year() != from.year() {
            return None;
        }
        day = next;
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn last_day_of_year(year: i32) -> NaiveDate {
    // Every year chrono can hold a date in has a 31 December, including the last one.
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests;
