//! The TOML file an operator writes a year's decree in, for `kandas admin calendar load`: the
//! same facts as SetCalendarYear, with its field names, so a refusal naming
//! `transfers[1].date` points at the second `[[transfers]]` table.

use crate::domain::calendar::{DatedDayOff, OfficialYear, Transfer, TransferKind};
use crate::pb;
use anyhow::Context;
use chrono::Datelike;
use serde::Deserialize;
use std::path::Path;
use uuid::Uuid;

/// The format, for `--help` and the book's `kandas admin` page.
pub const FORMAT: &str = r#"The calendar file (TOML) holds one year's official calendar as the government decree
gives it. Public holidays that recur every year (1-2 January, 8 March, Nauryz, ...) and
their move off a weekend are rules the service already applies; the file adds what only the
decree says:

    # The year the decree is for; every date below must fall in it.
    year = 2027

    # A day off on one date that never moves, e.g. the first day of Kurban Ait.
    [[dated_days_off]]
    date = 2027-05-17
    name = "Kurban Ait"

    # Transfers: a weekday made a day off (kind = "off"), and the Saturday or Sunday
    # worked instead (kind = "working"). The note is optional: the decree, the paired date.
    [[transfers]]
    date = 2027-01-08
    kind = "off"
    note = "moved from Saturday 16 January"

    [[transfers]]
    date = 2027-01-16
    kind = "working"
    note = "worked for Friday 8 January"

Dates are TOML dates (2027-01-08) or strings ("2027-01-08"). Loading a year replaces
whatever was loaded for it before: give the whole decree each time. A year with no
transfers is loaded with no [[transfers]] tables. The service checks the rules and names
a broken one by its place: transfers[0] is the first [[transfers]] table."#;

/// A year's decree as the file gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    year: i32,
    #[serde(default)]
    dated_days_off: Vec<DatedDayOff>,
    #[serde(default)]
    transfers: Vec<Transfer>,
}

pub fn parse(text: &str) -> Result<OfficialYear, toml::de::Error> {
    let file: CalendarFile = toml::from_str(text)?;
    Ok(OfficialYear {
        year: file.year,
        dated_days_off: file.dated_days_off,
        transfers: file.transfers,
    })
}

pub fn read(path: &Path) -> anyhow::Result<OfficialYear> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the calendar file {}", path.display()))?;
    parse(&text).with_context(|| format!("{} is not a calendar file", path.display()))
}

pub fn to_request(year: &OfficialYear, request_id: Uuid) -> pb::SetCalendarYearRequest {
    let date = |d: chrono::NaiveDate| pb::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    };
    pb::SetCalendarYearRequest {
        request_id: request_id.to_string(),
        year: year.year,
        dated_days_off: year
            .dated_days_off
            .iter()
            .map(|day| pb::CalendarDayOff {
                date: Some(date(day.date)),
                name: day.name.clone(),
            })
            .collect(),
        transfers: year
            .transfers
            .iter()
            .map(|transfer| pb::CalendarTransfer {
                date: Some(date(transfer.date)),
                working: transfer.kind == TransferKind::Working,
                note: transfer.note.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example as `--help` prints it, indentation removed.
    fn documented_example() -> String {
        FORMAT
            .lines()
            .filter_map(|line| line.strip_prefix("    "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_documented_example_is_a_valid_year() {
        let year = parse(&documented_example()).unwrap();
        assert_eq!(year.year, 2027);
        assert_eq!(year.dated_days_off.len(), 1);
        assert_eq!(year.transfers.len(), 2);
        assert!(year.problems().is_empty(), "{:?}", year.problems());
        let request = to_request(&year, Uuid::nil());
        assert_eq!(
            request.transfers[1].date,
            Some(pb::Date {
                year: 2027,
                month: 1,
                day: 16
            })
        );
        assert!(request.transfers[1].working && !request.transfers[0].working);
        assert_eq!(request.transfers[0].note, "moved from Saturday 16 January");
        assert_eq!(request.dated_days_off[0].name, "Kurban Ait");
    }

    #[test]
    fn a_year_without_days_is_empty_not_refused() {
        let year = parse("year = 2028").unwrap();
        assert!(year.dated_days_off.is_empty() && year.transfers.is_empty());
    }

    #[test]
    fn a_misspelt_key_or_kind_is_refused_by_name() {
        let error = parse("year = 2027\n[[transfer]]\ndate = 2027-01-08\nkind = \"off\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("transfer"), "{error}");
        let error = parse("year = 2027\n[[transfers]]\ndate = 2027-01-08\nkind = \"holiday\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("holiday"), "{error}");
        assert!(parse("[[transfers]]\ndate = 2027-01-08\nkind = \"off\"\n").is_err());
    }
}
