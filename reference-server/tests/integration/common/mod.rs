//! Test harness: the real server on 127.0.0.1:0 with a fresh database.
//!
//! ```text
//! mod common;
//! use common::{DbKind, spawn_app};
//!
//! async fn scenario(kind: DbKind) {
//!     let app = spawn_app(kind).await;
//!     let vendor = app.signup_vendor("Toko A").await;
//!     let res = app.get("/api/v1/me", &vendor.token).await;
//!     assert_eq!(res.status(), 200);
//! }
//! #[tokio::test] async fn scenario_sqlite() { scenario(DbKind::Sqlite).await }
//! #[tokio::test] async fn scenario_postgres() { scenario(DbKind::Postgres).await }
//! ```
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, missing_docs)]

pub mod fixtures;

use std::net::SocketAddr;

use reqwest::{Method, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

pub use reference_server::DbKind;
use reference_server::{AppState, Config};

/// A running server with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The bound address.
    pub addr: SocketAddr,
    /// HTTP client (no redirects, no proxy).
    pub client: reqwest::Client,
    /// The server's state (pool, config, services) for direct checks.
    pub state: AppState,
    /// Email and password of the seeded platform admin.
    pub admin_email: String,
    /// The seeded admin's password.
    pub admin_password: String,
    /// Kind of database.
    pub kind: DbKind,
    _data_dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A vendor created through the real sign-up flow.
#[derive(Debug, Clone)]
pub struct VendorSession {
    /// Owner session token.
    pub token: String,
    /// The vendor.
    pub tenant_id: String,
    /// The owner member.
    pub member_id: String,
    /// Owner login email.
    pub email: String,
    /// Owner password.
    pub password: String,
    /// The vendor's WhatsApp number (E.164).
    pub whatsapp: String,
}

/// Starts the server on `kind` with test settings (cheap password hashing,
/// generous rate limits).
pub async fn spawn_app(kind: DbKind) -> TestApp {
    spawn_app_with(kind, |_| {}).await
}

/// Like [`spawn_app`], letting the test change the configuration first
/// (e.g. point Midtrans at a wiremock server).
pub async fn spawn_app_with(kind: DbKind, configure: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(data_dir.path());
    // One compile cache for every test server of the run.
    config.plugin_cache_dir = Some(std::path::PathBuf::from(concat!(
        env!("CARGO_TARGET_TMPDIR"),
        "/plugin-cache"
    )));
    config.database_url = Some(SecretString::from(match kind {
        DbKind::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            data_dir.path().join("server.db").display()
        ),
        DbKind::Postgres => pg_harness::fresh_database().await,
    }));
    config.argon2_memory_kib = 64;
    config.rate_limits.per_ip_per_minute = 100_000;
    config.rate_limits.per_account_per_minute = 100_000;
    config.otp_resend_cooldown_secs = 0;
    config.otp_max_sends_per_ip_per_hour = 1000;
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    configure(&mut config);
    let state = reference_server::build_state(config).await.unwrap();
    let seeded = reference_server::admin::seed_if_empty(&state)
        .await
        .unwrap()
        .expect("a fresh database has no admin");
    let (listener, addr) = reference_server::bind(state.config.bind).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(reference_server::serve(state.clone(), listener, async {
        let _ = rx.await;
    }));
    TestApp {
        base: format!("http://{addr}"),
        addr,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap(),
        state,
        admin_email: seeded.email,
        admin_password: seeded.password.expose_secret().to_owned(),
        kind,
        _data_dir: data_dir,
        shutdown: Some(tx),
        server: Some(server),
    }
}

impl TestApp {
    /// Stops the server gracefully and waits for it (and its jobs) to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// The Prometheus text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        let res = self.client.get(self.url("/metrics")).send().await.unwrap();
        res.text().await.unwrap()
    }

    /// GET with a bearer token.
    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    /// POST JSON with a bearer token.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    /// POST JSON with a bearer token and `Accept-Language: {lang}`.
    pub async fn post_in(&self, lang: &str, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("accept-language", lang)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// POST JSON without credentials.
    pub async fn post_anon(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path, None, Some(body)).await
    }

    /// Logs in the seeded platform admin and returns the session token.
    pub async fn admin_token(&self) -> String {
        let res = self
            .post_anon(
                "/api/v1/admin/login",
                json!({"email": self.admin_email, "password": self.admin_password}),
            )
            .await;
        assert_eq!(res.status(), 200, "admin login failed");
        let body: Value = res.json().await.unwrap();
        body["data"]["token"].as_str().unwrap().to_owned()
    }

    /// The latest simulator messages sent by the platform to `to`, newest first.
    pub async fn platform_messages_to(
        &self,
        to: &str,
    ) -> Vec<reference_server::simulator::SimMessage> {
        reference_server::simulator::list(&self.state.pool, None, None, Some(to), 50)
            .await
            .unwrap()
    }
}

static VENDOR_SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A fresh, valid Indonesian mobile number (E.164) unique in this process.
pub fn unique_whatsapp() -> String {
    let n = VENDOR_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let salt = std::process::id() % 1000;
    format!("+62812{salt:03}{n:05}")
}

/// The first run of exactly six digits in `text` (the OTP code).
pub fn find_code(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 6 {
                return Some(text[start..i].to_owned());
            }
        } else {
            i += 1;
        }
    }
    None
}

impl TestApp {
    /// The newest OTP code the platform sent to `whatsapp`.
    pub async fn last_code_to(&self, whatsapp: &str) -> String {
        let msgs = self.platform_messages_to(whatsapp).await;
        let first = msgs.first().expect("no message sent to this number");
        find_code(&first.message.to_string()).expect("no code in the message")
    }

    /// Signs up a vendor through the real OTP flow and returns the owner's session.
    pub async fn signup_vendor(&self, name: &str) -> VendorSession {
        let whatsapp = unique_whatsapp();
        let email = format!(
            "owner{}@{}.test",
            &whatsapp[1..],
            name.to_lowercase().replace(' ', "-")
        );
        let password = "rahasia-123".to_owned();
        let sent = data(
            self.post_anon(
                "/api/v1/auth/signup",
                json!({"business_name": name, "name": format!("Owner of {name}"), "email": email,
                       "whatsapp": whatsapp, "password": password}),
            )
            .await,
            200,
        )
        .await;
        let code = self.last_code_to(&whatsapp).await;
        let verified = data(
            self.post_anon(
                "/api/v1/auth/signup/verify",
                json!({"challenge_id": sent["challenge_id"], "code": code}),
            )
            .await,
            200,
        )
        .await;
        let session = &verified["session"];
        VendorSession {
            token: session["token"].as_str().unwrap().to_owned(),
            tenant_id: session["tenant_id"].as_str().unwrap().to_owned(),
            member_id: session["member_id"].as_str().unwrap().to_owned(),
            email,
            password,
            whatsapp,
        }
    }

    /// Creates an API key for the vendor and returns the key.
    pub async fn api_key(&self, vendor: &VendorSession) -> String {
        let created = data(
            self.post(
                "/api/v1/api-keys",
                &vendor.token,
                json!({"name": "test key"}),
            )
            .await,
            201,
        )
        .await;
        created["key"].as_str().unwrap().to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Reads `{"data": ...}` from a response, asserting the status.
pub async fn data(res: Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "unexpected status; body: {body}");
    body["data"].clone()
}

/// Reads the error code of an error response, asserting the status.
pub async fn error_code(res: Response, status: u16) -> String {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "unexpected status; body: {body}");
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Runs an async test body on SQLite and PostgreSQL as two `#[tokio::test]`s.
#[macro_export]
macro_rules! both_dbs {
    ($body:ident) => {
        mod $body {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::common::DbKind::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$body($crate::common::DbKind::Postgres).await
            }
        }
    };
}
