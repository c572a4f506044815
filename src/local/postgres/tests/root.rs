use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::{bins, open_tempdir, options, psql_as_client};
use crate::local::LocalError;
use crate::local::postgres::LocalCluster;
use crate::local::postgres::user::euid;

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
    assert_eq!(psql_as_client(cluster.port(), "select 1").unwrap(), "1");
    // Search only, never read, for others.
    assert_eq!(fs::metadata(&project).unwrap().mode() & 0o777, 0o701);
    assert_eq!(fs::metadata(&kandas).unwrap().mode() & 0o777, 0o701);
    assert_eq!(fs::metadata(&data).unwrap().mode() & 0o777, 0o700);
    cluster.stop().unwrap();
}
