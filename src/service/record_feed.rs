//! The record event feed of the state registries (SPEC 1, role `registry`): the operator
//! subscribes a registry to kinds of acts, and the registry reads them after a cursor, a page
//! at a time or as a stream, and acknowledges how far it has processed them.
//!
//! Every event delivered is a read of its person's data, so each page is audited person by
//! person before it is sent (SPEC §7): a page whose audit fails is not sent at all. A signed
//! audit head is about no person and is not audited as a read.

use crate::domain::call::Call;
use crate::domain::ids::{OrganisationId, PersonId};
use crate::domain::record_event::{RecordEvent, Subscription};
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult, NOT_OUR_CURSOR, Reason, Violation, failed_precondition};
use crate::service::feed_stream;
use crate::service::mutation::{self, Idempotency};
use crate::service::organisations::name_of;
use crate::state::AppState;
use crate::store::organisations;
use crate::store::record_events::{self, Page, SubscriptionRow};
use prost::Message;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Events one read of a stream fetches.
const WATCH_PAGE: i64 = 500;
/// Events read ahead of a stream's client that it has not taken yet. Together with the page
/// being sent this bounds what a slow subscriber costs the server: once the channel is full
/// the feed waits, and reads nothing more, until the client takes some.
pub const WATCH_CHANNEL: usize = 256;
/// The most events one open stream holds in this process: a page and a full channel.
pub const MOST_BUFFERED_PER_STREAM: usize = WATCH_PAGE as usize + WATCH_CHANNEL;
/// How long a stream waits for a wake-up before reading again anyway.
const REREAD: Duration = Duration::from_secs(2);

/// SetRecordSubscription, parsed.
pub struct SetSubscription {
    pub key: Idempotency,
    pub organisation: OrganisationId,
    pub subscription: Subscription,
}

/// A subscription with the feed's head, from which its lag is told.
pub struct Standing {
    pub row: SubscriptionRow,
    pub head: i64,
}

impl Standing {
    /// Positions committed after the one acknowledged.
    pub fn lag(&self) -> i64 {
        (self.head - self.row.acknowledged).max(0)
    }
}

/// Sets the kinds a registry receives; its acknowledged position stays.
pub async fn set_subscription<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: SetSubscription,
    present: impl Fn(&Standing) -> R,
) -> ApiResult<R> {
    let SetSubscription {
        key,
        organisation,
        subscription,
    } = command;
    let name = organisation.to_string();
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let registered = organisations::lock(&mut tx, organisation.as_str()).await?;
    let refusal = |reason, message: String| {
        failed_precondition(
            reason,
            message.clone(),
            vec![Violation::new(
                "REGISTRY_ORGANISATION",
                "organisation",
                message,
            )],
        )
    };
    match registered {
        None => {
            return Err(refusal(
                Reason::OrganisationNotRegistered,
                format!("{name} is not registered; register it with role `registry` first"),
            ));
        }
        Some(row) if row.organisation.role != Role::Registry => {
            return Err(refusal(
                Reason::NotARegistry,
                format!(
                    "{name} is registered with role `{}`; only a `registry` organisation receives record events",
                    row.organisation.role
                ),
            ));
        }
        Some(_) => {}
    }
    let row = record_events::set_subscription(&mut tx, organisation.as_str(), &subscription.kinds)
        .await?;
    let head = record_events::head(&mut *tx).await?;
    let answer = present(&Standing { row, head });
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

/// Up to `limit + 1` subscriptions after organisation `after` (the extra one says whether
/// another page follows), each with the head of the same moment.
pub async fn subscriptions(
    state: &AppState,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<Standing>> {
    let mut tx = state.pool.begin().await?;
    let head = record_events::head(&mut *tx).await?;
    let rows = record_events::subscriptions(&mut *tx, after, limit + 1).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|row| Standing { row, head }).collect())
}

fn no_subscription(organisation: &str) -> ApiError {
    failed_precondition(
        Reason::NoSubscription,
        format!(
            "{} has no record subscription; the operator sets one with SetRecordSubscription",
            name_of(organisation)
        ),
        vec![Violation::new(
            "RECORD_SUBSCRIPTION",
            name_of(organisation),
            "subscribed to at least one kind of record event",
        )],
    )
}

/// The caller's subscription as stored now.
async fn subscribed(state: &AppState, call: &Call) -> ApiResult<SubscriptionRow> {
    let organisation = &call.caller.organisation;
    record_events::subscription(&state.pool, organisation)
        .await?
        .ok_or_else(|| no_subscription(organisation))
}

/// The subscription and the head, with `cursor` checked against it: a position past the head
/// was never returned here, and reading after it would pass over events yet to commit.
async fn standing_at(state: &AppState, call: &Call, cursor: i64) -> ApiResult<Standing> {
    let row = subscribed(state, call).await?;
    let head = record_events::head(&state.pool).await?;
    if cursor > head {
        return Err(ApiError::field("cursor", NOT_OUR_CURSOR));
    }
    Ok(Standing { row, head })
}

/// Opens a read of the feed after `cursor`, which acknowledges every event up to it; answers
/// the subscription it read.
pub async fn resume(state: &AppState, call: &Call, cursor: i64) -> ApiResult<SubscriptionRow> {
    let standing = standing_at(state, call, cursor).await?;
    if cursor > standing.row.acknowledged {
        record_events::acknowledge(&state.pool, &call.caller.organisation, cursor).await?;
    }
    Ok(standing.row)
}

/// Records that the caller processed every event up to `cursor`; an older one changes nothing.
pub async fn acknowledge(state: &AppState, call: &Call, cursor: i64) -> ApiResult<Standing> {
    let Standing { head, .. } = standing_at(state, call, cursor).await?;
    let organisation = &call.caller.organisation;
    let row = record_events::acknowledge(&state.pool, organisation, cursor)
        .await?
        .ok_or_else(|| no_subscription(organisation))?;
    Ok(Standing { row, head })
}

/// The caller's events after `after`, at most `limit`: the kinds of its subscription as it
/// stands now, in the regions of its scope.
pub async fn page(state: &AppState, call: &Call, after: i64, limit: i64) -> ApiResult<Page> {
    let subscription = subscribed(state, call).await?;
    read(state, call, &subscription, after, limit).await
}

/// The events of `subscription`'s kinds after `after` in the regions of the caller's scope.
async fn read(
    state: &AppState,
    call: &Call,
    subscription: &SubscriptionRow,
    after: i64,
    limit: i64,
) -> ApiResult<Page> {
    let regions = call.scope().regions_listed();
    let kinds = subscription.kinds();
    Ok(record_events::page(&state.pool, after, &kinds, regions.as_deref(), limit).await?)
}

/// ListRecordEvents: acknowledges the cursor presented and reads the page after it, with the
/// subscription that acknowledgement read.
pub async fn list(state: &AppState, call: &Call, after: i64, limit: i64) -> ApiResult<Page> {
    let subscription = resume(state, call, after).await?;
    read(state, call, &subscription, after, limit).await
}

/// An event read for a stream and not yet taken by the transport, counted while it is held.
pub type Buffered = feed_stream::Buffered<RecordEvent>;

/// Sends every event after `after`, then each new one as it commits on any replica: the
/// notification relay bumps `recorded`, and a periodic re-read covers a lost notification.
/// Each page is read with the subscription, and the organisation's state and jurisdiction, as
/// they stand then, audited, and only then sent (`feed_stream::follow`); `sender` is bounded,
/// so a client that reads slowly holds the feed back rather than making it buffer. It ends when
/// the client goes away, after sending the first error, or when the server shuts down.
pub async fn watch(
    state: AppState,
    call: Call,
    recorded: watch::Receiver<u64>,
    after: i64,
    sender: mpsc::Sender<ApiResult<Buffered>>,
) {
    let stream = feed_stream::Stream {
        gauges: state.record_streams.clone(),
        woken: recorded,
        page: WATCH_PAGE,
        reread: REREAD,
    };
    let read = {
        let state = state.clone();
        move |call: Call, after, limit| {
            let state = state.clone();
            async move {
                let page = page(&state, &call, after, limit).await?;
                Ok(feed_stream::Page {
                    items: page.events,
                    covered: page.covered,
                })
            }
        }
    };
    // A signed audit head is about no person: nothing of anyone's is read.
    let person = |event: &RecordEvent| {
        event
            .subject
            .person_id()
            .map(|id| PersonId::from(id).to_string())
    };
    feed_stream::follow(state, call, stream, after, sender, read, person).await;
}
