//! One call as every layer below the transport sees it: who calls which RPC about what.

use super::caller::Caller;
use super::jurisdiction::{Reach, Scope};

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
    use crate::organisation::Jurisdiction;
    use crate::role::Role;

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
