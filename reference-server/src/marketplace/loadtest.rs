//! Setup and drivers of the marketplace figures
//! (`src/bin/loadgen_marketplace.rs`, and the `marketplace_load`
//! integration test with small numbers): a server on a fresh SQLite file
//! or PostgreSQL database, a Midtrans stand-in on loopback (Snap creates a
//! transaction and remembers its amount; the status API answers
//! `settlement` for it), vendors signed up through the sign-up rules,
//! buyers signed in with the code read from the simulator outbox, and
//! everything else over the HTTP API: products, carts, checkout with an
//! idempotency key, the signed payment notification.
//!
//! * [`Market::race`]: buyers racing for the last units of one variant,
//!   then every won checkout paid; counts paid orders, units sold, stock
//!   left and oversold units from the database.
//! * [`Market::checkout_load`]: buyers each filling a cart with one item
//!   of every shop and checking out, over and over; the checkout request
//!   is timed.
//! * [`Market::seed_catalog`] and [`search_cases`]: a catalog of many
//!   products inserted in bulk and a mix of searches over it.
//!
//! Compiled only with the `loadtest` feature, which the load-generator
//! binaries require: the fixed Midtrans key below must never be part of a
//! server build.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::AppState;
use crate::db::{new_id, now_ms};
use crate::tenants::model::{SignupRequest, VerifySignup};

/// Error type of this module.
pub type LoadError = Box<dyn std::error::Error + Send + Sync>;

/// The Midtrans server key of the stand-in and of the servers under test.
pub const SERVER_KEY: &str = "SB-Mid-server-mkt-loadtest";

/// The Midtrans stand-in: the amount of every Snap transaction created.
#[derive(Clone, Default)]
struct Midtrans {
    amounts: Arc<Mutex<HashMap<String, i64>>>,
}

/// `POST /snap/v1/transactions`: remembers the amount, answers a token.
async fn snap(State(m): State<Midtrans>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    let details = &body["transaction_details"];
    let (Some(order), Some(amount)) = (
        details["order_id"].as_str(),
        details["gross_amount"].as_i64(),
    ) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error_messages": ["transaction_details is required"]})),
        );
    };
    m.amounts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(order.to_owned(), amount);
    (
        StatusCode::CREATED,
        Json(json!({
            "token": format!("snap-{order}"),
            "redirect_url": format!("https://app.sandbox.midtrans.com/snap/v4/redirection/snap-{order}")
        })),
    )
}

/// `GET /v2/{order_id}/status`: every known transaction is settled.
async fn status(State(m): State<Midtrans>, UrlPath(order): UrlPath<String>) -> Json<Value> {
    let amount = m
        .amounts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&order)
        .copied();
    Json(match amount {
        Some(amount) => json!({
            "status_code": "200",
            "status_message": "Success, transaction is found",
            "transaction_id": format!("tx-{order}"),
            "order_id": order,
            "gross_amount": format!("{amount}.00"),
            "currency": "IDR",
            "payment_type": "bank_transfer",
            "transaction_time": "2026-01-01 10:00:00",
            "transaction_status": "settlement",
            "fraud_status": "accept"
        }),
        None => json!({"status_code": "404", "status_message": "Transaction doesn't exist."}),
    })
}

/// Starts the stand-in on a loopback port; answers its base URL.
async fn start_midtrans() -> Result<String, LoadError> {
    let app = axum::Router::new()
        .route("/snap/v1/transactions", post(snap))
        .route("/v2/{order_id}/status", get(status))
        .with_state(Midtrans::default());
    let (listener, addr) = crate::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "midtrans stand-in stopped");
        }
    });
    Ok(format!("http://{addr}"))
}

/// Creates a fresh database on the PostgreSQL server `server` (a URL with
/// a database path) and answers its URL.
pub async fn fresh_postgres(server: &str, prefix: &str) -> Result<String, LoadError> {
    let (admin, _) = crate::db::connect(&SecretString::from(server.to_owned())).await?;
    let name = format!("{prefix}_{}_{}", std::process::id(), now_ms());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

/// A `reference-server serve` process (the binary next to the running
/// one) on the market's database, killed on drop.
pub struct ServerProcess {
    child: std::process::Child,
    /// Its base URL.
    pub base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Best effort: the process may have exited already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A vendor signed up through the sign-up rules.
#[derive(Debug, Clone)]
pub struct Vendor {
    /// The vendor's id.
    pub tenant_id: String,
    /// The owner's session token.
    pub token: String,
}

/// A signed-in buyer with one shipping address.
#[derive(Debug, Clone)]
pub struct Buyer {
    /// The buyer's session token.
    pub token: String,
    /// The address checkouts ship to.
    pub address_id: String,
}

/// A server (or several on one PostgreSQL database) with the Midtrans
/// stand-in, driven over HTTP.
pub struct Market {
    /// The in-process server's state (its database pool).
    pub state: AppState,
    /// Base URLs of the servers; requests go round robin over them.
    pub bases: Vec<String>,
    midtrans: String,
    database_url: String,
    data_dir: PathBuf,
    client: reqwest::Client,
    phones: AtomicU64,
}

/// The outcome of [`Market::race`].
#[derive(Debug)]
pub struct RaceReport {
    /// Buyers that raced.
    pub buyers: usize,
    /// Units on offer.
    pub units: i64,
    /// Checkouts answered 201.
    pub won: usize,
    /// Checkouts answered 409 (sold out).
    pub sold_out: usize,
    /// Any other answer, with its body.
    pub unexpected: Vec<String>,
    /// Orders of the variant that are paid.
    pub paid_orders: i64,
    /// Units of the variant in paid orders.
    pub units_sold: i64,
    /// Units of the variant in any order (paid or not).
    pub units_ordered: i64,
    /// The variant's stock after the race.
    pub stock_left: i64,
    /// The stock the ledger adds up to (initial plus every change).
    pub ledger_stock: i64,
    /// Latency of each checkout request.
    pub latencies: Vec<Duration>,
    /// Wall time from the first checkout sent to the last answered.
    pub elapsed: Duration,
}

impl RaceReport {
    /// Units sold beyond what was on offer.
    pub fn oversold(&self) -> i64 {
        (self.units_ordered - self.units).max(0)
    }

    /// What went wrong; empty when exactly the units on offer were sold
    /// and paid, one per winner, and stock and ledger agree.
    pub fn violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        let expected = self
            .units
            .min(i64::try_from(self.buyers).unwrap_or(i64::MAX));
        if i64::try_from(self.won).ok() != Some(expected) {
            out.push(format!("{} checkouts won, expected {expected}", self.won));
        }
        if self.paid_orders != expected {
            out.push(format!(
                "{} paid orders, expected {expected}",
                self.paid_orders
            ));
        }
        if self.oversold() > 0 {
            out.push(format!("{} units oversold", self.oversold()));
        }
        if self.units_ordered + self.stock_left != self.units {
            out.push(format!(
                "{} units ordered and {} left do not add up to the {} on offer",
                self.units_ordered, self.stock_left, self.units
            ));
        }
        if self.ledger_stock != self.stock_left {
            out.push(format!(
                "the ledger adds up to {} units, the stock says {}",
                self.ledger_stock, self.stock_left
            ));
        }
        if !self.unexpected.is_empty() {
            out.push(format!(
                "{} unexpected answers, first: {}",
                self.unexpected.len(),
                self.unexpected[0]
            ));
        }
        out
    }
}

/// The outcome of [`Market::checkout_load`].
#[derive(Debug)]
pub struct CheckoutReport {
    /// Latency of each checkout request.
    pub latencies: Vec<Duration>,
    /// Checkouts that did not answer 201 with one order per shop.
    pub failed: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Checkouts stored.
    pub stored: i64,
    /// Units taken from the shops' stock, by the stock itself.
    pub units_taken: i64,
    /// Units in the stored orders.
    pub units_ordered: i64,
}

/// A shop of the checkout figure: its vendor and one variant on sale.
#[derive(Debug, Clone)]
pub struct Shop {
    /// The vendor.
    pub vendor: Vendor,
    /// The variant buyers put in their carts.
    pub variant_id: String,
    /// Its stock when the run started.
    pub stock: i64,
}

/// The configuration of a server under test: loopback port, the Midtrans
/// stand-in, sign-in limits wide enough for hundreds of buyers from one
/// address.
fn config(data_dir: &Path, database_url: Option<&str>, midtrans: &str) -> crate::Config {
    let mut config = crate::Config::with_data_dir(data_dir);
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    config.database_url = database_url.map(|u| SecretString::from(u.to_owned()));
    config.midtrans.server_key = Some(SecretString::from(SERVER_KEY.to_owned()));
    config.midtrans.api_base_url = Some(midtrans.to_owned());
    config.midtrans.snap_base_url = Some(format!("{midtrans}/snap/v1"));
    config.rate_limits.per_ip_per_minute = 1_000_000;
    config.rate_limits.per_account_per_minute = 1_000_000;
    config.otp_resend_cooldown_secs = 0;
    config.otp_max_sends_per_ip_per_hour = 1000;
    config
}

/// The six-digit code in the newest simulator message to `whatsapp`.
async fn code_sent_to(pool: &sqlx::AnyPool, whatsapp: &str) -> Result<String, LoadError> {
    let outbox = crate::simulator::list(pool, None, None, Some(whatsapp), 1).await?;
    let text = outbox
        .first()
        .map(|m| m.message.to_string())
        .unwrap_or_default();
    Ok(text
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .ok_or("no sign-in code in the simulator outbox")?
        .to_owned())
}

impl Market {
    /// Starts the Midtrans stand-in and one server in this process on a
    /// fresh database: a SQLite file under `data_dir`, or `database_url`
    /// (a fresh PostgreSQL database, see [`fresh_postgres`]). The server
    /// runs until the runtime is dropped.
    pub async fn start(data_dir: &Path, database_url: Option<&str>) -> Result<Self, LoadError> {
        Self::start_with(data_dir, database_url, |_| {}).await
    }

    /// Like [`Self::start`], letting the caller change the configuration
    /// first (tests make password hashing cheap).
    pub async fn start_with(
        data_dir: &Path,
        database_url: Option<&str>,
        configure: impl FnOnce(&mut crate::Config),
    ) -> Result<Self, LoadError> {
        let midtrans = start_midtrans().await?;
        let mut config = config(data_dir, database_url, &midtrans);
        configure(&mut config);
        let database_url =
            secrecy::ExposeSecret::expose_secret(&config.effective_database_url()).to_owned();
        let state = crate::build_state(config).await?;
        let (listener, addr) = crate::bind(state.config.bind).await?;
        tokio::spawn(crate::serve(
            state.clone(),
            listener,
            std::future::pending::<()>(),
        ));
        Ok(Self {
            state,
            bases: vec![format!("http://{addr}")],
            midtrans,
            database_url,
            data_dir: data_dir.to_owned(),
            client: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(256)
                .build()?,
            phones: AtomicU64::new(0),
        })
    }

    /// Starts one more server as a `reference-server serve` process on
    /// the same database and data folder (its at-rest key), with the same
    /// Midtrans stand-in; requests then go round robin over all servers.
    pub async fn spawn_server(&mut self) -> Result<ServerProcess, LoadError> {
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
            .env("DATABASE_URL", &self.database_url)
            .env("DATA_DIR", &self.data_dir)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("MIDTRANS_SERVER_KEY", SERVER_KEY)
            .env("MIDTRANS_API_BASE_URL", &self.midtrans)
            .env(
                "MIDTRANS_SNAP_BASE_URL",
                format!("{}/snap/v1", self.midtrans),
            )
            .env("RATE_LIMIT_PER_IP_PER_MINUTE", "1000000")
            .env("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "1000000")
            .env("OTP_RESEND_COOLDOWN_SECS", "0")
            .env("OTP_MAX_SENDS_PER_IP_PER_HOUR", "1000")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()?;
        let server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..300 {
            if let Ok(r) = self
                .client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                && r.status().is_success()
            {
                self.bases.push(server.base.clone());
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the server process did not start".into())
    }

    fn base(&self, i: usize) -> &str {
        &self.bases[i % self.bases.len()]
    }

    /// Sends one JSON request; answers the status and the body.
    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value), LoadError> {
        let mut req = self.client.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Like [`Self::call`] on the first server; an answer other than
    /// `expect` is an error naming the path.
    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
        expect: u16,
    ) -> Result<Value, LoadError> {
        let url = format!("{}{path}", self.base(0));
        let (status, v) = self.call(method, &url, token, Some(body)).await?;
        if status != expect {
            return Err(format!("{path}: {status} {v}").into());
        }
        Ok(v["data"].clone())
    }

    fn next_phone(&self, prefix: &str) -> String {
        let n = self.phones.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}{n:08}")
    }

    /// Signs a vendor up (the code read from the simulator outbox); it is
    /// on the trial plan.
    pub async fn vendor(&self, business_name: &str) -> Result<Vendor, LoadError> {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let whatsapp = self.next_phone("+62811");
        let sent = crate::tenants::signup::start_signup(
            &self.state,
            ip,
            SignupRequest {
                business_name: business_name.to_owned(),
                name: "Pemilik".to_owned(),
                email: format!("{}@loadtest.example", whatsapp.trim_start_matches('+')),
                whatsapp: whatsapp.clone(),
                password: "rahasia-123".to_owned(),
                locale: None,
            },
        )
        .await?;
        let code = code_sent_to(&self.state.pool, &whatsapp).await?;
        let verified = crate::tenants::signup::finish_signup(
            &self.state,
            ip,
            VerifySignup {
                challenge_id: sent.challenge_id,
                code,
            },
        )
        .await?;
        let session = verified.session.ok_or("the vendor is not active")?;
        Ok(Vendor {
            tenant_id: verified.tenant_id.as_str().to_owned(),
            token: session.token,
        })
    }

    /// Creates and publishes a product with one variant through the
    /// vendor API; answers the variant id.
    pub async fn product(
        &self,
        vendor: &Vendor,
        name: &str,
        price_idr: i64,
        stock: i64,
    ) -> Result<String, LoadError> {
        let p = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/marketplace/vendor/products",
                Some(&vendor.token),
                json!({"name": name, "description": format!("{name}, stok terbatas"),
                       "category": "fashion", "specs": [],
                       "variants": [{"sku": format!("SKU-{}", new_id()), "name": "Standar",
                                     "options": {}, "price_idr": price_idr, "stock": stock}]}),
                201,
            )
            .await?;
        let id = p["id"].as_str().ok_or("product without id")?;
        self.expect(
            reqwest::Method::POST,
            &format!("/api/v1/marketplace/vendor/products/{id}/publish"),
            Some(&vendor.token),
            json!({}),
            200,
        )
        .await?;
        Ok(p["variants"][0]["id"]
            .as_str()
            .ok_or("product without variant")?
            .to_owned())
    }

    /// Signs a new buyer in over the HTTP API (code from the simulator
    /// outbox) and adds a shipping address.
    pub async fn buyer(&self, name: &str) -> Result<Buyer, LoadError> {
        let whatsapp = self.next_phone("+62857");
        let sent = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/marketplace/auth/code",
                None,
                json!({"whatsapp": whatsapp}),
                200,
            )
            .await?;
        let code = code_sent_to(&self.state.pool, &whatsapp).await?;
        let session = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/marketplace/auth/verify",
                None,
                json!({"challenge_id": sent["challenge_id"], "code": code, "name": name}),
                200,
            )
            .await?;
        let token = session["token"]
            .as_str()
            .ok_or("session without token")?
            .to_owned();
        let address = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/marketplace/me/addresses",
                Some(&token),
                json!({"label": "Rumah", "recipient": name, "phone": "0812 3456 7890",
                       "street": "Jl. Merdeka 1", "city": "Bandung", "province": "Jawa Barat",
                       "postal_code": "40111"}),
                201,
            )
            .await?;
        Ok(Buyer {
            token,
            address_id: address["id"]
                .as_str()
                .ok_or("address without id")?
                .to_owned(),
        })
    }

    /// `n` buyers, signed in `parallel` at a time.
    pub async fn buyers(
        self: &Arc<Self>,
        n: usize,
        parallel: usize,
    ) -> Result<Vec<Buyer>, LoadError> {
        let mut out = Vec::with_capacity(n);
        let mut start = 0;
        while start < n {
            let end = (start + parallel.max(1)).min(n);
            let mut tasks = Vec::new();
            for i in start..end {
                let market = Arc::clone(self);
                tasks.push(tokio::spawn(async move {
                    market.buyer(&format!("Pembeli {i}")).await
                }));
            }
            for t in tasks {
                out.push(t.await??);
            }
            start = end;
        }
        Ok(out)
    }

    /// Puts `quantity` of `variant` in the buyer's cart (server `i`).
    pub async fn put_cart(
        &self,
        i: usize,
        buyer: &Buyer,
        variant: &str,
        quantity: i64,
    ) -> Result<(), LoadError> {
        let url = format!("{}/api/v1/marketplace/cart/items/{variant}", self.base(i));
        let (status, v) = self
            .call(
                reqwest::Method::PUT,
                &url,
                Some(&buyer.token),
                Some(json!({"quantity": quantity})),
            )
            .await?;
        if status != 200 {
            return Err(format!("cart: {status} {v}").into());
        }
        Ok(())
    }

    /// Checks the buyer's cart out with `key` (server `i`); answers the
    /// status and body.
    pub async fn checkout(
        &self,
        i: usize,
        buyer: &Buyer,
        key: &str,
    ) -> Result<(u16, Value), LoadError> {
        let url = format!("{}/api/v1/marketplace/checkout", self.base(i));
        self.call(
            reqwest::Method::POST,
            &url,
            Some(&buyer.token),
            Some(json!({"idempotency_key": key, "address_id": buyer.address_id})),
        )
        .await
    }

    /// Delivers the signed settlement notification of a checkout (server
    /// `i`); answers whether the server says the payment changed it.
    pub async fn pay(
        &self,
        i: usize,
        payment_order_id: &str,
        total_idr: i64,
    ) -> Result<bool, LoadError> {
        let body = midtrans_client::testing::signed_notification(
            payment_order_id,
            "settlement",
            total_idr,
            SERVER_KEY,
        );
        let res = self
            .client
            .post(format!("{}/webhooks/midtrans", self.base(i)))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() || v["data"]["status"] != "paid" {
            return Err(format!("payment of {payment_order_id}: {status} {v}").into());
        }
        Ok(v["data"]["changed"] == true)
    }

    /// `buyers` buyers (signed in first) each put one unit of a variant
    /// with `units` in stock in their cart, then all check out at once;
    /// every won checkout is paid. The figures come from the database.
    pub async fn race(
        self: &Arc<Self>,
        buyers: usize,
        units: i64,
    ) -> Result<RaceReport, LoadError> {
        let vendor = self.vendor("Toko Rebutan").await?;
        let variant = self
            .product(&vendor, "Barang Langka", 25_000, units)
            .await?;
        let all = self.buyers(buyers, 16).await?;
        for (i, b) in all.iter().enumerate() {
            self.put_cart(i, b, &variant, 1).await?;
        }
        let gate = Arc::new(tokio::sync::Barrier::new(all.len() + 1));
        let mut tasks = Vec::with_capacity(all.len());
        for (i, b) in all.into_iter().enumerate() {
            let (market, gate) = (Arc::clone(self), Arc::clone(&gate));
            tasks.push(tokio::spawn(async move {
                gate.wait().await;
                let t = Instant::now();
                let answer = market.checkout(i, &b, &format!("race-{i}")).await;
                (t.elapsed(), answer)
            }));
        }
        gate.wait().await;
        let started = Instant::now();
        let mut report = RaceReport {
            buyers,
            units,
            won: 0,
            sold_out: 0,
            unexpected: Vec::new(),
            paid_orders: 0,
            units_sold: 0,
            units_ordered: 0,
            stock_left: 0,
            ledger_stock: 0,
            latencies: Vec::with_capacity(buyers),
            elapsed: Duration::ZERO,
        };
        let mut won = Vec::new();
        for t in tasks {
            let (latency, answer) = t.await?;
            report.latencies.push(latency);
            match answer? {
                (201, v) => {
                    report.won += 1;
                    won.push((
                        v["data"]["payment_order_id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        v["data"]["total_idr"].as_i64().unwrap_or_default(),
                    ));
                }
                (409, v)
                    if ["out_of_stock", "cart_changed"]
                        .contains(&v["error"]["code"].as_str().unwrap_or_default()) =>
                {
                    report.sold_out += 1;
                }
                (status, v) => report.unexpected.push(format!("{status} {v}")),
            }
        }
        report.elapsed = started.elapsed();
        for (i, (order, total)) in won.iter().enumerate() {
            if !self.pay(i, order, *total).await? {
                report
                    .unexpected
                    .push(format!("the payment of {order} changed nothing"));
            }
        }
        let pool = &self.state.pool;
        let (paid_orders, units_sold): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(DISTINCT o.id), CAST(COALESCE(SUM(i.quantity), 0) AS BIGINT) \
             FROM mkt_orders o JOIN mkt_order_items i ON i.order_id = o.id \
             WHERE i.variant_id = $1 AND o.paid_at IS NOT NULL",
        )
        .bind(&variant)
        .fetch_one(pool)
        .await?;
        let units_ordered: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM mkt_order_items \
             WHERE variant_id = $1",
        )
        .bind(&variant)
        .fetch_one(pool)
        .await?;
        let stock_left: i64 = sqlx::query_scalar("SELECT stock FROM mkt_variants WHERE id = $1")
            .bind(&variant)
            .fetch_one(pool)
            .await?;
        let ledger_stock: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM mkt_stock_ledger \
             WHERE variant_id = $1",
        )
        .bind(&variant)
        .fetch_one(pool)
        .await?;
        report.paid_orders = paid_orders;
        report.units_sold = units_sold;
        report.units_ordered = units_ordered;
        report.stock_left = stock_left;
        report.ledger_stock = ledger_stock;
        Ok(report)
    }

    /// `shops` vendors, each with one product whose variant has `stock`
    /// units.
    pub async fn shops(&self, shops: usize, stock: i64) -> Result<Vec<Shop>, LoadError> {
        let mut out = Vec::with_capacity(shops);
        for s in 0..shops {
            let vendor = self.vendor(&format!("Toko {s}")).await?;
            let variant_id = self
                .product(
                    &vendor,
                    &format!("Produk Toko {s}"),
                    10_000 + 1_000 * s as i64,
                    stock,
                )
                .await?;
            out.push(Shop {
                vendor,
                variant_id,
                stock,
            });
        }
        Ok(out)
    }

    /// Each of `buyers` checks out `rounds` times in a row, all buyers at
    /// once: one unit of every shop's variant in the cart (untimed), then
    /// the checkout (timed), which must answer 201 with one order per
    /// shop. Afterwards the stored checkouts and the stock are compared.
    pub async fn checkout_load(
        self: &Arc<Self>,
        shops: &[Shop],
        buyers: Vec<Buyer>,
        rounds: usize,
    ) -> Result<CheckoutReport, LoadError> {
        let shops: Arc<Vec<Shop>> = Arc::new(shops.to_vec());
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(buyers.len());
        for (b, buyer) in buyers.into_iter().enumerate() {
            let (market, shops) = (Arc::clone(self), Arc::clone(&shops));
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(rounds);
                let mut failed = 0u64;
                for r in 0..rounds {
                    let i = b + r;
                    for shop in shops.iter() {
                        market.put_cart(i, &buyer, &shop.variant_id, 1).await?;
                    }
                    let t = Instant::now();
                    let (status, v) = market.checkout(i, &buyer, &format!("co-{b}-{r}")).await?;
                    latencies.push(t.elapsed());
                    let orders = v["data"]["orders"].as_array().map_or(0, Vec::len);
                    if status != 201 || orders != shops.len() {
                        failed += 1;
                    }
                }
                Ok::<_, LoadError>((latencies, failed))
            }));
        }
        let mut latencies = Vec::new();
        let mut failed = 0;
        for t in tasks {
            let (l, f) = t.await??;
            latencies.extend(l);
            failed += f;
        }
        let elapsed = started.elapsed();
        let pool = &self.state.pool;
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mkt_order_groups")
            .fetch_one(pool)
            .await?;
        let units_ordered: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM mkt_order_items",
        )
        .fetch_one(pool)
        .await?;
        let mut units_taken = 0;
        for shop in shops.iter() {
            let stock: i64 = sqlx::query_scalar("SELECT stock FROM mkt_variants WHERE id = $1")
                .bind(&shop.variant_id)
                .fetch_one(pool)
                .await?;
            units_taken += shop.stock - stock;
        }
        Ok(CheckoutReport {
            latencies,
            failed,
            elapsed,
            stored,
            units_taken,
            units_ordered,
        })
    }

    /// Inserts `products` published products (one or two variants each)
    /// spread over `vendors`, in one transaction of multi-row INSERTs:
    /// names, categories and descriptions from [`product_text`], prices,
    /// stock, sales, ratings and ages drawn from a fixed seed. The search
    /// index follows through its triggers (SQLite) or generated column
    /// (PostgreSQL).
    pub async fn seed_catalog(&self, vendors: &[Vendor], products: usize) -> Result<(), LoadError> {
        if vendors.is_empty() {
            return Err("seeding a catalog needs a vendor".into());
        }
        let mut rng = StdRng::seed_from_u64(20_261_207);
        let now = now_ms();
        let mut rows = Vec::with_capacity(products);
        let mut variants = Vec::with_capacity(products * 3 / 2);
        for i in 0..products {
            let tenant = vendors[i % vendors.len()].tenant_id.clone();
            let id = new_id();
            let created = now - rng.random_range(0..365 * 86_400_000_i64);
            let price = rng.random_range(20..2_000_i64) * 500;
            let rating_count = rng.random_range(0..200_i64);
            let rating_sum = rating_count * rng.random_range(2..=5_i64);
            for v in 0..(1 + i % 2) {
                variants.push(SeedVariant {
                    id: new_id(),
                    product_id: id.clone(),
                    tenant_id: tenant.clone(),
                    sku: format!("CAT-{i}-{v}"),
                    name: if v == 0 { "Standar" } else { "Besar" },
                    price_idr: price + 5_000 * v as i64,
                    stock: if rng.random_range(0..10) == 0 {
                        0
                    } else {
                        rng.random_range(1..500_i64)
                    },
                    created_at: created,
                });
            }
            rows.push(SeedProduct {
                id,
                tenant_id: tenant,
                text: product_text(i),
                min_price_idr: price,
                sold_count: rng.random_range(0..5_000_i64),
                rating_count,
                rating_sum,
                rating_avg_x100: if rating_count > 0 {
                    rating_sum * 100 / rating_count
                } else {
                    0
                },
                created_at: created,
            });
        }
        let mut tx = self.state.begin_write().await?;
        crate::db::execute_rows(
            &mut tx,
            &rows,
            15,
            |values| {
                format!(
                    "INSERT INTO mkt_products (id, tenant_id, name, description, category, specs, \
                     status, min_price_idr, sold_count, rating_count, rating_sum, rating_avg_x100, \
                     created_at, updated_at, published_at) VALUES {values}"
                )
            },
            |q, p| {
                q.bind(&p.id)
                    .bind(&p.tenant_id)
                    .bind(&p.text.name)
                    .bind(&p.text.description)
                    .bind(p.text.category)
                    .bind("[]")
                    .bind("published")
                    .bind(p.min_price_idr)
                    .bind(p.sold_count)
                    .bind(p.rating_count)
                    .bind(p.rating_sum)
                    .bind(p.rating_avg_x100)
                    .bind(p.created_at)
                    .bind(p.created_at)
                    .bind(p.created_at)
            },
        )
        .await?;
        crate::db::execute_rows(
            &mut tx,
            &variants,
            10,
            |values| {
                format!(
                    "INSERT INTO mkt_variants (id, product_id, tenant_id, sku, name, options, \
                     price_idr, stock, created_at, updated_at) VALUES {values}"
                )
            },
            |q, v| {
                q.bind(&v.id)
                    .bind(&v.product_id)
                    .bind(&v.tenant_id)
                    .bind(&v.sku)
                    .bind(v.name)
                    .bind("{}")
                    .bind(v.price_idr)
                    .bind(v.stock)
                    .bind(v.created_at)
                    .bind(v.created_at)
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A product row of [`Market::seed_catalog`].
struct SeedProduct {
    id: String,
    tenant_id: String,
    text: ProductText,
    min_price_idr: i64,
    sold_count: i64,
    rating_count: i64,
    rating_sum: i64,
    rating_avg_x100: i64,
    created_at: i64,
}

/// A variant row of [`Market::seed_catalog`].
struct SeedVariant {
    id: String,
    product_id: String,
    tenant_id: String,
    sku: String,
    name: &'static str,
    price_idr: i64,
    stock: i64,
    created_at: i64,
}

/// Products of the seeded catalog: (category, names in it).
const PRODUCTS: &[(&str, &[&str])] = &[
    (
        "fashion",
        &[
            "kaos", "kemeja", "celana", "jaket", "rok", "hijab", "batik", "sarung", "mukena",
            "sweater",
        ],
    ),
    ("sepatu", &["sepatu", "sandal", "selop", "sneakers"]),
    (
        "aksesoris",
        &["tas", "dompet", "topi", "jam", "kacamata", "gelang"],
    ),
    (
        "makanan",
        &[
            "kopi", "teh", "madu", "sambal", "keripik", "kue", "rendang", "abon",
        ],
    ),
    (
        "rumah",
        &["bantal", "sprei", "gorden", "tikar", "lampu", "keranjang"],
    ),
    ("kecantikan", &["sabun", "lulur", "minyak", "masker"]),
];

/// Colours, materials and regions the names combine.
const COLOURS: &[&str] = &[
    "merah", "biru", "hitam", "putih", "hijau", "kuning", "coklat", "abu", "ungu", "krem",
];
const MATERIALS: &[&str] = &[
    "katun", "kulit", "denim", "sutra", "rotan", "bambu", "linen", "wol",
];
const REGIONS: &[&str] = &[
    "bandung",
    "jogja",
    "bali",
    "solo",
    "garut",
    "medan",
    "makassar",
    "padang",
    "malang",
    "lombok",
    "pekalongan",
    "surabaya",
];

/// The words of one seeded product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductText {
    /// E.g. `Kaos Katun Merah Bandung 17`.
    pub name: String,
    /// A sentence with the same words.
    pub description: String,
    /// The category of the product's kind.
    pub category: &'static str,
}

fn nouns() -> impl Iterator<Item = (&'static str, &'static str)> {
    PRODUCTS
        .iter()
        .flat_map(|(c, names)| names.iter().map(move |n| (*c, *n)))
}

fn capital(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The words of the `i`-th seeded product: every kind, colour, material
/// and region appear about equally often.
pub fn product_text(i: usize) -> ProductText {
    let kinds: Vec<_> = nouns().collect();
    let (category, noun) = kinds[i % kinds.len()];
    let colour = COLOURS[(i / kinds.len()) % COLOURS.len()];
    let material = MATERIALS[(i / 7) % MATERIALS.len()];
    let region = REGIONS[(i / 11) % REGIONS.len()];
    ProductText {
        name: format!(
            "{} {} {} {} {}",
            capital(noun),
            capital(material),
            capital(colour),
            capital(region),
            i % 997
        ),
        description: format!(
            "{} bahan {material} warna {colour}, buatan perajin {region}. Nyaman dipakai sehari-hari.",
            capital(noun)
        ),
        category,
    }
}

/// One search of the mix.
#[derive(Debug, Clone)]
pub struct SearchCase {
    /// Path and query string.
    pub path: String,
    /// A word every result's name must contain, when the search has one.
    pub word: Option<&'static str>,
}

/// `n` catalog searches, a mix of what shoppers do: one word, two words,
/// a category by price, a price range in stock, best sellers, best rated,
/// and the second page of a word.
pub fn search_cases(n: usize) -> Vec<SearchCase> {
    let kinds: Vec<_> = nouns().collect();
    (0..n)
        .map(|i| {
            let (category, noun) = kinds[(i * 7) % kinds.len()];
            let colour = COLOURS[(i * 3) % COLOURS.len()];
            let region = REGIONS[(i * 5) % REGIONS.len()];
            let base = "/api/v1/marketplace/products";
            match i % 8 {
                0 => SearchCase {
                    path: format!("{base}?q={noun}"),
                    word: Some(noun),
                },
                1 => SearchCase {
                    path: format!("{base}?q={noun}+{colour}"),
                    word: Some(noun),
                },
                2 => SearchCase {
                    path: format!("{base}?category={category}&sort=price_asc"),
                    word: None,
                },
                3 => SearchCase {
                    path: format!("{base}?q={noun}&min_price=50000&max_price=300000&in_stock=true"),
                    word: Some(noun),
                },
                4 => SearchCase {
                    path: format!("{base}?sort=best_selling"),
                    word: None,
                },
                5 => SearchCase {
                    path: format!("{base}?q={noun}+{region}&sort=rating"),
                    word: Some(noun),
                },
                6 => SearchCase {
                    path: format!("{base}?q={colour}&sort=price_desc"),
                    word: None,
                },
                _ => SearchCase {
                    path: format!("{base}?category={category}&min_rating=4"),
                    word: None,
                },
            }
        })
        .collect()
}
