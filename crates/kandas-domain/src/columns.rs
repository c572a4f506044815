//! Domain values stored as text columns. A row decodes into the type or fails: a value the
//! code does not know is corruption to report, never a default to carry on with.

use crate::appeal::AppealState;
use crate::details::Relation;
use crate::iin::Sex;
use crate::lifecycle::{State, Step};
use crate::organisation::OrganisationState;
use crate::procedure::Procedure;
use crate::record_life::{AnnulmentGround, EndReason};
use crate::records::{OffenceField, RegistrationKind};
use crate::regions::Region;
use crate::role::Role;
use crate::signature::Assurance;
use crate::support::SupportKind;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

/// A value stored as text, parsed back from it: the column codec below, and [`Stored`] for
/// the same text inside JSON that a query assembled (`json_agg`).
pub trait StoredText: Sized {
    /// The type's name, for the error about text it does not know.
    const NAME: &'static str;

    fn from_stored(text: &str) -> Option<Self>;

    /// The value, or the error that says the stored text is none of the type's names.
    fn parse_stored(text: &str) -> Result<Self, String> {
        Self::from_stored(text).ok_or_else(|| format!("unknown {} `{text}` in storage", Self::NAME))
    }
}

/// A domain value read from its stored text inside JSON built by a query. Serde's own
/// spelling of a type, where it has one, is the API's; this is the column's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored<T>(pub T);

impl<'de, T: StoredText> serde::Deserialize<'de> for Stored<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        T::parse_stored(&text)
            .map(Stored)
            .map_err(serde::de::Error::custom)
    }
}

/// Text codec for an enum with a stable name (`$name`) and its inverse (`$parse`).
macro_rules! text_column {
    ($ty:ty, $name:ident, $parse:path) => {
        impl StoredText for $ty {
            const NAME: &'static str = stringify!($ty);

            fn from_stored(text: &str) -> Option<Self> {
                $parse(text)
            }
        }

        impl Type<Postgres> for $ty {
            fn type_info() -> PgTypeInfo {
                <str as Type<Postgres>>::type_info()
            }
            fn compatible(ty: &PgTypeInfo) -> bool {
                <str as Type<Postgres>>::compatible(ty)
            }
        }

        impl PgHasArrayType for $ty {
            fn array_type_info() -> PgTypeInfo {
                <&str as PgHasArrayType>::array_type_info()
            }
        }

        impl Encode<'_, Postgres> for $ty {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<Postgres>>::encode(self.$name(), buf)
            }
        }

        impl<'r> Decode<'r, Postgres> for $ty {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&str as Decode<Postgres>>::decode(value)?;
                Ok(<$ty as StoredText>::parse_stored(text)?)
            }
        }
    };
}

text_column!(Procedure, as_str, Procedure::parse);
text_column!(State, as_str, State::parse);
text_column!(Step, as_str, Step::parse);
text_column!(Region, code, Region::parse);
text_column!(Role, as_str, Role::parse);
text_column!(Sex, as_str, Sex::parse);
text_column!(SupportKind, as_str, SupportKind::parse);
text_column!(RegistrationKind, as_str, RegistrationKind::parse);
text_column!(OffenceField, as_str, OffenceField::parse);
text_column!(EndReason, as_str, EndReason::parse);
text_column!(AnnulmentGround, as_str, AnnulmentGround::parse);
text_column!(AppealState, as_str, AppealState::parse);
text_column!(Relation, as_str, Relation::parse);
text_column!(OrganisationState, as_str, OrganisationState::parse);
text_column!(Assurance, as_str, Assurance::parse);
