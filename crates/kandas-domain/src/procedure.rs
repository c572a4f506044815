//! The procedures of SPEC §5 and who submits and decides each (the table of §5; their legal
//! terms are in `lifecycle`).

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
            Procedure::IinAssignment => &[Psc, Mission, Portal, Intermediary],
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
}

/// Stored and exchanged as its stable name, e.g. `"iin_assignment"`.
impl serde::Serialize for Procedure {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Procedure {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Procedure::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("`{name}` is not a procedure")))
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
        assert_eq!(
            Procedure::IinAssignment.submitters(),
            &[Psc, Mission, Portal, Intermediary]
        );
    }

    #[test]
    fn an_intermediary_files_iin_applications_only() {
        for p in Procedure::ALL {
            assert_eq!(
                p.submitters().contains(&Intermediary),
                p == Procedure::IinAssignment,
                "{p:?}"
            );
        }
    }

    #[test]
    fn a_decider_never_decides_what_it_may_not_see() {
        // Every deciding role can read applications through the API, so it can fetch the etag.
        for p in Procedure::ALL {
            assert_ne!(p.decider(), Portal);
            assert_ne!(p.decider(), Mission);
            assert_ne!(p.decider(), Intermediary);
        }
    }
}
