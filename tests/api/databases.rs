//! Test databases and the three roles of each: an administrator for the test's own reads and
//! tampering, the owner that migrates, and the service role the server under test runs as, so
//! that every test also exercises the service's least privilege.
//!
//! A database is known by its administrator's URL, which tests pass around (`app.database_url`,
//! `fresh_database()`); the owner's and service's URLs are kept here under it. The throwaway
//! cluster has its own owner and service roles. With `DATABASE_URL` naming another server, this
//! process makes its own pair there, with fresh passwords and names of its own, so that
//! test runs side by side never change each other's roles.
#![allow(dead_code)]

use kandas::local::postgres::LocalCluster;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
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
                "a database the harness did not make: use fresh_database(), cluster_database() \
                 or servers_database()"
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

/// Creates an empty database owned by the owner role and returns its administrator URL.
pub async fn fresh_database() -> String {
    let server = test_server().await;
    let name = format!("kandas_test_{}", Uuid::new_v4().simple());
    let pool = PgPool::connect(&server.admin)
        .await
        .expect("connect to the test server");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} OWNER {}",
        server.owner.0
    )))
    .execute(&pool)
    .await
    .expect("create a test database");
    pool.close().await;
    let admin = with_database(&server.admin, &name);
    register(TestDatabase {
        owner: with_login(&admin, &server.owner),
        service: with_login(&admin, &server.service),
        admin,
    })
}
