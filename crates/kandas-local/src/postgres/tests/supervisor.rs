use std::fs;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{bins, open_tempdir, psql_on};
use crate::postgres::process::pid_alive;
use crate::postgres::{ClusterOptions, LocalCluster, RestartPolicy};

/// Durable, so that what was committed before a kill is there after it, and quick to retry.
fn supervised(attempts: u32) -> ClusterOptions {
    ClusterOptions {
        ephemeral: false,
        restart: RestartPolicy {
            attempts,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            stable_after: Duration::from_secs(60),
        },
        ..ClusterOptions::default()
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen in 60 s");
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_killed_server_is_started_again_with_everything_it_had_committed() {
    let tmp = open_tempdir();
    let data = tmp.path().join("pg");
    let cluster = LocalCluster::start_with(&bins(), &data, supervised(3), tmp.path()).unwrap();
    psql_on(
        &cluster,
        "create table kept (v int); insert into kept select generate_series(1, 1000)",
    )
    .unwrap();
    let first = cluster.server_pid();
    kill(Pid::from_raw(first), Signal::SIGKILL).unwrap();
    let restarts = cluster.restarts();
    wait_until("the restart", || restarts.load(Ordering::Relaxed) == 1);
    assert!(!pid_alive(first));
    assert_ne!(cluster.server_pid(), first);
    assert_eq!(
        psql_on(&cluster, "select count(*) from kept").unwrap(),
        "1000"
    );
    assert!(cluster.failure().borrow().is_none());
    // Its log shows a start for each time.
    let log = fs::read_to_string(cluster.log_path()).unwrap();
    assert_eq!(
        log.matches("--- kandas: starting PostgreSQL").count(),
        2,
        "{log}"
    );
    // A stop is no death: nothing restarts it.
    let last = cluster.server_pid();
    cluster.stop().unwrap();
    thread::sleep(Duration::from_millis(500));
    assert!(!pid_alive(last));
    assert!(!data.join("postmaster.pid").exists());
}

#[test]
fn a_server_that_cannot_be_started_again_is_given_up_on() {
    let tmp = open_tempdir();
    let data = tmp.path().join("pg");
    let cluster = LocalCluster::start_with(&bins(), &data, supervised(2), tmp.path()).unwrap();
    // A data directory no server can start on any more.
    fs::rename(data.join("PG_VERSION"), data.join("PG_VERSION.moved")).unwrap();
    kill(Pid::from_raw(cluster.server_pid()), Signal::SIGKILL).unwrap();
    let mut failure = cluster.failure();
    wait_until("giving up", || failure.borrow_and_update().is_some());
    let reason = failure.borrow().clone().unwrap();
    assert!(reason.contains("2 restart attempts failed"), "{reason}");
    assert!(reason.contains("signal 9"), "{reason}");
    assert_eq!(cluster.restarts().load(Ordering::Relaxed), 0);
    cluster.stop().unwrap();
}

#[test]
fn restart_pauses_double_up_to_their_bound() {
    let policy = RestartPolicy::default();
    let pauses: Vec<u64> = (1..=policy.attempts)
        .map(|n| policy.delay(n).as_secs())
        .collect();
    assert_eq!(pauses, [1, 2, 4, 8, 16, 30, 30, 30]);
    assert_eq!(policy.delay(100), Duration::from_secs(30));
}
