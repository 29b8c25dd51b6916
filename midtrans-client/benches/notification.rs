//! Parse + verify of a Midtrans notification body.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use midtrans_client::{Notification, testing};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let key = "SB-Mid-server-bench-key";
    let body = testing::signed_notification("ORDER-2026-0001", "settlement", 150_000, key);
    let bytes = body.as_bytes();
    c.bench_function("notification parse", |b| {
        b.iter(|| Notification::from_slice(black_box(bytes)).unwrap())
    });
    let parsed = Notification::from_slice(bytes).unwrap();
    c.bench_function("notification verify", |b| {
        b.iter(|| black_box(&parsed).verify_signature(black_box(key)).unwrap())
    });
    c.bench_function("notification parse+verify", |b| {
        b.iter(|| {
            let n = Notification::from_slice(black_box(bytes)).unwrap();
            n.verify_signature(black_box(key)).unwrap();
            n
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
