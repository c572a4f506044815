//! A private PostgreSQL cluster run as a child process of kandas.
//!
//! Layout for a data directory `D` (by default `.kandas/pg`):
//!
//! * `D/` is the cluster (made by `initdb -A trust -U kandas -E UTF8 --no-locale`);
//! * `D.log` (by default `.kandas/pg.log`) receives the server's stdout and stderr, appended
//!   across starts (rotated to `D.log.1` past 10 MiB). It sits next to the data directory rather
//!   than in it so that it survives deleting the cluster and is easy to find;
//! * the server listens on `127.0.0.1:<port>` only, plus a Unix socket inside `D` when that path
//!   is short enough for a socket address (otherwise TCP only). Everything here connects over TCP.
//!
//! **Root.** PostgreSQL refuses to run as root. When kandas runs as root, the server binaries run
//! as the owner of an existing non-root data directory, else as the `postgres` system user: the
//! data directory and the log are chowned to that user, and its supplementary groups are
//! cleared. That user must be able to traverse every ancestor of the data directory. Ancestors
//! inside the working directory (the project, e.g. `/work/main/.kandas`) that it cannot traverse
//! get the search bit for others (`o+x`, never read) added, which exposes no names or contents.
//! Ancestors outside the working directory (e.g. `/root` at mode 0700) are never changed behind
//! the operator's back: start fails with [`LocalError::DataDirUnreachable`], naming the directory
//! and the fixes.
//!
//! **Lifetime.** The postmaster is spawned from a dedicated thread that lives until the server
//! exits, with `PR_SET_PDEATHSIG = SIGINT` (fast shutdown) set after the uid switch, so a
//! SIGKILLed kandas does not leave a server behind (Linux). It runs in its own process group, so
//! a terminal's Ctrl-C reaches kandas, which then stops the server in order.
//!
//! The pieces: `binaries` finds the server binaries, `user` decides who runs them and makes
//! the data directory reachable for that user, `process` builds and runs their commands,
//! `postmaster` supervises the server process, `data_dir` and `log` look after the files,
//! `cluster` ties them together and `shared` holds the throwaway cluster of a test binary.

mod binaries;
mod cluster;
mod data_dir;
mod log;
mod postmaster;
mod process;
mod shared;
mod user;

#[cfg(test)]
mod tests;

pub use binaries::PgBinaries;
pub use cluster::{ClusterOptions, LocalCluster};
pub use shared::shared_test_cluster;

/// Superuser created by initdb; every connection uses it.
pub const SUPERUSER: &str = "kandas";
/// Database created on every start if missing.
pub const DATABASE: &str = "kandas";
