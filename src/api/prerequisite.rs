//! `PrerequisiteService`: what migration police systems check before deciding, and the
//! offences they record.

use super::convert::{date_from_proto, date_to_proto, procedure_from_proto};
use super::{
    Fields, caller, commit_mutation, name_of, parse_name, parse_request_id, replay_or_claim,
    respond,
};
use crate::domain::caller::Caller;
use crate::domain::prerequisites::{self, PrerequisiteQuery};
use crate::domain::records::OffenceField;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pb::{self, prerequisite_service_server::PrerequisiteService};
use crate::state::AppState;
use crate::store::records;
use tonic::{Request, Response, Status};
use uuid::Uuid;

const RECORD_OFFENCE: &str = crate::pb::rpc::prerequisite_service::RECORD_OFFENCE;

pub struct PrerequisiteApi {
    state: AppState,
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

impl PrerequisiteApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn check(
        &self,
        req: &pb::CheckPrerequisitesRequest,
    ) -> ApiResult<pb::CheckPrerequisitesResponse> {
        let mut fields = Fields::new();
        let person = fields.check(parse_name("person", &req.person, "persons"));
        let procedure = procedure_from_proto(req.procedure);
        if procedure.is_none() {
            fields.push(FieldError::new("procedure", "required: a Procedure"));
        }
        let as_of = fields
            .check(date_from_proto("as_of", req.as_of.as_ref()))
            .flatten();
        fields.finish()?;
        let (Some(person), Some(procedure)) = (person, procedure) else {
            return Err(super::lost_field());
        };
        let as_of = as_of.unwrap_or_else(|| self.state.clock.today());
        let mut conn = self.state.pool.acquire().await?;
        let records = records::load(&mut conn, person)
            .await?
            .ok_or_else(|| ApiError::not_found("person"))?;
        let query = PrerequisiteQuery::for_procedure(procedure, &records);
        let checks = prerequisites::check(
            &query,
            &records,
            prerequisites::passport_on_record(&records),
            as_of,
        );
        Ok(pb::CheckPrerequisitesResponse {
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
        })
    }

    async fn record_offence(
        &self,
        caller: &Caller,
        req: &pb::RecordOffenceRequest,
    ) -> ApiResult<pb::Offence> {
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        let person = fields.check(parse_name("person", &req.person, "persons"));
        let field = field_from_proto(req.field);
        if field.is_none() {
            fields.push(FieldError::new(
                "field",
                "required: MIGRATION, TAX, LABOUR or OTHER",
            ));
        }
        let today = self.state.clock.today();
        let date = match date_from_proto("offence_date", req.offence_date.as_ref()) {
            Ok(Some(d)) if d > today => {
                fields.push(FieldError::new("offence_date", "must not be in the future"));
                None
            }
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                fields.push(FieldError::new("offence_date", "required"));
                None
            }
            Err(e) => {
                fields.push(e);
                None
            }
        };
        let description = req.description.trim();
        if description.chars().count() > 2000 || description.chars().any(char::is_control) {
            fields.push(FieldError::new(
                "description",
                "at most 2000 characters, no control characters",
            ));
        }
        fields.finish()?;
        let (Some(request_id), Some(person), Some(field), Some(date)) =
            (request_id, person, field, date)
        else {
            return Err(super::lost_field());
        };
        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(
            &mut tx,
            &crate::domain::caller::Call::new(RECORD_OFFENCE, caller.clone()),
            request_id,
            req,
        )
        .await?
        {
            return Ok(first);
        }
        crate::store::persons::get(&mut *tx, person)
            .await?
            .ok_or_else(|| ApiError::not_found("person"))?;
        let id = Uuid::now_v7();
        records::insert_offence(
            &mut tx,
            id,
            person,
            field,
            date,
            description,
            &caller.client(),
        )
        .await?;
        let offence = pb::Offence {
            name: name_of("offences", id),
            person: name_of("persons", person),
            field: req.field,
            offence_date: Some(date_to_proto(date)),
            description: description.to_string(),
        };
        commit_mutation(
            tx,
            &crate::domain::caller::Call::new(RECORD_OFFENCE, caller.clone()),
            request_id,
            &offence.person,
            &offence,
        )
        .await?;
        Ok(offence)
    }
}

#[tonic::async_trait]
impl PrerequisiteService for PrerequisiteApi {
    async fn check_prerequisites(
        &self,
        request: Request<pb::CheckPrerequisitesRequest>,
    ) -> Result<Response<pb::CheckPrerequisitesResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.check(&req).await;
        let subject: String = req.person.chars().take(64).collect();
        respond(
            &self.state,
            &crate::domain::caller::Call::new(
                crate::pb::rpc::prerequisite_service::CHECK_PREREQUISITES,
                caller.clone(),
            )
            .about(&subject)
            .with_request_id(""),
            true,
            result,
        )
        .await
    }

    async fn record_offence(
        &self,
        request: Request<pb::RecordOffenceRequest>,
    ) -> Result<Response<pb::Offence>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.record_offence(&caller, &req).await;
        let subject: String = req.person.chars().take(64).collect();
        respond(
            &self.state,
            &crate::domain::caller::Call::new(RECORD_OFFENCE, caller.clone())
                .about(&subject)
                .with_request_id(&req.request_id),
            false,
            result,
        )
        .await
    }
}
