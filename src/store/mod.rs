//! PostgreSQL storage: one module per aggregate. Functions take an executor or a transaction
//! so the API layer decides what commits together.

pub mod applications;
pub mod calendar;
pub mod columns;
pub mod conflicts;
pub mod idempotency;
pub mod notifications;
pub mod persons;
pub mod quota;
pub mod records;
pub mod support;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::str::FromStr;
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
/// down, and recovers by itself when it comes back.
pub fn connect_lazy(url: &str, settings: &PoolSettings) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?.application_name("kandas");
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .min_connections(0)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .connect_lazy_with(options))
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

/// Errors that mean "the database cannot be reached now", which a client may retry.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            // Class 57 (operator intervention, e.g. admin shutdown) and 08 (connection).
            db.code()
                .is_some_and(|c| c.starts_with("57") || c.starts_with("08"))
        }
        _ => false,
    }
}
