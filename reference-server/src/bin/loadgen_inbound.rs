//! Load generator for the inbound path: signed Cloud-API-shaped webhooks
//! posted over loopback HTTP to `/webhooks/whatsapp/{device}` of a
//! simulator device running the keyword-rules plugin; each request is
//! answered only after the bot's reply was handed to the simulator (stored
//! in `sim_outbox` and in the inbox). Prints requests per second and the
//! latency distribution.
//!
//! By default it starts the server itself on a fresh SQLite file in a
//! temporary directory (same binary, separate runtime threads) and sets up
//! a vendor, a device and the plugin through the server's own code:
//!
//! ```text
//! cargo run --release -p reference-server --bin loadgen_inbound -- --requests 20000 --concurrency 64
//! ```
//!
//! Against a server that is already running, pass its URL, a simulator
//! device id and that device's app secret:
//!
//! ```text
//! loadgen_inbound --url http://127.0.0.1:8080 --device <id> --secret <app secret>
//! ```

use std::sync::Arc;

use clap::Parser;

#[path = "loadgen_common.rs"]
mod common;

#[derive(Parser, Debug)]
#[command(about = "Inbound webhook -> bot reply load generator (loopback)")]
struct Args {
    /// Total webhook requests.
    #[arg(long, default_value_t = 20_000)]
    requests: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: u64,
    /// Distinct customer numbers the messages come from.
    #[arg(long, default_value_t = 1_000)]
    senders: u64,
    /// Base URL of a running server (default: start one in-process).
    #[arg(long)]
    url: Option<String>,
    /// Simulator device id (with --url).
    #[arg(long)]
    device: Option<String>,
    /// App secret of that device (with --url).
    #[arg(long)]
    secret: Option<String>,
    /// Worker threads of the in-process server.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn body(i: u64, senders: u64, run: &str) -> String {
    // Indonesian mobile numbers 0812-0000-0000 + n, as Cloud API digits.
    let from = format!("62812{:08}", 10_000_000 + (i % senders));
    let text = if i.is_multiple_of(2) {
        "berapa harga?"
    } else {
        "halo kak"
    };
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "0",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "6281100000000", "phone_number_id": "0" },
                    "contacts": [{ "profile": { "name": "Load" }, "wa_id": from }],
                    "messages": [{
                        "from": from, "id": format!("wamid.load.{run}.{i}"), "timestamp": "1750263773",
                        "type": "text", "text": { "body": text }
                    }]
                }
            }]
        }]
    })
    .to_string()
}

async fn drive(args: &Args, base: &str, device: &str, secret: &str) -> Result<(), BoxError> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .build()?;
    let url = Arc::new(format!(
        "{}/webhooks/whatsapp/{device}",
        base.trim_end_matches('/')
    ));
    let secret = Arc::new(secret.to_owned());
    let run = Arc::new(reference_server::db::new_id());
    let senders = args.senders;
    let result = common::run(args.requests, args.concurrency, move |i| {
        let b = body(i, senders, &run);
        let sig = whatsapp_client::webhook::sign(secret.as_bytes(), b.as_bytes());
        let request = client
            .post(url.as_str())
            .header("content-type", "application/json")
            .header(whatsapp_client::webhook::SIGNATURE_HEADER, sig)
            .body(b)
            .send();
        async move {
            match request.await {
                Ok(r) if r.status().is_success() => match r.json::<serde_json::Value>().await {
                    // Every message must have been answered exactly once.
                    Ok(v) => v["data"]["replies"] == 1 && v["data"]["messages"] == 1,
                    Err(_) => false,
                },
                _ => false,
            }
        }
    })
    .await?;
    let failed = result.failed;
    let report = result.report("inbound webhook -> bot reply (simulator)", args.concurrency);
    // The figure is the program's output.
    #[allow(clippy::print_stdout)]
    {
        println!("{report}");
    }
    if failed > 0 {
        return Err(format!("{failed} requests failed or were not answered exactly once").into());
    }
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    if let Some(url) = &args.url {
        let device = args
            .device
            .as_deref()
            .ok_or("--device is required with --url")?;
        let secret = args
            .secret
            .as_deref()
            .ok_or("--secret is required with --url")?;
        return client_rt.block_on(drive(&args, url, device, secret));
    }
    let dir = std::env::temp_dir().join(format!(
        "loadgen-inbound-{}",
        reference_server::db::new_id()
    ));
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .enable_all()
        .build()?;
    let (base, device, secret) =
        server_rt.block_on(reference_server::bots::loadtest::start(&dir))?;
    let result = client_rt.block_on(drive(&args, &base, &device, &secret));
    drop(server_rt);
    // Best effort: the figure is already printed.
    let _ = std::fs::remove_dir_all(&dir);
    result
}
