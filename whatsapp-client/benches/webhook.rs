//! Verify + parse of a typical ~1 KB Cloud API webhook (an image reply with
//! caption, contact profile and metadata), and the two halves separately.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use whatsapp_client::webhook::{parse_cloud, parse_fonnte, sign, verify_signature};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat), so the
/// figure is not inflated when other processes compete for the cores.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn bench(c: &mut Criterion) {
    let secret = b"0123456789abcdef0123456789abcdef";
    let body = fixture("cloud_image_reply.json");
    let header = sign(secret, &body);

    // On-CPU time per payload, printed next to criterion's wall-clock time.
    let n = 100_000u64;
    if let Some(start) = thread_cpu_ns() {
        for _ in 0..n {
            verify_signature(black_box(secret), black_box(&header), black_box(&body)).unwrap();
            black_box(parse_cloud(black_box(&body)).unwrap());
        }
        if let Some(end) = thread_cpu_ns() {
            eprintln!(
                "verify+parse {} B Cloud webhook: {} ns/payload on-CPU ({n} iterations)",
                body.len(),
                (end - start) / n
            );
        }
    }
    let mut g = c.benchmark_group("cloud_webhook");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function(format!("verify_and_parse_{}B", body.len()), |b| {
        b.iter(|| {
            verify_signature(black_box(secret), black_box(&header), black_box(&body)).unwrap();
            parse_cloud(black_box(&body)).unwrap()
        })
    });
    g.bench_function("verify_only", |b| {
        b.iter(|| verify_signature(black_box(secret), black_box(&header), black_box(&body)))
    });
    g.bench_function("parse_only", |b| {
        b.iter(|| parse_cloud(black_box(&body)).unwrap())
    });
    g.finish();

    c.bench_function("phone_parse_e164", |b| {
        b.iter(|| whatsapp_client::PhoneNumber::parse(black_box("+6281234567890")).unwrap())
    });
    c.bench_function("phone_from_wa_id", |b| {
        b.iter(|| whatsapp_client::PhoneNumber::from_wa_id(black_box("6281234567890")).unwrap())
    });
    c.bench_function("json_value_only", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap())
    });
    c.bench_function("phone_parse_national", |b| {
        b.iter(|| whatsapp_client::PhoneNumber::parse(black_box("0812-3456-7890")).unwrap())
    });

    let fonnte = fixture("fonnte_message.json");
    c.bench_function("fonnte_webhook_parse", |b| {
        b.iter(|| parse_fonnte(black_box(&fonnte)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
