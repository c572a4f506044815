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

/// How a family member relates to the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Spouse,
    Child,
    Parent,
    Other,
}

/// A family member included in an application: a registered person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FamilyMember {
    pub person_id: uuid::Uuid,
    pub relation: Relation,
}

/// Grounds for kandas status (SPEC 5.2), at least one declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KandasGround {
    /// (1) resettlement in the quota regions of the year.
    QuotaRegionResettlement,
    /// (2) rural settlements or cities with development potential.
    DevelopmentPotentialSettlement,
    /// (3) reunification with close relatives who are citizens residing permanently.
    FamilyReunification,
    /// (4) invitation of an employer.
    EmployerInvitation,
    /// (5) studying at a higher education institution in Kazakhstan.
    HigherEducationStudent,
}

/// Applicant category of the permanent residence permit (SPEC 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermitCategory {
    /// Ethnic Kazakhs (kandas) and their family members: 60 calendar days.
    KandasAndFamily,
    /// Any other foreigner or stateless person: 45 calendar days.
    OtherForeigner,
}

/// Categories of simplified citizenship (SPEC 5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CitizenshipCategory {
    /// (a) kandas permanently residing legally.
    Kandas,
    /// (b) rehabilitated victims of mass political repression and their descendants.
    RepressionVictimDescendant,
    /// (c) ethnic Kazakhs studying at a higher education institution in Kazakhstan.
    EthnicKazakhStudent,
}

/// Procedure-specific details of an application, as submitted and stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Details {
    IinAssignment {
        by_representative: bool,
    },
    KandasStatusAssignment {
        grounds: Vec<KandasGround>,
        /// The identity documents state Kazakh nationality (else a proof is required).
        nationality_in_identity_document: bool,
        /// Consent was obtained through a foreign institution (a copy of the decision is then required).
        consent_via_foreign_institution: bool,
        family: Vec<FamilyMember>,
    },
    KandasStatusExtension,
    PermanentResidencePermit {
        category: PermitCategory,
        /// Refugee or asylum holder: departure consent waived.
        refugee_or_asylum: bool,
        /// Ethnic Kazakh citizen of the People's Republic of China: departure consent and
        /// criminal record certificate waived.
        ethnic_kazakh_from_prc: bool,
        /// Born in or former citizen of the Kazakh SSR or Kazakhstan: solvency waived.
        former_compatriot: bool,
        /// Entitled to simplified citizenship by treaty: solvency waived.
        treaty_simplified_citizenship: bool,
        /// The applicant has no identity document (a certificate of absence or termination of
        /// another citizenship is then required).
        without_identity_document: bool,
        family: Vec<FamilyMember>,
    },
    ResidencePermitCard {
        /// Renewal of a card that expires within 45 days.
        renewal: bool,
    },
    StatelessPersonCertificate {
        /// Paper form (three photos required) rather than electronic.
        paper_form: bool,
    },
    ResidenceRegistration {
        kind: crate::domain::records::RegistrationKind,
        /// ISO 3166-2:KZ code of the region of the address.
        region: String,
        address: String,
        /// Last day, for a temporary registration.
        until: Option<chrono::NaiveDate>,
        /// An authorised person applies with a notarized power of attorney.
        by_representative: bool,
        /// The dwelling belongs to an organisation (its request replaces the owner's consent).
        owner_is_organisation: bool,
        family: Vec<FamilyMember>,
    },
    SimplifiedCitizenship {
        category: CitizenshipCategory,
        family: Vec<FamilyMember>,
    },
    RegionalQuotaInclusion {
        /// ISO 3166-2:KZ code of a quota region of `year`.
        region: String,
        year: i32,
        family: Vec<FamilyMember>,
    },
}

impl Details {
    pub fn procedure(&self) -> Procedure {
        match self {
            Details::IinAssignment { .. } => Procedure::IinAssignment,
            Details::KandasStatusAssignment { .. } => Procedure::KandasStatusAssignment,
            Details::KandasStatusExtension => Procedure::KandasStatusExtension,
            Details::PermanentResidencePermit { .. } => Procedure::PermanentResidencePermit,
            Details::ResidencePermitCard { .. } => Procedure::ResidencePermitCard,
            Details::StatelessPersonCertificate { .. } => Procedure::StatelessPersonCertificate,
            Details::ResidenceRegistration { .. } => Procedure::ResidenceRegistration,
            Details::SimplifiedCitizenship { .. } => Procedure::SimplifiedCitizenship,
            Details::RegionalQuotaInclusion { .. } => Procedure::RegionalQuotaInclusion,
        }
    }

    /// Family members included in the application (empty where the procedure is individual).
    pub fn family(&self) -> &[FamilyMember] {
        match self {
            Details::KandasStatusAssignment { family, .. }
            | Details::PermanentResidencePermit { family, .. }
            | Details::ResidenceRegistration { family, .. }
            | Details::SimplifiedCitizenship { family, .. }
            | Details::RegionalQuotaInclusion { family, .. } => family,
            _ => &[],
        }
    }
}

/// What an approval produced, as stored with the decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    IinAssigned {
        iin: String,
    },
    Issued {
        records: Vec<crate::domain::issuance::Issued>,
    },
    Refused,
}
