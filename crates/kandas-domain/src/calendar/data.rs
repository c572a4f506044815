//! The calendar data as shipped in data/calendar.toml and as an administrator loads a year of
//! it, and the checks that keep it usable.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

use super::is_weekend;

const DEFAULT_CALENDAR_TOML: &str = include_str!("../../../../data/calendar.toml");

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

pub(super) fn validate(data: &CalendarData) -> Result<(), CalendarError> {
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
