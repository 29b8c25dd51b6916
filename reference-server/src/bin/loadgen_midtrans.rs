//! Load generator for Midtrans payment notifications: signed notifications
//! posted over loopback HTTP to `/webhooks/midtrans`, each verified,
//! confirmed with `GET /v2/{order}/status` (a Midtrans stand-in on
//! loopback) and applied idempotently. Every order gets one settlement
//! notification plus `--repeats` repeated deliveries of it, shuffled and
//! sent concurrently (a repeat may race the first delivery). Prints
//! requests per second and the latency distribution, then checks that
//! every order was applied exactly once (one `changed: true` answer per
//! order, one subscription period per order).
//!
//! It starts the server itself on a fresh SQLite file in a temporary
//! directory (same binary, separate runtime threads):
//!
//! ```text
//! cargo run --release -p reference-server --features loadtest --bin loadgen_midtrans -- --orders 10000 --repeats 1 --concurrency 32
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Parser;
use rand::seq::SliceRandom;

#[path = "loadgen_common.rs"]
mod common;

#[derive(Parser, Debug)]
#[command(about = "Midtrans notification load generator (loopback)")]
struct Args {
    /// Orders to create and settle.
    #[arg(long, default_value_t = 10_000)]
    orders: usize,
    /// Repeated deliveries of each settlement notification.
    #[arg(long, default_value_t = 1)]
    repeats: usize,
    /// Vendors the orders are spread over.
    #[arg(long, default_value_t = 200)]
    vendors: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: u64,
    /// Worker threads of the in-process server.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn drive(
    args: &Args,
    setup: &reference_server::billing::loadtest::Setup,
) -> Result<(), BoxError> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .no_proxy()
        .build()?;
    let url = Arc::new(format!("{}/webhooks/midtrans", setup.base));
    // Signed bodies are built up front: the figure is the server's work.
    let mut bodies: Vec<String> = Vec::with_capacity(setup.orders.len() * (1 + args.repeats));
    for order in &setup.orders {
        let b = midtrans_client::testing::signed_notification(
            order,
            "settlement",
            setup.amount_idr,
            reference_server::billing::loadtest::SERVER_KEY,
        );
        for _ in 0..=args.repeats {
            bodies.push(b.clone());
        }
    }
    bodies.shuffle(&mut rand::rng());
    let total = bodies.len() as u64;
    let bodies = Arc::new(bodies);
    let changed = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&changed);
    let result = common::run(total, args.concurrency, move |i| {
        let body = usize::try_from(i)
            .ok()
            .and_then(|i| bodies.get(i))
            .cloned()
            .unwrap_or_default();
        let request = client
            .post(url.as_str())
            .header("content-type", "application/json")
            .body(body)
            .send();
        let changed = Arc::clone(&counted);
        async move {
            match request.await {
                Ok(r) if r.status().is_success() => match r.json::<serde_json::Value>().await {
                    Ok(v) => {
                        if v["data"]["changed"] == true {
                            changed.fetch_add(1, Ordering::Relaxed);
                        }
                        v["data"]["status"] == "paid"
                    }
                    Err(_) => false,
                },
                _ => false,
            }
        }
    })
    .await?;
    let failed = result.failed;
    let report = result.report(
        &format!(
            "midtrans notifications ({} orders, {} repeat(s) each)",
            setup.orders.len(),
            args.repeats
        ),
        args.concurrency,
    );
    let (periods,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM subscription_periods WHERE order_id LIKE 'load-%'")
            .fetch_one(&setup.pool)
            .await?;
    let changed = changed.load(Ordering::Relaxed);
    // The figure is the program's output.
    #[allow(clippy::print_stdout)]
    {
        println!(
            "{report}\n  applied: {changed} notifications changed an order, {periods} subscription periods"
        );
    }
    let orders = setup.orders.len() as u64;
    if failed > 0 {
        return Err(format!("{failed} requests failed or did not leave the order paid").into());
    }
    if changed != orders || periods as u64 != orders {
        return Err(format!(
            "expected each of the {orders} orders applied exactly once: {changed} changes, {periods} periods"
        )
        .into());
    }
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let dir = std::env::temp_dir().join(format!(
        "loadgen-midtrans-{}",
        reference_server::db::new_id()
    ));
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .enable_all()
        .build()?;
    let setup = server_rt.block_on(reference_server::billing::loadtest::start(
        &dir,
        args.vendors,
        args.orders,
    ))?;
    let result = client_rt.block_on(drive(&args, &setup));
    drop(server_rt);
    // Best effort: the figure is already printed.
    let _ = std::fs::remove_dir_all(&dir);
    result
}
