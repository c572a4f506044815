use std::fs;
use std::io;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{bins, open_tempdir, options, psql_as_client, psql_on};
use crate::postgres::LocalCluster;
use crate::postgres::process::pid_alive;

const CHILD_ENV: &str = "KANDAS_TEST_PG_CHILD_DIR";

/// Not a test by itself: the body of the child process of
/// `server_dies_with_a_killed_parent`.
#[test]
fn child_process_that_starts_a_cluster() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    // Start from a thread that ends at once: the server must survive that thread.
    let cluster = thread::spawn(move || {
        LocalCluster::start_with(&bins(), &dir.join("pg"), options(), &dir).unwrap()
    })
    .join()
    .unwrap();
    println!(
        "READY {} {}",
        cluster.port(),
        cluster.socket_dir().display()
    );
    thread::sleep(Duration::from_secs(120));
}

#[test]
fn server_dies_with_a_killed_parent() {
    use std::io::BufRead;
    let tmp = open_tempdir();
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "postgres::tests::parent_death::child_process_that_starts_a_cluster",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, tmp.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut child = KillOnDrop(child);
    let mut address = None;
    for line in io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        // libtest prints the test name on the same line.
        if let Some((_, ready)) = line.split_once("READY ") {
            let (port, socket_dir) = ready.trim().split_once(' ').unwrap();
            address = Some((port.parse::<u16>().unwrap(), PathBuf::from(socket_dir)));
            break;
        }
    }
    let (port, socket_dir) = address.expect("child started a cluster");
    thread::sleep(Duration::from_millis(500));
    let data = tmp.path().join("pg");
    let passfile = tmp.path().join("pg.pgpass");
    assert_eq!(
        psql_as_client(&passfile, &socket_dir, port, "select 1").unwrap(),
        "1"
    );
    let pid: i32 = fs::read_to_string(data.join("postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(pid_alive(pid));
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while pid_alive(pid) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !pid_alive(pid),
        "postmaster {pid} outlived its killed parent"
    );
    // The directory is reusable afterwards.
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    assert_eq!(psql_on(&cluster, "select 1").unwrap(), "1");
    cluster.stop().unwrap();
}
