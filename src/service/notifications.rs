//! The applicant's notifications (SPEC 5.8): the portal reads and follows its signed-in
//! applicant's, an office those of the applications it submitted, after a cursor, a page at a
//! time or as a stream that resumes exactly after the last one received, on any replica.
//!
//! Every notification delivered tells of a step of the applicant's file: each page is audited
//! as a read of its persons before it is sent (SPEC §7), and a page whose audit fails is not
//! sent at all.

use crate::domain::call::Call;
use crate::domain::ids::PersonId;
use crate::domain::notification::{NoReader, Notification, Reader, reader};
use crate::error::{ApiError, ApiResult, NOT_OUR_CURSOR, Reason};
use crate::service::feed_stream;
use crate::state::AppState;
use crate::store::notifications::{self, Audience, Page};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Notifications one read of a stream fetches: an applicant has a handful, an office that
/// reconnects after a day a few pages.
const WATCH_PAGE: i64 = 100;
/// Notifications read ahead of a stream's client that it has not taken yet: with the page
/// being sent, the most a slow client costs the server.
pub const WATCH_CHANNEL: usize = 64;
/// The most notifications one open stream holds in this process: a page and a full channel.
pub const MOST_BUFFERED_PER_STREAM: usize = WATCH_PAGE as usize + WATCH_CHANNEL;
/// How long a stream waits for a wake-up before reading again anyway.
const REREAD: Duration = Duration::from_secs(2);

/// A notification read for a stream and not yet taken by the transport.
pub type Buffered = feed_stream::Buffered<Notification>;

/// Whose notifications the call reads, or its refusal. The role table already keeps out the
/// roles that submit nothing and the portal call that names no applicant; this says so again
/// where the rule is applied.
pub fn reader_of(call: &Call) -> ApiResult<Reader> {
    reader(&call.caller).map_err(|refused| match refused {
        NoReader::NoApplicant => ApiError::PermissionDenied {
            reason: Reason::ApplicantRequired,
            message: "a portal reads the notifications of the applicant it names in \
                      `x-kandas-applicant`"
                .into(),
        },
        NoReader::NotASubmitter => ApiError::PermissionDenied {
            reason: Reason::RoleNotPermitted,
            message: format!(
                "role `{}` submits no applications and reads no notifications",
                call.caller.role
            ),
        },
    })
}

/// Opens a read after `cursor`: whose notifications the call reads, with the cursor checked
/// against the feed's head. A position past the head was never returned here, and reading
/// after it would pass over notifications yet to commit.
pub async fn resume(state: &AppState, call: &Call, cursor: i64) -> ApiResult<Reader> {
    let reader = reader_of(call)?;
    let head = notifications::head(&state.pool).await?;
    if cursor > head {
        return Err(ApiError::field("cursor", NOT_OUR_CURSOR));
    }
    Ok(reader)
}

/// ListNotifications: the caller's notifications after `after`, at most `limit`, with the
/// position the page covered.
pub async fn list(state: &AppState, call: &Call, after: i64, limit: i64) -> ApiResult<Page> {
    let reader = resume(state, call, after).await?;
    Ok(notifications::page(&state.pool, &Audience::from(&reader), after, limit).await?)
}

/// WatchNotifications: sends every notification of the caller's after `after`, then each new
/// one as it commits on any replica (the relay bumps `notified` on
/// [`crate::store::notifications::CHANNEL`]), each page read for the caller as the
/// organisations in force admit it then and audited before it is sent (`feed_stream::follow`).
/// It ends when the client goes away, after sending the first error, or when the server shuts
/// down.
pub async fn watch(
    state: AppState,
    call: Call,
    notified: watch::Receiver<u64>,
    after: i64,
    sender: mpsc::Sender<ApiResult<Buffered>>,
) {
    let stream = feed_stream::Stream {
        gauges: state.notification_streams.clone(),
        woken: notified,
        page: WATCH_PAGE,
        reread: REREAD,
    };
    let read = {
        let state = state.clone();
        move |call: Call, after, limit| {
            let state = state.clone();
            async move {
                let reader = reader_of(&call)?;
                let audience = Audience::from(&reader);
                let page = notifications::page(&state.pool, &audience, after, limit).await?;
                Ok(feed_stream::Page {
                    items: page.notifications,
                    covered: page.covered,
                })
            }
        }
    };
    let person =
        |notification: &Notification| Some(PersonId::from(notification.person_id).to_string());
    feed_stream::follow(state, call, stream, after, sender, read, person).await;
}
