//! What the service already holds about a person: the facts that prerequisites and
//! "satisfied from records" are decided on. The store assembles a [`PersonRecords`]; the rules
//! in `prerequisites` and `catalogue` read it and never touch storage.

use super::documents::Document;
use super::procedure::Procedure;
use super::record_life::{Annulment, RegistrationEnd};
use super::regions::Region;
use chrono::NaiveDate;
use uuid::Uuid;

/// A record that proves something, named as the API names it (e.g. `applications/{id}`).
pub type Evidence = String;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KandasStatusRecord {
    /// The application whose approval granted or extended it.
    pub evidence: Evidence,
    pub certificate_number: String,
    pub valid_from: NaiveDate,
    /// The last day the status is valid (inclusive).
    pub valid_until: NaiveDate,
    /// Annulled by the commission, from a date (SPEC 5.7).
    pub annulment: Option<Annulment>,
}

impl KandasStatusRecord {
    /// Valid on `day`: within its validity and not annulled by then.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day
            && day <= self.valid_until
            && !self.annulment.as_ref().is_some_and(|a| a.in_force_on(day))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitRecord {
    pub evidence: Evidence,
    pub number: String,
    pub granted_on: NaiveDate,
    /// Annulled by police, from a date (SPEC 5.7); its cards fall with it.
    pub annulment: Option<Annulment>,
}

impl PermitRecord {
    /// Held on `day`: granted by then and not annulled by then.
    pub fn held_on(&self, day: NaiveDate) -> bool {
        self.granted_on <= day && !self.annulment.as_ref().is_some_and(|a| a.in_force_on(day))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRecord {
    pub evidence: Evidence,
    pub number: String,
    pub issued_on: NaiveDate,
    /// The last day the card is valid (inclusive).
    pub valid_until: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationKind {
    Permanent,
    Temporary,
    Refugee,
}

impl RegistrationKind {
    pub const ALL: [RegistrationKind; 3] = [
        RegistrationKind::Permanent,
        RegistrationKind::Temporary,
        RegistrationKind::Refugee,
    ];

    /// Stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationKind::Permanent => "permanent",
            RegistrationKind::Temporary => "temporary",
            RegistrationKind::Refugee => "refugee",
        }
    }

    pub fn parse(name: &str) -> Option<RegistrationKind> {
        RegistrationKind::ALL
            .into_iter()
            .find(|v| v.as_str() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRecord {
    pub evidence: Evidence,
    pub kind: RegistrationKind,
    pub region: Region,
    pub registered_on: NaiveDate,
    /// Last day of a temporary registration, or of a permanent one a newer permanent
    /// registration replaced; `None` while open-ended.
    pub until: Option<NaiveDate>,
    /// Ended by police (SPEC 5.7), through its last day.
    pub ended: Option<RegistrationEnd>,
}

impl RegistrationRecord {
    /// The last day registered (inclusive), whichever comes first of its planned end and the
    /// day police ended it; `None` while open-ended.
    pub fn last_day(&self) -> Option<NaiveDate> {
        match (self.until, self.ended.map(|e| e.last_day)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Active on `day`: started and not yet past its last day.
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.registered_on <= day && self.last_day().is_none_or(|last| day <= last)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffenceField {
    Migration,
    Tax,
    Labour,
    Other,
}

impl OffenceField {
    pub const ALL: [OffenceField; 4] = [
        OffenceField::Migration,
        OffenceField::Tax,
        OffenceField::Labour,
        OffenceField::Other,
    ];

    /// Stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            OffenceField::Migration => "migration",
            OffenceField::Tax => "tax",
            OffenceField::Labour => "labour",
            OffenceField::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<OffenceField> {
        OffenceField::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffenceRecord {
    /// `offences/{id}`.
    pub evidence: Evidence,
    pub field: OffenceField,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalRecord {
    pub evidence: Evidence,
    pub procedure: Procedure,
    pub decision_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenshipRecord {
    pub evidence: Evidence,
    pub granted_on: NaiveDate,
}

/// A stateless person's certificate (SPEC 5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatelessCertificateRecord {
    pub evidence: Evidence,
    pub number: String,
    pub issued_on: NaiveDate,
}

/// A person's inclusion in a year's regional quota (SPEC 6), as applicant or family member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaInclusionRecord {
    pub evidence: Evidence,
    pub region: Region,
    pub year: i32,
    pub decided_on: NaiveDate,
}

/// Records no prerequisite reads, so they are loaded only where a person's records are listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedRecords {
    pub stateless_certificates: Vec<StatelessCertificateRecord>,
    /// Nobody is included twice (SPEC 6).
    pub quota_inclusion: Option<QuotaInclusionRecord>,
}

/// A document presented with an earlier application of this person (or of a family
/// application they were part of), with the application it came with. Its `holder` is
/// normalised to `None`: it is this person's own document, whoever's application carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedDocument {
    pub evidence: Evidence,
    pub presented_on: NaiveDate,
    pub document: Document,
}

/// Everything on record for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecords {
    pub person_id: Uuid,
    /// `persons/{id}`.
    pub person: Evidence,
    pub iin: Option<String>,
    pub birth_date: NaiveDate,
    pub ethnic_kazakh: bool,
    /// ISO 3166-1 alpha-3 of the current foreign citizenship, or an ICAO code; empty or `XXA`
    /// when stateless.
    pub citizenship: String,
    pub kazakh_citizenship: Option<CitizenshipRecord>,
    pub kandas_statuses: Vec<KandasStatusRecord>,
    pub permits: Vec<PermitRecord>,
    pub cards: Vec<CardRecord>,
    pub registrations: Vec<RegistrationRecord>,
    pub offences: Vec<OffenceRecord>,
    pub refusals: Vec<RefusalRecord>,
    /// Undecided applications: procedure and `applications/{id}`.
    pub open_applications: Vec<(Procedure, Evidence)>,
    pub presented: Vec<PresentedDocument>,
}

impl PersonRecords {
    /// A person the service knows nothing else about.
    pub fn new(person_id: Uuid, birth_date: NaiveDate) -> PersonRecords {
        PersonRecords {
            person_id,
            person: format!("persons/{person_id}"),
            iin: None,
            birth_date,
            ethnic_kazakh: false,
            citizenship: String::new(),
            kazakh_citizenship: None,
            kandas_statuses: Vec::new(),
            permits: Vec::new(),
            cards: Vec::new(),
            registrations: Vec::new(),
            offences: Vec::new(),
            refusals: Vec::new(),
            open_applications: Vec::new(),
            presented: Vec::new(),
        }
    }

    /// The kandas status valid on `day` that lasts longest, if any; an annulled one is not
    /// valid from its annulment.
    pub fn kandas_status_on(&self, day: NaiveDate) -> Option<&KandasStatusRecord> {
        self.kandas_statuses
            .iter()
            .filter(|s| s.valid_on(day))
            .max_by_key(|s| s.valid_until)
    }

    /// The permit held on `day`: the latest granted by then and not annulled by then.
    pub fn permit_on(&self, day: NaiveDate) -> Option<&PermitRecord> {
        self.permits
            .iter()
            .filter(|p| p.held_on(day))
            .max_by_key(|p| p.granted_on)
    }

    /// The permit a card rests on: the latest granted on or before the card's issue.
    pub fn permit_of(&self, card: &CardRecord) -> Option<&PermitRecord> {
        self.permits
            .iter()
            .filter(|p| p.granted_on <= card.issued_on)
            .max_by_key(|p| p.granted_on)
    }

    /// The annulment of the permit `card` rests on, when it is in force on `day`: the card is
    /// invalid from the same date (SPEC 5.7).
    pub fn card_annulled_on(&self, card: &CardRecord, day: NaiveDate) -> Option<&Annulment> {
        self.permit_of(card)
            .and_then(|p| p.annulment.as_ref())
            .filter(|a| a.in_force_on(day))
    }

    /// The active permanent registration on `day`, if any.
    pub fn permanent_registration_on(&self, day: NaiveDate) -> Option<&RegistrationRecord> {
        self.registrations
            .iter()
            .filter(|r| r.kind == RegistrationKind::Permanent && r.active_on(day))
            .max_by_key(|r| r.registered_on)
    }

    /// The card valid on `day` that lasts longest, if any; a card falls with its permit.
    pub fn card_on(&self, day: NaiveDate) -> Option<&CardRecord> {
        self.cards
            .iter()
            .filter(|c| c.issued_on <= day && day <= c.valid_until)
            .filter(|c| self.card_annulled_on(c, day).is_none())
            .max_by_key(|c| c.valid_until)
    }
}

/// Whole years of age on `day` (a person born on 29 February turns a year older on 1 March in
/// common years).
pub fn age_on(birth_date: NaiveDate, day: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = day.year() - birth_date.year();
    if (day.month(), day.day()) < (birth_date.month(), birth_date.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn age_turns_on_the_birthday() {
        assert_eq!(age_on(d(2012, 6, 1), d(2026, 5, 31)), 13);
        assert_eq!(age_on(d(2012, 6, 1), d(2026, 6, 1)), 14);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), 17);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 3, 1)), 18);
    }

    #[test]
    fn a_status_is_valid_through_its_last_day() {
        let mut records = PersonRecords::new(Uuid::nil(), d(1980, 1, 1));
        records.kandas_statuses.push(KandasStatusRecord {
            evidence: "applications/x".into(),
            certificate_number: "KC-1".into(),
            valid_from: d(2025, 6, 1),
            valid_until: d(2026, 6, 1),
            annulment: None,
        });
        assert!(records.kandas_status_on(d(2026, 6, 1)).is_some());
        assert!(records.kandas_status_on(d(2026, 6, 2)).is_none());
    }

    fn annulment(from: NaiveDate) -> Annulment {
        Annulment {
            from,
            ground: crate::record_life::AnnulmentGround::CourtDecision,
            legal_basis: "court decision of 2026-06-09".into(),
        }
    }

    fn permanent(from: NaiveDate, ended: Option<NaiveDate>) -> RegistrationRecord {
        RegistrationRecord {
            evidence: "applications/r".into(),
            kind: RegistrationKind::Permanent,
            region: Region::Pavlodar,
            registered_on: from,
            until: None,
            ended: ended.map(|last_day| RegistrationEnd {
                last_day,
                reason: crate::record_life::EndReason::MovedOut,
            }),
        }
    }

    #[test]
    fn an_ended_registration_is_active_through_its_last_day_and_not_after() {
        let r = permanent(d(2026, 6, 1), Some(d(2026, 6, 10)));
        assert!(r.active_on(d(2026, 6, 9)));
        assert!(r.active_on(d(2026, 6, 10)));
        assert!(!r.active_on(d(2026, 6, 11)));
        assert_eq!(r.last_day(), Some(d(2026, 6, 10)));
    }

    #[test]
    fn a_temporary_registration_ended_early_ends_on_the_earlier_day() {
        let mut r = permanent(d(2026, 6, 1), Some(d(2026, 7, 1)));
        r.kind = RegistrationKind::Temporary;
        r.until = Some(d(2026, 9, 1));
        assert_eq!(r.last_day(), Some(d(2026, 7, 1)));
        assert!(r.active_on(d(2026, 7, 1)));
        assert!(!r.active_on(d(2026, 7, 2)));
        r.ended = None;
        assert_eq!(r.last_day(), Some(d(2026, 9, 1)));
    }

    #[test]
    fn an_annulled_status_is_valid_the_day_before_and_not_from_its_date() {
        let mut records = PersonRecords::new(Uuid::nil(), d(1980, 1, 1));
        records.kandas_statuses.push(KandasStatusRecord {
            evidence: "applications/x".into(),
            certificate_number: "KC-1".into(),
            valid_from: d(2026, 6, 1),
            valid_until: d(2027, 6, 1),
            annulment: Some(annulment(d(2026, 6, 10))),
        });
        assert!(records.kandas_status_on(d(2026, 6, 9)).is_some());
        assert!(records.kandas_status_on(d(2026, 6, 10)).is_none());
        assert!(records.kandas_status_on(d(2026, 6, 11)).is_none());
    }

    #[test]
    fn an_annulled_permit_takes_its_card_with_it_from_the_same_date() {
        let mut records = PersonRecords::new(Uuid::nil(), d(1980, 1, 1));
        records.permits.push(PermitRecord {
            evidence: "applications/p".into(),
            number: "PRP-1".into(),
            granted_on: d(2026, 6, 1),
            annulment: Some(annulment(d(2026, 6, 10))),
        });
        records.cards.push(CardRecord {
            evidence: "applications/c".into(),
            number: "RPC-1".into(),
            issued_on: d(2026, 6, 2),
            valid_until: d(2036, 6, 2),
        });
        for (day, held) in [(9, true), (10, false), (11, false)] {
            let day = d(2026, 6, day);
            assert_eq!(records.permit_on(day).is_some(), held, "permit on {day}");
            assert_eq!(records.card_on(day).is_some(), held, "card on {day}");
        }
    }

    #[test]
    fn a_card_issued_on_a_later_permit_survives_the_annulment_of_an_earlier_one() {
        let mut records = PersonRecords::new(Uuid::nil(), d(1980, 1, 1));
        records.permits.push(PermitRecord {
            evidence: "applications/p1".into(),
            number: "PRP-1".into(),
            granted_on: d(2024, 1, 10),
            annulment: Some(annulment(d(2025, 1, 10))),
        });
        records.permits.push(PermitRecord {
            evidence: "applications/p2".into(),
            number: "PRP-2".into(),
            granted_on: d(2026, 1, 10),
            annulment: None,
        });
        records.cards.push(CardRecord {
            evidence: "applications/c2".into(),
            number: "RPC-2".into(),
            issued_on: d(2026, 2, 1),
            valid_until: d(2036, 2, 1),
        });
        assert_eq!(records.permit_on(d(2026, 6, 1)).unwrap().number, "PRP-2");
        assert!(records.card_on(d(2026, 6, 1)).is_some());
    }
}
