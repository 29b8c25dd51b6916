//! Helpers shared by the contacts and campaigns tests.
#![allow(dead_code, clippy::unwrap_used, missing_docs, unreachable_pub)]

use reference_server::auth::session::{self, SubjectKind};
use reference_server::db::{new_id, now_ms};
use serde_json::{Value, json};

use crate::common::TestApp;

/// A vendor with an owner session.
pub struct Vendor {
    pub token: String,
    pub tenant_id: String,
}

/// Creates an active vendor on a plan with the given limits (contacts,
/// messages per month) and returns an owner session. Goes straight to the
/// database: sign-up and billing are tested by their own areas, these tests
/// need a vendor in a known state.
pub async fn vendor_with_limits(
    app: &TestApp,
    name: &str,
    max_contacts: i64,
    max_messages: i64,
) -> Vendor {
    // Server errors are logged with their detail; show them in test output.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    vendor_in_pool(&app.state.pool, name, max_contacts, max_messages).await
}

/// Like [`vendor_with_limits`] on any pool of the server's database.
pub async fn vendor_in_pool(
    pool: &sqlx::AnyPool,
    name: &str,
    max_contacts: i64,
    max_messages: i64,
) -> Vendor {
    let now = now_ms();
    let tenant_id = new_id();
    let member_id = new_id();
    let plan_id = new_id();
    let suffix: String = tenant_id
        .chars()
        .filter(char::is_ascii_digit)
        .rev()
        .take(8)
        .collect();
    sqlx::query("INSERT INTO tenants (id, name, whatsapp, status, locale, created_at, updated_at) VALUES ($1, $2, $3, 'active', 'id', $4, $4)")
        .bind(&tenant_id).bind(name).bind(format!("+62811{suffix:0>8}")).bind(now)
        .execute(pool).await.unwrap();
    sqlx::query("INSERT INTO members (id, tenant_id, email, name, whatsapp, password_hash, role, created_at, updated_at) VALUES ($1, $2, $3, $4, NULL, 'x', 'owner', $5, $5)")
        .bind(&member_id).bind(&tenant_id).bind(format!("{member_id}@example.com")).bind(name).bind(now)
        .execute(pool).await.unwrap();
    sqlx::query("INSERT INTO plans (id, code, name, price_idr, duration_days, max_devices, max_contacts, max_messages_per_month, max_ai_requests_per_month, active, created_at, updated_at) VALUES ($1, $2, 'Test', 0, 30, 10, $3, $4, 10, 1, $5, $5)")
        .bind(&plan_id).bind(format!("test-{plan_id}")).bind(max_contacts).bind(max_messages).bind(now)
        .execute(pool).await.unwrap();
    sqlx::query("INSERT INTO subscriptions (tenant_id, plan_id, status, started_at, expires_at, updated_at) VALUES ($1, $2, 'active', $3, $4, $3)")
        .bind(&tenant_id).bind(&plan_id).bind(now).bind(now + 30 * 86_400_000)
        .execute(pool).await.unwrap();
    let s = session::create(pool, SubjectKind::Member, &member_id, Some(&tenant_id), 24)
        .await
        .unwrap();
    Vendor {
        token: s.token,
        tenant_id,
    }
}

/// A vendor with generous limits.
pub async fn vendor(app: &TestApp, name: &str) -> Vendor {
    vendor_with_limits(app, name, 1_000_000, 1_000_000).await
}

/// Creates a device through the devices API and returns its id.
pub async fn device(app: &TestApp, v: &Vendor, provider: Value) -> String {
    let res = app
        .post(
            "/api/v1/devices",
            &v.token,
            json!({"name": "Toko", "provider": provider}),
        )
        .await;
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(
        status == 201 || status == 200,
        "device create failed: {status} {body}"
    );
    body["data"]["id"].as_str().unwrap().to_owned()
}

/// A simulator device.
pub async fn sim_device(app: &TestApp, v: &Vendor) -> String {
    device(app, v, json!({"kind": "simulator"})).await
}

/// An Indonesian mobile number `+62812` followed by `n` padded to 8 digits.
pub fn phone(n: usize) -> String {
    format!("+62812{n:08}")
}

/// Messages the simulator recorded for a device: (to, message JSON).
pub async fn sim_sent(app: &TestApp, device_id: &str) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT to_number, message_json FROM sim_outbox WHERE device_id = $1 ORDER BY created_at, id")
        .bind(device_id)
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    rows.into_iter()
        .map(|(to, m)| (to, serde_json::from_str(&m).unwrap()))
        .collect()
}

/// Polls `f` until it returns `Some`, at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "condition not reached in {secs} s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Another server process stand-in: a second `AppState` (own pool, own
/// campaign engine) and HTTP server on the database of `app`, with the
/// same data directory (so it reads the same secret key).
pub struct SecondServer {
    pub state: reference_server::AppState,
    pub base: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl SecondServer {
    /// Starts it; `configure` may change the campaign settings.
    pub async fn start(
        app: &TestApp,
        configure: impl FnOnce(&mut reference_server::Config),
    ) -> Self {
        let mut config = (*app.state.config).clone();
        config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        configure(&mut config);
        let state = reference_server::build_state(config).await.unwrap();
        let (listener, addr) = reference_server::bind(state.config.bind).await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(reference_server::serve(state.clone(), listener, async {
            let _ = rx.await;
        }));
        Self {
            state,
            base: format!("http://{addr}"),
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops it gracefully (sends in flight finish, the lease is released).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.unwrap().unwrap();
        }
    }
}

impl Drop for SecondServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A generic-gateway device sending to `gw` (`POST {gw}/send`).
pub async fn gateway_device(app: &TestApp, v: &Vendor, gw: &wiremock::MockServer) -> String {
    device(
        app,
        v,
        json!({"kind": "gateway", "url": format!("{}/send", gw.uri()), "header_name": "x-api-key", "token": "rahasia"}),
    )
    .await
}

/// Makes the gateway mock `gw` accept every send, answering `id` after
/// `delay` (mounted after any more specific mock, it answers the rest).
pub async fn gateway_accepts(gw: &wiremock::MockServer, id: &str, delay: std::time::Duration) {
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(json!({"status": true, "id": id}))
                .set_delay(delay),
        )
        .mount(gw)
        .await;
}

/// How many messages the gateway mock received per number (`number` of
/// the generic gateway body).
pub async fn gateway_counts(
    gw: &wiremock::MockServer,
) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for r in gw.received_requests().await.unwrap() {
        let body: Value = r.body_json().unwrap();
        let number = body["number"].as_str().unwrap_or_default().to_owned();
        *counts.entry(number).or_insert(0) += 1;
    }
    counts
}
