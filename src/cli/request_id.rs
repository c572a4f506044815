//! The `request_id` every mutating call carries: the service acts once per id and answers a
//! repeat with its first answer, so an operator who is unsure whether a call went through
//! repeats it with the same id instead of acting twice.

use clap::Args;
use uuid::Uuid;

#[derive(Debug, Args, Clone, Default)]
pub struct RequestIdArgs {
    /// The request's id, to retry an earlier call safely: the service answers a repeat with
    /// its first answer and never acts twice [default: a fresh UUID]
    #[arg(long, value_name = "UUID")]
    pub request_id: Option<Uuid>,
}

impl RequestIdArgs {
    pub fn resolve(&self) -> Uuid {
        self.request_id.unwrap_or_else(Uuid::new_v4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_id_is_kept_and_none_gets_a_fresh_one_each_time() {
        let id = Uuid::new_v4();
        let given = RequestIdArgs {
            request_id: Some(id),
        };
        assert_eq!(given.resolve(), id);
        let fresh = RequestIdArgs::default();
        assert_ne!(fresh.resolve(), fresh.resolve());
    }
}
