//! What happens to a record after its issue (SPEC 5.7): police end a registration, the
//! commission annuls a kandas status, police annul a permanent residence permit (and with it
//! the cards that rest on it).
//!
//! Decision: a registration ended "on" a date is registered through that date inclusive and
//! not from the next day, the way `until` already names the last day of a temporary
//! registration and a new permanent registration closes the old one on the day before. The
//! 10-day rule of SPEC 5.5 counts from that last day: the next ten days are the grace, the
//! eleventh is a violation.
//!
//! Decision: an annulment "from" a date makes the record not valid on that date and after
//! (SPEC 5.7: "checked on or after that date see it as annulled, before it as valid").

use super::role::Role;
use chrono::NaiveDate;

/// Why police ended a registration (seeds 001, 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    MovedOut,
    LeftKazakhstan,
    OwnerConsentWithdrawn,
    CourtDecision,
}

impl EndReason {
    pub const ALL: [EndReason; 4] = [
        EndReason::MovedOut,
        EndReason::LeftKazakhstan,
        EndReason::OwnerConsentWithdrawn,
        EndReason::CourtDecision,
    ];

    /// Stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::MovedOut => "moved_out",
            EndReason::LeftKazakhstan => "left_kazakhstan",
            EndReason::OwnerConsentWithdrawn => "owner_consent_withdrawn",
            EndReason::CourtDecision => "court_decision",
        }
    }

    pub fn parse(name: &str) -> Option<EndReason> {
        EndReason::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

/// How a registration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationEnd {
    /// The last day registered (inclusive).
    pub last_day: NaiveDate,
    pub reason: EndReason,
}

/// The ground of an annulment (SPEC 5.7; seed 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnulmentGround {
    FalseDocuments,
    /// E.g. more than 10 days without registration (seed 001).
    AdministrativeViolation,
    DepartureAbroad,
    CourtDecision,
}

impl AnnulmentGround {
    pub const ALL: [AnnulmentGround; 4] = [
        AnnulmentGround::FalseDocuments,
        AnnulmentGround::AdministrativeViolation,
        AnnulmentGround::DepartureAbroad,
        AnnulmentGround::CourtDecision,
    ];

    /// Stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            AnnulmentGround::FalseDocuments => "false_documents",
            AnnulmentGround::AdministrativeViolation => "administrative_violation",
            AnnulmentGround::DepartureAbroad => "departure_abroad",
            AnnulmentGround::CourtDecision => "court_decision",
        }
    }

    pub fn parse(name: &str) -> Option<AnnulmentGround> {
        AnnulmentGround::ALL
            .into_iter()
            .find(|v| v.as_str() == name)
    }

    /// In words, for descriptions.
    pub fn words(self) -> &'static str {
        match self {
            AnnulmentGround::FalseDocuments => "false documents",
            AnnulmentGround::AdministrativeViolation => "an administrative violation",
            AnnulmentGround::DepartureAbroad => "departure for permanent residence abroad",
            AnnulmentGround::CourtDecision => "a court decision",
        }
    }
}

/// An annulment of a kandas status or a permit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annulment {
    /// The first day the record is not valid.
    pub from: NaiveDate,
    pub ground: AnnulmentGround,
    pub legal_basis: String,
}

impl Annulment {
    /// Whether the record is annulled on `day`.
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.from <= day
    }

    /// E.g. "annulled from 2026-06-10 on false documents (Law on Migration art. 51)".
    pub fn describe(&self) -> String {
        format!(
            "annulled from {} on {} ({})",
            self.from,
            self.ground.words(),
            self.legal_basis
        )
    }
}

/// The kinds of record that can be annulled, each by one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnullableKind {
    KandasStatus,
    Permit,
}

impl AnnullableKind {
    /// The collection under `persons/{id}/` that names records of this kind.
    pub fn collection(self) -> &'static str {
        match self {
            AnnullableKind::KandasStatus => "kandas-statuses",
            AnnullableKind::Permit => "permits",
        }
    }

    pub fn from_collection(collection: &str) -> Option<AnnullableKind> {
        [AnnullableKind::KandasStatus, AnnullableKind::Permit]
            .into_iter()
            .find(|k| k.collection() == collection)
    }

    /// The one role that annuls this kind: the body that granted it (SPEC 5.7).
    pub fn annulled_by(self) -> Role {
        match self {
            AnnullableKind::KandasStatus => Role::Commission,
            AnnullableKind::Permit => Role::Police,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            AnnullableKind::KandasStatus => "a kandas status",
            AnnullableKind::Permit => "a permanent residence permit",
        }
    }
}

/// Why a registration cannot be ended as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndRefusal {
    AlreadyEnded(RegistrationEnd),
    /// The last day asked for is before the registration began.
    BeforeStart(NaiveDate),
    /// The registration already ends before the day asked for.
    EndsEarlier(NaiveDate),
}

/// Whether a registration from `registered_on` (a temporary one through `until`) that has
/// `ended` or not can end with `last_day`.
pub fn check_end(
    registered_on: NaiveDate,
    until: Option<NaiveDate>,
    ended: Option<RegistrationEnd>,
    last_day: NaiveDate,
) -> Result<(), EndRefusal> {
    if let Some(end) = ended {
        return Err(EndRefusal::AlreadyEnded(end));
    }
    if last_day < registered_on {
        return Err(EndRefusal::BeforeStart(registered_on));
    }
    match until {
        Some(until) if until < last_day => Err(EndRefusal::EndsEarlier(until)),
        _ => Ok(()),
    }
}

/// Why a record cannot be annulled as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnulRefusal {
    AlreadyAnnulled(Annulment),
    /// The annulment would take effect before the record was issued.
    BeforeIssue(NaiveDate),
    /// The record had expired before the annulment would take effect.
    ExpiredBefore(NaiveDate),
}

/// Whether a record valid from `valid_from` (through `valid_until` when it expires), annulled
/// or not, can be annulled from `from`.
pub fn check_annulment(
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    annulled: Option<&Annulment>,
    from: NaiveDate,
) -> Result<(), AnnulRefusal> {
    if let Some(a) = annulled {
        return Err(AnnulRefusal::AlreadyAnnulled(a.clone()));
    }
    if from < valid_from {
        return Err(AnnulRefusal::BeforeIssue(valid_from));
    }
    match valid_until {
        Some(until) if until < from => Err(AnnulRefusal::ExpiredBefore(until)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn names_round_trip() {
        for r in EndReason::ALL {
            assert_eq!(EndReason::parse(r.as_str()), Some(r));
        }
        for g in AnnulmentGround::ALL {
            assert_eq!(AnnulmentGround::parse(g.as_str()), Some(g));
        }
        for k in [AnnullableKind::KandasStatus, AnnullableKind::Permit] {
            assert_eq!(AnnullableKind::from_collection(k.collection()), Some(k));
        }
    }

    #[test]
    fn only_the_granting_body_annuls() {
        assert_eq!(AnnullableKind::KandasStatus.annulled_by(), Role::Commission);
        assert_eq!(AnnullableKind::Permit.annulled_by(), Role::Police);
    }

    #[test]
    fn a_registration_ends_on_or_after_its_first_day_and_only_once() {
        let start = d(2026, 6, 1);
        assert_eq!(
            check_end(start, None, None, d(2026, 5, 31)),
            Err(EndRefusal::BeforeStart(start))
        );
        assert_eq!(check_end(start, None, None, start), Ok(()));
        let end = RegistrationEnd {
            last_day: d(2026, 6, 5),
            reason: EndReason::MovedOut,
        };
        assert_eq!(
            check_end(start, None, Some(end), d(2026, 6, 6)),
            Err(EndRefusal::AlreadyEnded(end))
        );
    }

    #[test]
    fn a_temporary_registration_ends_early_never_late() {
        let (start, until) = (d(2026, 6, 1), d(2026, 9, 1));
        assert_eq!(check_end(start, Some(until), None, d(2026, 8, 31)), Ok(()));
        assert_eq!(check_end(start, Some(until), None, until), Ok(()));
        assert_eq!(
            check_end(start, Some(until), None, d(2026, 9, 2)),
            Err(EndRefusal::EndsEarlier(until))
        );
    }

    #[test]
    fn an_annulment_takes_effect_within_the_validity_only_once() {
        let (from, until) = (d(2025, 6, 1), d(2026, 6, 1));
        assert_eq!(
            check_annulment(from, Some(until), None, d(2025, 5, 31)),
            Err(AnnulRefusal::BeforeIssue(from))
        );
        assert_eq!(check_annulment(from, Some(until), None, from), Ok(()));
        assert_eq!(check_annulment(from, Some(until), None, until), Ok(()));
        assert_eq!(
            check_annulment(from, Some(until), None, d(2026, 6, 2)),
            Err(AnnulRefusal::ExpiredBefore(until))
        );
        assert_eq!(check_annulment(from, None, None, d(2040, 1, 1)), Ok(()));
        let annulment = Annulment {
            from: d(2025, 7, 1),
            ground: AnnulmentGround::CourtDecision,
            legal_basis: "court".into(),
        };
        assert_eq!(
            check_annulment(from, None, Some(&annulment), d(2025, 8, 1)),
            Err(AnnulRefusal::AlreadyAnnulled(annulment.clone()))
        );
    }

    #[test]
    fn an_annulment_is_in_force_from_its_date() {
        let a = Annulment {
            from: d(2026, 6, 10),
            ground: AnnulmentGround::FalseDocuments,
            legal_basis: "basis".into(),
        };
        assert!(!a.in_force_on(d(2026, 6, 9)));
        assert!(a.in_force_on(d(2026, 6, 10)));
        assert!(a.in_force_on(d(2026, 6, 11)));
    }
}
