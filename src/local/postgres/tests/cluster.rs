use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{bins, open_tempdir, options, psql_as_client};
use crate::local::LocalError;
use crate::local::postgres::cluster::free_port;
use crate::local::postgres::data_dir::clear_stale_pid_file;
use crate::local::postgres::user::{euid, lookup_user_by_name};
use crate::local::postgres::{ClusterOptions, LocalCluster};

#[test]
fn start_query_stop_restart_keeps_data() {
    let tmp = open_tempdir();
    let data = tmp.path().join("pg");
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    let port = cluster.port();
    assert_eq!(
        cluster.url("kandas"),
        format!("postgres://kandas@127.0.0.1:{port}/kandas")
    );
    assert_eq!(psql_as_client(port, "select 1").unwrap(), "1");
    psql_as_client(
        port,
        "create table kept (v text); insert into kept values ('x')",
    )
    .unwrap();
    if euid() == 0 {
        let meta = fs::metadata(&data).unwrap();
        assert_eq!(meta.uid(), lookup_user_by_name("postgres").unwrap().uid);
    }
    assert!(cluster.log_path().exists());
    assert_eq!(cluster.log_path(), tmp.path().join("pg.log"));
    cluster.stop().unwrap();
    assert!(psql_as_client(port, "select 1").is_err());
    assert!(!data.join("postmaster.pid").exists());

    let again = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    assert_eq!(
        psql_as_client(again.port(), "select v from kept").unwrap(),
        "x"
    );
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
    assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");
    cluster.stop().unwrap();

    // A live pid of an unrelated program (pid reuse after a reboot).
    lines[0] = std::process::id().to_string();
    fs::write(&pid_file, lines.join("\n") + "\n").unwrap();
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");

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
    assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");
    cluster.stop().unwrap();
}

#[test]
fn long_data_dir_paths_run_on_tcp_only() {
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
    assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");
    assert_eq!(
        cluster
            .psql("kandas", "show unix_socket_directories")
            .unwrap()
            .trim(),
        ""
    );
    cluster.stop().unwrap();
}
