//! Corrections of a person's record (SPEC 5.7): which fields may be corrected, and the person a
//! correction makes. The IIN is not among them: it never changes, even when the birth date or
//! sex it encodes is corrected (SPEC 2.1 allows numbers that do not encode them).

use super::person::{PersonDetails, RawPerson};
use chrono::NaiveDate;

/// A field of a person that a correction may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Correctable {
    Surname,
    GivenName,
    Patronymic,
    BirthDate,
    Sex,
    Citizenship,
    EthnicKazakh,
}

impl Correctable {
    pub const ALL: [Correctable; 7] = [
        Correctable::Surname,
        Correctable::GivenName,
        Correctable::Patronymic,
        Correctable::BirthDate,
        Correctable::Sex,
        Correctable::Citizenship,
        Correctable::EthnicKazakh,
    ];

    /// The field's path in the API and its name in problems.
    pub fn path(self) -> &'static str {
        match self {
            Correctable::Surname => "surname",
            Correctable::GivenName => "given_name",
            Correctable::Patronymic => "patronymic",
            Correctable::BirthDate => "birth_date",
            Correctable::Sex => "sex",
            Correctable::Citizenship => "citizenship",
            Correctable::EthnicKazakh => "ethnic_kazakh",
        }
    }

    pub fn parse(path: &str) -> Option<Correctable> {
        Correctable::ALL.into_iter().find(|f| f.path() == path)
    }
}

/// The person `current` becomes when the `fields` named are taken from `proposed`, checked as a
/// registration is; every problem as `(field, rule)`.
pub fn correct(
    current: &PersonDetails,
    proposed: &RawPerson<'_>,
    fields: &[Correctable],
    today: NaiveDate,
) -> Result<PersonDetails, Vec<(&'static str, String)>> {
    let takes = |field| fields.contains(&field);
    let merged = RawPerson {
        surname: if takes(Correctable::Surname) {
            proposed.surname
        } else {
            &current.surname
        },
        given_name: if takes(Correctable::GivenName) {
            proposed.given_name
        } else {
            &current.given_name
        },
        patronymic: if takes(Correctable::Patronymic) {
            proposed.patronymic
        } else {
            &current.patronymic
        },
        birth_date: if takes(Correctable::BirthDate) {
            proposed.birth_date
        } else {
            Some(current.birth_date)
        },
        sex: if takes(Correctable::Sex) {
            proposed.sex
        } else {
            Some(current.sex)
        },
        citizenship: if takes(Correctable::Citizenship) {
            proposed.citizenship
        } else {
            &current.citizenship
        },
        ethnic_kazakh: if takes(Correctable::EthnicKazakh) {
            proposed.ethnic_kazakh
        } else {
            current.ethnic_kazakh
        },
    };
    PersonDetails::parse(merged, today)
}

/// The document a correction rests on, as presented.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SupportingDocument {
    /// What it is, in words.
    pub kind: String,
    pub number: String,
    pub issue_date: Option<NaiveDate>,
    /// ISO 3166-1 alpha-3, or empty for Kazakhstan.
    pub issuing_country: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::iin::Sex;

    fn registered() -> PersonDetails {
        PersonDetails {
            surname: "Nurlanof".into(),
            given_name: "Aidos".into(),
            patronymic: String::new(),
            birth_date: NaiveDate::from_ymd_opt(1987, 10, 8).unwrap(),
            sex: Sex::Male,
            citizenship: "CHN".into(),
            ethnic_kazakh: true,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }

    #[test]
    fn only_the_fields_named_change() {
        let proposed = RawPerson {
            surname: "Nurlanov",
            given_name: "Someone else",
            citizenship: "",
            ..RawPerson::default()
        };
        let corrected =
            correct(&registered(), &proposed, &[Correctable::Surname], today()).unwrap();
        assert_eq!(corrected.surname, "Nurlanov");
        assert_eq!(corrected.given_name, "Aidos");
        assert_eq!(corrected.citizenship, "CHN");
    }

    #[test]
    fn a_correction_is_checked_as_a_registration_is() {
        let proposed = RawPerson {
            birth_date: NaiveDate::from_ymd_opt(2027, 1, 1),
            citizenship: "China",
            ..RawPerson::default()
        };
        let fields: Vec<&str> = correct(
            &registered(),
            &proposed,
            &[Correctable::BirthDate, Correctable::Citizenship],
            today(),
        )
        .unwrap_err()
        .into_iter()
        .map(|(f, _)| f)
        .collect();
        assert_eq!(fields, vec!["birth_date", "citizenship"]);
    }

    #[test]
    fn a_new_citizenship_and_a_stateless_person_are_corrections_too() {
        let proposed = RawPerson {
            citizenship: "",
            ..RawPerson::default()
        };
        let corrected = correct(
            &registered(),
            &proposed,
            &[Correctable::Citizenship],
            today(),
        )
        .unwrap();
        assert_eq!(corrected.citizenship, "");
    }

    #[test]
    fn every_path_round_trips_and_the_iin_is_not_one() {
        for field in Correctable::ALL {
            assert_eq!(Correctable::parse(field.path()), Some(field));
        }
        assert_eq!(Correctable::parse("iin"), None);
    }
}
