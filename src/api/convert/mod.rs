//! Proto ⟷ domain conversion, a module per resource. Parsing collects every field problem,
//! with its path.

mod application;
mod details;
mod document;
mod record_event;

pub use application::*;
pub use details::*;
pub use document::*;
pub use record_event::*;

use super::parse_region;
use super::{Fields, optional_country, parse_name};
use crate::domain::details::{
    CitizenshipCategory, Details, FamilyMember, KandasGround, Outcome, PermitCategory, Relation,
};
use crate::domain::documents::{
    ChecklistItem, Document, DocumentForm, DocumentType, ItemStatus, Photo, Translation,
};
use crate::domain::ids::{ApplicationId, PersonId};
use crate::domain::iin::Sex;
use crate::domain::issuance::{Issued, IssuedKind};
use crate::domain::lifecycle::State;
use crate::domain::procedure::Procedure;
use crate::domain::records::RegistrationKind;
use crate::domain::regions::Region;
use crate::error::FieldError;
use crate::pb;
use crate::store::applications::ApplicationRow;
use crate::store::persons::PersonRow;
use chrono::{DateTime, Datelike, NaiveDate, Utc};

pub fn date_to_proto(date: NaiveDate) -> pb::Date {
    pb::Date {
        year: date.year(),
        month: date.month() as i32,
        day: date.day() as i32,
    }
}

/// An optional date: unset or all-zero means absent; anything else must be a real date.
pub fn date_from_proto(
    field: &str,
    date: Option<&pb::Date>,
) -> Result<Option<NaiveDate>, FieldError> {
    match date {
        None => Ok(None),
        Some(d) if d.year == 0 && d.month == 0 && d.day == 0 => Ok(None),
        Some(d) => u32::try_from(d.month)
            .ok()
            .zip(u32::try_from(d.day).ok())
            .and_then(|(m, day)| NaiveDate::from_ymd_opt(d.year, m, day))
            .filter(|date| (1800..=2200).contains(&date.year()))
            .map(Some)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "must be a real calendar date between the years 1800 and 2200",
                )
            }),
    }
}

pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

pub fn sex_to_proto(sex: Sex) -> pb::Sex {
    match sex {
        Sex::Male => pb::Sex::Male,
        Sex::Female => pb::Sex::Female,
    }
}

pub fn sex_from_proto(value: i32) -> Option<Sex> {
    match pb::Sex::try_from(value) {
        Ok(pb::Sex::Male) => Some(Sex::Male),
        Ok(pb::Sex::Female) => Some(Sex::Female),
        _ => None,
    }
}

pub fn procedure_to_proto(procedure: Procedure) -> pb::Procedure {
    match procedure {
        Procedure::IinAssignment => pb::Procedure::IinAssignment,
        Procedure::KandasStatusAssignment => pb::Procedure::KandasStatusAssignment,
        Procedure::KandasStatusExtension => pb::Procedure::KandasStatusExtension,
        Procedure::PermanentResidencePermit => pb::Procedure::PermanentResidencePermit,
        Procedure::ResidencePermitCard => pb::Procedure::ResidencePermitCard,
        Procedure::StatelessPersonCertificate => pb::Procedure::StatelessPersonCertificate,
        Procedure::ResidenceRegistration => pb::Procedure::ResidenceRegistration,
        Procedure::RegionalQuotaInclusion => pb::Procedure::RegionalQuotaInclusion,
        Procedure::SimplifiedCitizenship => pb::Procedure::SimplifiedCitizenship,
    }
}

pub fn procedure_from_proto(value: i32) -> Option<Procedure> {
    let proto = pb::Procedure::try_from(value).ok()?;
    Procedure::ALL
        .into_iter()
        .find(|p| procedure_to_proto(*p) == proto)
}

pub fn person_to_proto(row: &PersonRow) -> pb::Person {
    pb::Person {
        name: PersonId::from(row.id).to_string(),
        iin: row.iin.clone().unwrap_or_default(),
        surname: row.surname.clone(),
        given_name: row.given_name.clone(),
        patronymic: row.patronymic.clone(),
        birth_date: Some(date_to_proto(row.birth_date)),
        sex: sex_to_proto(row.sex) as i32,
        citizenship: row.citizenship.clone(),
        ethnic_kazakh: row.ethnic_kazakh,
        create_time: Some(timestamp(row.created_at)),
        etag: etag(row.version),
        kazakh_citizenship_since: row.kazakh_citizenship_since.map(date_to_proto),
    }
}

pub use crate::service::applications::etag;
