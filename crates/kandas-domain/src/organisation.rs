//! The organisations that hold client certificates, as the operator registered them (SPEC 1.1):
//! who they are, on whose files they act, and whether they may call at all.

use super::regions::Region;
use super::role::Role;
use std::collections::HashMap;

/// Longest organisation id: the same bound the certificate's URI SAN is held to.
pub const MAX_ID_LEN: usize = 64;

/// Whether `id` may name an organisation: 1-64 characters of `A-Z a-z 0-9 - _ .`. The
/// certificate check and the registry share this rule, so every registrable id can be
/// presented and every presented id can be registered.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// On whose files an organisation acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jurisdiction {
    /// The whole country: ministries, and the development PKI's organisations.
    National,
    /// These regions only; never empty, each once.
    Regions(Vec<Region>),
}

impl Jurisdiction {
    pub fn covers(&self, region: Region) -> bool {
        match self {
            Jurisdiction::National => true,
            Jurisdiction::Regions(regions) => regions.contains(&region),
        }
    }

    /// The regions listed, none when national.
    pub fn regions(&self) -> &[Region] {
        match self {
            Jurisdiction::National => &[],
            Jurisdiction::Regions(regions) => regions,
        }
    }
}

/// Whether an organisation's certificates are honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationState {
    Active,
    /// Every call refused until reactivated, without revoking a certificate.
    Suspended,
}

impl OrganisationState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationState::Active => "active",
            OrganisationState::Suspended => "suspended",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [OrganisationState::Active, OrganisationState::Suspended]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: String,
    pub role: Role,
    pub display_name: String,
    pub jurisdiction: Jurisdiction,
    pub state: OrganisationState,
    /// A portal's statement that the applicant confirmed an act by SMS is accepted in place
    /// of the applicant's signature (SPEC 1.1).
    pub accepts_sms_confirmation: bool,
}

impl Organisation {
    /// An active national organisation named after its id: what seeding registers.
    pub fn national(id: &str, role: Role) -> Self {
        Organisation {
            id: id.to_string(),
            role,
            display_name: id.to_string(),
            jurisdiction: Jurisdiction::National,
            state: OrganisationState::Active,
            accepts_sms_confirmation: true,
        }
    }
}

/// Why a certificate's organisation may not call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotActive {
    NotRegistered,
    Suspended,
    /// Registered for another role than the certificate names.
    OtherRole(Role),
}

/// Every registered organisation by id: the registry as one replica last read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    by_id: HashMap<String, Organisation>,
}

impl Registry {
    pub fn new(organisations: impl IntoIterator<Item = Organisation>) -> Self {
        Registry {
            by_id: organisations
                .into_iter()
                .map(|o| (o.id.clone(), o))
                .collect(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Organisation> {
        self.by_id.get(id)
    }

    /// The organisation a certificate of `role` and `id` acts for, if it may act at all.
    pub fn admit(&self, role: Role, id: &str) -> Result<&Organisation, NotActive> {
        let organisation = self.by_id.get(id).ok_or(NotActive::NotRegistered)?;
        if organisation.role != role {
            return Err(NotActive::OtherRole(organisation.role));
        }
        match organisation.state {
            OrganisationState::Active => Ok(organisation),
            OrganisationState::Suspended => Err(NotActive::Suspended),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regional(id: &str, role: Role, state: OrganisationState) -> Organisation {
        Organisation {
            id: id.into(),
            role,
            display_name: id.into(),
            jurisdiction: Jurisdiction::Regions(vec![Region::Almaty]),
            state,
            accepts_sms_confirmation: true,
        }
    }

    #[test]
    fn a_regional_jurisdiction_covers_its_regions_only_and_national_covers_all() {
        let almaty = Jurisdiction::Regions(vec![Region::Almaty, Region::Astana]);
        assert!(almaty.covers(Region::Astana));
        assert!(!almaty.covers(Region::Pavlodar));
        assert!(
            Region::ALL
                .iter()
                .all(|r| Jurisdiction::National.covers(*r))
        );
    }

    #[test]
    fn only_a_registered_active_organisation_of_the_same_role_is_admitted() {
        let registry = Registry::new([
            regional("almaty-01", Role::Psc, OrganisationState::Active),
            regional("astana-01", Role::Psc, OrganisationState::Suspended),
        ]);
        assert!(registry.admit(Role::Psc, "almaty-01").is_ok());
        assert_eq!(
            registry.admit(Role::Police, "almaty-01"),
            Err(NotActive::OtherRole(Role::Psc))
        );
        assert_eq!(
            registry.admit(Role::Psc, "astana-01"),
            Err(NotActive::Suspended)
        );
        assert_eq!(
            registry.admit(Role::Psc, "nowhere"),
            Err(NotActive::NotRegistered)
        );
    }

    #[test]
    fn ids_follow_the_certificate_rule() {
        assert!(is_valid_id("almaty-01.psc_2"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("almaty/01"));
        assert!(is_valid_id(&"a".repeat(64)));
        assert!(!is_valid_id(&"a".repeat(65)));
    }
}
