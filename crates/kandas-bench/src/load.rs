//! Driving load and measuring it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::cost::{Cost, Watch};

/// How a call was answered. `Refused` is an expected answer that is not the work itself: a
/// request shed under overload, or a quota with no places left.
pub(crate) enum Answer {
    Done,
    Refused,
}

/// One scenario's raw results.
pub(crate) struct Measured {
    pub(crate) name: String,
    pub(crate) concurrency: usize,
    pub(crate) elapsed: Duration,
    /// Latencies of answered calls, sorted.
    pub(crate) latencies: Vec<Duration>,
    pub(crate) refused: Vec<Duration>,
    pub(crate) errors: u64,
    pub(crate) first_error: Option<String>,
    /// The server's and PostgreSQL's CPU in the window, and its sequential scans.
    pub(crate) cost: Cost,
}

impl Measured {
    pub(crate) fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub(crate) fn percentile(&self, p: f64) -> f64 {
        percentile(&self.latencies, p)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

/// Runs `call(worker)` in a closed loop on `workers` tasks, no think time, until `duration`
/// has passed or `call` returns None (its prepared work is used up). Refusals are kept apart.
/// `watch` measures what the window cost; preparing the work belongs before it.
pub(crate) async fn drive<F, Fut>(
    watch: &Watch,
    name: &str,
    workers: usize,
    duration: Duration,
    call: F,
) -> anyhow::Result<Measured>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Result<Answer, tonic::Status>>> + Send,
{
    let call = Arc::new(call);
    let opened = watch.open().await?;
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let call = call.clone();
            tokio::spawn(async move {
                let (mut done, mut refused, mut errors, mut first) =
                    (Vec::new(), Vec::new(), 0, None);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match call(w).await {
                        None => break,
                        Some(Ok(Answer::Done)) => done.push(t.elapsed()),
                        Some(Ok(Answer::Refused)) => refused.push(t.elapsed()),
                        Some(Err(status)) => {
                            errors += 1;
                            first.get_or_insert_with(|| {
                                format!("{:?}: {}", status.code(), status.message())
                            });
                        }
                    }
                }
                (done, refused, errors, first)
            })
        })
        .collect();
    let mut m = Measured {
        name: name.to_string(),
        concurrency: workers,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        refused: Vec::new(),
        errors: 0,
        first_error: None,
        cost: Cost::default(),
    };
    for task in tasks {
        let (done, refused, errors, first) = task.await.expect("a load task panicked");
        m.latencies.extend(done);
        m.refused.extend(refused);
        m.errors += errors;
        m.first_error = m.first_error.or(first);
    }
    m.elapsed = start.elapsed();
    m.cost = watch.close(opened).await?;
    m.latencies.sort();
    m.refused.sort();
    println!(
        "  {name}: {} answered, {} refused, {} errors in {:.1} s{}",
        m.latencies.len(),
        m.refused.len(),
        m.errors,
        m.elapsed.as_secs_f64(),
        m.first_error
            .as_ref()
            .map(|e| format!(" (first error {e})"))
            .unwrap_or_default()
    );
    for scan in &m.cost.seq_scans {
        println!(
            "    sequential scans of {} ({} rows): {}, {} rows read",
            scan.table, scan.live_rows, scan.scans, scan.rows_read
        );
    }
    Ok(m)
}

/// A random index below `n` (xorshift per thread; quality is irrelevant, speed is not).
pub(crate) fn pick(n: usize) -> usize {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = Cell::new(Uuid::new_v4().as_u64_pair().0 | 1));
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x % n as u64) as usize
    })
}

/// Next item of a shared work list, or None when it is used up.
pub(crate) fn take<T: Clone>(items: &[T], next: &AtomicUsize) -> Option<T> {
    items.get(next.fetch_add(1, Ordering::Relaxed)).cloned()
}
