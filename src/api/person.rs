//! `PersonService`: each method parses its request into a command, runs the use case in
//! `service::persons`, and converts the answer. Checking an IIN needs no state and is answered
//! here.

mod certificate;
mod commands;

use super::convert::{
    date_from_proto, date_to_proto, person_to_proto, record_event_to_proto, sex_from_proto,
    sex_to_proto, subscription_to_proto, timestamp,
};
use super::{
    Rpc, call_of, encode_cursor, handle, handle_listing, open, parse_cursor, parse_name, respond,
};
use crate::domain::ids::{ApplicationId, PersonId};
use crate::domain::iin::Iin;
use crate::domain::person::ArrivalNotice;
use crate::domain::record_life::{AnnullableKind, AnnulmentGround, EndReason};
use crate::domain::record_list::{RecordEntry, RecordKind, Standing};
use crate::domain::records::RegistrationKind;
use crate::error::AllValid;
use crate::error::{ApiError, ApiResult};
use crate::pb::rpc::person_service as rpc;
use crate::pb::{self, person_service_server::PersonService};
use crate::service::certificates as certificates_use_case;
use crate::service::persons as use_case;
use crate::service::record_feed as feed;
use crate::service::records as records_use_case;
use crate::state::AppState;
use crate::store::persons::VersionRow;
use crate::store::records::RegistrationRow;
use commands::{
    annul_command, arrival_command, correct_command, download_command, end_registration_command,
    lookup, record_events_query, register_command, verification_code,
};
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use tokio::sync::watch;
use tonic::{Request, Response, Status};

const REGISTER: Rpc = Rpc::change(rpc::REGISTER_PERSON);
const GET: Rpc = Rpc::read(rpc::GET_PERSON);
const UPDATE: Rpc = Rpc::change(rpc::UPDATE_PERSON);
const RECORDS: Rpc = Rpc::read(rpc::LIST_PERSON_RECORDS);
const VERSIONS: Rpc = Rpc::read(rpc::LIST_PERSON_VERSIONS);
const RECORD_ARRIVAL: Rpc = Rpc::change(rpc::RECORD_ARRIVAL_NOTIFICATION);
const END_REGISTRATION: Rpc = Rpc::change(rpc::END_REGISTRATION);
const ANNUL_RECORD: Rpc = Rpc::change(rpc::ANNUL_RECORD);
// A re-issued certificate prints the holder's names and IIN: a read of their file.
const DOWNLOAD_CERTIFICATE: Rpc = Rpc::read(rpc::DOWNLOAD_KANDAS_CERTIFICATE);
const VERIFY_CERTIFICATE: Rpc = Rpc::read(rpc::VERIFY_KANDAS_CERTIFICATE);
const LIST_EVENTS: Rpc = Rpc::read(rpc::LIST_RECORD_EVENTS);
const WATCH_EVENTS: Rpc = Rpc::read(rpc::WATCH_RECORD_EVENTS);
// Moving a registry's cursor changes no one's file; it is audited at the door like the reads
// it follows.
const ACKNOWLEDGE_EVENTS: Rpc = Rpc::read(rpc::ACKNOWLEDGE_RECORD_EVENTS);

type RecordEventStream =
    Pin<Box<dyn Stream<Item = Result<pb::RecordEvent, Status>> + Send + 'static>>;

pub struct PersonApi {
    state: AppState,
    /// Bumped whenever a record event may have committed on any replica.
    recorded: watch::Receiver<u64>,
}

impl PersonApi {
    /// `recorded` is bumped by the notification relay for
    /// [`crate::store::record_events::FEED_CHANNEL`].
    pub fn new(state: AppState, recorded: watch::Receiver<u64>) -> Self {
        Self { state, recorded }
    }
}

/// The answer echoes the person as the request named them.
fn arrival_to_proto(notice: &ArrivalNotice, person: &str) -> pb::ArrivalNotification {
    pb::ArrivalNotification {
        name: format!("arrival-notifications/{}", notice.id),
        person: person.to_string(),
        entry_date: Some(date_to_proto(notice.entry_date)),
        notified_on: Some(date_to_proto(notice.notified_on)),
        due_date: Some(date_to_proto(notice.due_date)),
        late: notice.late(),
    }
}

/// One issued record as the list shows it.
fn record_to_proto(entry: &RecordEntry) -> pb::PersonRecord {
    use pb::person_record::{Kind, Standing as S};
    let kind = match entry.kind {
        RecordKind::Iin => Kind::Iin,
        RecordKind::KandasStatus => Kind::KandasStatus,
        RecordKind::Permit => Kind::PermanentResidencePermit,
        RecordKind::Card => Kind::ResidencePermitCard,
        RecordKind::Registration(RegistrationKind::Permanent) => Kind::PermanentRegistration,
        RecordKind::Registration(RegistrationKind::Temporary) => Kind::TemporaryRegistration,
        RecordKind::Registration(RegistrationKind::Refugee) => Kind::RefugeeRegistration,
        RecordKind::StatelessCertificate => Kind::StatelessCertificate,
        RecordKind::QuotaInclusion { .. } => Kind::QuotaInclusion,
        RecordKind::Citizenship => Kind::KazakhCitizenship,
    };
    let year = match entry.kind {
        RecordKind::QuotaInclusion { year } => year,
        _ => 0,
    };
    let (standing, since) = match entry.standing {
        Standing::Valid => (S::Valid, None),
        Standing::NotYet => (S::NotYetValid, None),
        Standing::Expired => (S::Expired, None),
        Standing::Annulled(from) => (S::Annulled, Some(from)),
        Standing::Ended(last) => (S::Ended, Some(last)),
    };
    pb::PersonRecord {
        kind: kind as i32,
        number: entry.number.clone(),
        application: entry.evidence.clone(),
        valid_from: entry.from.map(date_to_proto),
        valid_until: entry.until.map(date_to_proto),
        region: entry
            .region
            .map(|r| r.code().to_string())
            .unwrap_or_default(),
        standing: standing as i32,
        standing_since: since.map(date_to_proto),
        year,
    }
}

/// One version of a person, as it was made.
fn version_to_proto(version: &VersionRow, name: &str) -> pb::PersonVersion {
    pb::PersonVersion {
        revision: version.revision,
        person: Some(pb::Person {
            name: name.to_string(),
            surname: version.surname.clone(),
            given_name: version.given_name.clone(),
            patronymic: version.patronymic.clone(),
            birth_date: Some(date_to_proto(version.birth_date)),
            sex: sex_to_proto(version.sex) as i32,
            citizenship: version.citizenship.clone(),
            ethnic_kazakh: version.ethnic_kazakh,
            ..Default::default()
        }),
        changed_by: version.changed_by.clone(),
        operator_id: version.operator_id.clone(),
        reason: version.reason.clone(),
        supporting_document: version.document.as_ref().map(|doc| pb::SupportingDocument {
            kind: doc.kind.clone(),
            number: doc.number.clone(),
            issue_date: doc.issue_date.map(date_to_proto),
            issuing_country: doc.issuing_country.clone(),
        }),
        change_time: Some(timestamp(version.changed_at)),
    }
}

/// A person as an identity lookup answers them: who they are, nothing on file about them.
fn identity_only(person: pb::Person) -> pb::Person {
    pb::Person {
        ethnic_kazakh: false,
        kazakh_citizenship_since: None,
        etag: String::new(),
        ..person
    }
}

#[tonic::async_trait]
impl PersonService for PersonApi {
    async fn register_person(
        &self,
        request: Request<pb::RegisterPersonRequest>,
    ) -> Result<Response<pb::Person>, Status> {
        handle(&self.state, request, REGISTER, async |call, req| {
            let command = register_command(&req, self.state.clock.today())?;
            use_case::register(&self.state, call, command, person_to_proto).await
        })
        .await
    }

    async fn get_person(
        &self,
        request: Request<pb::GetPersonRequest>,
    ) -> Result<Response<pb::Person>, Status> {
        let call = call_of(&self.state, &request, GET).await?;
        let req = request.into_inner();
        let result = async {
            let lookup = lookup(&req).map_err(|e| ApiError::InvalidArgument(vec![e]))?;
            use_case::get(&self.state, &call, lookup).await
        }
        .await
        .map(|(row, disclosure)| match disclosure {
            use_case::Disclosure::Full => person_to_proto(&row),
            use_case::Disclosure::Identity => identity_only(person_to_proto(&row)),
        });
        // The audit names the person by resource name, never by IIN.
        let call = match &result {
            Ok(person) => call.about(&person.name),
            Err(_) if !req.name.is_empty() => call.about(&req.name),
            Err(_) => call.about("persons:by-iin"),
        };
        respond(&self.state, &call, GET, result).await
    }

    async fn update_person(
        &self,
        request: Request<pb::UpdatePersonRequest>,
    ) -> Result<Response<pb::Person>, Status> {
        handle(&self.state, request, UPDATE, async |call, req| {
            let command = correct_command(&req)?;
            use_case::correct(&self.state, call, command, person_to_proto).await
        })
        .await
    }

    async fn list_person_records(
        &self,
        request: Request<pb::ListPersonRecordsRequest>,
    ) -> Result<Response<pb::ListPersonRecordsResponse>, Status> {
        handle(&self.state, request, RECORDS, async |call, req| {
            let (id, as_of) = (
                parse_name::<PersonId>("name", &req.name),
                date_from_proto("as_of", req.as_of.as_ref()),
            )
                .or_invalid()?;
            let entries = use_case::records(&self.state, call, id, as_of).await?;
            Ok(pb::ListPersonRecordsResponse {
                records: entries.iter().map(record_to_proto).collect(),
            })
        })
        .await
    }

    async fn list_person_versions(
        &self,
        request: Request<pb::ListPersonVersionsRequest>,
    ) -> Result<Response<pb::ListPersonVersionsResponse>, Status> {
        handle(&self.state, request, VERSIONS, async |call, req| {
            let id = parse_name::<PersonId>("name", &req.name)
                .map_err(|e| ApiError::InvalidArgument(vec![e]))?;
            let versions = use_case::versions(&self.state, call, id).await?;
            Ok(pb::ListPersonVersionsResponse {
                versions: versions
                    .iter()
                    .map(|v| version_to_proto(v, &req.name))
                    .collect(),
            })
        })
        .await
    }

    async fn record_arrival_notification(
        &self,
        request: Request<pb::RecordArrivalNotificationRequest>,
    ) -> Result<Response<pb::ArrivalNotification>, Status> {
        handle(&self.state, request, RECORD_ARRIVAL, async |call, req| {
            let command = arrival_command(&req, self.state.clock.today())?;
            let present = |notice: &ArrivalNotice| arrival_to_proto(notice, &req.person);
            use_case::record_arrival(&self.state, call, command, present).await
        })
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

    async fn end_registration(
        &self,
        request: Request<pb::EndRegistrationRequest>,
    ) -> Result<Response<pb::Registration>, Status> {
        handle(&self.state, request, END_REGISTRATION, async |call, req| {
            let command = end_registration_command(&req, self.state.clock.today())?;
            records_use_case::end_registration(&self.state, call, command, registration_to_proto)
                .await
        })
        .await
    }

    async fn annul_record(
        &self,
        request: Request<pb::AnnulRecordRequest>,
    ) -> Result<Response<pb::AnnulledRecord>, Status> {
        handle(&self.state, request, ANNUL_RECORD, async |call, req| {
            let command = annul_command(&req, self.state.clock.today())?;
            let present =
                |annulled: &records_use_case::Annulled| annulled_to_proto(annulled, &req.name);
            records_use_case::annul(&self.state, call, command, present).await
        })
        .await
    }

    async fn download_kandas_certificate(
        &self,
        request: Request<pb::DownloadKandasCertificateRequest>,
    ) -> Result<Response<pb::KandasCertificate>, Status> {
        let call = call_of(&self.state, &request, DOWNLOAD_CERTIFICATE).await?;
        let req = request.into_inner();
        let command = download_command(&req);
        // The paper prints the holder's names and IIN: audited under the person, as a read.
        let call = match &command {
            Ok(download) => call.about(&download.person.to_string()),
            Err(_) => call.about(&req.name),
        };
        let result = async {
            let command = command?;
            let font = certificate::read_font(&self.state.certificate_font).await;
            let present = |reissue: &_| certificate::present(reissue, &req.name, font);
            certificates_use_case::download(&self.state, &call, command, present).await
        }
        .await;
        respond(&self.state, &call, DOWNLOAD_CERTIFICATE, result).await
    }

    async fn list_record_events(
        &self,
        request: Request<pb::ListRecordEventsRequest>,
    ) -> Result<Response<pb::ListRecordEventsResponse>, Status> {
        // A signed audit head has no person, and is no read of anyone's data.
        let persons = |page: &pb::ListRecordEventsResponse| {
            page.events
                .iter()
                .filter(|e| !e.person.is_empty())
                .map(|e| e.person.clone())
                .collect()
        };
        handle_listing(
            &self.state,
            request,
            LIST_EVENTS,
            persons,
            async |call, req| {
                let (after, limit) = record_events_query(&req)?;
                let page = feed::list(&self.state, call, after, limit).await?;
                // With nothing new the caller keeps its cursor, to ask again from there.
                let next_cursor = if page.covered == after {
                    req.cursor.clone()
                } else {
                    encode_cursor(page.covered)
                };
                Ok(pb::ListRecordEventsResponse {
                    events: page.events.iter().map(record_event_to_proto).collect(),
                    next_cursor,
                })
            },
        )
        .await
    }

    async fn watch_record_events(
        &self,
        request: Request<pb::WatchRecordEventsRequest>,
    ) -> Result<Response<RecordEventStream>, Status> {
        let (call, req) = open(&self.state, request, WATCH_EVENTS).await?;
        let result = async {
            let after =
                parse_cursor(&req.cursor).map_err(|e| ApiError::InvalidArgument(vec![e]))?;
            feed::resume(&self.state, &call, after).await?;
            Ok(after)
        }
        .await;
        // The stream outlives the handler: it gets the call itself, to audit each delivery.
        let after = respond(&self.state, &call, WATCH_EVENTS, result)
            .await?
            .into_inner();
        let (sender, receiver) = tokio::sync::mpsc::channel(feed::WATCH_CHANNEL);
        let (state, recorded) = (self.state.clone(), self.recorded.clone());
        tokio::spawn(feed::watch(state, call, recorded, after, sender));
        let stream = tokio_stream::wrappers::ReceiverStream::new(receiver).map(|item| {
            item.map(|held| record_event_to_proto(&held.item))
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn acknowledge_record_events(
        &self,
        request: Request<pb::AcknowledgeRecordEventsRequest>,
    ) -> Result<Response<pb::RecordSubscription>, Status> {
        handle(
            &self.state,
            request,
            ACKNOWLEDGE_EVENTS,
            async |call, req| {
                let cursor =
                    parse_cursor(&req.cursor).map_err(|e| ApiError::InvalidArgument(vec![e]))?;
                let standing = feed::acknowledge(&self.state, call, cursor).await?;
                Ok(subscription_to_proto(&standing))
            },
        )
        .await
    }

    async fn verify_kandas_certificate(
        &self,
        request: Request<pb::VerifyKandasCertificateRequest>,
    ) -> Result<Response<pb::KandasCertificateVerification>, Status> {
        let call = call_of(&self.state, &request, VERIFY_CERTIFICATE).await?;
        let req = request.into_inner();
        let result = async {
            let code = verification_code(&req)?;
            certificates_use_case::verify(&self.state, &code).await
        }
        .await;
        // Whose certificate was checked is found under the person; the code, which opens the
        // check to anyone holding it, is not written down.
        let call = match &result {
            Ok(verified) => call.about(&PersonId::from(verified.certificate.person_id).to_string()),
            Err(_) => call.about("kandas-certificates:by-code"),
        };
        let result = result.map(|verified| certificate::verification_to_proto(&verified));
        respond(&self.state, &call, VERIFY_CERTIFICATE, result).await
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

fn registration_to_proto(row: &RegistrationRow) -> pb::Registration {
    use pb::registration::{EndReason as R, Kind as K};
    let kind = match row.kind {
        RegistrationKind::Permanent => K::Permanent,
        RegistrationKind::Temporary => K::Temporary,
        RegistrationKind::Refugee => K::Refugee,
    };
    let end_reason = match row.end_reason {
        None => R::Unspecified,
        Some(EndReason::MovedOut) => R::MovedOut,
        Some(EndReason::LeftKazakhstan) => R::LeftKazakhstan,
        Some(EndReason::OwnerConsentWithdrawn) => R::OwnerConsentWithdrawn,
        Some(EndReason::CourtDecision) => R::CourtDecision,
    };
    pb::Registration {
        name: format!("{}/registrations/{}", PersonId::from(row.person_id), row.id),
        person: PersonId::from(row.person_id).to_string(),
        kind: kind as i32,
        region: row.region.to_string(),
        address: row.address.clone(),
        registered_on: Some(date_to_proto(row.registered_on)),
        until: row.until.map(date_to_proto),
        ended_on: row.ended_on.map(date_to_proto),
        end_reason: end_reason as i32,
        application: ApplicationId::from(row.application_id).to_string(),
    }
}

/// The answer names the record as the request did.
fn annulled_to_proto(annulled: &records_use_case::Annulled, name: &str) -> pb::AnnulledRecord {
    use pb::annulled_record::{Ground as G, Kind as K};
    let row = &annulled.row;
    let kind = match annulled.kind {
        AnnullableKind::KandasStatus => K::KandasStatus,
        AnnullableKind::Permit => K::PermanentResidencePermit,
    };
    let (annulled_on, ground, legal_basis) = match &row.annulment {
        Some(a) => (
            Some(date_to_proto(a.from)),
            match a.ground {
                AnnulmentGround::FalseDocuments => G::FalseDocuments,
                AnnulmentGround::AdministrativeViolation => G::AdministrativeViolation,
                AnnulmentGround::DepartureAbroad => G::DepartureAbroad,
                AnnulmentGround::CourtDecision => G::CourtDecision,
            },
            a.legal_basis.clone(),
        ),
        None => (None, G::Unspecified, String::new()),
    };
    pb::AnnulledRecord {
        name: name.to_string(),
        person: PersonId::from(row.person_id).to_string(),
        kind: kind as i32,
        number: row.number.clone(),
        application: ApplicationId::from(row.application_id).to_string(),
        valid_from: Some(date_to_proto(row.valid_from)),
        valid_until: row.valid_until.map(date_to_proto),
        annulled_on,
        ground: ground as i32,
        legal_basis,
        cards: annulled.cards.clone(),
    }
}
