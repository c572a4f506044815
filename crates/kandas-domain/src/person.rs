//! A person's identifying details, parsed once at the edge.

use super::calendar::Term;
use super::country::{self, CountryCode};
use super::iin::Sex;
use super::person_name::PersonName;
use chrono::{Months, NaiveDate};
use uuid::Uuid;

/// Details of a person as registered; every field already checked by [`PersonDetails::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDetails {
    pub surname: PersonName,
    pub given_name: PersonName,
    pub patronymic: Option<PersonName>,
    /// Plausible on the day it was parsed (see [`plausible_birth_date`]).
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// `None` for a stateless person registered without a code; ICAO's `XXA` says the same.
    pub citizenship: Option<CountryCode>,
    pub ethnic_kazakh: bool,
}

/// Unparsed input, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct RawPerson<'a> {
    pub surname: &'a str,
    pub given_name: &'a str,
    pub patronymic: &'a str,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub citizenship: &'a str,
    pub ethnic_kazakh: bool,
}

/// The oldest a person registered is taken to be, in years (SPEC §2.3).
pub const MAX_AGE_YEARS: u32 = 120;

/// A birth date no later than `today` and at most [`MAX_AGE_YEARS`] before it. An IIN of the
/// 1800s still validates (SPEC §2.1), but no living person is registered with that birth date.
pub fn plausible_birth_date(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, String> {
    let earliest = today
        .checked_sub_months(Months::new(12 * MAX_AGE_YEARS))
        .unwrap_or(NaiveDate::MIN);
    if date > today {
        Err(format!("must not be after today ({today})"))
    } else if date < earliest {
        Err(format!(
            "must not be more than {MAX_AGE_YEARS} years before today: {earliest} or later"
        ))
    } else {
        Ok(date)
    }
}

const CITIZENSHIP_RULE: &str = "empty for a stateless person, or an ISO 3166-1 alpha-3 code \
    (e.g. CHN), XXA (stateless), XXB or XXC (refugee), XXX (unspecified)";

/// A citizenship as given: nothing for a stateless person, otherwise a country code. A value of
/// spaces only is neither.
pub fn citizenship(value: &str) -> Result<Option<CountryCode>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    CountryCode::parse(value)
        .map(Some)
        .map_err(|_| CITIZENSHIP_RULE.to_string())
}

impl PersonDetails {
    /// Parses raw input as of `today`; returns every problem as `(field, rule)`.
    pub fn parse(
        raw: RawPerson<'_>,
        today: NaiveDate,
    ) -> Result<PersonDetails, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let surname = kept(
            &mut problems,
            "surname",
            PersonName::parse(raw.surname).map_err(|e| e.to_string()),
        );
        let given_name = kept(
            &mut problems,
            "given_name",
            PersonName::parse(raw.given_name).map_err(|e| e.to_string()),
        );
        let patronymic = kept(
            &mut problems,
            "patronymic",
            PersonName::parse_optional(raw.patronymic).map_err(|e| e.to_string()),
        );
        let birth_date = kept(
            &mut problems,
            "birth_date",
            raw.birth_date
                .ok_or_else(|| "required: a valid calendar date".to_string())
                .and_then(|date| plausible_birth_date(date, today)),
        );
        let sex = kept(
            &mut problems,
            "sex",
            raw.sex
                .ok_or_else(|| "required: MALE or FEMALE".to_string()),
        );
        let citizenship = kept(&mut problems, "citizenship", citizenship(raw.citizenship));
        match (
            surname,
            given_name,
            patronymic,
            birth_date,
            sex,
            citizenship,
        ) {
            (
                Some(surname),
                Some(given_name),
                Some(patronymic),
                Some(birth_date),
                Some(sex),
                Some(citizenship),
            ) => Ok(PersonDetails {
                surname,
                given_name,
                patronymic,
                birth_date,
                sex,
                citizenship,
                ethnic_kazakh: raw.ethnic_kazakh,
            }),
            _ => Err(problems),
        }
    }

    /// The patronymic as stored: empty when the person has none.
    pub fn patronymic_str(&self) -> &str {
        self.patronymic.as_ref().map_or("", PersonName::as_str)
    }

    /// The citizenship as stored: empty when registered stateless without a code.
    pub fn citizenship_str(&self) -> &'static str {
        self.citizenship.map_or("", CountryCode::as_str)
    }
}

/// The value parsed, or `None` with its problem kept.
fn kept<T>(
    problems: &mut Vec<(&'static str, String)>,
    field: &'static str,
    parsed: Result<T, String>,
) -> Option<T> {
    parsed.map_err(|rule| problems.push((field, rule))).ok()
}

/// The identity document a person is registered with (SPEC 5.7): one person holds it. The
/// number keeps its letters and digits only, in upper case, so `e 1234-567` and `E1234567` are
/// the same document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityDocument {
    pub number: String,
    pub issuing_country: CountryCode,
}

const MAX_DOCUMENT_NUMBER: usize = 64;

impl IdentityDocument {
    /// Parses a document as presented; returns every problem as `(field, rule)`.
    pub fn parse(number: &str, issuing_country: &str) -> Result<Self, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let kept: String = number
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if kept.is_empty()
            || kept.len() > MAX_DOCUMENT_NUMBER
            || !kept.chars().all(|c| c.is_ascii_alphanumeric())
        {
            problems.push((
                "number",
                format!("required: 1 to {MAX_DOCUMENT_NUMBER} letters and digits"),
            ));
        }
        let country = CountryCode::parse(issuing_country)
            .map_err(|_| problems.push(("issuing_country", format!("required: {}", country::RULE))))
            .ok();
        match country {
            Some(issuing_country) if problems.is_empty() => Ok(IdentityDocument {
                number: kept,
                issuing_country,
            }),
            _ => Err(problems),
        }
    }
}

/// A host's arrival notification is due within 3 working days of the entry (SPEC 5.5).
pub const ARRIVAL_NOTICE_TERM: Term = Term::WorkingDays(3);

/// A host's notification that a person arrived, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalNotice {
    pub id: Uuid,
    pub person: Uuid,
    pub entry_date: NaiveDate,
    pub notified_on: NaiveDate,
    pub due_date: NaiveDate,
}

impl ArrivalNotice {
    /// Given after the day it was due; a late notice is still recorded.
    pub fn late(&self) -> bool {
        self.notified_on > self.due_date
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn a_complete_person_parses_and_citizenship_is_normalised() {
        let raw = RawPerson {
            surname: " Nurlanov ",
            given_name: "Aidos",
            birth_date: NaiveDate::from_ymd_opt(1987, 10, 8),
            sex: Some(Sex::Male),
            citizenship: "chn",
            ..RawPerson::default()
        };
        let p = PersonDetails::parse(raw, today()).unwrap();
        assert_eq!(p.surname.as_str(), "Nurlanov");
        assert_eq!(p.patronymic, None);
        assert_eq!(p.citizenship_str(), "CHN");
    }

    #[test]
    fn an_identity_document_number_is_the_same_however_it_is_spaced() {
        let a = IdentityDocument::parse("e 1234-567", "chn").unwrap();
        let b = IdentityDocument::parse("E1234567", "CHN").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.issuing_country.as_str(), "CHN");
        let fields: Vec<&str> = IdentityDocument::parse("№ 5", "China")
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, vec!["number", "issuing_country"]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let raw = RawPerson {
            birth_date: NaiveDate::from_ymd_opt(2030, 1, 1),
            citizenship: "China",
            ..RawPerson::default()
        };
        let fields: Vec<&str> = PersonDetails::parse(raw, today())
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            vec!["surname", "given_name", "birth_date", "sex", "citizenship"]
        );
    }

    fn born(birth_date: NaiveDate, today: NaiveDate) -> Result<PersonDetails, Vec<&'static str>> {
        let raw = RawPerson {
            surname: "Nurlanov",
            given_name: "Aidos",
            birth_date: Some(birth_date),
            sex: Some(Sex::Male),
            citizenship: "CHN",
            ..RawPerson::default()
        };
        PersonDetails::parse(raw, today)
            .map_err(|problems| problems.into_iter().map(|(f, _)| f).collect())
    }

    #[test]
    fn a_birth_date_is_at_most_a_hundred_and_twenty_years_ago_and_not_after_today() {
        let today = today();
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(born(d(1906, 11, 20), today), Err(vec!["birth_date"]));
        assert!(born(d(1906, 11, 21), today).is_ok());
        assert!(born(today, today).is_ok());
        assert_eq!(born(d(2026, 11, 22), today), Err(vec!["birth_date"]));
        assert_eq!(born(d(1800, 1, 1), today), Err(vec!["birth_date"]));
    }

    #[test]
    fn a_hundred_and_twenty_years_before_a_leap_day_is_the_last_day_of_that_february() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            plausible_birth_date(d(1900, 2, 28), d(2020, 2, 29)),
            Ok(d(1900, 2, 28))
        );
        assert!(plausible_birth_date(d(1900, 2, 27), d(2020, 2, 29)).is_err());
    }

    #[test]
    fn the_birth_date_rule_names_its_bounds() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            plausible_birth_date(d(1800, 1, 1), today()),
            Err("must not be more than 120 years before today: 1906-11-21 or later".to_string())
        );
        assert_eq!(
            plausible_birth_date(d(2027, 1, 1), today()),
            Err("must not be after today (2026-11-21)".to_string())
        );
    }

    #[test]
    fn names_are_checked_by_the_name_rule_each_naming_its_field() {
        let raw = RawPerson {
            surname: "Nur\u{202E}lanov",
            given_name: "\u{200B}\u{200B}",
            patronymic: "Serikuly1",
            birth_date: NaiveDate::from_ymd_opt(1987, 10, 8),
            sex: Some(Sex::Male),
            citizenship: "CHN",
            ..RawPerson::default()
        };
        let problems = PersonDetails::parse(raw, today()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["surname", "given_name", "patronymic"]);
        assert!(problems[0].1.contains("U+202E"), "{problems:?}");
    }

    #[test]
    fn a_citizenship_is_a_country_code_or_nothing_for_a_stateless_person() {
        assert_eq!(citizenship(""), Ok(None));
        assert_eq!(
            citizenship("xxa").map(|c| c.map(CountryCode::as_str)),
            Ok(Some("XXA"))
        );
        assert_eq!(
            citizenship("MNG").map(|c| c.map(CountryCode::as_str)),
            Ok(Some("MNG"))
        );
        for value in [" ", "\t", "   ", "China", "ZZZ"] {
            assert!(citizenship(value).is_err(), "{value:?}");
        }
    }
}
