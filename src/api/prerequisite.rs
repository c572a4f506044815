//! `PrerequisiteService`: what migration police systems check before deciding, and the
//! offences they record. Each method parses its request into a command, runs the use case in
//! `service::prerequisites`, and converts the answer.

use super::convert::{date_from_proto, date_to_proto, procedure_from_proto};
use super::{Rpc, handle, parse_name, parse_quota_year, parse_region, parse_request_id};
use crate::domain::ids::PersonId;
use crate::domain::prerequisites::Prerequisite;
use crate::domain::records::OffenceField;
use crate::error::{AllValid, ApiResult, FieldError};
use crate::pb::rpc::prerequisite_service as rpc;
use crate::pb::{self, prerequisite_service_server::PrerequisiteService};
use crate::service::mutation::Idempotency;
use crate::service::prerequisites::{self as use_case, CheckFor, Offence, RecordOffence};
use crate::state::AppState;
use chrono::NaiveDate;
use tonic::{Request, Response, Status};

const CHECK: Rpc = Rpc::read(rpc::CHECK_PREREQUISITES);
const RECORD_OFFENCE: Rpc = Rpc::change(rpc::RECORD_OFFENCE);

pub struct PrerequisiteApi {
    state: AppState,
}

impl PrerequisiteApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn check_command(req: &pb::CheckPrerequisitesRequest) -> ApiResult<CheckFor> {
    let region = (!req.region.is_empty())
        .then(|| parse_region("region", &req.region))
        .transpose();
    let year = (req.year != 0)
        .then(|| parse_quota_year(req.year))
        .transpose();
    let (person, procedure, as_of, region, year) = (
        parse_name::<PersonId>("person", &req.person),
        procedure_from_proto(req.procedure)
            .ok_or_else(|| FieldError::new("procedure", "required: a Procedure")),
        date_from_proto("as_of", req.as_of.as_ref()),
        region,
        year,
    )
        .or_invalid()?;
    Ok(CheckFor {
        person,
        procedure,
        as_of,
        region,
        year,
    })
}

/// `today` bounds the offence date: an offence is recorded once it happened.
fn record_offence_command(
    req: &pb::RecordOffenceRequest,
    today: NaiveDate,
) -> ApiResult<RecordOffence> {
    let (request_id, person, field, date, description) = (
        parse_request_id(&req.request_id),
        parse_name::<PersonId>("person", &req.person),
        field_from_proto(req.field)
            .ok_or_else(|| FieldError::new("field", "required: MIGRATION, TAX, LABOUR or OTHER")),
        offence_date(req.offence_date.as_ref(), today),
        offence_description(&req.description),
    )
        .or_invalid()?;
    Ok(RecordOffence {
        key: Idempotency::new(request_id, req),
        person,
        field,
        date,
        description,
    })
}

fn offence_date(date: Option<&pb::Date>, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    match date_from_proto("offence_date", date)? {
        Some(date) if date > today => {
            Err(FieldError::new("offence_date", "must not be in the future"))
        }
        Some(date) => Ok(date),
        None => Err(FieldError::new("offence_date", "required")),
    }
}

/// The description trimmed, as it is stored and answered.
fn offence_description(text: &str) -> Result<String, FieldError> {
    let description = text.trim();
    if description.chars().count() > 2000 || description.chars().any(char::is_control) {
        return Err(FieldError::new(
            "description",
            "at most 2000 characters, no control characters",
        ));
    }
    Ok(description.to_string())
}

fn field_from_proto(value: i32) -> Option<OffenceField> {
    use pb::record_offence_request::Field;
    match Field::try_from(value).ok()? {
        Field::Migration => Some(OffenceField::Migration),
        Field::Tax => Some(OffenceField::Tax),
        Field::Labour => Some(OffenceField::Labour),
        Field::Other => Some(OffenceField::Other),
        Field::Unspecified => None,
    }
}

fn field_to_proto(field: OffenceField) -> pb::record_offence_request::Field {
    use pb::record_offence_request::Field;
    match field {
        OffenceField::Migration => Field::Migration,
        OffenceField::Tax => Field::Tax,
        OffenceField::Labour => Field::Labour,
        OffenceField::Other => Field::Other,
    }
}

fn offence_to_proto(offence: &Offence) -> pb::Offence {
    pb::Offence {
        name: offence.id.to_string(),
        person: offence.person.to_string(),
        field: field_to_proto(offence.field).into(),
        offence_date: Some(date_to_proto(offence.date)),
        description: offence.description.clone(),
    }
}

fn check_response(checks: Vec<Prerequisite>) -> pb::CheckPrerequisitesResponse {
    pb::CheckPrerequisitesResponse {
        all_satisfied: checks.iter().all(|c| c.satisfied || !c.blocking),
        prerequisites: checks
            .into_iter()
            .map(|c| pb::Prerequisite {
                code: c.code.to_string(),
                description: c.description,
                satisfied: c.satisfied,
                evidence: c.evidence.unwrap_or_default(),
                legal_basis: c.legal_basis.to_string(),
                earliest_date: c.earliest_date.map(date_to_proto),
                blocking: c.blocking,
            })
            .collect(),
    }
}

#[tonic::async_trait]
impl PrerequisiteService for PrerequisiteApi {
    async fn check_prerequisites(
        &self,
        request: Request<pb::CheckPrerequisitesRequest>,
    ) -> Result<Response<pb::CheckPrerequisitesResponse>, Status> {
        handle(&self.state, request, CHECK, async |call, req| {
            let command = check_command(&req)?;
            use_case::check(&self.state, call, command)
                .await
                .map(check_response)
        })
        .await
    }

    async fn record_offence(
        &self,
        request: Request<pb::RecordOffenceRequest>,
    ) -> Result<Response<pb::Offence>, Status> {
        handle(&self.state, request, RECORD_OFFENCE, async |call, req| {
            let command = record_offence_command(&req, self.state.clock.today())?;
            use_case::record_offence(&self.state, call, command, offence_to_proto).await
        })
        .await
    }
}
