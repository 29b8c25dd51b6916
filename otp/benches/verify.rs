//! Verify throughput on the SQLite store (and the memory store for
//! comparison). Each measured verify runs against its own freshly issued
//! challenge; issuing is not timed.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use otp::testing::RecordingChannel;
use otp::{
    Destination, IssueRequest, MemoryStore, Otp, OtpConfig, OtpSecret, Purpose, SqlStore, Store,
};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn engine(store: impl Store + 'static) -> (Otp, RecordingChannel) {
    let channel = RecordingChannel::new();
    let mut config = OtpConfig::default();
    config.resend_cooldown = Duration::ZERO;
    config.max_sends_per_destination = 1000;
    let otp = Otp::builder(OtpSecret::new([5u8; 32]).unwrap(), store, channel.clone())
        .config(config)
        .build()
        .unwrap();
    (otp, channel)
}

/// Issues `n` challenges to distinct numbers; returns (id, code) pairs.
async fn issue(otp: &Otp, channel: &RecordingChannel, n: u64) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let k = NEXT.fetch_add(1, Ordering::Relaxed);
        let to = Destination::phone_e164(&format!("+62812{k:08}")).unwrap();
        let issued = otp
            .issue(IssueRequest::new(Purpose::LOGIN, to))
            .await
            .unwrap();
        out.push((issued.challenge_id, channel.last_code().unwrap()));
    }
    out
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let sqlite = rt.block_on(async {
        let store = SqlStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        store
    });

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    for (name, (otp, channel)) in [
        ("sqlite", engine(sqlite.clone())),
        ("memory", engine(MemoryStore::new())),
    ] {
        group.bench_function(format!("{name}/right_code"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (otp, channel) = (otp.clone(), channel.clone());
                async move {
                    let work = issue(&otp, &channel, iters).await;
                    let start = Instant::now();
                    for (id, code) in &work {
                        let outcome = otp.verify(&Purpose::LOGIN, id, code).await.unwrap();
                        assert!(outcome.is_verified());
                    }
                    start.elapsed()
                }
            });
        });
        group.bench_function(format!("{name}/wrong_code"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (otp, channel) = (otp.clone(), channel.clone());
                async move {
                    // Three wrong tries fit on each challenge.
                    let work = issue(&otp, &channel, iters.div_ceil(3)).await;
                    let start = Instant::now();
                    for i in 0..iters as usize {
                        let (id, _) = &work[i / 3];
                        let outcome = otp.verify(&Purpose::LOGIN, id, "x").await.unwrap();
                        assert!(!outcome.is_verified());
                    }
                    start.elapsed()
                }
            });
        });
        group.bench_function(format!("{name}/not_found"), |b| {
            b.to_async(&rt).iter(|| {
                let otp = otp.clone();
                async move {
                    let outcome = otp
                        .verify(
                            &Purpose::LOGIN,
                            "0123456789abcdef0123456789abcdef",
                            "123456",
                        )
                        .await
                        .unwrap();
                    assert!(!outcome.is_verified());
                }
            });
        });
    }
    // Eight verifies in flight at once against SQLite, as several request
    // handlers would issue them.
    let (otp, channel) = engine(sqlite);
    group.throughput(Throughput::Elements(8));
    group.bench_function("sqlite/right_code_8_parallel", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (otp, channel) = (otp.clone(), channel.clone());
            async move {
                let work = issue(&otp, &channel, iters * 8).await;
                let start = Instant::now();
                for chunk in work.chunks(8) {
                    let tasks: Vec<_> = chunk
                        .iter()
                        .cloned()
                        .map(|(id, code)| {
                            let otp = otp.clone();
                            tokio::spawn(async move {
                                otp.verify(&Purpose::LOGIN, &id, &code).await.unwrap()
                            })
                        })
                        .collect();
                    for t in tasks {
                        assert!(t.await.unwrap().is_verified());
                    }
                }
                start.elapsed()
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
