//! The procedures of SPEC §5: who submits, who decides, and the legal term of each.

use super::calendar::Term;
use super::role::Role::{self, *};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Procedure {
    IinAssignment,
    KandasStatusAssignment,
    KandasStatusExtension,
    PermanentResidencePermit,
    ResidencePermitCard,
    StatelessPersonCertificate,
    ResidenceRegistration,
    RegionalQuotaInclusion,
    SimplifiedCitizenship,
}

impl Procedure {
    pub const ALL: [Procedure; 9] = [
        Procedure::IinAssignment,
        Procedure::KandasStatusAssignment,
        Procedure::KandasStatusExtension,
        Procedure::PermanentResidencePermit,
        Procedure::ResidencePermitCard,
        Procedure::StatelessPersonCertificate,
        Procedure::ResidenceRegistration,
        Procedure::RegionalQuotaInclusion,
        Procedure::SimplifiedCitizenship,
    ];

    /// Stable name used in storage and audit.
    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::IinAssignment => "iin_assignment",
            Procedure::KandasStatusAssignment => "kandas_status_assignment",
            Procedure::KandasStatusExtension => "kandas_status_extension",
            Procedure::PermanentResidencePermit => "permanent_residence_permit",
            Procedure::ResidencePermitCard => "residence_permit_card",
            Procedure::StatelessPersonCertificate => "stateless_person_certificate",
            Procedure::ResidenceRegistration => "residence_registration",
            Procedure::RegionalQuotaInclusion => "regional_quota_inclusion",
            Procedure::SimplifiedCitizenship => "simplified_citizenship",
        }
    }

    pub fn parse(name: &str) -> Option<Procedure> {
        Procedure::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Roles that may submit an application for this procedure (SPEC §5 table).
    pub fn submitters(self) -> &'static [Role] {
        match self {
            Procedure::IinAssignment => &[Psc, Mission],
            Procedure::KandasStatusAssignment => &[Portal, Mission, Psc],
            Procedure::KandasStatusExtension => &[Portal, Psc],
            Procedure::PermanentResidencePermit => &[Psc, Police],
            Procedure::ResidencePermitCard => &[Psc],
            Procedure::StatelessPersonCertificate => &[Psc],
            Procedure::ResidenceRegistration => &[Psc],
            Procedure::RegionalQuotaInclusion => &[Portal, Psc, EmploymentCenter],
            Procedure::SimplifiedCitizenship => &[Psc, Police],
        }
    }

    /// The one role that decides (SPEC §5 table).
    pub fn decider(self) -> Role {
        match self {
            Procedure::IinAssignment
            | Procedure::ResidencePermitCard
            | Procedure::StatelessPersonCertificate => Psc,
            Procedure::KandasStatusAssignment
            | Procedure::KandasStatusExtension
            | Procedure::RegionalQuotaInclusion => Commission,
            Procedure::PermanentResidencePermit
            | Procedure::ResidenceRegistration
            | Procedure::SimplifiedCitizenship => Police,
        }
    }

    /// The legal term for the decision, counted from the submission date. `None` where the
    /// decision is taken on the spot. The permanent residence permit's term depends on the
    /// applicant's category, so it is given by `permit_term`.
    pub fn term(self) -> Option<Term> {
        match self {
            Procedure::IinAssignment => Some(Term::WorkingDays(3)),
            Procedure::KandasStatusAssignment | Procedure::KandasStatusExtension => {
                Some(Term::WorkingDays(35))
            }
            Procedure::PermanentResidencePermit => Some(permit_term(true)),
            Procedure::ResidencePermitCard | Procedure::StatelessPersonCertificate => {
                Some(Term::WorkingDays(17))
            }
            Procedure::ResidenceRegistration => None,
            // The quota has a term per step (SPEC §6), not one for the whole application.
            Procedure::RegionalQuotaInclusion => Some(Term::WorkingDays(3)),
            Procedure::SimplifiedCitizenship => Some(Term::Months(3)),
        }
    }
}

/// 60 calendar days for ethnic Kazakhs and their families, 45 otherwise (SPEC §5 table).
pub fn permit_term(kandas_category: bool) -> Term {
    if kandas_category {
        Term::CalendarDays(60)
    } else {
        Term::CalendarDays(45)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for p in Procedure::ALL {
            assert_eq!(Procedure::parse(p.as_str()), Some(p));
        }
        assert_eq!(Procedure::parse("nope"), None);
    }

    #[test]
    fn deciders_follow_the_spec_table() {
        assert_eq!(Procedure::IinAssignment.decider(), Psc);
        assert_eq!(Procedure::KandasStatusAssignment.decider(), Commission);
        assert_eq!(Procedure::SimplifiedCitizenship.decider(), Police);
        assert_eq!(Procedure::IinAssignment.submitters(), &[Psc, Mission]);
        assert_eq!(Procedure::IinAssignment.term(), Some(Term::WorkingDays(3)));
        assert_eq!(permit_term(false), Term::CalendarDays(45));
    }

    #[test]
    fn a_decider_never_decides_what_it_may_not_see() {
        // Every deciding role can read applications through the API, so it can fetch the etag.
        for p in Procedure::ALL {
            assert_ne!(p.decider(), Portal);
            assert_ne!(p.decider(), Mission);
        }
    }
}

/// Procedure-specific details of an application, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Details {
    IinAssignment { by_representative: bool },
}

impl Details {
    pub fn procedure(&self) -> Procedure {
        match self {
            Details::IinAssignment { .. } => Procedure::IinAssignment,
        }
    }
}

/// What an approval produced, as stored with the decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    IinAssigned { iin: String },
    Refused,
}
