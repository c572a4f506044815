//! A person's identifying details, parsed once at the edge.

use super::calendar::Term;
use super::iin::Sex;
use chrono::NaiveDate;
use uuid::Uuid;

/// Details of a person as registered; every field already checked by [`PersonDetails::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDetails {
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// ISO 3166-1 alpha-3, upper case; empty for a stateless person.
    pub citizenship: String,
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

const MAX_NAME: usize = 200;
/// The earliest birth year an IIN can encode (century digit 1/2 = 1800s).
pub const EARLIEST_BIRTH_YEAR: i32 = 1800;

impl PersonDetails {
    /// Parses raw input as of `today`; returns every problem as `(field, rule)`.
    pub fn parse(
        raw: RawPerson<'_>,
        today: NaiveDate,
    ) -> Result<PersonDetails, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let surname = name(raw.surname, "surname", true, &mut problems);
        let given_name = name(raw.given_name, "given_name", true, &mut problems);
        let patronymic = name(raw.patronymic, "patronymic", false, &mut problems);
        match raw.birth_date {
            None => problems.push(("birth_date", "required: a valid calendar date".to_string())),
            Some(d) if d > today => {
                problems.push(("birth_date", "must not be in the future".to_string()))
            }
            Some(d) if chrono::Datelike::year(&d) < EARLIEST_BIRTH_YEAR => problems.push((
                "birth_date",
                format!("must be in {EARLIEST_BIRTH_YEAR} or later"),
            )),
            Some(_) => {}
        }
        if raw.sex.is_none() {
            problems.push(("sex", "required: MALE or FEMALE".to_string()));
        }
        let citizenship = raw.citizenship.trim().to_ascii_uppercase();
        let alpha3 = citizenship.len() == 3 && citizenship.chars().all(|c| c.is_ascii_uppercase());
        if !(citizenship.is_empty() || alpha3) {
            problems.push((
                "citizenship",
                "must be an ISO 3166-1 alpha-3 code (e.g. CHN) or empty for a stateless person"
                    .to_string(),
            ));
        }
        match (raw.birth_date, raw.sex, problems.is_empty()) {
            (Some(birth_date), Some(sex), true) => Ok(PersonDetails {
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
}

/// The identity document a person is registered with (SPEC 5.7): one person holds it. The
/// number keeps its letters and digits only, in upper case, so `e 1234-567` and `E1234567` are
/// the same document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityDocument {
    pub number: String,
    pub issuing_country: String,
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
        let country = issuing_country.trim().to_ascii_uppercase();
        if !(country.len() == 3 && country.chars().all(|c| c.is_ascii_uppercase())) {
            problems.push((
                "issuing_country",
                "required: an ISO 3166-1 alpha-3 code, e.g. CHN".to_string(),
            ));
        }
        if problems.is_empty() {
            Ok(IdentityDocument {
                number: kept,
                issuing_country: country,
            })
        } else {
            Err(problems)
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

fn name(
    value: &str,
    field: &'static str,
    required: bool,
    problems: &mut Vec<(&'static str, String)>,
) -> String {
    let trimmed = value.trim();
    if required && trimmed.is_empty() {
        problems.push((field, "required".to_string()));
    } else if trimmed.chars().count() > MAX_NAME {
        problems.push((field, format!("at most {MAX_NAME} characters")));
    } else if trimmed.chars().any(char::is_control) {
        problems.push((field, "must not contain control characters".to_string()));
    }
    trimmed.to_string()
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
        assert_eq!(p.surname, "Nurlanov");
        assert_eq!(p.citizenship, "CHN");
    }

    #[test]
    fn an_identity_document_number_is_the_same_however_it_is_spaced() {
        let a = IdentityDocument::parse("e 1234-567", "chn").unwrap();
        let b = IdentityDocument::parse("E1234567", "CHN").unwrap();
        assert_eq!(a, b);
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
}
