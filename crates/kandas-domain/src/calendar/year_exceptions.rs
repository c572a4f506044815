//! The days of one year that differ from the plain Saturday/Sunday rule, and the SPEC 3 rules
//! (holidays, their carry-over, fixed days off, decree transfers) that compute them.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};

use super::data::{CalendarData, TransferKind};
use super::is_weekend;

/// Days that differ from the plain Saturday/Sunday rule within one year.
#[derive(Debug, Clone, Default)]
pub(super) struct YearExceptions {
    /// Monday–Friday days off, sorted.
    pub(super) off_weekdays: Vec<NaiveDate>,
    /// Saturdays and Sundays that are worked, sorted.
    pub(super) working_weekends: Vec<NaiveDate>,
}

impl YearExceptions {
    pub(super) fn is_working_day(&self, d: NaiveDate) -> bool {
        if is_weekend(d) {
            self.working_weekends.binary_search(&d).is_ok()
        } else {
            self.off_weekdays.binary_search(&d).is_err()
        }
    }

    /// Working days in `from..=to`; both must lie in this year.
    pub(super) fn count_working_days(&self, from: NaiveDate, to: NaiveDate) -> u64 {
        let weekdays = count_weekdays(from, to);
        let off = count_in_range(&self.off_weekdays, from, to);
        let worked = count_in_range(&self.working_weekends, from, to);
        (weekdays + worked).saturating_sub(off)
    }
}

/// Applies the SPEC 3 rules to one year: holidays, carry-over, fixed days off, transfers.
pub(super) fn compute_year(data: &CalendarData, year: i32) -> YearExceptions {
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
