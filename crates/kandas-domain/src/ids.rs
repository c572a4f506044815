//! The ids of the resources the API names, one type a collection: a person's id cannot be
//! handed where an application's is expected, and a resource name is parsed once, at the
//! edge, into the id it names.
//!
//! `Display` writes the resource name (`persons/{uuid}`) and `FromStr` reads exactly that
//! form back; the raw [`Uuid`] is for storage only.

use crate::organisation::is_valid_id;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A resource name that is not of the form its collection expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a resource name `{expected}`")]
pub struct NameError {
    /// The form expected, such as `persons/{uuid}`.
    pub expected: &'static str,
}

/// An id named `{COLLECTION}/{uuid}` in the API.
pub trait ResourceId: Copy + FromStr<Err = NameError> + fmt::Display + From<Uuid> {
    const COLLECTION: &'static str;
    /// The resource name's form, as the error about a malformed one states it.
    const EXPECTED: &'static str;

    fn uuid(self) -> Uuid;
}

/// The uuid `name` holds if it is `{collection}/{uuid}` and nothing else.
fn uuid_in(name: &str, collection: &str) -> Option<Uuid> {
    let text = name.strip_prefix(collection)?.strip_prefix('/')?;
    Uuid::parse_str(text).ok()
}

macro_rules! resource_id {
    ($(#[$doc:meta])* $ty:ident, $collection:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(Uuid);

        impl $ty {
            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl ResourceId for $ty {
            const COLLECTION: &'static str = $collection;
            const EXPECTED: &'static str = concat!($collection, "/{uuid}");

            fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $ty {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$ty> for Uuid {
            fn from(id: $ty) -> Self {
                id.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($collection, "/{}"), self.0)
            }
        }

        impl FromStr for $ty {
            type Err = NameError;

            fn from_str(name: &str) -> Result<Self, NameError> {
                uuid_in(name, $collection).map(Self).ok_or(NameError {
                    expected: <Self as ResourceId>::EXPECTED,
                })
            }
        }
    };
}

resource_id!(
    /// A person's record: `persons/{uuid}`.
    PersonId,
    "persons"
);
resource_id!(
    /// An application: `applications/{uuid}`.
    ApplicationId,
    "applications"
);
resource_id!(
    /// An appeal against a decision: `appeals/{uuid}`.
    AppealId,
    "appeals"
);
resource_id!(
    /// A support payment: `payments/{uuid}`.
    PaymentId,
    "payments"
);
resource_id!(
    /// An offence on a person's record: `offences/{uuid}`.
    OffenceId,
    "offences"
);

/// An organisation the operator registered, named `organisations/{id}`: its id is text by
/// the rule of [`is_valid_id`], the same one its certificate is held to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrganisationId(String);

impl OrganisationId {
    pub const COLLECTION: &'static str = "organisations";
    pub const EXPECTED: &'static str = "organisations/{id}";

    /// The bare id, as stored and as the certificate presents it; `None` if it breaks the rule.
    pub fn new(id: &str) -> Option<Self> {
        is_valid_id(id).then(|| Self(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for OrganisationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "organisations/{}", self.0)
    }
}

impl FromStr for OrganisationId {
    type Err = NameError;

    fn from_str(name: &str) -> Result<Self, NameError> {
        name.strip_prefix("organisations/")
            .and_then(Self::new)
            .ok_or(NameError {
                expected: Self::EXPECTED,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0190f0e4-7a4b-7c3d-8e2f-123456789abc";

    fn id() -> Uuid {
        Uuid::parse_str(ID).unwrap()
    }

    #[test]
    fn every_id_round_trips_through_its_name() {
        fn round_trip<T: ResourceId + PartialEq + fmt::Debug>() {
            let typed = T::from(id());
            let name = typed.to_string();
            assert_eq!(name, format!("{}/{ID}", T::COLLECTION));
            assert_eq!(name.parse::<T>(), Ok(typed));
            assert_eq!(typed.uuid(), id());
            assert_eq!(T::EXPECTED, format!("{}/{{uuid}}", T::COLLECTION));
        }
        round_trip::<PersonId>();
        round_trip::<ApplicationId>();
        round_trip::<AppealId>();
        round_trip::<PaymentId>();
        round_trip::<OffenceId>();
        assert_eq!(Uuid::from(PersonId::from(id())), id());
    }

    #[test]
    fn malformed_names_are_refused_naming_the_form() {
        let refused = Err(NameError {
            expected: "persons/{uuid}",
        });
        for name in [
            "",
            "persons",
            "persons/",
            &format!("persons{ID}"),
            &format!("persons:{ID}"),
            &format!("/persons/{ID}"),
            &format!("persons//{ID}"),
            &format!("persons/{ID}/"),
            &format!("persons/{ID}/registrations/1"),
            &format!("persons/ {ID}"),
            &format!("Persons/{ID}"),
            "persons/not-a-uuid",
            "persons/0190f0e4-7a4b-7c3d-8e2f-123456789ab",
            ID,
        ] {
            assert_eq!(name.parse::<PersonId>(), refused, "{name:?}");
        }
        assert_eq!(
            "persons/x".parse::<PersonId>().unwrap_err().to_string(),
            "must be a resource name `persons/{uuid}`"
        );
    }

    #[test]
    fn a_name_of_another_collection_is_refused() {
        let application = ApplicationId::from(id()).to_string();
        assert_eq!(
            application.parse::<PersonId>(),
            Err(NameError {
                expected: "persons/{uuid}"
            })
        );
        assert!(
            PersonId::from(id())
                .to_string()
                .parse::<AppealId>()
                .is_err()
        );
        assert!(format!("payments/{ID}").parse::<OffenceId>().is_err());
        assert!(format!("offences/{ID}").parse::<PaymentId>().is_err());
        assert!(format!("organisations/{ID}").parse::<PersonId>().is_err());
    }

    #[test]
    fn an_organisation_is_named_by_its_registered_id() {
        let id: OrganisationId = "organisations/ministry-of.labour_2".parse().unwrap();
        assert_eq!(id.as_str(), "ministry-of.labour_2");
        assert_eq!(id.to_string(), "organisations/ministry-of.labour_2");
        assert_eq!(id.to_string().parse(), Ok(id.clone()));
        assert_eq!(
            OrganisationId::new("ministry"),
            "organisations/ministry".parse().ok()
        );
        let too_long = format!("organisations/{}", "a".repeat(65));
        for name in [
            "",
            "organisations/",
            "organisations",
            "organisationsministry",
            "organisations/a b",
            "organisations/a/b",
            "persons/ministry",
            too_long.as_str(),
        ] {
            let refused = name.parse::<OrganisationId>().unwrap_err();
            assert_eq!(
                refused.to_string(),
                "must be a resource name `organisations/{id}`",
                "{name:?}"
            );
        }
    }
}
