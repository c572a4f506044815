//! What every feed a caller follows as a stream shares (the record events of the registries,
//! the applicants' notifications): read a page after the position reached, audit it, send it,
//! then wait for a wake-up from any replica or a periodic re-read, until the client goes away
//! or the server stops.
//!
//! Each page is read for the call as the organisations in force admit it then, so a
//! suspension reaches an open stream at its next page; every item delivered is a read of its
//! person's data and is audited before it is sent (SPEC §7): a page whose audit fails is not
//! sent at all. The channel to the transport is bounded, so a client that reads slowly holds
//! its feed back rather than making the server buffer.

use crate::audit::Entry;
use crate::domain::call::Call;
use crate::error::{ApiError, ApiResult, Reason};
use crate::state::{AppState, StreamGauges};
use crate::store::wakeups::woken_or_after;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How one stream of a feed is followed.
pub struct Stream {
    /// The gauges of this feed's streams on this replica.
    pub gauges: Arc<StreamGauges>,
    /// Bumped by the notification relay whenever the feed may have grown on any replica.
    pub woken: watch::Receiver<u64>,
    /// Items one read fetches.
    pub page: i64,
    /// How long a stream waits for a wake-up before reading again anyway.
    pub reread: Duration,
}

/// One read of a feed.
pub struct Page<T> {
    /// The items after the position asked, in feed order.
    pub items: Vec<T>,
    /// The position this read covered, from which the next read resumes.
    pub covered: i64,
}

/// An item read for a stream and not yet taken by the transport, counted while it is held.
pub struct Buffered<T> {
    pub item: T,
    gauges: Arc<StreamGauges>,
}

impl<T> Buffered<T> {
    fn hold(item: T, gauges: &Arc<StreamGauges>) -> Buffered<T> {
        gauges.buffered.fetch_add(1, Ordering::Relaxed);
        Buffered {
            item,
            gauges: gauges.clone(),
        }
    }
}

impl<T> Drop for Buffered<T> {
    fn drop(&mut self) {
        self.gauges.buffered.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts a stream as open while it is held.
struct OpenStream(Arc<StreamGauges>);

impl OpenStream {
    fn new(gauges: &Arc<StreamGauges>) -> OpenStream {
        gauges.open.fetch_add(1, Ordering::Relaxed);
        OpenStream(gauges.clone())
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How a stream ends when the server stops: the client resumes elsewhere from its cursor.
pub fn stopping() -> ApiError {
    ApiError::Unavailable {
        reason: Reason::ServerStopping,
        message: "the server is stopping; resume after the last cursor received".into(),
    }
}

/// The call as the organisations in force admit it now: a stream may stay open for days, and a
/// suspension or a change of jurisdiction must reach it at its next page as it reaches every
/// new call.
pub fn admitted_now(state: &AppState, call: &Call) -> ApiResult<Call> {
    let registry = state.organisations.current();
    let organisation = &call.caller.organisation;
    let admitted = registry
        .admit(call.caller.role, organisation)
        .map_err(|_| ApiError::PermissionDenied {
            reason: Reason::OrganisationNotActive,
            message: format!("organisation `{organisation}` is no longer active in this role"),
        })?;
    let mut call = call.clone();
    call.caller.jurisdiction = admitted.jurisdiction.clone();
    Ok(call)
}

/// Sends every item after `after`, then each new one as it commits on any replica: the relay
/// bumps `stream.woken`, and a re-read every `stream.reread` covers a lost notification.
/// `read(call, after, limit)` reads one page for the call as admitted then; `person` names whose data delivering an item reads (`persons/{id}`), audited before the page
/// is sent. `sender` is bounded. It ends when the client goes away, after sending the first
/// error (audited as the call's failure), or when the server shuts down.
pub async fn follow<T, R, F>(
    state: AppState,
    call: Call,
    stream: Stream,
    mut after: i64,
    sender: mpsc::Sender<ApiResult<Buffered<T>>>,
    read: R,
    person: impl Fn(&T) -> Option<String>,
) where
    R: Fn(Call, i64, i64) -> F,
    F: Future<Output = ApiResult<Page<T>>>,
{
    let Stream {
        gauges,
        mut woken,
        page: limit,
        reread,
    } = stream;
    let _open = OpenStream::new(&gauges);
    loop {
        // Marks what this read covers: a notification from now on wakes the next one.
        woken.borrow_and_update();
        loop {
            let page = async {
                let call = admitted_now(&state, &call)?;
                let page = read(call.clone(), after, limit).await?;
                let persons: Vec<String> = page.items.iter().filter_map(&person).collect();
                state.audit.record_reads(&call, persons).await?;
                Ok::<_, ApiError>(page)
            };
            let page = match page.await {
                Ok(page) => page,
                Err(error) => {
                    // The stream's end is a failed call like any other, audited as one.
                    let outcome = format!("{:?}", error.code());
                    if let Err(error) = state.audit.record(&Entry::of(&call, &outcome)).await {
                        tracing::warn!(%error, rpc = call.rpc, "could not audit a failed stream");
                    }
                    let _ = sender.send(Err(error)).await;
                    return;
                }
            };
            let full = i64::try_from(page.items.len()).is_ok_and(|n| n >= limit);
            let held: Vec<Buffered<T>> = page
                .items
                .into_iter()
                .map(|item| Buffered::hold(item, &gauges))
                .collect();
            for item in held {
                tokio::select! {
                    sent = sender.send(Ok(item)) => if sent.is_err() { return },
                    () = state.shutdown.cancelled() => {
                        let _ = sender.try_send(Err(stopping()));
                        return;
                    }
                }
            }
            after = page.covered;
            if !full {
                break;
            }
        }
        tokio::select! {
            () = woken_or_after(&mut woken, reread) => {}
            () = sender.closed() => return,
            () = state.shutdown.cancelled() => {
                let _ = sender.try_send(Err(stopping()));
                return;
            }
        }
    }
}
