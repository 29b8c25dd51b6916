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
//! With `--postgres <server url> --processes 2` it creates a fresh database
//! on that PostgreSQL server, sets the vendor up in it and starts two
//! `reference-server serve` processes (the binary next to this one) on it;
//! requests alternate between the processes. After the run it counts the
//! bot replies stored per inbound message, which must be exactly one:
//!
//! ```text
//! cargo build --release -p reference-server --bin reference-server --bin loadgen_inbound
//! target/release/loadgen_inbound --processes 2 --postgres postgres://postgres@127.0.0.1:5432/postgres
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
    /// A PostgreSQL server URL: run `--processes` server processes on a
    /// fresh database there instead of the in-process SQLite server.
    #[arg(long)]
    postgres: Option<String>,
    /// Server processes sharing the database (with --postgres).
    #[arg(long, default_value_t = 2)]
    processes: usize,
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

/// Posts the webhooks, request `i` to `bases[i % bases.len()]`.
async fn drive(args: &Args, bases: &[String], device: &str, secret: &str) -> Result<(), BoxError> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .no_proxy()
        .build()?;
    let urls: Arc<Vec<String>> = Arc::new(
        bases
            .iter()
            .map(|b| format!("{}/webhooks/whatsapp/{device}", b.trim_end_matches('/')))
            .collect(),
    );
    let secret = Arc::new(secret.to_owned());
    let run = Arc::new(reference_server::db::new_id());
    let senders = args.senders;
    let result = common::run(args.requests, args.concurrency, move |i| {
        let b = body(i, senders, &run);
        let sig = whatsapp_client::webhook::sign(secret.as_bytes(), b.as_bytes());
        let request = client
            .post(urls[(i as usize) % urls.len()].as_str())
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
    let what = if bases.len() > 1 {
        format!(
            "inbound webhook -> bot reply (simulator, {} processes)",
            bases.len()
        )
    } else {
        "inbound webhook -> bot reply (simulator)".to_owned()
    };
    let report = result.report(&what, args.concurrency);
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
        return client_rt.block_on(drive(&args, std::slice::from_ref(url), device, secret));
    }
    if let Some(server) = &args.postgres {
        return client_rt.block_on(multi_process(&args, server));
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
    let result = client_rt.block_on(drive(&args, &[base], &device, &secret));
    drop(server_rt);
    // Best effort: the figure is already printed.
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A `reference-server serve` process, killed on drop.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `reference-server serve` on `db_url` with `dir` as data folder
/// (its at-rest key file) and waits until it answers; returns its URL.
async fn start_server(
    dir: &std::path::Path,
    db_url: &str,
    client: &reqwest::Client,
) -> Result<(Server, String), BoxError> {
    let bin = std::env::current_exe()?.with_file_name("reference-server");
    if !bin.exists() {
        return Err(format!(
            "{} not found: build it with --bin reference-server",
            bin.display()
        )
        .into());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = std::process::Command::new(bin)
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("DATA_DIR", dir)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let server = Server(child);
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok((server, base));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err("the server did not start".into())
}

/// The `--postgres` run: a fresh database on `server`, the vendor set up
/// in it, `--processes` server processes sharing it, then a check that
/// every inbound message got exactly one stored reply.
async fn multi_process(args: &Args, server: &str) -> Result<(), BoxError> {
    use secrecy::SecretString;

    let dir = std::env::temp_dir().join(format!(
        "loadgen-inbound-{}",
        reference_server::db::new_id()
    ));
    std::fs::create_dir_all(&dir)?;
    let (admin, _) = reference_server::db::connect(&SecretString::from(server.to_owned())).await?;
    let name = format!("loadgen_inbound_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let db_url = format!(
        "{}/{name}",
        server.rsplit_once('/').map_or(server, |(b, _)| b)
    );
    let mut config = reference_server::Config::with_data_dir(&dir);
    config.database_url = Some(SecretString::from(db_url.clone()));
    // Migrations, the at-rest key file the processes share, and the setup.
    let state = reference_server::build_state(config).await?;
    let (device, secret) = reference_server::bots::loadtest::prepare(&state).await?;
    let pool = state.pool.clone();
    let client = reqwest::Client::builder().no_proxy().build()?;
    let mut servers = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..args.processes.max(1) {
        let (s, base) = start_server(&dir, &db_url, &client).await?;
        servers.push(s);
        bases.push(base);
    }
    let result = drive(args, &bases, &device, &secret).await;
    drop(servers);
    let (inbound, replies): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM messages WHERE direction = 'in'), \
         (SELECT COUNT(*) FROM messages WHERE direction = 'out' AND sender = 'bot')",
    )
    .fetch_one(&pool)
    .await?;
    // The figure is the program's output.
    #[allow(clippy::print_stdout)]
    {
        println!(
            "stored: {inbound} inbound messages, {replies} bot replies, {} duplicate replies",
            replies - inbound
        );
    }
    pool.close().await;
    // Best effort: the figure is already printed.
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    if replies != inbound || u64::try_from(inbound).ok() != Some(args.requests) {
        return Err(format!(
            "{} requests, {inbound} inbound messages stored, {replies} replies",
            args.requests
        )
        .into());
    }
    Ok(())
}
