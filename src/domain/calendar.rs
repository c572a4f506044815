//! Working-day calendar of Kazakhstan and legal term arithmetic (SPEC 3).
//!
//! Holidays and decree transfers change by law, so they are data ([`CalendarData`], shipped in
//! data/calendar.toml) and the code only knows the rules for applying them.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

const DEFAULT_CALENDAR_TOML: &str = include_str!("../../data/calendar.toml");

/// Years whose exceptions are computed once when a [`Calendar`] is built; others on demand.
const PRECOMPUTED_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Calendar data as stored in TOML and edited by an administrator.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct CalendarData {
    /// Years whose decree transfers are loaded; deadlines in other years are provisional.
    #[serde(default)]
    pub official_transfer_years: Vec<i32>,
    /// Public holidays that move to the next working day when they fall on a weekend.
    #[serde(default, rename = "holiday")]
    pub holidays: Vec<RecurringDayOff>,
    /// Yearly days off that never move (7 January).
    #[serde(default, rename = "fixed_day_off")]
    pub fixed_days_off: Vec<RecurringDayOff>,
    /// Single-date days off that never move (first day of Kurban Ait).
    #[serde(default, rename = "dated_day_off")]
    pub dated_days_off: Vec<DatedDayOff>,
    /// Government decree transfers of working days and days off.
    #[serde(default, rename = "transfer")]
    pub transfers: Vec<Transfer>,
}

/// A day off on the same month and day every year, optionally limited to a range of years.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RecurringDayOff {
    /// Human-readable name.
    pub name: String,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month.
    pub day: u32,
    /// First year it applies (inclusive); none means always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_year: Option<i32>,
    /// Last year it applies (inclusive); none means still in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_year: Option<i32>,
}

/// A day off on one specific date.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DatedDayOff {
    /// Human-readable name.
    pub name: String,
    /// The date.
    #[serde(deserialize_with = "deserialize_date")]
    pub date: NaiveDate,
}

/// A decree transfer for one date.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// The date whose status changes.
    #[serde(deserialize_with = "deserialize_date")]
    pub date: NaiveDate,
    /// What the date becomes.
    pub kind: TransferKind,
    /// Free-text reference to the decree or the paired date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a transferred date becomes.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum TransferKind {
    /// A Saturday or Sunday that is worked.
    Working,
    /// A weekday that is a day off.
    Off,
}

/// One year's official calendar as a government decree gives it (SPEC 3).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OfficialYear {
    pub year: i32,
    pub dated_days_off: Vec<DatedDayOff>,
    pub transfers: Vec<Transfer>,
}

impl OfficialYear {
    /// Every rule the year breaks, as (field path, rule), in request order; empty when usable.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut dates = BTreeSet::new();
        for (i, day) in self.dated_days_off.iter().enumerate() {
            if day.date.year() != self.year {
                problems.push((
                    format!("dated_days_off[{i}].date"),
                    format!("must be a date of {}", self.year),
                ));
            }
            let name = day.name.trim();
            if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
                problems.push((
                    format!("dated_days_off[{i}].name"),
                    "required: at most 200 characters, no control characters".to_string(),
                ));
            }
        }
        for (i, transfer) in self.transfers.iter().enumerate() {
            let field = format!("transfers[{i}].date");
            let rule = if transfer.date.year() != self.year {
                Some(format!("must be a date of {}", self.year))
            } else if !dates.insert(transfer.date) {
                Some("this date is already transferred above".to_string())
            } else {
                match (transfer.kind, is_weekend(transfer.date)) {
                    (TransferKind::Working, false) => {
                        Some("only a Saturday or Sunday can become a working day".to_string())
                    }
                    (TransferKind::Off, true) => {
                        Some("only a weekday can become a day off".to_string())
                    }
                    _ => None,
                }
            };
            problems.extend(rule.map(|rule| (field, rule)));
            if transfer.note.as_ref().is_some_and(|note| {
                note.chars().count() > 500 || note.chars().any(char::is_control)
            }) {
                problems.push((
                    format!("transfers[{i}].note"),
                    "at most 500 characters, no control characters".to_string(),
                ));
            }
        }
        problems
    }
}

impl CalendarData {
    /// Parses TOML in the layout of data/calendar.toml (validated when a calendar is built).
    pub fn from_toml(text: &str) -> Result<CalendarData, CalendarError> {
        toml::from_str(text).map_err(|e| CalendarError::InvalidToml(e.to_string()))
    }

    /// The shipped data embedded from data/calendar.toml, before any year an administrator
    /// loaded.
    pub fn kazakhstan_default() -> CalendarData {
        // The embedded file is covered by unit tests, so this cannot fail in a built binary.
        CalendarData::from_toml(DEFAULT_CALENDAR_TOML).expect("data/calendar.toml is valid")
    }

    /// This data with `official` loaded: the year's single-date days off and transfers replace
    /// the ones it had, and the year is no longer provisional.
    pub fn with_official_year(mut self, official: &OfficialYear) -> CalendarData {
        let year = official.year;
        self.dated_days_off.retain(|d| d.date.year() != year);
        self.dated_days_off
            .extend(official.dated_days_off.iter().cloned());
        self.transfers.retain(|t| t.date.year() != year);
        self.transfers.extend(official.transfers.iter().cloned());
        if !self.official_transfer_years.contains(&year) {
            self.official_transfer_years.push(year);
        }
        self
    }
}

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

/// Why calendar data cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// The text is not valid TOML of the expected shape.
    #[error("invalid calendar data: {0}")]
    InvalidToml(String),
    /// A recurring day off names a month/day that exists in no year.
    #[error("day off {name:?}: {month}/{day} is not a date of any year")]
    InvalidDayOfMonth {
        /// Name of the entry.
        name: String,
        /// Month given.
        month: u32,
        /// Day given.
        day: u32,
    },
    /// A recurring day off has from_year after to_year.
    #[error("day off {name:?}: from_year {from_year} is after to_year {to_year}")]
    EmptyYearRange {
        /// Name of the entry.
        name: String,
        /// First year given.
        from_year: i32,
        /// Last year given.
        to_year: i32,
    },
    /// A "working" transfer names a day that is already a working weekday.
    #[error("transfer on {date}: only a Saturday or Sunday can become a working day")]
    WorkingTransferOnWeekday {
        /// The date.
        date: NaiveDate,
    },
    /// An "off" transfer names a Saturday or Sunday, which is already off.
    #[error("transfer on {date}: only a weekday can become a day off")]
    OffTransferOnWeekend {
        /// The date.
        date: NaiveDate,
    },
    /// Two transfers name the same date.
    #[error("transfer on {date} is listed twice")]
    DuplicateTransfer {
        /// The date.
        date: NaiveDate,
    },
    /// A transfer falls in a year not listed in official_transfer_years.
    #[error("transfer on {date} is in {year}, which is not listed in official_transfer_years")]
    TransferYearNotLoaded {
        /// The date.
        date: NaiveDate,
        /// Its year.
        year: i32,
    },
}

/// Days that differ from the plain Saturday/Sunday rule within one year.
#[derive(Debug, Clone, Default)]
struct YearExceptions {
    /// Monday–Friday days off, sorted.
    off_weekdays: Vec<NaiveDate>,
    /// Saturdays and Sundays that are worked, sorted.
    working_weekends: Vec<NaiveDate>,
}

impl YearExceptions {
    fn is_working_day(&self, d: NaiveDate) -> bool {
        if is_weekend(d) {
            self.working_weekends.binary_search(&d).is_ok()
        } else {
            self.off_weekdays.binary_search(&d).is_err()
        }
    }

    /// Working days in `from..=to`; both must lie in this year.
    fn count_working_days(&self, from: NaiveDate, to: NaiveDate) -> u64 {
        let weekdays = count_weekdays(from, to);
        let off = count_in_range(&self.off_weekdays, from, to);
        let worked = count_in_range(&self.working_weekends, from, to);
        (weekdays + worked).saturating_sub(off)
    }
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

fn validate(data: &CalendarData) -> Result<(), CalendarError> {
    for entry in data.holidays.iter().chain(&data.fixed_days_off) {
        validate_recurring(entry)?;
    }
    let official: BTreeSet<i32> = data.official_transfer_years.iter().copied().collect();
    let mut seen = BTreeSet::new();
    for t in &data.transfers {
        validate_transfer(t, &official)?;
        if !seen.insert(t.date) {
            return Err(CalendarError::DuplicateTransfer { date: t.date });
        }
    }
    Ok(())
}

fn validate_recurring(entry: &RecurringDayOff) -> Result<(), CalendarError> {
    // 2000 is a leap year, so 29 February is accepted and simply skipped in other years.
    if NaiveDate::from_ymd_opt(2000, entry.month, entry.day).is_none() {
        return Err(CalendarError::InvalidDayOfMonth {
            name: entry.name.clone(),
            month: entry.month,
            day: entry.day,
        });
    }
    if let (Some(from_year), Some(to_year)) = (entry.from_year, entry.to_year)
        && from_year > to_year
    {
        return Err(CalendarError::EmptyYearRange {
            name: entry.name.clone(),
            from_year,
            to_year,
        });
    }
    Ok(())
}

fn validate_transfer(t: &Transfer, official: &BTreeSet<i32>) -> Result<(), CalendarError> {
    match (t.kind, is_weekend(t.date)) {
        (TransferKind::Working, false) => {
            return Err(CalendarError::WorkingTransferOnWeekday { date: t.date });
        }
        (TransferKind::Off, true) => {
            return Err(CalendarError::OffTransferOnWeekend { date: t.date });
        }
        _ => {}
    }
    // A transfer in an unlisted year would be applied while deadlines there say provisional.
    let year = t.date.year();
    if !official.contains(&year) {
        return Err(CalendarError::TransferYearNotLoaded { date: t.date, year });
    }
    Ok(())
}

impl RecurringDayOff {
    /// The date of this day off in a year, if it applies that year and the date exists.
    pub fn date_in(&self, year: i32) -> Option<NaiveDate> {
        let after_start = self.from_year.is_none_or(|from| year >= from);
        let before_end = self.to_year.is_none_or(|to| year <= to);
        if after_start && before_end {
            NaiveDate::from_ymd_opt(year, self.month, self.day)
        } else {
            None
        }
    }
}

/// Applies the SPEC 3 rules to one year: holidays, carry-over, fixed days off, transfers.
fn compute_year(data: &CalendarData, year: i32) -> YearExceptions {
    // The previous year's rules are included because a late-December holiday can carry over
    // into January.
    let rule_years = [year.saturating_sub(1), year];
    let mut off = BTreeSet::new();
    let mut on_weekend = Vec::new();
    for &ry in &rule_years {
        for d in data.holidays.iter().filter_map(|h| h.date_in(ry)) {
            off.insert(d);
            if is_weekend(d) {
                on_weekend.push(d);
            }
        }
        off.extend(data.fixed_days_off.iter().filter_map(|f| f.date_in(ry)));
    }
    off.extend(
        data.dated_days_off
            .iter()
            .map(|d| d.date)
            .filter(|d| rule_years.contains(&d.year())),
    );
    // Chronological order decides who gets the first free weekday (Nauryz 2026: 21st → 24th,
    // 22nd → 25th).
    on_weekend.sort_unstable();
    on_weekend.dedup();
    for holiday in on_weekend {
        if let Some(target) = carry_over_target(holiday, &off) {
            off.insert(target);
        }
    }
    // Decrees are issued knowing the carry-overs, so transfers are applied on top of them.
    let mut off_weekdays: BTreeSet<NaiveDate> = off
        .into_iter()
        .filter(|d| d.year() == year && !is_weekend(*d))
        .collect();
    let mut working_weekends = BTreeSet::new();
    for t in data.transfers.iter().filter(|t| t.date.year() == year) {
        match t.kind {
            TransferKind::Off => {
                off_weekdays.insert(t.date);
            }
            TransferKind::Working => {
                working_weekends.insert(t.date);
            }
        }
    }
    YearExceptions {
        off_weekdays: off_weekdays.into_iter().collect(),
        working_weekends: working_weekends.into_iter().collect(),
    }
}

/// First weekday after `holiday` that is not already off.
fn carry_over_target(holiday: NaiveDate, off: &BTreeSet<NaiveDate>) -> Option<NaiveDate> {
    let mut day = holiday.succ_opt()?;
    while is_weekend(day) || off.contains(&day) {
        day = day.succ_opt()?;
    }
    Some(day)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn last_day_of_year(year: i32) -> NaiveDate {
    // Every year chrono can hold a date in has a 31 December, including the last one.
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Monday–Friday days in `from..=to` (zero when `to` is before `from`).
fn count_weekdays(from: NaiveDate, to: NaiveDate) -> u64 {
    let Ok(total) = u64::try_from((to - from).num_days() + 1) else {
        return 0;
    };
    let full_weeks = total / 7;
    let mut count = full_weeks * 5;
    // The leftover days (fewer than 7) are counted one by one from the start weekday.
    let mut wd = from.weekday();
    for _ in 0..(total % 7) {
        if !matches!(wd, Weekday::Sat | Weekday::Sun) {
            count += 1;
        }
        wd = wd.succ();
    }
    count
}

fn count_in_range(sorted: &[NaiveDate], from: NaiveDate, to: NaiveDate) -> u64 {
    let lo = sorted.partition_point(|d| *d < from);
    let hi = sorted.partition_point(|d| *d <= to);
    u64::try_from(hi.saturating_sub(lo)).unwrap_or(u64::MAX)
}

/// Accepts a date as a quoted "YYYY-MM-DD" string or as a bare TOML date.
fn deserialize_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum DateRepr {
        Text(String),
        Toml(toml::value::Datetime),
    }
    let text = match DateRepr::deserialize(deserializer)? {
        DateRepr::Text(s) => s,
        DateRepr::Toml(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
        DateRepr::Toml(dt) => {
            return Err(serde::de::Error::custom(format!(
                "expected a date without time, found {dt}"
            )));
        }
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|e| {
        serde::de::Error::custom(format!("invalid date {text:?}: {e} (expected YYYY-MM-DD)"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn dates(year: i32, md: &[(u32, u32)]) -> Vec<NaiveDate> {
        md.iter().map(|&(m, d)| date(year, m, d)).collect()
    }

    fn kz() -> Calendar {
        Calendar::kazakhstan_default()
    }

    fn transfer(date: NaiveDate, kind: TransferKind) -> Transfer {
        Transfer {
            date,
            kind,
            note: None,
        }
    }

    #[test]
    fn loading_an_official_year_replaces_its_exceptions_and_ends_provisional() {
        // 2027 with a made-up decree: Saturday 9 January worked, Friday 8 January off.
        let official = OfficialYear {
            year: 2027,
            dated_days_off: vec![DatedDayOff {
                name: "Kurban Ait".into(),
                date: date(2027, 5, 17),
            }],
            transfers: vec![
                transfer(date(2027, 1, 9), TransferKind::Working),
                transfer(date(2027, 1, 8), TransferKind::Off),
            ],
        };
        assert!(official.problems().is_empty());
        let cal = Calendar::from_data(kz().data().clone().with_official_year(&official)).unwrap();
        assert!(!cal.is_provisional(2027));
        assert!(cal.is_working_day(date(2027, 1, 9)));
        assert!(!cal.is_working_day(date(2027, 1, 8)));
        assert!(!cal.is_working_day(date(2027, 5, 17)));
        // Other years keep the shipped data: 2026's Kurban Ait is still off.
        assert!(!cal.is_working_day(date(2026, 5, 27)));
        // Loading 2026 without Kurban Ait replaces the shipped 2026 days off.
        let bare = OfficialYear {
            year: 2026,
            dated_days_off: vec![],
            transfers: vec![],
        };
        let cal = Calendar::from_data(cal.data().clone().with_official_year(&bare)).unwrap();
        assert!(cal.is_working_day(date(2026, 5, 27)));
        assert!(!cal.is_working_day(date(2027, 5, 17)));
    }

    #[test]
    fn an_official_year_names_every_broken_rule_by_field() {
        let official = OfficialYear {
            year: 2027,
            dated_days_off: vec![DatedDayOff {
                name: " ".into(),
                date: date(2028, 1, 3),
            }],
            transfers: vec![
                transfer(date(2027, 1, 6), TransferKind::Working), // a Wednesday
                transfer(date(2027, 1, 9), TransferKind::Off),     // a Saturday
                transfer(date(2027, 1, 6), TransferKind::Off),     // listed twice
                transfer(date(2026, 12, 31), TransferKind::Off),
            ],
        };
        let fields: Vec<String> = official.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "dated_days_off[0].date",
                "dated_days_off[0].name",
                "transfers[0].date",
                "transfers[1].date",
                "transfers[2].date",
                "transfers[3].date",
            ]
        );
    }

    #[test]
    fn spec_days_off_2024() {
        let expected = dates(
            2024,
            &[
                (1, 1),
                (1, 2),
                (3, 8),
                (3, 21),
                (3, 22),
                (3, 25),
                (5, 1),
                (5, 7),
                (5, 8),
                (5, 9),
                (7, 8),
                (8, 30),
                (10, 25),
                (12, 16),
            ],
        );
        assert_eq!(kz().days_off(2024), expected);
    }

    #[test]
    fn spec_days_off_2025() {
        let expected = dates(
            2025,
            &[
                (1, 1),
                (1, 2),
                (1, 3),
                (1, 7),
                (3, 10),
                (3, 21),
                (3, 24),
                (3, 25),
                (5, 1),
                (5, 7),
                (5, 9),
                (6, 6),
                (7, 7),
                (9, 1),
                (10, 27),
                (12, 16),
            ],
        );
        assert_eq!(kz().days_off(2025), expected);
    }

    #[test]
    fn spec_days_off_2026() {
        let expected = dates(
            2026,
            &[
                (1, 1),
                (1, 2),
                (1, 7),
                (3, 9),
                (3, 23),
                (3, 24),
                (3, 25),
                (5, 1),
                (5, 7),
                (5, 11),
                (5, 27),
                (7, 6),
                (10, 26),
                (12, 16),
            ],
        );
        assert_eq!(kz().days_off(2026), expected);
    }

    #[test]
    fn decree_transfers() {
        let cal = kz();
        // Saturday 4 May 2024 and Sunday 5 January 2025 were worked.
        assert!(cal.is_working_day(date(2024, 5, 4)));
        assert!(cal.is_working_day(date(2025, 1, 5)));
        assert!(!cal.is_working_day(date(2024, 5, 5)));
        assert!(!cal.is_working_day(date(2024, 5, 8)));
        assert!(!cal.is_working_day(date(2025, 1, 3)));
        assert_eq!(cal.working_weekends(2024), vec![date(2024, 5, 4)]);
        assert_eq!(cal.working_weekends(2025), vec![date(2025, 1, 5)]);
        assert!(cal.working_weekends(2026).is_empty());
    }

    #[test]
    fn fixed_days_off_never_move() {
        let cal = kz();
        // 7 January 2024 and Kurban Ait 2024-06-16 are Sundays: nothing moves to Monday.
        assert!(cal.is_working_day(date(2024, 1, 8)));
        assert!(cal.is_working_day(date(2024, 6, 17)));
    }

    #[test]
    fn spec_example_three_working_days() {
        // Friday 7 March 2025; 8–9 weekend, 10 is the carried-over 8 March; 11, 12, 13 count.
        let d = kz().deadline(date(2025, 3, 7), Term::WorkingDays(3));
        assert_eq!(
            d,
            Deadline {
                date: date(2025, 3, 13),
                provisional: false
            }
        );
    }

    #[test]
    fn thirty_five_working_days_across_nauryz_2026() {
        // From Monday 2 March 2026, 35 working days would be 7 full weeks, Monday 20 April,
        // without holidays. Four weekdays in between are off: 9 March (8 March was a Sunday)
        // and 23, 24, 25 March (Nauryz 23rd plus the carried-over 21st and 22nd). Four more
        // working days after 20 April: 21, 22, 23, 24 → Friday 24 April.
        let d = kz().deadline(date(2026, 3, 2), Term::WorkingDays(35));
        assert_eq!(d.date, date(2026, 4, 24));
        assert!(!d.provisional);
    }

    #[test]
    fn sixty_calendar_days_ending_on_nauryz() {
        // 20 January 2026 + 60 days = Saturday 21 March; 22 Sunday, 23–25 off → Thursday 26.
        let start = date(2026, 1, 20);
        assert_eq!(start + Days::new(60), date(2026, 3, 21));
        let d = kz().deadline(start, Term::CalendarDays(60));
        assert_eq!(d.date, date(2026, 3, 26));
    }

    #[test]
    fn forty_five_calendar_days_ending_on_8_march() {
        // 22 January 2025 + 45 days = Saturday 8 March; 9 Sunday, 10 carried over → Tuesday 11.
        let start = date(2025, 1, 22);
        assert_eq!(start + Days::new(45), date(2025, 3, 8));
        let d = kz().deadline(start, Term::CalendarDays(45));
        assert_eq!(d.date, date(2025, 3, 11));
        // A raw date that is a working day stays put.
        let d = kz().deadline(date(2025, 1, 27), Term::CalendarDays(45));
        assert_eq!(d.date, date(2025, 3, 13));
    }

    #[test]
    fn months_clamp_to_month_end_then_move() {
        let cal = kz();
        // 31 January + 1 month → 28 February 2026 (Saturday) → Monday 2 March.
        assert_eq!(
            cal.deadline(date(2026, 1, 31), Term::Months(1)).date,
            date(2026, 3, 2)
        );
        // 31 December 2025 + 3 months → Tuesday 31 March 2026, a working day.
        assert_eq!(
            cal.deadline(date(2025, 12, 31), Term::Months(3)).date,
            date(2026, 3, 31)
        );
        // Leap day + 12 months → Friday 28 February 2025.
        assert_eq!(
            cal.deadline(date(2024, 2, 29), Term::Months(12)).date,
            date(2025, 2, 28)
        );
        // 22 December 2025 + 3 months → 22 March 2026, Nauryz → Thursday 26 March.
        assert_eq!(
            cal.deadline(date(2025, 12, 22), Term::Months(3)).date,
            date(2026, 3, 26)
        );
    }

    #[test]
    fn constitution_day_moves_from_2027() {
        let cal = kz();
        assert!(cal.is_working_day(date(2026, 8, 31)));
        assert!(!cal.days_off(2026).contains(&date(2026, 8, 31)));
        assert!(!cal.is_working_day(date(2027, 3, 15)));
        assert!(cal.days_off(2027).contains(&date(2027, 3, 15)));
        assert!(cal.is_working_day(date(2026, 3, 16)));
    }

    #[test]
    fn year_2027_is_provisional() {
        let cal = kz();
        assert!(cal.is_provisional(2027));
        assert!(!cal.is_provisional(2026));
        assert!(cal.is_provisional(2023));
        let d = cal.deadline(date(2027, 3, 1), Term::WorkingDays(10));
        assert!(d.provisional);
        // Crossing from 2026 into 2027 is provisional too.
        let d = cal.deadline(date(2026, 12, 20), Term::WorkingDays(10));
        assert_eq!(d.date.year(), 2027);
        assert!(d.provisional);
        let d = cal.deadline(date(2024, 12, 20), Term::Months(12));
        assert!(!d.provisional);
    }

    #[test]
    fn rules_apply_in_unloaded_years() {
        // 2027: 2 January is a Saturday → Monday 4th; 21 March a Sunday → Wednesday 24th;
        // 1 May a Saturday → Monday 3rd; 9 May a Sunday → Monday 10th.
        let expected = dates(
            2027,
            &[
                (1, 1),
                (1, 4),
                (1, 7),
                (3, 8),
                (3, 15),
                (3, 22),
                (3, 23),
                (3, 24),
                (5, 3),
                (5, 7),
                (5, 10),
                (7, 6),
                (10, 25),
                (12, 16),
            ],
        );
        assert_eq!(kz().days_off(2027), expected);
    }

    #[test]
    fn carry_over_across_new_year() {
        let text = r#"
            official_transfer_years = [2022]
            [[holiday]]
            name = "Eve"
            month = 12
            day = 31
            [[holiday]]
            name = "New Year"
            month = 1
            day = 1
        "#;
        let cal = Calendar::from_toml(text).unwrap();
        // 31 December 2022 is a Saturday, 1 January 2023 a Sunday: Monday 2 and Tuesday 3 January.
        assert_eq!(cal.days_off(2023), vec![date(2023, 1, 2), date(2023, 1, 3)]);
        // 31 December 2022 itself is a Saturday, so 2022 only has New Year 2022 carried to 3 January.
        assert_eq!(cal.days_off(2022), vec![date(2022, 1, 3)]);
    }

    #[test]
    fn working_days_zero_and_on_a_day_off() {
        let cal = kz();
        assert_eq!(
            cal.deadline(date(2026, 3, 21), Term::WorkingDays(0)).date,
            date(2026, 3, 26)
        );
        assert_eq!(
            cal.deadline(date(2026, 3, 21), Term::WorkingDays(1)).date,
            date(2026, 3, 26)
        );
        assert_eq!(
            cal.next_working_day_on_or_after(date(2026, 3, 20)),
            date(2026, 3, 20)
        );
    }

    #[test]
    fn long_terms_skip_whole_years() {
        let cal = kz();
        let start = date(2024, 6, 3);
        let walked = (0..600).fold(start, |d, _| {
            cal.next_working_day_on_or_after(d.succ_opt().unwrap())
        });
        assert_eq!(cal.deadline(start, Term::WorkingDays(600)).date, walked);
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let cal = kz();
        let d = cal.deadline(NaiveDate::MAX, Term::WorkingDays(1));
        assert_eq!(d.date, NaiveDate::MAX);
        let d = cal.deadline(NaiveDate::MAX, Term::Months(u32::MAX));
        assert_eq!(d.date, NaiveDate::MAX);
        let d = cal.deadline(NaiveDate::MIN, Term::CalendarDays(u32::MAX));
        assert!(d.provisional);
        let _ = cal.days_off(NaiveDate::MIN.year());
        let _ = cal.days_off(i32::MIN);
        let _ = cal.days_off(i32::MAX);
        let _ = cal.next_working_day_on_or_after(NaiveDate::MIN);
        let d = cal.deadline(date(2025, 1, 1), Term::WorkingDays(u32::MAX));
        assert!(d.provisional);
    }

    #[test]
    fn data_round_trips_through_toml() {
        let cal = kz();
        let text = toml::to_string(cal.data()).unwrap();
        let again = Calendar::from_toml(&text).unwrap();
        assert_eq!(again.data(), cal.data());
        assert_eq!(again.days_off(2025), cal.days_off(2025));
    }

    #[test]
    fn bare_toml_dates_are_accepted() {
        let text = r#"
            official_transfer_years = [2024]
            [[dated_day_off]]
            name = "Kurban Ait"
            date = 2024-06-17
            [[transfer]]
            date = 2024-05-04
            kind = "working"
        "#;
        let cal = Calendar::from_toml(text).unwrap();
        assert_eq!(cal.days_off(2024), vec![date(2024, 6, 17)]);
        assert!(cal.is_working_day(date(2024, 5, 4)));
    }

    #[test]
    fn inconsistent_data_is_rejected() {
        let bad = |text: &str| Calendar::from_toml(text).unwrap_err();
        assert!(matches!(
            bad("[[holiday]]\nname = \"x\"\nmonth = 2\nday = 30"),
            CalendarError::InvalidDayOfMonth {
                month: 2,
                day: 30,
                ..
            }
        ));
        assert!(matches!(
            bad("[[fixed_day_off]]\nname = \"x\"\nmonth = 13\nday = 1"),
            CalendarError::InvalidDayOfMonth { .. }
        ));
        assert!(matches!(
            bad("[[holiday]]\nname = \"x\"\nmonth = 1\nday = 1\nfrom_year = 2026\nto_year = 2025"),
            CalendarError::EmptyYearRange { .. }
        ));
        assert_eq!(
            bad(
                "official_transfer_years = [2024]\n[[transfer]]\ndate = \"2024-05-06\"\nkind = \"working\""
            ),
            CalendarError::WorkingTransferOnWeekday {
                date: date(2024, 5, 6)
            }
        );
        assert_eq!(
            bad(
                "official_transfer_years = [2024]\n[[transfer]]\ndate = \"2024-05-05\"\nkind = \"off\""
            ),
            CalendarError::OffTransferOnWeekend {
                date: date(2024, 5, 5)
            }
        );
        assert_eq!(
            bad(
                "official_transfer_years = [2024]\n[[transfer]]\ndate = \"2024-05-08\"\nkind = \"off\"\n[[transfer]]\ndate = \"2024-05-08\"\nkind = \"off\""
            ),
            CalendarError::DuplicateTransfer {
                date: date(2024, 5, 8)
            }
        );
        let err = bad("[[transfer]]\ndate = \"2027-05-10\"\nkind = \"off\"");
        assert_eq!(
            err,
            CalendarError::TransferYearNotLoaded {
                date: date(2027, 5, 10),
                year: 2027
            }
        );
        assert!(err.to_string().contains("2027"));
        assert!(matches!(
            bad("[[transfer]]\ndate = \"2024-02-30\"\nkind = \"off\""),
            CalendarError::InvalidToml(_)
        ));
        assert!(matches!(
            bad("holidays = []"),
            CalendarError::InvalidToml(_)
        ));
        assert!(matches!(
            bad("[[transfer]]\ndate = \"2024-05-08\"\nkind = \"holiday\""),
            CalendarError::InvalidToml(_)
        ));
    }

    #[test]
    fn empty_data_means_weekends_only() {
        let cal = Calendar::from_data(CalendarData::default()).unwrap();
        assert!(cal.days_off(2025).is_empty());
        assert!(cal.is_provisional(2025));
        assert_eq!(
            cal.deadline(date(2025, 1, 3), Term::WorkingDays(5)).date,
            date(2025, 1, 10)
        );
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        let first = date(2020, 1, 1);
        (0i64..(365 * 12)).prop_map(move |n| first + chrono::Duration::days(n))
    }

    proptest! {
        #[test]
        fn working_day_deadlines_are_working_and_increasing(start in any_date(), n in 1u32..400) {
            let cal = kz();
            let a = cal.deadline(start, Term::WorkingDays(n)).date;
            let b = cal.deadline(start, Term::WorkingDays(n + 1)).date;
            prop_assert!(cal.is_working_day(a));
            prop_assert!(cal.is_working_day(b));
            prop_assert!(a > start);
            prop_assert!(a < b);
            // The next one is exactly the first working day after the previous.
            prop_assert_eq!(b, cal.next_working_day_on_or_after(a.succ_opt().unwrap()));
        }

        #[test]
        fn calendar_and_month_deadlines_are_working_days(start in any_date(), n in 0u32..800, m in 0u32..40) {
            let cal = kz();
            let d = cal.deadline(start, Term::CalendarDays(n)).date;
            prop_assert!(cal.is_working_day(d));
            prop_assert!(d >= start + Days::new(u64::from(n)));
            let d = cal.deadline(start, Term::Months(m)).date;
            prop_assert!(cal.is_working_day(d));
            prop_assert!(d >= start.checked_add_months(Months::new(m)).unwrap());
        }

        #[test]
        fn any_term_never_panics(days in any::<i32>(), n in any::<u32>(), kind in 0u8..3) {
            let cal = kz();
            let start = NaiveDate::from_num_days_from_ce_opt(days).unwrap_or(NaiveDate::MIN);
            let term = match kind {
                0 => Term::WorkingDays(n % 100_000),
                1 => Term::CalendarDays(n),
                _ => Term::Months(n),
            };
            let _ = cal.deadline(start, term);
        }

        #[test]
        fn from_toml_never_panics(s in "\\PC*") {
            let _ = Calendar::from_toml(&s);
        }
    }
}
