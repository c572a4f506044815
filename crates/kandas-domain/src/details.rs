//! What an application says, procedure by procedure (SPEC §5), and what its approval produced.
//! Stored as JSON with the application and decoded back into these types, never read loosely.

use super::procedure::Procedure;
use super::records::RegistrationKind;
use super::regions::Region;

/// How a family member relates to the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Spouse,
    Child,
    Parent,
    Other,
}

impl Relation {
    pub const ALL: [Relation; 4] = [
        Relation::Spouse,
        Relation::Child,
        Relation::Parent,
        Relation::Other,
    ];

    /// Stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|v| v.as_str() == name)
    }
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
        kind: RegistrationKind,
        /// The region of the address.
        region: Region,
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
        /// A quota region of `year`.
        region: Region,
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

    /// The region the application itself names: the quota region, the address registered at.
    pub fn region(&self) -> Option<Region> {
        match self {
            Details::RegionalQuotaInclusion { region, .. }
            | Details::ResidenceRegistration { region, .. } => Some(*region),
            _ => None,
        }
    }

    /// Replaces the family of a procedure that has one (for applicants described, not yet
    /// registered); an individual procedure stays as it is.
    pub fn replace_family(&mut self, members: Vec<FamilyMember>) {
        match self {
            Details::KandasStatusAssignment { family, .. }
            | Details::PermanentResidencePermit { family, .. }
            | Details::ResidenceRegistration { family, .. }
            | Details::SimplifiedCitizenship { family, .. } => *family = members,
            _ => {}
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
        records: Vec<crate::issuance::Issued>,
    },
    Refused,
}
