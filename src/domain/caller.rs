//! The authenticated caller of one request, as the transport established it.

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
}

impl Caller {
    /// The full client URI, e.g. `urn:kandas:psc:almaty-01`: the unit of idempotency and audit.
    pub fn client(&self) -> String {
        format!("urn:kandas:{}:{}", self.role, self.organisation)
    }
}
