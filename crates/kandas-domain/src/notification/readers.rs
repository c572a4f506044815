//! Who reads which notifications (SPEC 5.8, 1.1): the portal its signed-in applicant's, an
//! office that submits applications those of the applications it submitted. A notification
//! tells of a step of someone's file, so the offices that decide, the operator and the
//! registries read none through this feed: they have their own ways to the files they may see.

use crate::caller::Caller;
use crate::role::Role;
use uuid::Uuid;

/// Whose notifications one caller reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    /// The applicant's own: the portal's signed-in applicant.
    Applicant(Uuid),
    /// Those of the applications this client URI (`urn:kandas:<role>:<organisation>`)
    /// submitted, as `applications.submitted_by` holds it.
    Office(String),
}

/// Why a caller reads no notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoReader {
    /// A portal call that names no applicant reads no one's.
    NoApplicant,
    /// The role submits no applications for anyone.
    NotASubmitter,
}

/// The notifications `caller` reads. The same office reads the same notifications whatever
/// its jurisdiction is now: it submitted those applications, and the applicant it served is
/// told through it.
pub fn reader(caller: &Caller) -> Result<Reader, NoReader> {
    match caller.role {
        Role::Portal => caller
            .applicant
            .map(Reader::Applicant)
            .ok_or(NoReader::NoApplicant),
        Role::Psc | Role::Intermediary | Role::Mission | Role::Police | Role::EmploymentCenter => {
            Ok(Reader::Office(caller.client()))
        }
        Role::Commission | Role::Admin | Role::Registry => Err(NoReader::NotASubmitter),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organisation::Jurisdiction;

    fn caller(role: Role, applicant: Option<Uuid>) -> Caller {
        Caller {
            role,
            organisation: "almaty-01".into(),
            operator_id: "clerk".into(),
            jurisdiction: Jurisdiction::National,
            applicant,
        }
    }

    #[test]
    fn the_portal_reads_its_signed_in_applicants_and_no_one_without_one() {
        let applicant = Uuid::from_u128(7);
        assert_eq!(
            reader(&caller(Role::Portal, Some(applicant))),
            Ok(Reader::Applicant(applicant))
        );
        assert_eq!(
            reader(&caller(Role::Portal, None)),
            Err(NoReader::NoApplicant)
        );
    }

    #[test]
    fn an_office_that_submits_reads_what_its_client_uri_submitted() {
        for (role, client) in [
            (Role::Psc, "urn:kandas:psc:almaty-01"),
            (Role::Mission, "urn:kandas:mission:almaty-01"),
            (Role::Police, "urn:kandas:police:almaty-01"),
            (
                Role::EmploymentCenter,
                "urn:kandas:employment_center:almaty-01",
            ),
        ] {
            assert_eq!(
                reader(&caller(role, None)),
                Ok(Reader::Office(client.into())),
                "{role}"
            );
        }
    }

    #[test]
    fn the_deciding_commission_the_operator_and_registries_read_none() {
        for role in [Role::Commission, Role::Admin, Role::Registry] {
            assert_eq!(
                reader(&caller(role, None)),
                Err(NoReader::NotASubmitter),
                "{role}"
            );
        }
    }
}
