//! Marketplace figures over the HTTP API, with a Midtrans stand-in on
//! loopback (Snap and the status API) and a fresh database per run:
//!
//! * `race`: buyers (signed in with the code from the simulator outbox)
//!   each with one unit of the same variant in the cart check out at the
//!   same moment; every won checkout is paid through the signed Midtrans
//!   notification. Prints the answers, paid orders, units sold, stock
//!   left and oversold units, and exits non-zero unless exactly the units
//!   on offer were sold and paid. With `--postgres <server url>` a fresh
//!   database is created there; `--processes 2` then races over two
//!   `reference-server serve` processes sharing it.
//! * `checkout`: buyers each fill a cart with one item of every shop and
//!   check out, over and over; the checkout request is timed.
//! * `search`: a catalog of products inserted in bulk, then a mix of
//!   searches (words, categories, prices, sorts) sent concurrently.
//!
//! ```text
//! cargo build --release -p reference-server --features loadtest --bin reference-server --bin loadgen_marketplace
//! target/release/loadgen_marketplace race --buyers 200 --units 5
//! target/release/loadgen_marketplace race --buyers 200 --units 5 --postgres postgres://postgres@127.0.0.1:5432/postgres --processes 2
//! target/release/loadgen_marketplace checkout --buyers 50 --shops 3 --rounds 20
//! target/release/loadgen_marketplace search --products 100000 --requests 20000 --concurrency 8
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use reference_server::marketplace::loadtest::{LoadError, Market, ServerProcess, search_cases};

#[path = "loadgen_common.rs"]
mod common;

#[derive(Parser, Debug)]
#[command(about = "Marketplace figures: oversell race, split checkout, catalog search")]
struct Args {
    #[command(subcommand)]
    figure: Figure,
    /// PostgreSQL server URL; a fresh database is created on it (default:
    /// a SQLite file in a temporary directory).
    #[arg(long, global = true)]
    postgres: Option<String>,
    /// `reference-server serve` processes to send the requests to (2 or
    /// more needs --postgres); 1 serves from this process.
    #[arg(long, global = true, default_value_t = 1)]
    processes: usize,
    /// Worker threads of the in-process server's runtime.
    #[arg(long, global = true, default_value_t = 2)]
    server_threads: usize,
}

#[derive(Subcommand, Debug)]
enum Figure {
    /// Buyers racing for the last units of one variant.
    Race {
        /// Buyers checking out at once.
        #[arg(long, default_value_t = 200)]
        buyers: usize,
        /// Units in stock.
        #[arg(long, default_value_t = 5)]
        units: i64,
    },
    /// Checkout of a cart with one item of each of several shops.
    Checkout {
        /// Buyers checking out concurrently.
        #[arg(long, default_value_t = 50)]
        buyers: usize,
        /// Shops in every cart.
        #[arg(long, default_value_t = 3)]
        shops: usize,
        /// Checkouts per buyer.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Catalog search over many products.
    Search {
        /// Products in the catalog.
        #[arg(long, default_value_t = 100_000)]
        products: usize,
        /// Vendors owning them.
        #[arg(long, default_value_t = 20)]
        vendors: usize,
        /// Searches to send.
        #[arg(long, default_value_t = 20_000)]
        requests: u64,
        /// Searches in flight at once.
        #[arg(long, default_value_t = 8)]
        concurrency: u64,
    },
}

/// A directory under the system temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: the figures are already printed.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn engine(args: &Args) -> &'static str {
    if args.postgres.is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

async fn race(
    market: Arc<Market>,
    args: &Args,
    buyers: usize,
    units: i64,
) -> Result<(), LoadError> {
    let r = market.race(buyers, units).await?;
    let latencies = common::Latencies::new(r.latencies.clone());
    println!(
        "race on {}: {buyers} buyers for {units} units over {} server process(es)\n  \
         answers: {} won (201), {} sold out (409), {} unexpected\n  \
         paid orders {}, units sold {}, stock left {}, oversold {} (units in any order {}, ledger says {} left)\n  {}",
        engine(args),
        market.bases.len(),
        r.won,
        r.sold_out,
        r.unexpected.len(),
        r.paid_orders,
        r.units_sold,
        r.stock_left,
        r.oversold(),
        r.units_ordered,
        r.ledger_stock,
        latencies.report("checkout requests", buyers as u64, 0, r.elapsed),
    );
    let violations = r.violations();
    if !violations.is_empty() {
        return Err(violations.join("; ").into());
    }
    Ok(())
}

async fn checkout(
    market: Arc<Market>,
    args: &Args,
    buyers: usize,
    shops: usize,
    rounds: usize,
) -> Result<(), LoadError> {
    let t = Instant::now();
    let all = market.buyers(buyers, 16).await?;
    let stock = i64::try_from(buyers * rounds)? + 1_000;
    let shops = market.shops(shops, stock).await?;
    println!(
        "setup: {buyers} buyers signed in and {} shops in {:.1} s",
        shops.len(),
        t.elapsed().as_secs_f64()
    );
    let r = market.checkout_load(&shops, all, rounds).await?;
    let latencies = common::Latencies::new(r.latencies);
    println!(
        "checkout on {}: carts with one item of each of {} shops, {buyers} buyers, {rounds} checkouts each\n  {}\n  \
         stored: {} checkouts, {} units in orders, {} units taken from stock",
        engine(args),
        shops.len(),
        latencies.report("checkout requests", buyers as u64, r.failed, r.elapsed),
        r.stored,
        r.units_ordered,
        r.units_taken,
    );
    let expected = i64::try_from(buyers * rounds)?;
    if r.failed > 0 {
        return Err(format!("{} checkouts failed", r.failed).into());
    }
    let units = expected * i64::try_from(shops.len())?;
    if r.stored != expected || r.units_ordered != units || r.units_taken != units {
        return Err(format!(
            "expected {expected} checkouts and {units} units ordered and taken from stock"
        )
        .into());
    }
    Ok(())
}

async fn search(
    market: Arc<Market>,
    args: &Args,
    products: usize,
    vendors: usize,
    requests: u64,
    concurrency: u64,
) -> Result<(), LoadError> {
    let mut owners = Vec::with_capacity(vendors);
    for v in 0..vendors.max(1) {
        owners.push(market.vendor(&format!("Toko Katalog {v}")).await?);
    }
    let t = Instant::now();
    market.seed_catalog(&owners, products).await?;
    println!(
        "setup: {products} products of {} vendors inserted in {:.1} s",
        owners.len(),
        t.elapsed().as_secs_f64()
    );
    let cases = search_cases(64);
    let urls: Arc<Vec<String>> = Arc::new(
        (0..market.bases.len())
            .flat_map(|s| {
                let base = market.bases[s].clone();
                cases.iter().map(move |c| format!("{base}{}", c.path))
            })
            .collect(),
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency as usize)
        .build()?;
    // One pass over the mix first: the figure is of a warm server.
    for url in urls.iter() {
        client.get(url.as_str()).send().await?.bytes().await?;
    }
    let run = common::run(requests, concurrency, move |i| {
        let url = &urls[(i as usize) % urls.len()];
        let request = client.get(url.as_str()).send();
        async move {
            match request.await {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            }
        }
    })
    .await?;
    println!(
        "search on {}: {products} products, a mix of {} searches\n  {}",
        engine(args),
        cases.len(),
        run.report("search requests", concurrency)
    );
    if run.failed > 0 {
        return Err(format!("{} searches failed", run.failed).into());
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), LoadError> {
    if args.processes > 1 && args.postgres.is_none() {
        return Err("several processes need --postgres".into());
    }
    let dir = TempDir(std::env::temp_dir().join(format!(
        "loadgen-marketplace-{}",
        reference_server::db::new_id()
    )));
    std::fs::create_dir_all(&dir.0)?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .enable_all()
        .build()?;
    let database_url = match &args.postgres {
        Some(server) => Some(client_rt.block_on(
            reference_server::marketplace::loadtest::fresh_postgres(server, "loadgen_marketplace"),
        )?),
        None => None,
    };
    let mut market = server_rt.block_on(Market::start(&dir.0, database_url.as_deref()))?;
    let mut processes: Vec<ServerProcess> = Vec::new();
    if args.processes > 1 {
        for _ in 0..args.processes {
            processes.push(client_rt.block_on(market.spawn_server())?);
        }
        // Requests go to the processes only.
        market.bases.remove(0);
    }
    let market = Arc::new(market);
    let result = client_rt.block_on(async {
        match args.figure {
            Figure::Race { buyers, units } => race(market, args, buyers, units).await,
            Figure::Checkout {
                buyers,
                shops,
                rounds,
            } => checkout(market, args, buyers, shops, rounds).await,
            Figure::Search {
                products,
                vendors,
                requests,
                concurrency,
            } => search(market, args, products, vendors, requests, concurrency).await,
        }
    });
    drop(processes);
    server_rt.shutdown_timeout(Duration::from_secs(1));
    result
}
