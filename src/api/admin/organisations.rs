//! The organisation registry's requests parsed into the commands of `service::organisations`,
//! every malformed field collected, and its rows as the wire shows them.

use crate::api::convert::timestamp;
use crate::api::{Fields, decode_page_token, parse_name, parse_region, parse_request_id};
use crate::domain::ids::OrganisationId;
use crate::domain::organisation::{Jurisdiction, Organisation, OrganisationState, is_valid_id};
use crate::domain::role::Role;
use crate::error::{AllValid, ApiResult, FieldError};
use crate::pb::{self, organisation::State as PbState};
use crate::service::applications::etag;
use crate::service::mutation::Idempotency;
use crate::service::organisations::{RegisterOrganisation, UpdateOrganisation, name_of};
use crate::store::organisations::OrganisationRow;

/// Longest display name kept: a name, not a document.
const MAX_DISPLAY_NAME: usize = 200;

pub(super) fn organisation_to_proto(row: &OrganisationRow) -> pb::Organisation {
    let organisation = &row.organisation;
    let state = match organisation.state {
        OrganisationState::Active => PbState::Active,
        OrganisationState::Suspended => PbState::Suspended,
    };
    pb::Organisation {
        name: name_of(&organisation.id),
        id: organisation.id.clone(),
        role: organisation.role.as_str().to_string(),
        display_name: organisation.display_name.clone(),
        regions: organisation
            .jurisdiction
            .regions()
            .iter()
            .map(|r| r.code().to_string())
            .collect(),
        national: organisation.jurisdiction == Jurisdiction::National,
        state: state as i32,
        etag: etag(row.version),
        update_time: Some(timestamp(row.updated_at)),
        accepts_sms_confirmation: Some(organisation.accepts_sms_confirmation),
    }
}

pub(super) fn register_command(
    req: &pb::RegisterOrganisationRequest,
) -> ApiResult<RegisterOrganisation> {
    let given = req.organisation.clone().unwrap_or_default();
    let id = if is_valid_id(&given.id) {
        Ok(given.id.clone())
    } else {
        Err(FieldError::new(
            "organisation.id",
            "required: 1-64 characters of A-Z a-z 0-9 - _ .",
        ))
    };
    let role = Role::parse(&given.role).ok_or_else(|| {
        FieldError::new(
            "organisation.role",
            "required: psc, portal, mission, commission, police, employment_center, admin or registry",
        )
    });
    // Unspecified means active: registering an organisation is meant to let it call.
    let state = match PbState::try_from(given.state) {
        Ok(PbState::Unspecified) => Ok(OrganisationState::Active),
        other => state_of("organisation.state", other),
    };
    let (request_id, id, role, display_name, jurisdiction, state) = (
        parse_request_id(&req.request_id),
        id,
        role,
        display_name("organisation.display_name", &given.display_name),
        jurisdiction("organisation.", &given.regions, Some(given.national))
            .and_then(|given| given.ok_or_else(|| vec![required_jurisdiction("organisation.")])),
        state,
    )
        .or_invalid()?;
    Ok(RegisterOrganisation {
        key: Idempotency::new(request_id, req),
        organisation: Organisation {
            id,
            role,
            display_name,
            jurisdiction,
            state,
            accepts_sms_confirmation: given.accepts_sms_confirmation.unwrap_or(true),
        },
    })
}

pub(super) fn update_command(req: &pb::UpdateOrganisationRequest) -> ApiResult<UpdateOrganisation> {
    let id = parse_name::<OrganisationId>("name", &req.name);
    let name = req
        .display_name
        .as_deref()
        .map(|given| display_name("display_name", given))
        .transpose();
    let state = req
        .state
        .map(|given| state_of("state", PbState::try_from(given)))
        .transpose();
    let (request_id, id, display_name, jurisdiction, state) = (
        parse_request_id(&req.request_id),
        id,
        name,
        jurisdiction("", &req.regions, req.national),
        state,
    )
        .or_invalid()?;
    Ok(UpdateOrganisation {
        key: Idempotency::new(request_id, req),
        id,
        etag: req.etag.clone(),
        display_name,
        jurisdiction,
        state,
        accepts_sms_confirmation: req.accepts_sms_confirmation,
    })
}

/// The page token of a list: the last id of the previous page.
pub(super) fn page_after(token: &str) -> Result<Option<String>, FieldError> {
    let after = decode_page_token(token)?;
    match after {
        Some(id) if !is_valid_id(&id) => Err(FieldError::new(
            "page_token",
            "not a token returned by this service",
        )),
        after => Ok(after),
    }
}

fn display_name(field: &str, given: &str) -> Result<String, FieldError> {
    let name = given.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DISPLAY_NAME
        || name.chars().any(char::is_control)
    {
        Err(FieldError::new(
            field,
            "required: 1-200 characters without control characters",
        ))
    } else {
        Ok(name.to_string())
    }
}

fn state_of(
    field: &str,
    given: Result<PbState, prost::UnknownEnumValue>,
) -> Result<OrganisationState, FieldError> {
    match given {
        Ok(PbState::Active) => Ok(OrganisationState::Active),
        Ok(PbState::Suspended) => Ok(OrganisationState::Suspended),
        _ => Err(FieldError::new(field, "must be ACTIVE or SUSPENDED")),
    }
}

/// The jurisdiction named by `regions` and `national` (fields under `prefix`): `None` when
/// neither names one, which only an update may leave out.
fn jurisdiction(
    prefix: &str,
    regions: &[String],
    national: Option<bool>,
) -> Result<Option<Jurisdiction>, Vec<FieldError>> {
    let mut fields = Fields::new();
    if regions.len() > crate::domain::regions::Region::ALL.len() {
        fields.push(FieldError::new(
            format!("{prefix}regions"),
            "at most 20 regions, each once",
        ));
        return fields.into_result(None);
    }
    let mut parsed = Vec::new();
    for (i, code) in regions.iter().enumerate() {
        let field = format!("{prefix}regions[{i}]");
        if let Some(region) = fields.check(parse_region(&field, code)) {
            if parsed.contains(&region) {
                fields.push(FieldError::new(field, "listed twice"));
            } else {
                parsed.push(region);
            }
        }
    }
    let given = match (national, regions.is_empty()) {
        (Some(true), false) => {
            fields.push(FieldError::new(
                format!("{prefix}national"),
                "national and regions are mutually exclusive: give one",
            ));
            None
        }
        (Some(true), true) => Some(Jurisdiction::National),
        (_, false) => Some(Jurisdiction::Regions(parsed)),
        // Only an update leaves national out: it keeps the jurisdiction.
        (None, true) => None,
        (Some(false), true) => {
            fields.push(required_jurisdiction(prefix));
            None
        }
    };
    fields.into_result(given)
}

fn required_jurisdiction(prefix: &str) -> FieldError {
    FieldError::new(
        format!("{prefix}regions"),
        "required: one or more region codes, or national = true",
    )
}
