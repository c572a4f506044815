//! `PersonService`: registering persons, reading them, and checking IINs.

use super::convert::{
    date_from_proto, date_to_proto, person_to_proto, sex_from_proto, sex_to_proto,
};
use super::{
    Fields, caller, commit_mutation, parse_name, parse_request_id, replay_or_claim, respond,
};
use crate::domain::calendar::Term;
use crate::domain::caller::Caller;
use crate::domain::iin::{Iin, IinError};
use crate::domain::person::{PersonDetails, RawPerson};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pb::{self, person_service_server::PersonService};
use crate::state::AppState;
use crate::store::{self, persons};
use tonic::{Request, Response, Status};
use uuid::Uuid;

pub struct PersonApi {
    state: AppState,
}

impl PersonApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn register(
        &self,
        caller: &Caller,
        req: &pb::RegisterPersonRequest,
    ) -> ApiResult<pb::Person> {
        const RPC: &str = crate::pb::rpc::person_service::REGISTER_PERSON;
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        let input = req.person.clone().unwrap_or_default();
        let iin = if input.iin.is_empty() {
            None
        } else {
            fields.check(
                Iin::parse(&input.iin).map_err(|e| FieldError::new("person.iin", iin_rule(&e))),
            )
        };
        let birth_date = fields
            .check(date_from_proto(
                "person.birth_date",
                input.birth_date.as_ref(),
            ))
            .flatten();
        let raw = RawPerson {
            surname: &input.surname,
            given_name: &input.given_name,
            patronymic: &input.patronymic,
            birth_date,
            sex: sex_from_proto(input.sex),
            citizenship: &input.citizenship,
            ethnic_kazakh: input.ethnic_kazakh,
        };
        let details = match PersonDetails::parse(raw, self.state.clock.today()) {
            Ok(details) => Some(details),
            Err(problems) => {
                // A birth date that failed to parse is already reported above.
                for (field, rule) in problems {
                    let path = format!("person.{field}");
                    if !fields.reported(&path) {
                        fields.push(FieldError::new(path, rule));
                    }
                }
                None
            }
        };
        fields.finish()?;
        let (Some(request_id), Some(details)) = (request_id, details) else {
            return Err(super::lost_field());
        };

        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(
            &mut tx,
            &crate::domain::caller::Call::new(RPC, caller.clone()),
            request_id,
            req,
        )
        .await?
        {
            return Ok(first);
        }
        let row = persons::insert(&mut tx, Uuid::now_v7(), iin.as_ref(), &details).await?;
        let person = person_to_proto(&row);
        commit_mutation(
            tx,
            &crate::domain::caller::Call::new(RPC, caller.clone()),
            request_id,
            &person.name,
            &person,
        )
        .await?;
        Ok(person)
    }

    async fn get(&self, req: &pb::GetPersonRequest) -> ApiResult<pb::Person> {
        let row = match (req.name.is_empty(), req.iin.is_empty()) {
            (false, true) => {
                let id = parse_name("name", &req.name, "persons")
                    .map_err(|e| ApiError::InvalidArgument(vec![e]))?;
                persons::get(&self.state.pool, id).await?
            }
            (true, false) => {
                let iin = Iin::parse(&req.iin).map_err(|e| ApiError::field("iin", iin_rule(&e)))?;
                persons::get_by_iin(&self.state.pool, &iin).await?
            }
            _ => {
                return Err(ApiError::field(
                    "name",
                    "exactly one of `name` or `iin` is required",
                ));
            }
        };
        row.map(|r| person_to_proto(&r))
            .ok_or_else(|| ApiError::not_found("person"))
    }
}

impl PersonApi {
    /// A host's arrival notification is due within 3 working days of the entry (SPEC 5.5).
    async fn record_arrival(
        &self,
        caller: &Caller,
        req: &pb::RecordArrivalNotificationRequest,
    ) -> ApiResult<pb::ArrivalNotification> {
        const RPC: &str = crate::pb::rpc::person_service::RECORD_ARRIVAL_NOTIFICATION;
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        let person = fields.check(parse_name("person", &req.person, "persons"));
        let today = self.state.clock.today();
        let entry = fields
            .check(date_from_proto("entry_date", req.entry_date.as_ref()))
            .flatten();
        let notified = fields
            .check(date_from_proto("notified_on", req.notified_on.as_ref()))
            .flatten()
            .unwrap_or(today);
        match entry {
            None => fields.push(FieldError::new("entry_date", "required")),
            Some(e) if e > today => {
                fields.push(FieldError::new("entry_date", "must not be in the future"))
            }
            Some(e) if notified < e => fields.push(FieldError::new(
                "notified_on",
                "must not be before entry_date",
            )),
            Some(_) => {}
        }
        if notified > today {
            fields.push(FieldError::new("notified_on", "must not be in the future"));
        }
        let host = req.host.trim();
        if host.chars().count() > 500 || host.chars().any(char::is_control) {
            fields.push(FieldError::new(
                "host",
                "at most 500 characters, no control characters",
            ));
        }
        fields.finish()?;
        let (Some(request_id), Some(person), Some(entry)) = (request_id, person, entry) else {
            return Err(super::lost_field());
        };
        let due = self
            .state
            .calendar
            .current()
            .deadline(entry, Term::WorkingDays(3))
            .date;
        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(
            &mut tx,
            &crate::domain::caller::Call::new(RPC, caller.clone()),
            request_id,
            req,
        )
        .await?
        {
            return Ok(first);
        }
        persons::get(&mut *tx, person)
            .await?
            .ok_or_else(|| ApiError::not_found("person"))?;
        let id = Uuid::now_v7();
        store::records::insert_arrival_notification(
            &mut tx,
            id,
            person,
            entry,
            notified,
            due,
            host,
            &caller.client(),
        )
        .await?;
        let notification = pb::ArrivalNotification {
            name: format!("arrival-notifications/{id}"),
            person: req.person.clone(),
            entry_date: Some(date_to_proto(entry)),
            notified_on: Some(date_to_proto(notified)),
            due_date: Some(date_to_proto(due)),
            late: notified > due,
        };
        commit_mutation(
            tx,
            &crate::domain::caller::Call::new(RPC, caller.clone()),
            request_id,
            &notification.person,
            &notification,
        )
        .await?;
        Ok(notification)
    }
}

/// The rule an IIN broke, named for the caller.
fn iin_rule(error: &IinError) -> String {
    format!("{} ({error})", error.rule())
}

#[tonic::async_trait]
impl PersonService for PersonApi {
    async fn register_person(
        &self,
        request: Request<pb::RegisterPersonRequest>,
    ) -> Result<Response<pb::Person>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.register(&caller, &req).await;
        let subject = result
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_else(|_| "persons".into());
        respond(
            &self.state,
            &crate::domain::caller::Call::new(
                crate::pb::rpc::person_service::REGISTER_PERSON,
                caller.clone(),
            )
            .about(&subject)
            .with_request_id(&req.request_id),
            false,
            result,
        )
        .await
    }

    async fn get_person(
        &self,
        request: Request<pb::GetPersonRequest>,
    ) -> Result<Response<pb::Person>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.get(&req).await;
        // The audit names the person by resource name, never by IIN.
        let subject = match &result {
            Ok(p) => p.name.clone(),
            Err(_) if !req.name.is_empty() => req.name.chars().take(64).collect(),
            Err(_) => "persons:by-iin".into(),
        };
        respond(
            &self.state,
            &crate::domain::caller::Call::new(
                crate::pb::rpc::person_service::GET_PERSON,
                caller.clone(),
            )
            .about(&subject)
            .with_request_id(""),
            true,
            result,
        )
        .await
    }

    async fn record_arrival_notification(
        &self,
        request: Request<pb::RecordArrivalNotificationRequest>,
    ) -> Result<Response<pb::ArrivalNotification>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.record_arrival(&caller, &req).await;
        let subject: String = req.person.chars().take(64).collect();
        respond(
            &self.state,
            &crate::domain::caller::Call::new(
                crate::pb::rpc::person_service::RECORD_ARRIVAL_NOTIFICATION,
                caller.clone(),
            )
            .about(&subject)
            .with_request_id(&req.request_id),
            false,
            result,
        )
        .await
    }

    async fn validate_iin(
        &self,
        request: Request<pb::ValidateIinRequest>,
    ) -> Result<Response<pb::ValidateIinResponse>, Status> {
        validate(request.get_ref())
            .map(Response::new)
            .map_err(Status::from)
    }
}

/// `ValidateIin`: malformed input (not 12 digits) is INVALID_ARGUMENT; a well-formed number
/// with a wrong check digit is answered `valid: false` with the rule.
pub fn validate(req: &pb::ValidateIinRequest) -> ApiResult<pb::ValidateIinResponse> {
    let digits = req.iin.as_str();
    if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::field(
            "iin",
            "IIN_FORMAT (exactly 12 ASCII digits)",
        ));
    }
    let claimed_birth = date_from_proto("birth_date", req.birth_date.as_ref())
        .map_err(|e| ApiError::InvalidArgument(vec![e]))?;
    let claimed_sex = sex_from_proto(req.sex);
    match Iin::parse(digits) {
        Err(error) => Ok(pb::ValidateIinResponse {
            valid: false,
            invalid_reason: error.rule().to_string(),
            ..Default::default()
        }),
        Ok(iin) => {
            let decoded = iin.decode();
            let mut hints = Vec::new();
            if let Some(claimed) = claimed_birth
                && decoded.birth_date != Some(claimed)
            {
                hints.push("digits 1-7 do not encode the given birth date (allowed for numbers issued since 2013)".to_string());
            }
            if let Some(claimed) = claimed_sex
                && decoded.sex != Some(claimed)
            {
                hints.push(
                    "digit 7 does not encode the given sex (allowed for numbers issued since 2013)"
                        .to_string(),
                );
            }
            Ok(pb::ValidateIinResponse {
                valid: true,
                invalid_reason: String::new(),
                birth_date: decoded.birth_date.map(date_to_proto),
                sex: decoded
                    .sex
                    .map(sex_to_proto)
                    .unwrap_or(pb::Sex::Unspecified) as i32,
                century: decoded.century.unwrap_or_default(),
                serial: i32::from(decoded.serial),
                hints,
            })
        }
    }
}
