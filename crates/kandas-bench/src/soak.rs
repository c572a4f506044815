//! Soak: a steady mixed load for many minutes, watching whether the server's memory, open
//! descriptors or database connections grow while the work stays the same.

use chrono::Datelike;
use kandas::pb;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

use crate::QUOTA_REGION;
use crate::data::{forget, iin_submission, new_persons};
use crate::load::{Answer, drive, pick, take};
use crate::target::{ApplicationClient, Target};

/// Fresh persons made before each minute for its submissions. A quarter of the calls submit,
/// and this machine answers well under 2,000 calls a second in this mix; once a minute's
/// persons are used up its submit turns read an application instead.
const PERSONS_PER_MINUTE: usize = 30_000;

/// Whose resources are read: the server's process, or none (a remote server without
/// --server-pid).
#[derive(Clone, Copy)]
pub(crate) enum Process {
    Pid(u32),
    Unknown,
}

#[derive(Serialize, Clone, Debug)]
pub(crate) struct Sample {
    /// 0 before the load; then the minute just ended.
    pub(crate) minute: u64,
    pub(crate) seconds: f64,
    /// Calls answered and failed during this minute (0 in the start row).
    pub(crate) calls: u64,
    pub(crate) errors: u64,
    pub(crate) rss_kb: Option<u64>,
    pub(crate) fds: Option<u64>,
    /// Every connection to the database, the bench's own pool included.
    pub(crate) db_connections: Option<i64>,
    /// The server's connections (its pool sets application_name `kandas`).
    pub(crate) server_db_connections: Option<i64>,
}

/// The resident set size in kB from the text of /proc/<pid>/status.
pub(crate) fn vm_rss_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

impl Process {
    fn dir(self) -> Option<String> {
        match self {
            Process::Pid(pid) => Some(format!("/proc/{pid}")),
            Process::Unknown => None,
        }
    }

    fn rss_kb(self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("{}/status", self.dir()?)).ok()?;
        vm_rss_kb(&status)
    }

    fn fds(self) -> Option<u64> {
        Some(
            std::fs::read_dir(format!("{}/fd", self.dir()?))
                .ok()?
                .count() as u64,
        )
    }
}

async fn sample(
    target: &Target,
    process: Process,
    minute: u64,
    started: Instant,
    calls: u64,
    errors: u64,
) -> Sample {
    let counts = sqlx::query!(
        r#"SELECT count(*) AS "all!", count(*) FILTER (WHERE application_name = 'kandas') AS "service!"
         FROM pg_stat_activity WHERE datname = current_database()"#
    )
    .fetch_one(&target.db)
    .await
    .ok()
    .map(|row| (row.all, row.service));
    Sample {
        minute,
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        calls,
        errors,
        rss_kb: process.rss_kb(),
        fds: process.fds(),
        db_connections: counts.map(|c| c.0),
        server_db_connections: counts.map(|c| c.1),
    }
}

fn show<T: std::fmt::Display>(x: Option<T>) -> String {
    x.map_or_else(|| "?".into(), |x| x.to_string())
}

fn print(s: &Sample) {
    println!(
        "  minute {:>3} ({:>6.0} s): {:>8} calls {:>5} errors   rss {} kB   fds {}   db connections {} (server {})",
        s.minute,
        s.seconds,
        s.calls,
        s.errors,
        show(s.rss_kb),
        show(s.fds),
        show(s.db_connections),
        show(s.server_db_connections)
    );
}

fn growth(start: Option<u64>, end: Option<u64>) -> Option<i64> {
    Some(end? as i64 - start? as i64)
}

type PrerequisiteClient = pb::prerequisite_service_client::PrerequisiteServiceClient<Channel>;
type QuotaClient = pb::quota_service_client::QuotaServiceClient<Channel>;

/// `minutes` of submit, get_application, check_prerequisites and GetQuota in turn on `c`
/// clients, sampled before the load and after every minute. Returns the JSON of the series.
pub(crate) async fn run_soak(
    target: &Target,
    c: usize,
    minutes: u64,
    process: Process,
) -> anyhow::Result<serde_json::Value> {
    println!(
        "soak: {minutes} min, {c} clients; submit, get_application, check_prerequisites, GetQuota in turn"
    );
    match process {
        Process::Pid(pid) => println!("  server process {pid}"),
        Process::Unknown => println!("  no server pid (--server-pid): RSS and fds unknown"),
    }
    let applications: Arc<Vec<String>> = Arc::new(
        sqlx::query_scalar!(r#"SELECT 'applications/' || id AS "name!" FROM applications"#)
            .fetch_all(&target.db)
            .await?,
    );
    let applicants: Arc<Vec<String>> = Arc::new(
        sqlx::query_scalar!(r#"SELECT 'persons/' || applicant_id AS "name!" FROM applications"#)
            .fetch_all(&target.db)
            .await?,
    );
    let psc = target.channels("psc", c).await?;
    let police = target.channels("police", c).await?;
    let year = kandas::state::Clock::system().today().year();

    let started = Instant::now();
    let start = sample(target, process, 0, started, 0, 0).await;
    print(&start);
    let mut rows = Vec::new();
    let mut used = Vec::new();
    for minute in 1..=minutes {
        let fresh = new_persons(&target.db, PERSONS_PER_MINUTE).await?;
        let persons: Arc<Vec<String>> =
            Arc::new(fresh.iter().map(|id| format!("persons/{id}")).collect());
        used.extend(fresh);
        let next = Arc::new(AtomicUsize::new(0));
        let turn = Arc::new(AtomicUsize::new(0));
        let apps: Vec<ApplicationClient> =
            psc.iter().cloned().map(ApplicationClient::new).collect();
        let quotas: Vec<QuotaClient> = psc.iter().cloned().map(QuotaClient::new).collect();
        let checks: Vec<PrerequisiteClient> = police
            .iter()
            .cloned()
            .map(PrerequisiteClient::new)
            .collect();
        let (applications, applicants) = (applications.clone(), applicants.clone());
        let name = format!("soak minute {minute}");
        let m = drive(&target.watch, &name, c, Duration::from_secs(60), move |w| {
            let kind = turn.fetch_add(1, Ordering::Relaxed) % 4;
            let fresh = if kind == 0 {
                take(&persons, &next)
            } else {
                None
            };
            let (mut app, mut check, mut quota) =
                (apps[w].clone(), checks[w].clone(), quotas[w].clone());
            let application = applications[pick(applications.len())].clone();
            let person = applicants[pick(applicants.len())].clone();
            async move {
                let answered = match (kind, fresh) {
                    (0, Some(applicant)) => app
                        .submit_application(iin_submission(&applicant))
                        .await
                        .map(|_| ()),
                    (2, _) => check
                        .check_prerequisites(pb::CheckPrerequisitesRequest {
                            person,
                            procedure: pb::Procedure::PermanentResidencePermit as i32,
                            ..Default::default()
                        })
                        .await
                        .map(|_| ()),
                    (3, _) => quota
                        .get_quota(pb::GetQuotaRequest {
                            region: QUOTA_REGION.into(),
                            year,
                        })
                        .await
                        .map(|_| ()),
                    _ => app
                        .get_application(pb::GetApplicationRequest { name: application })
                        .await
                        .map(|_| ()),
                };
                Some(answered.map(|()| Answer::Done))
            }
        })
        .await?;
        let (calls, errors) = (m.latencies.len() as u64, m.errors);
        let row = sample(target, process, minute, started, calls, errors).await;
        print(&row);
        rows.push(row);
    }
    let end = rows.last().cloned().unwrap_or_else(|| start.clone());
    let rss_growth = growth(start.rss_kb, end.rss_kb);
    let fd_growth = growth(start.fds, end.fds);
    println!(
        "\nsoak summary: rss {} → {} kB ({} kB), fds {} → {} ({}), db connections {} → {}",
        show(start.rss_kb),
        show(end.rss_kb),
        show(rss_growth.map(|g| format!("{g:+}"))),
        show(start.fds),
        show(end.fds),
        show(fd_growth.map(|g| format!("{g:+}"))),
        show(start.db_connections),
        show(end.db_connections),
    );
    println!(
        "  {} calls, {} errors in all",
        rows.iter().map(|r| r.calls).sum::<u64>(),
        rows.iter().map(|r| r.errors).sum::<u64>()
    );
    // Rows the submissions added go, so a soak against a running service leaves it as found.
    forget(&target.db, &used).await?;
    Ok(serde_json::json!({
        "minutes": minutes,
        "concurrency": c,
        "server": match process {
            Process::Pid(pid) => serde_json::json!(pid),
            Process::Unknown => serde_json::Value::Null,
        },
        "start": start,
        "end": end,
        "per_minute": rows,
        "rss_growth_kb": rss_growth,
        "fd_growth": fd_growth,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_read_from_its_line() {
        let status =
            "Name:\tkandas\nVmPeak:\t  912340 kB\nVmRSS:\t   81236 kB\nRssAnon:\t   70000 kB\n";
        assert_eq!(vm_rss_kb(status), Some(81_236));
    }

    #[test]
    fn no_vm_rss_line_is_none() {
        // Kernel threads have no VmRSS line.
        assert_eq!(vm_rss_kb("Name:\tkthreadd\nState:\tS (sleeping)\n"), None);
        assert_eq!(vm_rss_kb("VmRSS:\tlots kB\n"), None);
    }

    #[test]
    fn growth_needs_both_ends() {
        assert_eq!(growth(Some(100), Some(90)), Some(-10));
        assert_eq!(growth(None, Some(90)), None);
    }

    #[test]
    fn own_status_has_a_resident_size() {
        let itself = Process::Pid(std::process::id());
        assert!(itself.rss_kb().is_some_and(|kb| kb > 0));
        assert!(itself.fds().is_some_and(|fds| fds > 0));
        assert_eq!(Process::Unknown.rss_kb(), None);
    }
}
