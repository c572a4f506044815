//! Command-line values parsed into the domain's own types, so a mistyped role, region or
//! organisation id is refused here, naming its flag, before anything is sent.

use crate::domain::organisation::is_valid_id;
use crate::domain::regions::Region;
use crate::domain::role::Role;
use std::fmt;
use std::str::FromStr;

pub fn role(given: &str) -> Result<Role, String> {
    Role::parse(given).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("`{given}` is not a role; one of: {}", roles.join(", "))
    })
}

pub fn region(given: &str) -> Result<Region, String> {
    Region::parse(given)
        .ok_or_else(|| format!("`{given}` is not an ISO 3166-2:KZ region code such as KZ-55"))
}

/// The `<organisation-id>` of a certificate's URI SAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationId(String);

impl OrganisationId {
    /// Its resource name, `organisations/{id}`.
    pub fn name(&self) -> String {
        format!("organisations/{}", self.0)
    }
}

impl FromStr for OrganisationId {
    type Err = String;

    fn from_str(given: &str) -> Result<OrganisationId, String> {
        let id = given.strip_prefix("organisations/").unwrap_or(given);
        if is_valid_id(id) {
            Ok(OrganisationId(id.to_string()))
        } else {
            Err(format!(
                "`{given}` is not an organisation id: 1-64 characters of A-Z a-z 0-9 - _ ."
            ))
        }
    }
}

impl fmt::Display for OrganisationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_taken_bare_or_as_resource_names() {
        let bare: OrganisationId = "almaty-psc-01".parse().unwrap();
        let named: OrganisationId = "organisations/almaty-psc-01".parse().unwrap();
        assert_eq!(bare, named);
        assert_eq!(bare.name(), "organisations/almaty-psc-01");
        assert!("almaty psc".parse::<OrganisationId>().is_err());
        assert!("".parse::<OrganisationId>().is_err());
    }

    #[test]
    fn roles_and_regions_parse_as_the_service_spells_them() {
        assert_eq!(role("employment_center"), Ok(Role::EmploymentCenter));
        assert!(role("operator").unwrap_err().contains("admin"));
        assert_eq!(region("KZ-55").map(|r| r.code()), Ok("KZ-55"));
        assert!(region("KZ-99").is_err());
    }
}
