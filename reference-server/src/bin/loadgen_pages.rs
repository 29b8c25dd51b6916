//! Page benchmark of the web console: a signed-in vendor's console pages
//! rendered server-side at a fixed request rate for a fixed duration,
//! then the latency distribution per page.
//!
//! It starts the server itself on a fresh SQLite file in a temporary
//! directory (same binary, separate runtime threads), signs a vendor up
//! through the sign-up rules, seeds a month of inbox traffic over many
//! conversations and a few campaigns with their recipients, and requests
//! the pages with the vendor's session cookie. The
//! requests are sent on a fixed schedule (open loop: a slow answer does
//! not delay the next request), round robin over the paths:
//!
//! ```text
//! cargo run --release -p reference-server --features loadtest --bin loadgen_pages -- \
//!     --rate 200 --seconds 20 --path /console/overview --path /console/inbox --path /console/campaigns
//! ```
//!
//! A path the server does not have answers 404 and counts as failed.

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

// Only the percentiles are used: this generator sends on a schedule, not
// through the shared closed-loop runner.
#[allow(dead_code)]
#[path = "loadgen_common.rs"]
mod common;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug)]
#[command(about = "Console pages rendered at a fixed rate: p50 / p99 latency per page")]
struct Args {
    /// Requests per second, over all paths.
    #[arg(long, default_value_t = 200)]
    rate: u64,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// A console path to request (repeat for several; default: the
    /// overview).
    #[arg(long = "path")]
    paths: Vec<String>,
    /// Inbox messages seeded over the last 30 days (what the overview
    /// counts and draws).
    #[arg(long, default_value_t = 20_000)]
    messages: usize,
    /// Conversations the messages belong to (what the inbox lists).
    #[arg(long, default_value_t = 500)]
    conversations: usize,
    /// Campaigns, in turn completed, running, paused, scheduled, draft and
    /// cancelled (what the campaign list shows with its counts).
    #[arg(long, default_value_t = 6)]
    campaigns: usize,
    /// Recipients of each campaign that has started.
    #[arg(long, default_value_t = 5_000)]
    recipients: usize,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
}

/// Sends `rate` requests per second for `seconds`, request `i` to
/// `urls[i % urls.len()]`; returns per path the latencies and failures.
async fn drive(
    args: &Args,
    urls: Arc<Vec<String>>,
    cookie: Arc<String>,
) -> Result<Vec<(Vec<Duration>, u64)>, BoxError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()?;
    let total = args.rate * args.seconds;
    let gap = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        tokio::time::sleep_until(started + gap * i as u32).await;
        let k = (i as usize) % urls.len();
        let request = client
            .get(urls[k].as_str())
            .header("accept", "text/html")
            .header("cookie", cookie.as_str())
            .send();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let ok = match request.await {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            };
            (k, t.elapsed(), ok)
        }));
    }
    let mut out: Vec<(Vec<Duration>, u64)> = vec![(Vec::new(), 0); urls.len()];
    for t in tasks {
        let (k, latency, ok) = t.await?;
        out[k].0.push(latency);
        if !ok {
            out[k].1 += 1;
        }
    }
    Ok(out)
}

fn main() -> Result<(), BoxError> {
    let mut args = Args::parse();
    if args.paths.is_empty() {
        args.paths.push("/console/overview".to_owned());
    }
    let dir =
        std::env::temp_dir().join(format!("loadgen-pages-{}", reference_server::db::new_id()));
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .enable_all()
        .build()?;
    let setup = server_rt.block_on(reference_server::web::loadtest::start(
        &dir,
        reference_server::web::loadtest::Seed {
            messages: args.messages,
            conversations: args.conversations,
            campaigns: args.campaigns,
            recipients: args.recipients,
        },
    ))?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let urls: Arc<Vec<String>> = Arc::new(
        args.paths
            .iter()
            .map(|p| format!("{}{p}", setup.base))
            .collect(),
    );
    let cookie = Arc::new(format!("wa_session={}", setup.session));
    let started = Instant::now();
    let result = client_rt.block_on(drive(&args, urls, cookie));
    let elapsed = started.elapsed();
    drop(server_rt);
    // Best effort: the figures are printed below.
    let _ = std::fs::remove_dir_all(&dir);
    let mut failed = 0;
    println!(
        "{} requests/s for {} s on SQLite; seeded {} messages in {} conversations, {} campaigns \
         ({} recipients each started one)",
        args.rate, args.seconds, args.messages, args.conversations, args.campaigns, args.recipients
    );
    for (path, (latencies, fails)) in args.paths.iter().zip(result?) {
        failed += fails;
        let n = latencies.len() as u64;
        let l = common::Latencies::new(latencies);
        println!(
            "{path}: {n} requests, {fails} failed; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            l.ms(0.50),
            l.ms(0.99),
            l.ms(1.0)
        );
    }
    println!("wall time {:.2} s", elapsed.as_secs_f64());
    if failed > 0 {
        return Err(format!("{failed} requests failed").into());
    }
    Ok(())
}
