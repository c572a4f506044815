//! What each request is about: the resource its audit event names, and for a change the
//! caller's request id. One table for every RPC whose subject the request itself gives; the
//! few whose subject is known only from the answer (a person found by IIN, a certificate found
//! by its code) set it in their handler.

use crate::pb;
use crate::service::organisations;
use std::borrow::Cow;

pub trait Subject {
    /// The resource the call concerns, as the request names it (cut to a bound by the call).
    fn subject(&self) -> Cow<'_, str>;

    /// The caller's id of a change, reused on retry; reads carry none.
    fn request_id(&self) -> &str {
        ""
    }
}

/// `Request => |r| subject` for a read; `Request => |r| subject, request_id` for a change.
macro_rules! subjects {
    ($( $request:ty => |$r:ident| $subject:expr $(, $request_id:ident)? ; )*) => {
        $(
            impl Subject for $request {
                fn subject(&self) -> Cow<'_, str> {
                    let $r = self;
                    Cow::from($subject)
                }
                $(
                    fn request_id(&self) -> &str {
                        &self.$request_id
                    }
                )?
            }
        )*
    };
}

/// The audit subject of a feed call as a whole; each person whose event it delivers is
/// audited under that person.
const FEED: &str = "record-events";
/// The audit subject of a read of notifications as a whole; each person whose notification it
/// delivers is audited under that person.
const NOTIFICATIONS: &str = "notifications";

subjects! {
    // A refused registration has no person yet; an accepted one is audited by its name.
    pb::RegisterPersonRequest => |_r| "persons", request_id;
    pb::UpdatePersonRequest => |r| r.person.as_ref().map_or("", |p| p.name.as_str()), request_id;
    pb::ListPersonRecordsRequest => |r| &r.name;
    pb::ListPersonVersionsRequest => |r| &r.name;
    pb::RecordArrivalNotificationRequest => |r| &r.person, request_id;
    pb::EndRegistrationRequest => |r| &r.name, request_id;
    pb::AnnulRecordRequest => |r| &r.name, request_id;
    pb::ListRecordEventsRequest => |_r| FEED;
    pb::WatchRecordEventsRequest => |_r| FEED;
    pb::AcknowledgeRecordEventsRequest => |_r| FEED;
    pb::ListNotificationsRequest => |_r| NOTIFICATIONS;
    pb::WatchNotificationsRequest => |_r| NOTIFICATIONS;

    // A refused submission concerns the applicant; an accepted one, its application.
    pb::SubmitApplicationRequest => |r| &r.applicant, request_id;
    pb::GetApplicationRequest => |r| &r.name;
    pb::ListApplicationsRequest => |r| if r.applicant.is_empty() { "applications" } else { &r.applicant };
    pb::CheckDocumentsRequest => |r| &r.applicant;
    pb::ListRequiredDocumentsRequest => |r| &r.applicant;
    pb::DecideApplicationRequest => |r| &r.name, request_id;
    pb::WithdrawApplicationRequest => |r| &r.name, request_id;
    pb::FileAppealRequest => |r| &r.application, request_id;
    pb::DecideAppealRequest => |r| &r.name, request_id;
    pb::VerifyApplicantSignaturesRequest => |r| &r.name;
    pb::ListAppealsRequest => |_r| "appeals";

    pb::CheckPrerequisitesRequest => |r| &r.person;
    // A refused record concerns the person as the request named it; a recorded one, the
    // person's own name.
    pb::RecordOffenceRequest => |r| &r.person, request_id;

    pb::ListQuotaDecisionsRequest => |_r| "quota-decisions";
    pb::ForwardQuotaApplicationsRequest => |_r| "applications", request_id;
    pb::RecordApplicantNotifiedRequest => |r| &r.application, request_id;

    pb::GetEntitlementRequest => |r| &r.application;
    pb::RecordPaymentRequest => |r| &r.application, request_id;
    pb::ListPaymentsRequest => |r| &r.application;

    // A hostile region code cannot crowd the year out of the subject.
    pb::SetQuotaRequest => |r| format!("quotas/{}/{}", cut(&r.region, 8), r.year), request_id;
    pb::SetMciRequest => |r| format!("mci/{}", r.year), request_id;
    pb::SetCalendarYearRequest => |r| format!("calendar/{}", r.year), request_id;
    pb::RegisterOrganisationRequest => |r| {
        organisation(r.organisation.as_ref().map_or("", |o| o.id.as_str()))
    }, request_id;
    pb::UpdateOrganisationRequest => |r| &r.name, request_id;
    pb::SetRecordSubscriptionRequest => |r| {
        organisation(r.organisation.trim_start_matches("organisations/"))
    }, request_id;
    pb::RunRetentionRequest => |_r| "retention";
    pb::GetRetentionStatusRequest => |_r| "retention";
}

fn cut(value: &str, chars: usize) -> String {
    value.chars().take(chars).collect()
}

/// An organisation id cut for an audit subject: a hostile one cannot crowd the log.
fn organisation(id: &str) -> String {
    organisations::name_of(&cut(id, 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_its_request_id_and_a_read_none() {
        let change = pb::DecideApplicationRequest {
            name: "applications/a".into(),
            request_id: "r".into(),
            ..Default::default()
        };
        let read = pb::GetApplicationRequest {
            name: "applications/a".into(),
        };
        assert_eq!(
            (change.subject().as_ref(), change.request_id()),
            ("applications/a", "r")
        );
        assert_eq!(
            (read.subject().as_ref(), read.request_id()),
            ("applications/a", "")
        );
    }

    #[test]
    fn a_list_of_everyone_is_about_the_collection_and_of_one_about_them() {
        let all = pb::ListApplicationsRequest::default();
        let one = pb::ListApplicationsRequest {
            applicant: "persons/p".into(),
            ..Default::default()
        };
        assert_eq!(all.subject(), "applications");
        assert_eq!(one.subject(), "persons/p");
    }

    #[test]
    fn a_hostile_region_cannot_push_the_year_out_of_a_quota_subject() {
        let req = pb::SetQuotaRequest {
            region: "KZ-".repeat(100),
            year: 2027,
            ..Default::default()
        };
        assert_eq!(req.subject(), "quotas/KZ-KZ-KZ/2027");
    }
}
