//! One database served by several PostgreSQL servers, of which one takes writes at a time: a
//! primary and its streaming standbys, any of which an operator (or Patroni) may promote.
//!
//! The pool opens connections to one server at a time, the one last found taking writes. A new
//! connection to a server that does not (a standby, or one set read-only) is refused at once,
//! so no call ever runs on it. A watcher checks the pool's server every second; once it stops
//! taking writes (killed, demoted, unreachable) the watcher asks every server in turn until one
//! does, points the pool at it and retires the connections opened before, so a promoted standby
//! is found without a restart. Meanwhile calls fail `UNAVAILABLE` and clients retry with their
//! `request_id`.
//!
//! Only the servers listed are asked: deciding which standby to promote, and fencing the old
//! primary so that two servers never take writes at once, is the work of the HA engine
//! (Patroni, a managed service) in front of them.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgExecutor, PgPool};

/// How often the pool's server is checked while it takes writes.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long a check or a probe of one server may take before it counts as a failure.
const PROBE_TIMEOUT: Duration = Duration::from_millis(800);
/// The pause between two rounds of asking every server, while none takes writes.
const SEARCH_EVERY: Duration = Duration::from_millis(200);

/// The servers a database URL setting names, one URL each. The setting holds one URL or
/// several separated by whitespace, and a URL may list several hosts the way libpq does
/// (`postgres://user@db1:5432,db2:5432/kandas`). libpq's `target_session_attrs` is dropped:
/// the service always looks for the server that takes writes.
pub fn server_urls(setting: &str) -> Vec<String> {
    setting
        .split_whitespace()
        .flat_map(one_url_per_host)
        .collect()
}

fn one_url_per_host(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![url.to_owned()];
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => (format!("{userinfo}@"), hosts),
        None => (String::new(), authority),
    };
    let tail = without_target_session_attrs(tail);
    hosts
        .split(',')
        .map(|host| format!("{scheme}://{userinfo}{host}{tail}"))
        .collect()
}

fn without_target_session_attrs(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.starts_with("target_session_attrs="))
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// A pool over the servers `setting` names (see [`server_urls`]). With one server it is a
/// plain pool. With several, connections go to the one that takes writes, and a watcher task
/// (which ends when the pool is closed) follows the writer from server to server.
pub fn connect_lazy(setting: &str, pool: PgPoolOptions) -> Result<PgPool, sqlx::Error> {
    let servers = server_urls(setting)
        .iter()
        .map(|url| Ok(PgConnectOptions::from_str(url)?.application_name("kandas")))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let Some(first) = servers.first().cloned() else {
        return Err(sqlx::Error::Configuration(
            "the database URL is empty: name at least one PostgreSQL server".into(),
        ));
    };
    if servers.len() == 1 {
        return Ok(pool.connect_lazy_with(first));
    }
    let route = Arc::new(Route::new(servers));
    let pool = pool
        .after_connect(|connection, _| {
            Box::pin(async move {
                if takes_writes(connection).await? {
                    Ok(())
                } else {
                    Err(sqlx::Error::Protocol(
                        "this server does not take writes (a standby, or read-only); \
                         waiting for the writer to be found"
                            .into(),
                    ))
                }
            })
        })
        .before_acquire({
            let route = route.clone();
            move |_, meta| {
                let opened_after_switch = meta.age < route.since_switch();
                Box::pin(async move { Ok(opened_after_switch) })
            }
        })
        .connect_lazy_with(first);
    tokio::spawn(follow_writer(pool.clone(), route));
    Ok(pool)
}

/// The servers and which of them the pool connects to.
struct Route {
    servers: Vec<PgConnectOptions>,
    current: Mutex<Current>,
}

struct Current {
    index: usize,
    switched_at: Instant,
}

impl Route {
    fn new(servers: Vec<PgConnectOptions>) -> Route {
        Route {
            servers,
            current: Mutex::new(Current {
                index: 0,
                switched_at: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn since_switch(&self) -> Duration {
        self.lock().switched_at.elapsed()
    }

    /// The first server taking writes, asked from the current one on, so a writer that is
    /// still one is kept.
    async fn find_writer(&self) -> Option<usize> {
        let start = self.lock().index;
        for offset in 0..self.servers.len() {
            let index = (start + offset) % self.servers.len();
            let probe = async {
                let mut connection = self.servers[index].connect().await?;
                let writes = takes_writes(&mut connection).await?;
                let _ = connection.close().await;
                Ok::<bool, sqlx::Error>(writes)
            };
            if let Ok(Ok(true)) = tokio::time::timeout(PROBE_TIMEOUT, probe).await {
                return Some(index);
            }
        }
        None
    }

    /// Points `pool` at server `index` and retires every connection opened before, when the
    /// writer has moved. Finding the same server again keeps its connections: a busy pool is
    /// not made to reconnect, and a connection that did break fails its one call and is closed.
    fn point_at(&self, index: usize, pool: &PgPool) {
        let mut current = self.lock();
        if current.index == index {
            return;
        }
        let server = &self.servers[index];
        tracing::warn!(
            server = index,
            host = server.get_host(),
            port = server.get_port(),
            "the database writer is now this server"
        );
        pool.set_connect_options(server.clone());
        current.index = index;
        current.switched_at = Instant::now();
    }
}

async fn follow_writer(pool: PgPool, route: Arc<Route>) {
    let closed = pool.close_event();
    let follow = async {
        // One warning an outage, not one every round.
        let mut warned = false;
        loop {
            match route.find_writer().await {
                Some(index) => {
                    warned = false;
                    route.point_at(index, &pool);
                    loop {
                        tokio::time::sleep(CHECK_EVERY).await;
                        if !takes_writes_through(&pool).await {
                            tracing::debug!("the writer is unconfirmed; asking every server");
                            break;
                        }
                    }
                }
                None => {
                    if !warned {
                        tracing::warn!("no database server takes writes; asking until one does");
                        warned = true;
                    }
                    tokio::time::sleep(SEARCH_EVERY).await;
                }
            }
        }
    };
    tokio::select! {
        () = closed => {}
        () = follow => {}
    }
}

/// True exactly on a server that takes writes: the health check asks the same.
pub async fn takes_writes<'e>(executor: impl PgExecutor<'e>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT NOT pg_is_in_recovery()
             AND current_setting('transaction_read_only') = 'off' AS "takes_writes!""#
    )
    .fetch_one(executor)
    .await
}

/// Whether the pool's server takes writes, asked over one of its connections. A pool too busy
/// to lend one in time counts as unconfirmed: asking every server afresh then tells a busy
/// writer (found again, nothing changes) from one that is gone or cut off.
async fn takes_writes_through(pool: &PgPool) -> bool {
    let check = async {
        let mut connection = pool.acquire().await?;
        takes_writes(&mut *connection).await
    };
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, check).await,
        Ok(Ok(true))
    )
}

#[cfg(test)]
mod tests {
    use super::server_urls;

    #[test]
    fn one_url_names_one_server() {
        assert_eq!(
            server_urls("postgres://kandas@localhost:5432/kandas?host=/run/pg"),
            ["postgres://kandas@localhost:5432/kandas?host=/run/pg"]
        );
    }

    #[test]
    fn urls_separated_by_whitespace_name_a_server_each() {
        assert_eq!(
            server_urls(" postgres://a/db \n postgres://b/db\tpostgres://c/db "),
            ["postgres://a/db", "postgres://b/db", "postgres://c/db"]
        );
    }

    #[test]
    fn a_libpq_host_list_becomes_a_url_per_host_with_the_same_user_database_and_options() {
        assert_eq!(
            server_urls(
                "postgresql://kandas:s3cr%40t@db1:5432,db2:5433,[::1]:5434/kandas\
                 ?sslmode=verify-full&target_session_attrs=read-write"
            ),
            [
                "postgresql://kandas:s3cr%40t@db1:5432/kandas?sslmode=verify-full",
                "postgresql://kandas:s3cr%40t@db2:5433/kandas?sslmode=verify-full",
                "postgresql://kandas:s3cr%40t@[::1]:5434/kandas?sslmode=verify-full",
            ]
        );
    }

    #[test]
    fn target_session_attrs_alone_leaves_no_empty_query() {
        assert_eq!(
            server_urls("postgres://db1,db2?target_session_attrs=read-write"),
            ["postgres://db1", "postgres://db2"]
        );
    }

    #[test]
    fn an_empty_setting_names_no_server() {
        assert!(server_urls("  \n").is_empty());
    }
}
