//! Record subscriptions' requests parsed into the commands of `service::record_feed`, every
//! malformed field collected.

use super::organisations::page_after;
use crate::api::convert::event_kind_from_proto;
use crate::api::{page_size, parse_name, parse_request_id};
use crate::domain::ids::OrganisationId;
use crate::domain::record_event::Subscription;
use crate::error::{AllValid, ApiResult, FieldError};
use crate::pb;
use crate::service::mutation::Idempotency;
use crate::service::record_feed::SetSubscription;

pub(super) fn set_subscription_command(
    req: &pb::SetRecordSubscriptionRequest,
) -> ApiResult<SetSubscription> {
    let organisation = parse_name::<OrganisationId>("organisation", &req.organisation);
    let (request_id, organisation, subscription) = (
        parse_request_id(&req.request_id),
        organisation,
        subscription(&req.kinds),
    )
        .or_invalid()?;
    Ok(SetSubscription {
        key: Idempotency::new(request_id, req),
        organisation,
        subscription,
    })
}

/// The kinds named: at least one, none unspecified or unknown (a repeat counts once).
fn subscription(kinds: &[i32]) -> Result<Subscription, FieldError> {
    let named: Option<Vec<_>> = kinds.iter().map(|k| event_kind_from_proto(*k)).collect();
    named.and_then(Subscription::of).ok_or_else(|| {
        FieldError::new(
            "kinds",
            "required: one or more record event kinds, none KIND_UNSPECIFIED",
        )
    })
}

/// ListRecordSubscriptions, parsed: the page size and the organisation to list after.
pub(super) fn subscriptions_query(
    req: &pb::ListRecordSubscriptionsRequest,
) -> ApiResult<(i64, Option<String>)> {
    (page_size(req.page_size), page_after(&req.page_token)).or_invalid()
}
