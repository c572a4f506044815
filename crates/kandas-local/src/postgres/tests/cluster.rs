use std::fs;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::Connection;

use super::{bins, open_tempdir, options, psql_as_client, psql_on};
use crate::LocalError;
use crate::postgres::cluster::free_port;
use crate::postgres::data_dir::clear_stale_pid_file;
use crate::postgres::socket::socket_dir_beside;
use crate::postgres::user::{euid, lookup_user_by_name};
use crate::postgres::{ClusterOptions, LocalCluster};

#[test]
fn start_query_stop_restart_keeps_data() {
    let tmp = open_tempdir();
    let data = tmp.path().join("pg");
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    let port = cluster.port();
    let socket_dir = tmp.path().join("pg.sock");
    assert_eq!(cluster.socket_dir(), socket_dir);
    let url = cluster.url("kandas");
    let (login, place) = url.split_once('@').unwrap();
    assert!(login.starts_with("postgres://kandas:"), "{login}");
    assert_eq!(
        place,
        format!("localhost:{port}/kandas?host={}", socket_dir.display())
    );
    assert_eq!(psql_on(&cluster, "select 1").unwrap(), "1");
    psql_on(
        &cluster,
        "create table kept (v text); insert into kept values ('x')",
    )
    .unwrap();
    if euid() == 0 {
        let meta = fs::metadata(&data).unwrap();
        assert_eq!(meta.uid(), lookup_user_by_name("postgres").unwrap().uid);
    }
    assert!(cluster.log_path().exists());
    assert_eq!(cluster.log_path(), tmp.path().join("pg.log"));
    let passfile = cluster.password_file().to_path_buf();
    cluster.stop().unwrap();
    assert!(psql_as_client(&passfile, &socket_dir, port, "select 1").is_err());
    assert!(!data.join("postmaster.pid").exists());

    let again = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    assert_eq!(again.socket_dir(), socket_dir);
    assert_eq!(psql_on(&again, "select v from kept").unwrap(), "x");
    drop(again); // Drop stops it too
    assert!(!data.join("postmaster.pid").exists());
}

#[test]
fn stale_pid_file_is_removed() {
    let tmp = open_tempdir();
    let data = tmp.path().join("pg");
    let fixed_port = free_port().unwrap();
    let cluster = LocalCluster::start_with(
        &bins(),
        &data,
        ClusterOptions {
            port: Some(fixed_port),
            ..options()
        },
        tmp.path(),
    )
    .unwrap();
    assert_eq!(cluster.port(), fixed_port);
    let pid_file = data.join("postmaster.pid");
    let real = fs::read_to_string(&pid_file).unwrap();
    cluster.stop().unwrap();

    // A dead pid, like a server SIGKILLed together with its parent.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let mut lines: Vec<String> = real.lines().map(str::to_owned).collect();
    lines[0] = dead.to_string();
    fs::write(&pid_file, lines.join("\n") + "\n").unwrap();
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    assert_eq!(psql_on(&cluster, "select 1").unwrap(), "1");
    cluster.stop().unwrap();

    // A live pid of an unrelated program (pid reuse after a reboot).
    lines[0] = std::process::id().to_string();
    fs::write(&pid_file, lines.join("\n") + "\n").unwrap();
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    assert_eq!(psql_on(&cluster, "select 1").unwrap(), "1");

    // A live server on the same directory is refused (after a bounded wait).
    let live = fs::read_to_string(&pid_file).unwrap();
    let started = Instant::now();
    let err = clear_stale_pid_file(&data, Duration::from_secs(1)).unwrap_err();
    assert!(matches!(err, LocalError::AlreadyRunning { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(fs::read_to_string(&pid_file).unwrap(), live);
    cluster.stop().unwrap();
}

#[test]
fn start_uses_the_working_directory_as_the_project() {
    // Through the public entry point, in a directory reachable by everyone.
    let tmp = open_tempdir();
    let cluster = LocalCluster::start(&tmp.path().join("pg"), options()).unwrap();
    assert_eq!(psql_on(&cluster, "select 1").unwrap(), "1");
    cluster.stop().unwrap();
}

#[test]
fn long_data_dir_paths_get_a_private_socket_directory_under_tmp() {
    let tmp = open_tempdir();
    let mut data = tmp.path().to_path_buf();
    while data.as_os_str().len() < 120 {
        data.push("a-rather-long-directory-name");
    }
    fs::create_dir_all(data.parent().unwrap()).unwrap();
    let mut dir = data.parent().unwrap().to_path_buf();
    while dir != tmp.path() {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        dir.pop();
    }
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    let socket_dir = cluster.socket_dir().to_path_buf();
    assert!(socket_dir.starts_with("/tmp"), "{}", socket_dir.display());
    assert!(!socket_dir_beside(&data).exists());
    assert_private_socket_dir(&socket_dir, cluster.port());
    assert_eq!(psql_on(&cluster, "select 1").unwrap(), "1");
    assert_tcp_refused(cluster.port());
    cluster.stop().unwrap();
    assert!(
        !socket_dir.exists(),
        "a temporary socket directory goes with its cluster"
    );
}

#[test]
fn listens_only_on_a_unix_socket_in_a_private_directory() {
    let tmp = open_tempdir();
    let cluster =
        LocalCluster::start_with(&bins(), &tmp.path().join("pg"), options(), tmp.path()).unwrap();
    let port = cluster.port();
    assert_eq!(
        cluster
            .psql("kandas", "show listen_addresses")
            .unwrap()
            .trim(),
        ""
    );
    assert_tcp_refused(port);
    assert_private_socket_dir(cluster.socket_dir(), port);
    assert_eq!(
        cluster
            .psql("kandas", "show unix_socket_permissions")
            .unwrap()
            .trim(),
        "0700"
    );
    assert_socket_only_hba(&cluster);
    // The URL handed to the service reaches the same server through sqlx.
    let url = cluster.url("kandas");
    let answer: i32 = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
            let answer = sqlx::query_scalar("select 41 + 1")
                .fetch_one(&mut connection)
                .await
                .unwrap();
            connection.close().await.unwrap();
            answer
        });
    assert_eq!(answer, 42);
    cluster.stop().unwrap();
}

#[test]
fn a_cluster_that_trusted_tcp_becomes_socket_only_on_its_next_start() {
    let tmp = open_tempdir();
    let data = tmp.path().join("pg");
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    let hba = cluster.hba_file();
    let owner = fs::metadata(&hba).unwrap().uid();
    cluster.stop().unwrap();
    // What `initdb -A trust` wrote for clusters of earlier versions.
    fs::write(
        &hba,
        "local all all trust\n\
         host all all 127.0.0.1/32 trust\n\
         host all all ::1/128 trust\n\
         local replication all trust\n\
         host replication all 127.0.0.1/32 trust\n",
    )
    .unwrap();
    // As the old server would have had it.
    fs::remove_dir(tmp.path().join("pg.sock")).unwrap();

    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    assert_socket_only_hba(&cluster);
    assert_eq!(fs::metadata(&hba).unwrap().uid(), owner);
    assert_eq!(fs::metadata(&hba).unwrap().mode() & 0o077, 0);
    assert_tcp_refused(cluster.port());
    assert_private_socket_dir(cluster.socket_dir(), cluster.port());
    cluster.stop().unwrap();
}

/// Nothing accepts TCP on the cluster's port number, which the server never binds.
fn assert_tcp_refused(port: u16) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
        Ok(_) => panic!("something accepts TCP connections on {addr}"),
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}"),
    }
}

/// The socket directory is mode 0700 and the server user's; the socket in it is 0700 too.
fn assert_private_socket_dir(socket_dir: &Path, port: u16) {
    let meta = fs::symlink_metadata(socket_dir).unwrap();
    assert!(meta.is_dir());
    assert_eq!(meta.mode() & 0o7777, 0o700, "{}", socket_dir.display());
    let server_user = if euid() == 0 {
        lookup_user_by_name("postgres").unwrap().uid
    } else {
        euid()
    };
    assert_eq!(meta.uid(), server_user);
    let socket = fs::symlink_metadata(socket_dir.join(format!(".s.PGSQL.{port}"))).unwrap();
    assert!(socket.file_type().is_socket());
    assert_eq!(socket.mode() & 0o777, 0o700);
}

/// The server itself reports only `local` rules (every database, and replication for a standby
/// or a base backup of this cluster), from a file without a `host` line.
fn assert_socket_only_hba(cluster: &LocalCluster) {
    let text = fs::read_to_string(cluster.hba_file()).unwrap();
    assert!(
        !text
            .lines()
            .any(|line| line.trim_start().starts_with("host")),
        "{text}"
    );
    let rules = cluster
        .psql(
            "kandas",
            "select string_agg(type || ' ' || array_to_string(database, ','), ';' \
             order by line_number) from pg_hba_file_rules",
        )
        .unwrap();
    assert_eq!(rules.trim(), "local all;local replication");
}
