//! The roles of the systems that call the service (SPEC §1).

use Role::*;
use std::fmt;

/// The roles of SPEC §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Psc,
    Portal,
    /// An organisation that files IIN applications on an applicant's behalf under a service
    /// agreement (SPEC 1): it reads only what it filed.
    Intermediary,
    Mission,
    Commission,
    Police,
    EmploymentCenter,
    Admin,
    /// A state registry that receives record events (SPEC 1): it reads no file.
    Registry,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Psc,
        Portal,
        Intermediary,
        Mission,
        Commission,
        Police,
        EmploymentCenter,
        Admin,
        Registry,
    ];

    /// The name used in certificates and file names, e.g. `employment_center`.
    pub fn as_str(self) -> &'static str {
        match self {
            Psc => "psc",
            Portal => "portal",
            Intermediary => "intermediary",
            Mission => "mission",
            Commission => "commission",
            Police => "police",
            EmploymentCenter => "employment_center",
            Admin => "admin",
            Registry => "registry",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
