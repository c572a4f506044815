//! Test databases and the three roles of each: an administrator for the test's own reads and
//! tampering, the owner that migrates, and the service role the server under test runs as, so
//! that every test also exercises the service's least privilege.
//!
//! A database is known by its administrator's URL, which tests pass around (`app.database_url`,
//! `migrated_database()`); the owner's and service's URLs are kept here under it. The throwaway
//! cluster has its own owner and service roles. With `DATABASE_URL` naming another server, this
//! process makes its own pair there, with fresh passwords and names of its own, so that
//! test runs side by side never change each other's roles.
//!
//! Migrating was most of what starting a test server cost, so this process migrates once, into
//! a template database, and most tests get a copy of it (`migrated_database()`): the copy has
//! the schema, its rows, their owner and the service role's grants exactly as migrating leaves
//! them, and the server under test still runs its own migration step on it (finding nothing
//! left to apply, and granting again). Tests of the binary's first start, and of who may
//! migrate, take an empty database (`empty_database()`) and migrate it for real.
use kandas::local::postgres::LocalCluster;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::OnceCell;
use uuid::Uuid;

/// A database as the harness knows it: the same database for each role.
#[derive(Clone, Debug)]
pub struct TestDatabase {
    /// A superuser: the test's own pool, and any tampering a test does.
    pub admin: String,
    /// Owns the schema; migrations run as it.
    pub owner: String,
    /// What the server under test logs in as.
    pub service: String,
}

fn registry() -> &'static Mutex<HashMap<String, TestDatabase>> {
    static DATABASES: OnceLock<Mutex<HashMap<String, TestDatabase>>> = OnceLock::new();
    DATABASES.get_or_init(Default::default)
}

fn register(database: TestDatabase) -> String {
    let admin = database.admin.clone();
    registry().lock().unwrap().insert(admin.clone(), database);
    admin
}

/// The roles of the database whose administrator URL is `admin`.
pub fn database_of(admin: &str) -> TestDatabase {
    registry()
        .lock()
        .unwrap()
        .get(admin)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "a database the harness did not make: use migrated_database(), empty_database(), \
                 cluster_database() or servers_database()"
            )
        })
}

/// The database `name` of a cluster a test started; returns its administrator URL.
pub fn cluster_database(cluster: &LocalCluster, name: &str) -> String {
    register(TestDatabase {
        admin: cluster.url(name),
        owner: cluster.owner_url(name),
        service: cluster.service_url(name),
    })
}

/// The database `name` served by several clusters (a primary and its standbys), in this
/// order; returns the administrator URLs, separated by spaces as the service reads them.
pub fn servers_database(clusters: &[&LocalCluster], name: &str) -> String {
    let join = |url: &dyn Fn(&LocalCluster) -> String| {
        clusters
            .iter()
            .map(|cluster| url(cluster))
            .collect::<Vec<_>>()
            .join(" ")
    };
    register(TestDatabase {
        admin: join(&|c| c.url(name)),
        owner: join(&|c| c.owner_url(name)),
        service: join(&|c| c.service_url(name)),
    })
}

/// The server test databases are made on, as the administrator (database `postgres`), and
/// the logins of the owner and service roles there.
struct TestServer {
    admin: String,
    owner: (String, String),
    service: (String, String),
}

async fn test_server() -> &'static TestServer {
    static SERVER: OnceCell<TestServer> = OnceCell::const_new();
    SERVER
        .get_or_init(|| async {
            match std::env::var("DATABASE_URL") {
                Ok(url) if !url.is_empty() => external_server(url).await,
                _ => {
                    let cluster = kandas::local::postgres::shared_test_cluster().expect(
                        "start a throwaway PostgreSQL cluster (is the PostgreSQL server package installed?)",
                    );
                    TestServer {
                        admin: cluster.url("postgres"),
                        owner: login_of(&cluster.owner_url("postgres")),
                        service: login_of(&cluster.service_url("postgres")),
                    }
                }
            }
        })
        .await
}

/// Roles of this process on a server `DATABASE_URL` names.
async fn external_server(admin: String) -> TestServer {
    let pool = PgPool::connect(&admin)
        .await
        .expect("connect to DATABASE_URL");
    let suffix = Uuid::new_v4().simple().to_string()[..12].to_owned();
    let mut logins = Vec::new();
    for kind in ["owner", "service"] {
        let user = format!("kandas_test_{kind}_{suffix}");
        let password = Uuid::new_v4().simple().to_string();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE ROLE {user} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{password}'"
        )))
        .execute(&pool)
        .await
        .expect("create a test role on DATABASE_URL's server");
        logins.push((user, password));
    }
    pool.close().await;
    let service = logins.pop().unwrap();
    let owner = logins.pop().unwrap();
    TestServer {
        admin,
        owner,
        service,
    }
}

/// The user and password in `url`.
fn login_of(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (userinfo, _) = rest.split_once('@').expect("a URL with a login");
    let (user, password) = userinfo.split_once(':').expect("a URL with a password");
    (user.to_owned(), password.to_owned())
}

/// `url` with `database` for its database, keeping the query: the private cluster's URL
/// names its socket directory there (`?host=/...`).
pub fn with_database(url: &str, database: &str) -> String {
    let (location, query) = match url.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (url, None),
    };
    let base = location
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(location);
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// `url` logging in as `user` with `password` (neither needs escaping: names and hex).
fn with_login(url: &str, (user, password): &(String, String)) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let hosts = rest.rsplit_once('@').map_or(rest, |(_, hosts)| hosts);
    format!("{scheme}://{user}:{password}@{hosts}")
}

/// Creates an empty database owned by the owner role and returns its administrator URL: for
/// tests in which the server under test, or the `kandas` binary, migrates for real.
pub async fn empty_database() -> String {
    let server = test_server().await;
    let name = create_database(server, "").await;
    register_database(server, &name)
}

/// Creates a database as migrating leaves it, a copy of this process's template, and returns
/// its administrator URL.
pub async fn migrated_database() -> String {
    let server = test_server().await;
    let template = template_database(server).await;
    let name = create_database(server, &format!("TEMPLATE {template}")).await;
    register_database(server, &name)
}

/// How often a copy is tried while the template is still in use (see [`create_database`]).
const COPY_ATTEMPTS: u32 = 100;
const COPY_RETRY: Duration = Duration::from_millis(100);

/// Creates `kandas_test_<random>` from `source` (empty, or `TEMPLATE <name>`), owned by the
/// owner role, and returns its name.
async fn create_database(server: &TestServer, source: &str) -> String {
    let name = format!("kandas_test_{}", Uuid::new_v4().simple());
    let statement = format!("CREATE DATABASE {name} {source} OWNER {}", server.owner.0);
    let pool = PgPool::connect(&server.admin)
        .await
        .expect("connect to the test server");
    let mut attempt = 1;
    loop {
        match sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
            .execute(&pool)
            .await
        {
            Ok(_) => break,
            // PostgreSQL copies a template only while no other session is connected to it
            // (55006 object_in_use: "source database ... is being accessed by other users"),
            // and waits only a few seconds for one to leave. None of ours stays connected once
            // the template is made, and it takes no new connections, but the last migrating
            // session may still be on its way out when the first copies are asked for.
            Err(error) if is_object_in_use(&error) && attempt < COPY_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(COPY_RETRY).await;
            }
            Err(error) => panic!("create a test database ({statement}): {error}"),
        }
    }
    pool.close().await;
    name
}

fn is_object_in_use(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("55006"))
}

/// Registers the database `name` of `server` with its three roles; returns its administrator
/// URL.
fn register_database(server: &TestServer, name: &str) -> String {
    let admin = with_database(&server.admin, name);
    register(TestDatabase {
        owner: with_login(&admin, &server.owner),
        service: with_login(&admin, &server.service),
        admin,
    })
}

/// The name of this process's template on `server`, made on first use by the same step the
/// server takes at its start (`migrate_as_owner`): migrated as the owner role, then the service
/// role granted its privileges. Made once, however many tests ask for it at once; a test that
/// fails while making it leaves it to the next one that asks.
async fn template_database(server: &'static TestServer) -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = create_database(server, "").await;
            let admin = with_database(&server.admin, &name);
            let service = PgPool::connect(&with_login(&admin, &server.service))
                .await
                .expect("connect to the template database as the service role");
            kandas::server::startup::migrate_as_owner(
                &with_login(&admin, &server.owner),
                &service,
                Duration::from_secs(30),
            )
            .await
            .expect("migrate the template database as the owner role and grant the service role");
            // Closed, not dropped: a session still open to the template refuses every copy.
            // (migrate_as_owner closes the owner's pool itself.)
            service.close().await;
            let pool = PgPool::connect(&server.admin)
                .await
                .expect("connect to the test server");
            // Nothing connects to the template again, autovacuum included, so nothing holds up
            // a copy. What a copy does not take from it (pg_database: per-database settings,
            // CONNECT and TEMP privileges) the harness never sets: a copy has the defaults an
            // empty database has.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"
            )))
            .execute(&pool)
            .await
            .expect("close the template database to new connections");
            pool.close().await;
            name
        })
        .await
}
