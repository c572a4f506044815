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
/// registration is; every problem as `(field, rule)`. `current` is the record as stored: a
/// correction makes a new version, so a field stored before a rule existed must meet it too.
pub fn correct(
    current: &RawPerson<'_>,
    proposed: &RawPerson<'_>,
    fields: &[Correctable],
    today: NaiveDate,
) -> Result<PersonDetails, Vec<(&'static str, String)>> {
    let takes = |field| fields.contains(&field);
    let pick = |field, proposed, current| if takes(field) { proposed } else { current };
    let merged = RawPerson {
        surname: pick(Correctable::Surname, proposed.surname, current.surname),
        given_name: pick(
            Correctable::GivenName,
            proposed.given_name,
            current.given_name,
        ),
        patronymic: pick(
            Correctable::Patronymic,
            proposed.patronymic,
            current.patronymic,
        ),
        birth_date: if takes(Correctable::BirthDate) {
            proposed.birth_date
        } else {
            current.birth_date
        },
        sex: if takes(Correctable::Sex) {
            proposed.sex
        } else {
            current.sex
        },
        citizenship: pick(
            Correctable::Citizenship,
            proposed.citizenship,
            current.citizenship,
        ),
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
    /// ISO 3166-1 alpha-3 or an ICAO code (checked where it was parsed), or empty for Kazakhstan.
    pub issuing_country: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iin::Sex;

    fn registered() -> RawPerson<'static> {
        RawPerson {
            surname: "Nurlanof",
            given_name: "Aidos",
            patronymic: "",
            birth_date: NaiveDate::from_ymd_opt(1987, 10, 8),
            sex: Some(Sex::Male),
            citizenship: "CHN",
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
        assert_eq!(corrected.surname.as_str(), "Nurlanov");
        assert_eq!(corrected.given_name.as_str(), "Aidos");
        assert_eq!(corrected.citizenship_str(), "CHN");
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
        assert_eq!(corrected.citizenship, None);
    }

    #[test]
    fn every_path_round_trips_and_the_iin_is_not_one() {
        for field in Correctable::ALL {
            assert_eq!(Correctable::parse(field.path()), Some(field));
        }
        assert_eq!(Correctable::parse("iin"), None);
    }

    #[test]
    fn a_field_stored_before_the_rules_must_meet_them_in_the_new_version() {
        let stored = RawPerson {
            surname: "Feed1",
            birth_date: NaiveDate::from_ymd_opt(1800, 1, 1),
            ..registered()
        };
        let proposed = RawPerson {
            given_name: "Aidar",
            ..RawPerson::default()
        };
        let fields: Vec<&str> = correct(&stored, &proposed, &[Correctable::GivenName], today())
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, vec!["surname", "birth_date"]);
        let proposed = RawPerson {
            surname: "Nurlanov",
            given_name: "Aidar",
            birth_date: NaiveDate::from_ymd_opt(1987, 10, 8),
            ..RawPerson::default()
        };
        let all = [
            Correctable::Surname,
            Correctable::GivenName,
            Correctable::BirthDate,
        ];
        assert!(correct(&stored, &proposed, &all, today()).is_ok());
    }
}
