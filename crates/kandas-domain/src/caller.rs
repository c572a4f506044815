//! The authenticated caller of one request, as the transport established it.

use super::organisation::Jurisdiction;
use super::role::Role;

/// Who is calling: the role and organisation from the client certificate, and the acting
/// employee the front-office system names. Only the certificate grants anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub role: Role,
    /// Organisation id from the SAN, e.g. `almaty-01`.
    pub organisation: String,
    /// The acting employee named by the front-office system (`x-operator-id`); grants nothing.
    pub operator_id: String,
    /// On whose files the organisation acts, as registered when the call arrived.
    pub jurisdiction: Jurisdiction,
    /// The portal's authenticated applicant (`x-kandas-applicant`), resolved to the person;
    /// `None` for every other role.
    pub applicant: Option<uuid::Uuid>,
}

impl Caller {
    /// The full client URI, e.g. `urn:kandas:psc:almaty-01`: the unit of idempotency and audit.
    pub fn client(&self) -> String {
        format!("urn:kandas:{}:{}", self.role, self.organisation)
    }
}

/// The applicant a portal names in `x-kandas-applicant`, as parsed; the person it stands for
/// is looked up before the call reaches a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicantClaim {
    Person(uuid::Uuid),
    Iin(super::iin::Iin),
}
