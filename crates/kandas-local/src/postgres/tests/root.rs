use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

use super::{bins, open_tempdir, options, psql_on};
use crate::LocalError;
use crate::postgres::LocalCluster;
use crate::postgres::user::{RunAs, euid, lookup_user_by_name};

#[test]
fn unreachable_data_dir_outside_the_project_is_a_clear_error_as_root() {
    if euid() != 0 {
        return; // only root switches users
    }
    let tmp = open_tempdir();
    let home = tmp.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
    let project = home.join("project");
    let data = project.join(".kandas").join("pg");
    // Like /root/project/.kandas/pg with kandas started in /root/project.
    let err = LocalCluster::start_with(&bins(), &data, options(), &project).unwrap_err();
    match &err {
        LocalError::DataDirUnreachable { blocked, user, .. } => {
            assert_eq!(blocked, &fs::canonicalize(&home).unwrap());
            assert_eq!(user, "postgres");
        }
        other => panic!("unexpected error: {other}"),
    }
    let message = err.to_string();
    assert!(message.contains("chmod o+x"), "{message}");
    assert!(message.contains("KANDAS_DATABASE_URL"), "{message}");
    // Nothing was changed outside the project.
    assert_eq!(fs::metadata(&home).unwrap().mode() & 0o777, 0o700);
    assert!(!data.exists());
}

#[test]
fn closed_directories_inside_the_project_are_opened_as_root() {
    if euid() != 0 {
        return;
    }
    let tmp = open_tempdir();
    let project = tmp.path().join("checkout");
    fs::create_dir(&project).unwrap();
    fs::set_permissions(&project, fs::Permissions::from_mode(0o700)).unwrap();
    let kandas = project.join(".kandas");
    fs::create_dir(&kandas).unwrap();
    fs::set_permissions(&kandas, fs::Permissions::from_mode(0o700)).unwrap();
    let data = kandas.join("pg");
    let cluster = LocalCluster::start_with(&bins(), &data, options(), &project).unwrap();
    assert_eq!(psql_on(&cluster, "select 1").unwrap(), "1");
    // Search only, never read, for others.
    assert_eq!(fs::metadata(&project).unwrap().mode() & 0o777, 0o701);
    assert_eq!(fs::metadata(&kandas).unwrap().mode() & 0o777, 0o701);
    assert_eq!(fs::metadata(&data).unwrap().mode() & 0o777, 0o700);
    // The socket directory is the server user's alone; root (kandas) passes anyway.
    let socket_dir = fs::metadata(kandas.join("pg.sock")).unwrap();
    assert_eq!(socket_dir.mode() & 0o777, 0o700);
    assert_eq!(
        socket_dir.uid(),
        lookup_user_by_name("postgres").unwrap().uid
    );
    cluster.stop().unwrap();
}

#[test]
fn another_os_user_cannot_reach_the_socket() {
    if euid() != 0 {
        return; // only root can act as another user
    }
    let Some(stranger) = lookup_user_by_name("nobody") else {
        return;
    };
    let tmp = open_tempdir();
    let cluster =
        LocalCluster::start_with(&bins(), &tmp.path().join("pg"), options(), tmp.path()).unwrap();
    let url = cluster.url("kandas");
    let refused = psql_url(&url, Some(&stranger));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "`nobody` connected: {stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    // The same URL lets the service's own user (root here) in, through libpq as well.
    let served = psql_url(&url, None);
    assert!(
        served.status.success(),
        "{}",
        String::from_utf8_lossy(&served.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&served.stdout).trim(), "1");
    cluster.stop().unwrap();
}

/// `select 1` by psql on `url`, as `user` or as ourselves.
fn psql_url(url: &str, user: Option<&RunAs>) -> Output {
    let mut cmd = Command::new(bins().psql());
    cmd.args(["-X", "-A", "-t", "-w", "-d", url, "-c", "select 1"]);
    if let Some(user) = user {
        cmd.uid(user.uid).gid(user.gid);
    }
    cmd.output().unwrap()
}
