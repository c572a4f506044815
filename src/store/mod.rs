//! PostgreSQL storage: one module per aggregate. Functions take an executor or a transaction
//! so the API layer decides what commits together.

pub mod appeals;
pub mod applications;
pub mod calendar;
pub mod certificates;
/// The column codecs of domain values, kept beside the types (the domain crate's `sqlx` feature).
pub use crate::domain::columns;
pub mod confirmations;
pub mod conflicts;
pub mod gauges;
pub mod idempotency;
pub mod job_runs;
pub mod missed_deadlines;
pub mod notifications;
pub mod organisations;
pub mod persons;
pub mod privileges;
pub mod quota;
pub mod record_events;
pub mod records;
pub mod retention;
pub mod support;
pub mod wakeups;
pub mod writer;

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, Transaction};
use std::time::Duration;

pub type Tx<'a> = Transaction<'a, Postgres>;

/// The migrations compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Pool settings that matter in production.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a request waits for a connection before failing UNAVAILABLE.
    pub acquire_timeout: Duration,
}

/// Connects lazily: the service starts (and reports NOT_SERVING) even while the database is
/// down, and recovers by itself when it comes back. `url` may name several servers of one
/// database, of which the pool uses the one taking writes (see [`writer`]).
pub fn connect_lazy(url: &str, settings: &PoolSettings) -> Result<PgPool, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .min_connections(0)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false);
    writer::connect_lazy(url, pool)
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// The name of the constraint a database error violated, if any.
pub fn violated_constraint(error: &sqlx::Error) -> Option<&str> {
    match error {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}

/// A database refusal that says nothing about the request: the same call may succeed later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection is lost, the pool is exhausted, or the server is shutting down.
    Unreachable,
    /// The database accepts reads only (a standby, or `default_transaction_read_only`).
    ReadOnly,
    /// Disk full, out of memory or too many connections on the server.
    OutOfResources,
    /// A serialization failure or deadlock with a concurrent transaction.
    Contention,
}

impl Fault {
    /// The fault a database error stands for, if it is one.
    pub fn of(error: &sqlx::Error) -> Option<Fault> {
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => Some(Fault::Unreachable),
            sqlx::Error::Database(db) => {
                let code = db.code()?;
                // SQLSTATE classes: 08 connection, 57 operator intervention (e.g. admin
                // shutdown), 25006 read-only transaction, 53 insufficient resources,
                // 40001/40P01 serialization failure and deadlock.
                match code.as_ref() {
                    "25006" => Some(Fault::ReadOnly),
                    "40001" | "40P01" => Some(Fault::Contention),
                    c if c.starts_with("08") || c.starts_with("57") => Some(Fault::Unreachable),
                    c if c.starts_with("53") => Some(Fault::OutOfResources),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// Errors that mean "the database cannot take this now", which a client may retry.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    matches!(
        Fault::of(error),
        Some(Fault::Unreachable | Fault::ReadOnly | Fault::OutOfResources)
    )
}
