//! What a measured window cost beyond its latencies: the CPU the server process and the
//! PostgreSQL processes spent in it (from `/proc`), and every sequential scan PostgreSQL made
//! of a table large enough that a hot path should have used an index.

use serde::Serialize;
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Duration;

/// A sequential scan that reads more rows than this, on average, is a failed goal: at a
/// million records such a scan is what a call costs.
pub(crate) const LARGE_TABLE_ROWS: i64 = 10_000;

/// `/proc/<pid>/stat` counts CPU time in clock ticks of `USER_HZ`, which Linux fixes at 100
/// for every process it reports to, whatever the kernel's own tick.
const TICKS_PER_SECOND: u64 = 100;

/// Where to look: the database, and the processes whose CPU is the service's and PostgreSQL's.
pub(crate) struct Watch {
    db: PgPool,
    server: Option<u32>,
    postmaster: Option<u32>,
}

/// The counters at the start of a window.
pub(crate) struct Opened {
    scans: HashMap<String, (i64, i64)>,
    server_ticks: Option<u64>,
    postgres_ticks: Option<u64>,
}

/// A sequential scan of a large table seen in a window.
#[derive(Serialize, Clone, Debug)]
pub(crate) struct SeqScan {
    pub(crate) table: String,
    pub(crate) scans: i64,
    pub(crate) rows_read: i64,
    pub(crate) live_rows: i64,
}

/// What a window cost.
#[derive(Default, Clone)]
pub(crate) struct Cost {
    pub(crate) seq_scans: Vec<SeqScan>,
    pub(crate) server_cpu: Option<Duration>,
    pub(crate) postgres_cpu: Option<Duration>,
}

impl Watch {
    /// `server` is the service's process when it is on this machine; PostgreSQL's postmaster
    /// is found through a backend of `db`, when it runs here too.
    pub(crate) async fn new(db: PgPool, server: Option<u32>) -> anyhow::Result<Watch> {
        let backend: i32 = sqlx::query_scalar!(r#"SELECT pg_backend_pid() AS "pid!""#)
            .fetch_one(&db)
            .await?;
        let postmaster = u32::try_from(backend)
            .ok()
            .and_then(stat)
            .filter(|s| s.command == "postgres")
            .map(|s| s.parent);
        Ok(Watch {
            db,
            server,
            postmaster,
        })
    }

    /// The service's process, when it is known.
    pub(crate) fn server(&self) -> Option<u32> {
        self.server
    }

    pub(crate) async fn open(&self) -> anyhow::Result<Opened> {
        self.publish_own().await?;
        Ok(Opened {
            scans: self.settled_scans().await?,
            server_ticks: self.server.and_then(process_ticks),
            postgres_ticks: self.postmaster.map(postgres_ticks),
        })
    }

    /// The cost since `opened`. CPU is read at once; the scan counters once every backend has
    /// published what it counted in the window.
    pub(crate) async fn close(&self, opened: Opened) -> anyhow::Result<Cost> {
        let ticks = |now: Option<u64>, then: Option<u64>| {
            Some(Duration::from_millis(
                now?.saturating_sub(then?) * 1000 / TICKS_PER_SECOND,
            ))
        };
        let server_cpu = ticks(self.server.and_then(process_ticks), opened.server_ticks);
        let postgres_cpu = ticks(self.postmaster.map(postgres_ticks), opened.postgres_ticks);
        let mut seq_scans: Vec<SeqScan> = self
            .settled_scans()
            .await?
            .into_iter()
            .filter_map(|(table, (scans, rows_read))| {
                let (was_scans, was_read) = opened.scans.get(&table).copied().unwrap_or((0, 0));
                Some(SeqScan {
                    scans: scans - was_scans,
                    rows_read: rows_read - was_read,
                    live_rows: 0,
                    table,
                })
                .filter(|s| s.scans > 0)
            })
            .collect();
        for scan in &mut seq_scans {
            scan.live_rows = self.live_rows(&scan.table).await?;
        }
        // A scan planned while the table was still small (a generic plan made right after
        // start) reads a few rows and is harmless; one that reads a large table is the finding.
        seq_scans.retain(|s| s.rows_read / s.scans > LARGE_TABLE_ROWS);
        seq_scans.sort_by_key(|s| std::cmp::Reverse(s.rows_read));
        Ok(Cost {
            seq_scans,
            server_cpu,
            postgres_cpu,
        })
    }

    /// Has each of the bench's own connections publish its statistics at once, so the reads
    /// the bench made to prepare a scenario (every stored name, the cleanup of the last one)
    /// are counted before the window opens, not up to ten seconds later inside it. Between
    /// windows the bench's pool is idle, so its idle connections are all of them; one taken
    /// by a window opening at the same moment (fairness runs two) is not waited for.
    async fn publish_own(&self) -> anyhow::Result<()> {
        let mut held: Vec<_> = std::iter::from_fn(|| self.db.try_acquire()).collect();
        for connection in &mut held {
            publish(connection).await?;
        }
        Ok(())
    }

    /// The scan counters once no large read is still arriving. A backend publishes its counts
    /// at most once a second while busy, and up to ten seconds after it falls idle, so a
    /// window's scans would otherwise be charged to the next one, and the bench's own
    /// preparation to a scenario. The service's background work keeps scanning its small
    /// tables (organisations, the chain head) meanwhile, which is no reason to wait.
    async fn settled_scans(&self) -> anyhow::Result<HashMap<String, (i64, i64)>> {
        let mut last = self.scans().await?;
        for _ in 0..12 {
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let now = self.scans().await?;
            let still_arriving = now.iter().any(|(table, (_, read))| {
                read - last.get(table).map_or(0, |(_, was)| *was) > LARGE_TABLE_ROWS
            });
            last = now;
            if !still_arriving {
                break;
            }
        }
        Ok(last)
    }

    /// Sequential scans and the rows they read, per table, since the statistics were reset.
    async fn scans(&self) -> anyhow::Result<HashMap<String, (i64, i64)>> {
        let rows = sqlx::query!(
            r#"SELECT relname::text AS "table!", coalesce(seq_scan, 0) AS "scans!",
                    coalesce(seq_tup_read, 0) AS "rows_read!"
             FROM pg_stat_user_tables"#
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.table, (row.scans, row.rows_read)))
            .collect())
    }

    /// The table's size: the planner's estimate (kept by ANALYZE and autovacuum), or the
    /// statistics' count of live rows when that is larger (a table filled since its analysis).
    async fn live_rows(&self, table: &str) -> anyhow::Result<i64> {
        let rows: Option<i64> = sqlx::query_scalar!(
            r#"SELECT greatest(c.reltuples::bigint, s.n_live_tup) AS "rows!"
             FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
             WHERE s.relname = $1"#,
            table
        )
        .fetch_optional(&self.db)
        .await?;
        Ok(rows.unwrap_or(0))
    }
}

/// Has `connection`'s backend publish its table statistics as soon as it falls idle, so the
/// bench's own reads are never counted against the scenario that follows them.
pub(crate) async fn publish(connection: &mut sqlx::PgConnection) -> anyhow::Result<()> {
    sqlx::query!("SELECT pg_stat_force_next_flush()")
        .execute(connection)
        .await?;
    Ok(())
}

struct Stat {
    command: String,
    parent: u32,
    /// utime + stime of the process itself.
    own: u64,
    /// cutime + cstime: of its children that have exited and been waited for.
    children: u64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command is in parentheses and may hold spaces; the fields after it are numbers.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let command = text[open + 1..close].to_string();
    let fields: Vec<&str> = text[close + 2..].split(' ').collect();
    // After the command: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17).
    let number = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    Some(Stat {
        command,
        parent: number(4)? as u32,
        own: number(14)? + number(15)?,
        children: number(16)? + number(17)?,
    })
}

fn process_ticks(pid: u32) -> Option<u64> {
    stat(pid).map(|s| s.own)
}

/// Every PostgreSQL process's CPU: the postmaster's, its live children's (backends, the WAL
/// writer, autovacuum), and the exited children's it has collected.
fn postgres_ticks(postmaster: u32) -> u64 {
    let Some(main) = stat(postmaster) else {
        return 0;
    };
    let children: u64 = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat)
        .filter(|s| s.parent == postmaster)
        .map(|s| s.own)
        .sum();
    main.own + main.children + children
}
