//! A private PostgreSQL cluster run as a child process of kandas.
//!
//! Layout for a data directory `D` (by default `.kandas/pg`):
//!
//! * `D/` is the cluster (made by `initdb -U kandas -E UTF8 --no-locale`); its `pg_hba.conf`
//!   is rewritten on every start to take a password (`scram-sha-256`) for every local
//!   connection (and local replication) and nothing else, so a cluster made by an older
//!   kandas, which trusted local connections and TCP from 127.0.0.1, loses those lines;
//! * `D.pgpass` (by default `.kandas/pg.pgpass`) holds the passwords of the roles, mode 0600,
//!   owned by the user kandas runs as (see [`roles`] for the roles and why). A cluster made by
//!   an older kandas, whose superuser has no password, gets one in single-user mode before its
//!   first start with passwords;
//! * `D.log` (by default `.kandas/pg.log`) receives the server's stdout and stderr, appended
//!   across starts (rotated to `D.log.1` past 10 MiB). It sits next to the data directory rather
//!   than in it so that it survives deleting the cluster and is easy to find;
//! * `D.sock/` (by default `.kandas/pg.sock`) holds the server's Unix socket `.s.PGSQL.<port>`.
//!   The server listens on nothing else (`listen_addresses = ''`), and the directory is mode
//!   0700 and belongs to the user the server runs as, so only that user and root can connect:
//!   that gate comes before the passwords. When `D.sock/.s.PGSQL.<port>` is too
//!   long for a socket address, a fresh 0700 directory with a random name under `/tmp` takes
//!   its place for as long as the cluster runs. The port only names the socket file; it is
//!   picked among the free TCP ports so that clusters side by side differ.
//!
//! **Root.** PostgreSQL refuses to run as root. When kandas runs as root, the server binaries run
//! as the owner of an existing non-root data directory, else as the `postgres` system user: the
//! data directory, the socket directory and the log are chowned to that user, and its
//! supplementary groups are cleared; kandas, as root, still passes the socket directory's 0700. That user must be able to traverse every ancestor of the data directory. Ancestors
//! inside the working directory (the project, e.g. `/work/main/.kandas`) that it cannot traverse
//! get the search bit for others (`o+x`, never read) added, which exposes no names or contents.
//! Ancestors outside the working directory (e.g. `/root` at mode 0700) are never changed behind
//! the operator's back: start fails with [`LocalError::DataDirUnreachable`], naming the directory
//! and the fixes.
//!
//! **Lifetime.** The postmaster is spawned from a dedicated thread that lives until the server
//! exits, with `PR_SET_PDEATHSIG = SIGINT` (fast shutdown) set after the uid switch, so a
//! SIGKILLed kandas does not leave a server behind (Linux). It runs in its own process group, so
//! a terminal's Ctrl-C reaches kandas, which then stops the server in order. A server that
//! exits without having been asked to is started again ([`supervisor`]).
//!
//! The pieces: `binaries` finds the server binaries, `user` decides who runs them and makes
//! the data directory reachable for that user, `process` builds and runs their commands,
//! `postmaster` runs and reaps the server process, `supervisor` restarts it, `roles` keeps the
//! roles and their passwords, `data_dir` and `log` look after the files,
//! `socket` makes the socket directory and the addresses that reach it,
//! `cluster` ties them together, `replication` makes standbys, base backups and restores of a
//! cluster, and `shared` holds the throwaway cluster of a test binary.

mod binaries;
mod cluster;
mod data_dir;
mod log;
mod postmaster;
mod process;
mod replication;
pub mod roles;
mod shared;
mod socket;
pub mod supervisor;
mod user;

#[cfg(test)]
mod tests;

pub use binaries::PgBinaries;
pub use cluster::{ClusterOptions, LocalCluster};
pub use roles::{OWNER, SERVICE};
pub use shared::shared_test_cluster;
pub use supervisor::RestartPolicy;

/// Superuser created by initdb: kandas's own administration of the cluster (roles, databases).
pub const SUPERUSER: &str = "kandas";
/// Database created on every start if missing.
pub const DATABASE: &str = "kandas";
