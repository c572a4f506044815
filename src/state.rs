//! What every handler shares: the pool, the rules data, and today's date.

use crate::audit::AuditWriter;
use crate::domain::calendar::Calendar;
use crate::domain::organisation::Registry;
use chrono::{FixedOffset, NaiveDate, Utc};
use sqlx::PgPool;
use std::sync::{Arc, RwLock};

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
}

/// The working-day calendar in force. An administrator can load a year at run time, so
/// handlers take the current one per call; a call keeps the calendar it started with.
#[derive(Clone)]
pub struct CalendarCell(Arc<RwLock<Arc<Calendar>>>);

impl CalendarCell {
    pub fn new(calendar: Calendar) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(calendar))))
    }

    pub fn current(&self) -> Arc<Calendar> {
        // A poisoned lock still holds a whole calendar: replacing it is one assignment.
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn replace(&self, calendar: Calendar) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(calendar);
    }
}

/// The organisations registered, as this replica last read them. Authorization reads it on
/// every call, so it lives in memory; a change on any replica reaches this one by a database
/// notification, and by a re-read every few seconds when a notification is lost.
#[derive(Clone)]
pub struct OrganisationsCell(Arc<RwLock<Arc<Registry>>>);

impl OrganisationsCell {
    pub fn new(registry: Registry) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(registry))))
    }

    pub fn current(&self) -> Arc<Registry> {
        // A poisoned lock still holds a whole registry: replacing it is one assignment.
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn replace(&self, registry: Registry) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(registry);
    }
}
