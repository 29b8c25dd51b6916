//! Campaign figures, measured on real `reference-server serve` processes
//! (the binary next to this one) and a Cloud-API-shaped mock provider that
//! records every send:
//!
//! * `enqueue`: time of `POST /campaigns/{id}/start` (audience count, quota
//!   reservation and the enqueue of every recipient) for 100,000 contacts.
//! * `send`: 10,000 messages through one Cloud API device paced at 80 msg/s;
//!   prints the rate the mock saw, duplicates and lost recipients. With
//!   `--processes 2 --postgres <url>` two server processes share one
//!   PostgreSQL database and the device.
//! * `memory`: a 100,000-recipient campaign over several fast devices while
//!   sampling the server's resident memory (VmRSS) every second.
//!
//! ```text
//! cargo build --release -p reference-server --bin reference-server --bin loadgen_campaigns
//! target/release/loadgen_campaigns enqueue --recipients 100000
//! target/release/loadgen_campaigns send --messages 10000 --rate 80
//! target/release/loadgen_campaigns send --messages 10000 --rate 80 --processes 2 --postgres postgres://postgres@127.0.0.1:5432/postgres
//! target/release/loadgen_campaigns memory --recipients 100000 --devices 10
//! ```
//!
//! The database and the data directory are fresh for every run (a temporary
//! directory; on PostgreSQL a new database on the given server).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use clap::{Parser, Subcommand};
use reference_server::Config;
use reference_server::auth::session::{self, SubjectKind};
use reference_server::db::{new_id, now_ms};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::AnyPool;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug)]
#[command(about = "Campaign figures: enqueue time, paced sending, memory")]
struct Args {
    #[command(subcommand)]
    figure: Figure,
}

#[derive(Subcommand, Debug)]
enum Figure {
    /// Time to start (enqueue) a campaign to N contacts on SQLite.
    Enqueue {
        /// Contacts in the audience.
        #[arg(long, default_value_t = 100_000)]
        recipients: usize,
    },
    /// Send N messages through one device at a configured rate.
    Send {
        /// Messages (= contacts).
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
        /// Configured rate of the device, messages per second.
        #[arg(long, default_value_t = 80)]
        rate: i64,
        /// Server processes sharing the database (2 needs --postgres).
        #[arg(long, default_value_t = 1)]
        processes: usize,
        /// PostgreSQL server URL; a fresh database is created on it.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Resident memory of the server during a large campaign.
    Memory {
        /// Recipients.
        #[arg(long, default_value_t = 100_000)]
        recipients: usize,
        /// Devices the campaign rotates over (each at 6,000 msg/min).
        #[arg(long, default_value_t = 10)]
        devices: usize,
    },
}

/// Every send the mock provider accepted: (recipient digits, when).
type Log = Arc<Mutex<Vec<(String, Instant)>>>;

/// The Cloud API's default throughput per number, which the mock enforces
/// over every sliding one-second window, as Meta does.
const PROVIDER_LIMIT: usize = 80;

/// The mock provider's state.
#[derive(Clone, Default)]
struct Mock {
    log: Log,
    /// Per phone number id: arrival times within the last second.
    windows: Arc<Mutex<HashMap<String, std::collections::VecDeque<Instant>>>>,
    /// Requests answered with 130429.
    refused: Arc<std::sync::atomic::AtomicUsize>,
}

async fn mock_send(
    State(mock): State<Mock>,
    axum::extract::Path((_version, pnid)): axum::extract::Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> (axum::http::StatusCode, axum::Json<Value>) {
    let now = Instant::now();
    {
        let mut windows = mock
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = windows.entry(pnid).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            window.pop_front();
        }
        if window.len() >= PROVIDER_LIMIT {
            mock.refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return (
                axum::http::StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": {"message": "(#130429) Rate limit hit",
                    "type": "OAuthException", "code": 130429}})),
            );
        }
        window.push_back(now);
    }
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    let n = {
        let mut l = mock
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        l.push((to.clone(), now));
        l.len()
    };
    (
        axum::http::StatusCode::OK,
        axum::Json(
            json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                          "messages": [{"id": format!("wamid.LOAD{n}")}]}),
        ),
    )
}

/// Starts the mock Cloud API on 127.0.0.1 and returns its base URL.
async fn start_mock(mock: Mock) -> Result<String, BoxError> {
    let app = axum::Router::new()
        .route("/{version}/{pnid}/messages", axum::routing::post(mock_send))
        .with_state(mock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}"))
}

/// A fresh database: a file under `dir`, or a new database on `postgres`.
async fn fresh_database(dir: &Path, postgres: Option<&str>) -> Result<String, BoxError> {
    let Some(server) = postgres else {
        return Ok(format!(
            "sqlite://{}?mode=rwc",
            dir.join("server.db").display()
        ));
    };
    let (admin, _) = reference_server::db::connect(&SecretString::from(server.to_owned())).await?;
    let name = format!("loadgen_campaigns_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

/// A vendor on a plan large enough for the run, and an owner session token.
async fn vendor(pool: &AnyPool) -> Result<(String, String), BoxError> {
    let now = now_ms();
    let (tenant, member, plan) = (new_id(), new_id(), new_id());
    sqlx::query("INSERT INTO tenants (id, name, whatsapp, status, locale, created_at, updated_at) VALUES ($1, 'Toko Beban', '+6281100000001', 'active', 'id', $2, $2)")
        .bind(&tenant).bind(now).execute(pool).await?;
    sqlx::query("INSERT INTO members (id, tenant_id, email, name, whatsapp, password_hash, role, created_at, updated_at) VALUES ($1, $2, 'beban@example.com', 'Beban', NULL, 'x', 'owner', $3, $3)")
        .bind(&member).bind(&tenant).bind(now).execute(pool).await?;
    sqlx::query("INSERT INTO plans (id, code, name, price_idr, duration_days, max_devices, max_contacts, max_messages_per_month, max_ai_requests_per_month, active, created_at, updated_at) VALUES ($1, 'loadgen', 'Loadgen', 0, 30, 100, 10000000, 10000000, 0, 1, $2, $2)")
        .bind(&plan).bind(now).execute(pool).await?;
    sqlx::query("INSERT INTO subscriptions (tenant_id, plan_id, status, started_at, expires_at, updated_at) VALUES ($1, $2, 'active', $3, $4, $3)")
        .bind(&tenant).bind(&plan).bind(now).bind(now + 30 * 86_400_000).execute(pool).await?;
    let s = session::create(pool, SubjectKind::Member, &member, Some(&tenant), 24).await?;
    Ok((tenant, s.token))
}

/// `n` contacts `+62812` + 8 digits, 500 rows per statement, one transaction.
async fn contacts(pool: &AnyPool, tenant: &str, n: usize) -> Result<(), BoxError> {
    let now = now_ms();
    let mut tx = pool.begin().await?;
    for start in (0..n).step_by(500) {
        let end = (start + 500).min(n);
        let values = (start..end)
            .map(|i| {
                format!(
                    "('{}', $1, '+62812{i:08}', 'Pelanggan {i}', '{{}}', 0, $2, $2)",
                    new_id()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(&format!(
            "INSERT INTO contacts (id, tenant_id, phone, name, fields, opted_out, created_at, updated_at) VALUES {values}"
        ))
        .bind(tenant)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A `reference-server serve` process.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_binary() -> Result<PathBuf, BoxError> {
    let bin = std::env::current_exe()?.with_file_name("reference-server");
    if !bin.exists() {
        return Err(format!(
            "{} not found: build it with --bin reference-server",
            bin.display()
        )
        .into());
    }
    Ok(bin)
}

async fn start_server(
    dir: &Path,
    db_url: &str,
    client: &reqwest::Client,
) -> Result<Server, BoxError> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(server_binary()?)
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("DATA_DIR", dir)
        .env(
            "BIND_ADDR",
            SocketAddr::from(([127, 0, 0, 1], port)).to_string(),
        )
        .env("CAMPAIGN_POLL_MS", "200")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the server did not start".into())
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: Value,
) -> Result<Value, BoxError> {
    let res = client
        .post(format!("{base}/api/v1{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let v: Value = res.json().await?;
    if !status.is_success() {
        return Err(format!("{path}: {status} {v}").into());
    }
    Ok(v["data"].clone())
}

/// A directory under the system temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "loadgen-campaigns-{}-{}",
            std::process::id(),
            new_id()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Everything a run needs: database, vendor, contacts, mock, servers,
/// devices and a template.
struct Setup {
    pool: AnyPool,
    token: String,
    servers: Vec<Server>,
    devices: Vec<String>,
    template: String,
    log: Log,
    refused: Arc<std::sync::atomic::AtomicUsize>,
    client: reqwest::Client,
    // Last: removed after the servers are stopped.
    _dir: TempDir,
}

async fn setup(
    n: usize,
    devices: usize,
    processes: usize,
    postgres: Option<&str>,
) -> Result<Setup, BoxError> {
    let dir = TempDir::new()?;
    let db_url = fresh_database(dir.path(), postgres).await?;
    let mut config = Config::with_data_dir(dir.path());
    config.database_url = Some(SecretString::from(db_url.clone()));
    // Migrations and the at-rest key file the server processes will use.
    let state = reference_server::build_state(config).await?;
    let pool = state.pool.clone();
    let (tenant, token) = vendor(&pool).await?;
    let t = Instant::now();
    contacts(&pool, &tenant, n).await?;
    println!(
        "setup: {n} contacts inserted in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let provider = Mock::default();
    let log = Arc::clone(&provider.log);
    let refused = Arc::clone(&provider.refused);
    let mock = start_mock(provider).await?;
    let client = reqwest::Client::builder().no_proxy().build()?;
    let mut servers = Vec::new();
    for _ in 0..processes {
        servers.push(start_server(dir.path(), &db_url, &client).await?);
    }
    let base = servers[0].base.clone();
    let mut ids = Vec::new();
    for i in 0..devices {
        let d = post(&client, &base, &token, "/devices", json!({"name": format!("D{i}"), "provider": {
            "kind": "cloud_api", "phone_number_id": format!("{}", 1_000_000_000 + i), "access_token": "EAAG-load",
            "app_secret": "load-secret", "verify_token": "load-verify", "base_url": mock, "api_version": "v23.0"}})).await?;
        ids.push(d["id"].as_str().unwrap_or_default().to_owned());
    }
    let tpl = post(
        &client,
        &base,
        &token,
        "/templates",
        json!({"name": "promo", "body": "Halo {name}, promo akhir tahun!"}),
    )
    .await?;
    Ok(Setup {
        pool,
        token,
        servers,
        devices: ids,
        template: tpl["id"].as_str().unwrap_or_default().to_owned(),
        log,
        refused,
        client,
        _dir: dir,
    })
}

impl Setup {
    /// Creates and starts a campaign to every contact; returns its id and
    /// how long the start request took.
    async fn start(&self, per_minute: i64) -> Result<(String, Duration), BoxError> {
        let base = &self.servers[0].base;
        let devices: Vec<Value> = self
            .devices
            .iter()
            .map(|d| json!({"device_id": d, "rate_per_minute": per_minute}))
            .collect();
        let c = post(
            &self.client,
            base,
            &self.token,
            "/campaigns",
            json!({"name": "beban", "template_id": self.template,
            "audience": {"all": true}, "devices": devices}),
        )
        .await?;
        let id = c["id"].as_str().unwrap_or_default().to_owned();
        let t = Instant::now();
        let started = post(
            &self.client,
            base,
            &self.token,
            &format!("/campaigns/{id}/start"),
            json!({}),
        )
        .await?;
        let took = t.elapsed();
        println!(
            "start: status {}, {} recipients enqueued in {:.3} s",
            started["status"],
            started["total"],
            took.as_secs_f64()
        );
        Ok((id, took))
    }

    async fn status(&self, id: &str) -> Result<Value, BoxError> {
        let res = self
            .client
            .get(format!("{}/api/v1/campaigns/{id}", self.servers[0].base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Ok(res.json::<Value>().await?["data"].clone())
    }

    /// Waits for completion, calling `tick` every second.
    async fn wait_done(
        &self,
        id: &str,
        limit: Duration,
        mut tick: impl FnMut(),
    ) -> Result<Value, BoxError> {
        let t = Instant::now();
        loop {
            let c = self.status(id).await?;
            if c["status"] == "completed" {
                return Ok(c);
            }
            if t.elapsed() > limit {
                return Err(
                    format!("not completed after {} s: {}", limit.as_secs(), c["counts"]).into(),
                );
            }
            tick();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Sends seen by the mock versus the campaign's recipients.
    async fn check(&self, id: &str) -> Result<(usize, usize, usize, f64), BoxError> {
        let log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut per_to: HashMap<String, usize> = HashMap::new();
        for (to, _) in &log {
            *per_to.entry(to.clone()).or_default() += 1;
        }
        let duplicates: usize = per_to.values().map(|n| n - 1).sum();
        let phones: Vec<(String, String)> =
            sqlx::query_as("SELECT phone, state FROM campaign_recipients WHERE campaign_id = $1")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let lost = phones
            .iter()
            .filter(|(p, state)| state != "sent" || !per_to.contains_key(p.trim_start_matches('+')))
            .count();
        let rate = match (log.first(), log.last()) {
            (Some((_, a)), Some((_, b))) if log.len() > 1 => {
                (log.len() - 1) as f64 / (*b - *a).as_secs_f64()
            }
            _ => 0.0,
        };
        Ok((log.len(), duplicates, lost, rate))
    }
}

/// A `kB` line of `/proc/<pid>/status` (`VmRSS`, `RssAnon`, `RssFile`, `RssShmem`).
fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s
        .lines()
        .find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn vm_rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmRSS")
}

async fn run(figure: Figure) -> Result<(), BoxError> {
    match figure {
        Figure::Enqueue { recipients } => {
            let s = setup(recipients, 1, 1, None).await?;
            let (id, took) = s.start(20).await?;
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1",
            )
            .bind(&id)
            .fetch_one(&s.pool)
            .await?;
            println!(
                "FIGURE enqueue sqlite: {n} recipients in {:.3} s ({:.0} rows/s)",
                took.as_secs_f64(),
                n as f64 / took.as_secs_f64()
            );
        }
        Figure::Send {
            messages,
            rate,
            processes,
            postgres,
        } => {
            if processes > 1 && postgres.is_none() {
                return Err("several processes need --postgres".into());
            }
            let s = setup(messages, 1, processes, postgres.as_deref()).await?;
            let (id, _) = s.start(rate * 60).await?;
            let limit = Duration::from_secs(messages as u64 / rate.max(1) as u64 * 2 + 120);
            let done = s.wait_done(&id, limit, || {}).await?;
            let (requests, duplicates, lost, achieved) = s.check(&id).await?;
            let expected = rate.min(PROVIDER_LIMIT as i64) as f64;
            println!(
                "FIGURE send {} process(es) on {}: {requests} requests for {messages} recipients, configured {rate} msg/s, achieved {achieved:.2} msg/s ({:.1}% of {expected} msg/s, the provider's limit being {PROVIDER_LIMIT}), refused with 130429 {}, duplicates {duplicates}, lost {lost}, counts {}",
                processes,
                if postgres.is_some() {
                    "postgres"
                } else {
                    "sqlite"
                },
                achieved / expected * 100.0,
                s.refused.load(std::sync::atomic::Ordering::Relaxed),
                done["counts"]
            );
        }
        Figure::Memory {
            recipients,
            devices,
        } => {
            let s = setup(recipients, devices, 1, None).await?;
            let pid = s.servers[0].child.id();
            let before = vm_rss_kib(pid).unwrap_or(0);
            let (id, _) = s.start(6000).await?;
            let mut samples: Vec<u64> = Vec::new();
            let log = Arc::clone(&s.log);
            let t = Instant::now();
            let done = s
                .wait_done(&id, Duration::from_secs(3600), || {
                    if let Some(kib) = vm_rss_kib(pid) {
                        samples.push(kib);
                        let sent = log.lock().map(|l| l.len()).unwrap_or(0);
                        let part = |k: &str| proc_status_kib(pid, k).unwrap_or(0);
                        println!(
                            "t={:>4}s sent={sent:>7} VmRSS={kib} KiB (anon {}, file {}, shmem {})",
                            t.elapsed().as_secs(),
                            part("RssAnon"),
                            part("RssFile"),
                            part("RssShmem")
                        );
                    }
                })
                .await?;
            let (requests, duplicates, lost, achieved) = s.check(&id).await?;
            let max = samples.iter().copied().max().unwrap_or(0);
            let min = samples.iter().copied().min().unwrap_or(0);
            let tail = &samples[samples.len() / 2..];
            let tail_max = tail.iter().copied().max().unwrap_or(0);
            let tail_min = tail.iter().copied().min().unwrap_or(0);
            println!(
                "FIGURE memory: {recipients} recipients over {devices} devices in {:.0} s ({achieved:.0} msg/s), {requests} requests, duplicates {duplicates}, lost {lost}; VmRSS before start {before} KiB, during min {min} max {max} KiB, second half min {tail_min} max {tail_max} KiB ({} samples); counts {}",
                t.elapsed().as_secs_f64(),
                samples.len(),
                done["counts"]
            );
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse().figure).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
