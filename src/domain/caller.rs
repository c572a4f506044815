//! The authenticated caller of one request, as the transport established it.

use super::jurisdiction::{Reach, Scope};
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

/// Longest audit subject kept: a hostile resource name cannot bloat the log.
const MAX_SUBJECT: usize = 64;

/// One call as every layer below the transport sees it: the RPC served, who calls, the
/// resource it concerns (its audit subject) and the caller's request id. The audit event and
/// every check that each call passes read it from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub rpc: &'static str,
    pub caller: Caller,
    /// How far the RPC reaches into personal files, from the scope table.
    pub reach: Reach,
    pub subject: String,
    /// Empty for reads, which carry none.
    pub request_id: String,
}

impl Call {
    pub fn new(rpc: &'static str, caller: Caller) -> Self {
        Self {
            rpc,
            caller,
            reach: Reach::Files,
            subject: String::new(),
            request_id: String::new(),
        }
    }

    pub fn reaching(mut self, reach: Reach) -> Self {
        self.reach = reach;
        self
    }

    /// The files this call may touch.
    pub fn scope(&self) -> Scope {
        Scope::of(&self.caller, self.reach)
    }

    /// The call concerns `subject`, e.g. `persons/{id}`, cut to a bounded length.
    pub fn about(mut self, subject: &str) -> Self {
        self.subject = subject.chars().take(MAX_SUBJECT).collect();
        self
    }

    pub fn with_request_id(mut self, request_id: &str) -> Self {
        self.request_id = request_id.chars().take(MAX_SUBJECT).collect();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_subject_is_cut_to_the_bound() {
        let caller = Caller {
            role: Role::Psc,
            organisation: "almaty-01".into(),
            operator_id: String::new(),
            jurisdiction: Jurisdiction::National,
            applicant: None,
        };
        let call = Call::new("kandas.v1.PersonService/GetPerson", caller).about(&"x".repeat(500));
        assert_eq!(call.subject.len(), MAX_SUBJECT);
    }
}
