//! Webhook verification benchmark (parsing is added with the parsers).
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use whatsapp_client::webhook::{sign, verify_signature};

fn bench(c: &mut Criterion) {
    let body = vec![b'x'; 1024];
    let header = sign(b"app-secret", &body);
    c.bench_function("verify_signature_1k", |b| {
        b.iter(|| {
            verify_signature(
                black_box(b"app-secret"),
                black_box(&header),
                black_box(&body),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
