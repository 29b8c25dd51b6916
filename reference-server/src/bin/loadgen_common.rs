//! Shared by the load generators (`#[path]`-included, not a binary): the
//! concurrent request loop, latency percentiles and the printed report.

/// The server binary's allocator, so the in-process server is measured
/// as it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The outcome of [`run`].
pub(crate) struct Run {
    /// Latency of each request.
    pub(crate) latencies: Latencies,
    /// Requests that failed.
    pub(crate) failed: u64,
    /// Wall time of the whole run.
    pub(crate) elapsed: Duration,
}

impl Run {
    /// The printed report of this run.
    pub(crate) fn report(&self, what: &str, concurrency: u64) -> String {
        self.latencies
            .report(what, concurrency, self.failed, self.elapsed)
    }
}

/// Sends requests `0..total`, `concurrency` at a time. `one(i)` prepares
/// request `i` and returns the future sending it, which says whether it
/// succeeded; only the future is timed.
pub(crate) async fn run<F, Fut>(
    total: u64,
    concurrency: u64,
    one: F,
) -> Result<Run, tokio::task::JoinError>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let one = Arc::new(one);
    let next = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (one, next, failures) = (Arc::clone(&one), Arc::clone(&next), Arc::clone(&failures));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let request = one(i);
                let t = Instant::now();
                let ok = request.await;
                lat.push(t.elapsed());
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat
        }));
    }
    let mut all = Vec::with_capacity(usize::try_from(total).unwrap_or_default());
    for t in tasks {
        all.extend(t.await?);
    }
    Ok(Run {
        latencies: Latencies::new(all),
        failed: failures.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    })
}

/// Latencies of one run, sorted.
pub(crate) struct Latencies(Vec<Duration>);

impl Latencies {
    /// Sorts the samples.
    pub(crate) fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self(samples)
    }

    /// The `p` quantile (0..=1), in milliseconds.
    pub(crate) fn ms(&self, p: f64) -> f64 {
        let i = ((self.0.len() as f64 * p) as usize).min(self.0.len().saturating_sub(1));
        self.0.get(i).copied().unwrap_or_default().as_secs_f64() * 1e3
    }

    /// `"<n> requests ... throughput ... latency ..."` for a run of `elapsed`.
    pub(crate) fn report(
        &self,
        what: &str,
        concurrency: u64,
        failed: u64,
        elapsed: Duration,
    ) -> String {
        format!(
            "{what}: {} requests, concurrency {concurrency}, {failed} failed\n  \
             throughput: {:.0} requests/s over {:.2} s\n  \
             latency: p50 {:.2} ms, p90 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.0.len(),
            self.0.len() as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64(),
            self.ms(0.50),
            self.ms(0.90),
            self.ms(0.95),
            self.ms(0.99),
            self.ms(1.0),
        )
    }
}
