//! `NotificationService`: the applicant's notifications (SPEC 5.8), read by pages or followed
//! as a stream through `service::notifications`, and told here in the language the caller asks
//! for.

use super::convert::{date_to_proto, procedure_to_proto, timestamp};
use super::{Rpc, encode_cursor, feed_page_size, handle_listing, open, parse_cursor, respond};
use crate::domain::ids::{ApplicationId, PersonId};
use crate::domain::notification::{Facts, Language, Notification, NotificationKind, tell};
use crate::domain::procedure::Procedure;
use crate::error::{AllValid, ApiError, FieldError};
use crate::pb::rpc::notification_service as rpc;
use crate::pb::{self, notification_service_server::NotificationService};
use crate::service::notifications as use_case;
use crate::state::AppState;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use tokio::sync::watch;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

const LIST: Rpc = Rpc::read(rpc::LIST_NOTIFICATIONS);
const WATCH: Rpc = Rpc::read(rpc::WATCH_NOTIFICATIONS);
/// The request metadata that names the caller's languages when the request does not.
const ACCEPT_LANGUAGE: &str = "accept-language";

type NotificationStream =
    Pin<Box<dyn Stream<Item = Result<pb::Notification, Status>> + Send + 'static>>;

pub struct NotificationApi {
    state: AppState,
    /// Bumped whenever a notification may have committed on any replica.
    notified: watch::Receiver<u64>,
}

impl NotificationApi {
    /// `notified` is bumped by the notification relay for
    /// [`crate::store::notifications::CHANNEL`].
    pub fn new(state: AppState, notified: watch::Receiver<u64>) -> Self {
        Self { state, notified }
    }
}

/// The language the texts are told in: the request's `language_code` when it names one, which
/// must be a language the service speaks; else the `accept-language` metadata, where a
/// language not spoken here falls back to the default, as HTTP's does; else Kazakh, the state
/// language.
pub fn language(asked: &str, accept: Option<&str>) -> Result<Language, FieldError> {
    if !asked.trim().is_empty() {
        return Language::negotiate(asked).ok_or_else(|| {
            let codes: Vec<&str> = Language::ALL.into_iter().map(Language::code).collect();
            FieldError::new(
                "language_code",
                format!(
                    "must name a language notifications are told in: {} (an Accept-Language \
                     value such as `ru` or `kk-KZ`), or be empty",
                    codes.join(", ")
                ),
            )
        });
    }
    Ok(accept.and_then(Language::negotiate).unwrap_or(Language::Kk))
}

/// Every `accept-language` value of the request as one list: HTTP allows the header to be
/// split over several lines, and the client's preference is their order.
fn accept_language(metadata: &MetadataMap) -> Option<String> {
    let values: Vec<&str> = metadata
        .get_all(ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

pub fn kind_to_proto(kind: NotificationKind) -> pb::notification::Kind {
    use pb::notification::Kind;
    match kind {
        NotificationKind::Accepted => Kind::Accepted,
        NotificationKind::Approved => Kind::Approved,
        NotificationKind::Refused => Kind::Refused,
        NotificationKind::CertificateReady => Kind::CertificateReady,
        NotificationKind::QuotaDecided => Kind::QuotaDecided,
        NotificationKind::AppealFiled => Kind::AppealFiled,
        NotificationKind::AppealDecided => Kind::AppealDecided,
        NotificationKind::RecordAnnulled => Kind::RecordAnnulled,
        NotificationKind::RegistrationEnded => Kind::RegistrationEnded,
        NotificationKind::DeadlineMissed => Kind::DeadlineMissed,
    }
}

/// The procedure a step belongs to, where the facts say: a quota decision is always of a
/// quota inclusion; the other steps name none (a certificate is of an assignment or of an
/// extension, an appeal of any refusal).
fn procedure_of(facts: &Facts) -> Option<Procedure> {
    match facts {
        Facts::Accepted { procedure, .. }
        | Facts::Approved { procedure, .. }
        | Facts::Refused { procedure, .. }
        | Facts::DeadlineMissed { procedure, .. } => Some(*procedure),
        Facts::QuotaDecided { .. } => Some(Procedure::RegionalQuotaInclusion),
        Facts::CertificateReady { .. }
        | Facts::AppealFiled { .. }
        | Facts::AppealDecided { .. }
        | Facts::RecordAnnulled { .. }
        | Facts::RegistrationEnded { .. } => None,
    }
}

/// A notification as told in `language`.
pub fn notification_to_proto(notification: &Notification, language: Language) -> pb::Notification {
    let told = tell(&notification.facts, language);
    let person = PersonId::from(notification.person_id);
    pb::Notification {
        name: format!("{person}/notifications/{}", notification.seq),
        cursor: encode_cursor(notification.seq),
        sequence: notification.seq,
        time: Some(timestamp(notification.occurred_at)),
        kind: kind_to_proto(notification.facts.kind()) as i32,
        person: person.to_string(),
        application: notification
            .application_id
            .map(|id| ApplicationId::from(id).to_string())
            .unwrap_or_default(),
        procedure: procedure_of(&notification.facts)
            .map_or(pb::Procedure::Unspecified, procedure_to_proto) as i32,
        language_code: language.code().to_string(),
        title: told.title,
        text: told.text,
        due_date: told.due_date.map(date_to_proto),
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationApi {
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let accept = accept_language(request.metadata());
        let persons = |page: &pb::ListNotificationsResponse| {
            page.notifications
                .iter()
                .map(|n| n.person.clone())
                .collect()
        };
        handle_listing(&self.state, request, LIST, persons, async |call, req| {
            let (after, limit, language) = (
                parse_cursor(&req.cursor),
                feed_page_size(req.page_size),
                language(&req.language_code, accept.as_deref()),
            )
                .or_invalid()?;
            let page = use_case::list(&self.state, call, after, limit).await?;
            // With nothing new the caller keeps its cursor, to ask again from there.
            let next_cursor = if page.covered == after {
                req.cursor.clone()
            } else {
                encode_cursor(page.covered)
            };
            Ok(pb::ListNotificationsResponse {
                notifications: page
                    .notifications
                    .iter()
                    .map(|n| notification_to_proto(n, language))
                    .collect(),
                next_cursor,
            })
        })
        .await
    }

    async fn watch_notifications(
        &self,
        request: Request<pb::WatchNotificationsRequest>,
    ) -> Result<Response<NotificationStream>, Status> {
        let accept = accept_language(request.metadata());
        let (call, req) = open(&self.state, request, WATCH).await?;
        let result = async {
            let (after, language) = (
                parse_cursor(&req.cursor),
                language(&req.language_code, accept.as_deref()),
            )
                .or_invalid()?;
            use_case::resume(&self.state, &call, after).await?;
            Ok::<_, ApiError>((after, language))
        }
        .await;
        // The stream outlives the handler: it gets the call itself, to audit each delivery.
        let (after, language) = respond(&self.state, &call, WATCH, result)
            .await?
            .into_inner();
        let (sender, receiver) = tokio::sync::mpsc::channel(use_case::WATCH_CHANNEL);
        let (state, notified) = (self.state.clone(), self.notified.clone());
        tokio::spawn(use_case::watch(state, call, notified, after, sender));
        let stream = tokio_stream::wrappers::ReceiverStream::new(receiver).map(move |item| {
            item.map(|held| notification_to_proto(&held.item, language))
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_field_comes_first_and_must_name_a_language_spoken_here() {
        assert_eq!(language("ru", Some("en")), Ok(Language::Ru));
        assert_eq!(language("kk-KZ", None), Ok(Language::Kk));
        assert_eq!(language("en-GB,ru;q=0.5", Some("kk")), Ok(Language::En));
        let refused = language("de", Some("ru")).unwrap_err();
        assert_eq!(refused.field, "language_code");
        for code in ["kk", "ru", "en"] {
            assert!(refused.rule.contains(code), "{}", refused.rule);
        }
    }

    #[test]
    fn metadata_is_taken_when_the_field_is_empty_and_kazakh_when_it_names_none_spoken_here() {
        assert_eq!(language("", Some("ru-RU")), Ok(Language::Ru));
        assert_eq!(language("", Some("en")), Ok(Language::En));
        assert_eq!(language("", Some("de-DE")), Ok(Language::Kk));
        assert_eq!(language("", Some("")), Ok(Language::Kk));
        assert_eq!(language("", None), Ok(Language::Kk));
    }

    #[test]
    fn accept_language_split_over_lines_is_read_as_one_list_in_order() {
        let mut metadata = MetadataMap::new();
        assert_eq!(accept_language(&metadata), None);
        metadata.append(ACCEPT_LANGUAGE, "ru".parse().unwrap());
        metadata.append(ACCEPT_LANGUAGE, "en;q=0.5".parse().unwrap());
        assert_eq!(accept_language(&metadata).as_deref(), Some("ru,en;q=0.5"));
    }

    #[test]
    fn every_kind_has_its_own_wire_value() {
        let mut values: Vec<i32> = NotificationKind::ALL
            .into_iter()
            .map(|kind| kind_to_proto(kind) as i32)
            .collect();
        values.sort();
        values.dedup();
        assert_eq!(values.len(), NotificationKind::ALL.len());
        assert!(!values.contains(&(pb::notification::Kind::Unspecified as i32)));
    }
}
