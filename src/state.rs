//! What every handler shares: the pool, the rules data, and today's date.

use crate::audit::AuditWriter;
use crate::domain::calendar::Calendar;
use crate::domain::organisation::Registry;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use sqlx::PgPool;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;

/// Kazakhstan local time is UTC+05:00 (SPEC §3).
pub const KZ_OFFSET_SECONDS: i32 = 5 * 3600;

/// Today's local date. Production reads the system clock; tests pin a date so rules that
/// depend on "today" are exercised at the boundaries SPEC names.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    pinned: Option<NaiveDate>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { pinned: None }
    }

    pub fn pinned(today: NaiveDate) -> Clock {
        Clock {
            pinned: Some(today),
        }
    }

    pub fn today(&self) -> NaiveDate {
        self.pinned.unwrap_or_else(|| {
            let offset = FixedOffset::east_opt(KZ_OFFSET_SECONDS).expect("UTC+5 is a valid offset");
            Utc::now().with_timezone(&offset).date_naive()
        })
    }

    /// The current moment. A pinned clock stands at noon (UTC+05:00) of its day, so what is
    /// judged "now" (a certificate's validity) falls on the day the tests pin.
    pub fn now(&self) -> DateTime<Utc> {
        match self.pinned {
            None => Utc::now(),
            Some(day) => {
                let noon = day.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon"));
                noon.and_utc() - chrono::Duration::seconds(i64::from(KZ_OFFSET_SECONDS))
            }
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub calendar: CalendarCell,
    pub organisations: OrganisationsCell,
    pub clock: Clock,
    /// Writes the audit events of reads and failed calls, many per commit.
    pub audit: AuditWriter,
    /// Cancelled when the server starts shutting down: long-lived streams end then.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The TrueType font of re-issued kandas certificates, read at each download so that a
    /// font installed or replaced later is used without a restart.
    pub certificate_font: std::path::PathBuf,
    /// Signs the audit chain head; `None` only where no key was given (the heads are then
    /// not signed, and verification checks the chain alone).
    pub audit_signer: Option<Arc<crate::audit::HeadSigner>>,
    /// Public keys of earlier signing keys, for heads signed before a rotation.
    pub audit_previous_keys: Vec<crate::audit::PublicKey>,
    /// The record event streams open on this replica, for `/metrics`.
    pub record_streams: Arc<StreamGauges>,
    /// The notification streams open on this replica, for `/metrics`.
    pub notification_streams: Arc<StreamGauges>,
    /// The national CAs trusted for applicants' signatures and their CRLs, read again from
    /// their files while the server runs.
    pub applicant_trust: ApplicantTrustCell,
    /// This replica's name where its jobs' runs are recorded (`server::replica`).
    pub replica: Arc<str>,
}

/// What this replica's open streams hold, as the metrics endpoint shows it: a slow subscriber
/// holds at most its bound, and this is where an operator sees it.
#[derive(Debug, Default)]
pub struct StreamGauges {
    /// Streams open now.
    pub open: AtomicI64,
    /// Items read from the database that the transport has not taken yet, in all streams.
    pub buffered: AtomicI64,
}

/// A value every call reads and that can be replaced while the server runs (the calendar,
/// the organisations, the TLS configuration): a call takes the one in force when it starts and
/// keeps it to the end.
pub struct Current<T>(Arc<RwLock<Arc<T>>>);

impl<T> Clone for Current<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Current<T> {
    pub fn new(value: T) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(value))))
    }

    pub fn current(&self) -> Arc<T> {
        // A poisoned lock still holds a whole value: replacing it is one assignment.
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn replace(&self, value: T) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(value);
    }

    /// Reads the value again whenever `changed` wakes (a notification from any replica) and
    /// every `every` in case one was lost; a failed read keeps the one in force. Runs until
    /// `changed` closes.
    pub async fn keep_fresh<E: std::fmt::Display>(
        self,
        mut changed: watch::Receiver<u64>,
        every: Duration,
        what: &'static str,
        mut read: impl AsyncFnMut() -> Result<T, E>,
    ) {
        loop {
            tokio::select! {
                wake = changed.changed() => {
                    if wake.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep(every) => {}
            }
            match read().await {
                Ok(value) => self.replace(value),
                Err(error) => {
                    tracing::warn!(%error, what, "not read again; keeping the one in force")
                }
            }
        }
    }
}

/// The working-day calendar in force: an administrator can load a year at run time.
pub type CalendarCell = Current<Calendar>;

/// The organisations registered, as this replica last read them. Authorization reads it on
/// every call, so it lives in memory.
pub type OrganisationsCell = Current<Registry>;

/// The national CAs and CRLs in force for applicants' signatures (SPEC 1.1).
pub type ApplicantTrustCell = Current<crate::signature::TrustStore>;
