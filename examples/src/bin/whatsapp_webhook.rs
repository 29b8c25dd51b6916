//! An axum webhook receiver for the Cloud API and Fonnte.
//!
//! - `GET  /webhooks/cloud`  answers Meta's verification handshake
//!   (`WHATSAPP_VERIFY_TOKEN`).
//! - `POST /webhooks/cloud`  checks `X-Hub-Signature-256` against
//!   `WHATSAPP_APP_SECRET` over the raw body, parses, de-duplicates by
//!   provider message id, logs the events.
//! - `POST /webhooks/fonnte/{secret}` parses Fonnte posts; Fonnte does not
//!   sign, so the URL carries `FONNTE_WEBHOOK_SECRET`.
//!
//! ```text
//! WHATSAPP_VERIFY_TOKEN=... WHATSAPP_APP_SECRET=... FONNTE_WEBHOOK_SECRET=... \
//!   cargo run -p examples --bin whatsapp_webhook            # listens on 127.0.0.1:3000
//! cargo run -p examples --bin whatsapp_webhook -- --self-test   # drives itself, then exits
//! ```
#![allow(clippy::print_stdout)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use whatsapp_client::webhook::{self, Event, SIGNATURE_HEADER};

struct AppState {
    verify_token: String,
    app_secret: Vec<u8>,
    fonnte_secret: String,
    /// Provider retries are dropped by event key. A real server keeps this
    /// in the database with a unique constraint.
    seen: Mutex<HashSet<String>>,
}

impl AppState {
    /// Logs new events; returns how many were new.
    fn handle(&self, events: Vec<Event>) -> usize {
        let mut new = 0;
        for event in events {
            if let Some(key) = event.dedup_key() {
                let mut seen = self
                    .seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if !seen.insert(key) {
                    continue;
                }
            }
            new += 1;
            match &event {
                Event::Message(m) => tracing::info!(
                    provider = m.provider,
                    id = %m.id,
                    from = %m.from,
                    kind = m.content.kind(),
                    text = m.text().unwrap_or(""),
                    "message"
                ),
                // A customer WhatsApp names only by a business-scoped user
                // id; answer with `CloudApi::send_message_to_user_id`.
                Event::UserIdMessage(m) => tracing::info!(
                    provider = m.provider,
                    id = %m.id,
                    user_id = %m.from,
                    kind = m.content.kind(),
                    text = m.text().unwrap_or(""),
                    "message"
                ),
                Event::Status(s) => {
                    tracing::info!(id = %s.message_id, status = s.status.as_str(), "status")
                }
                Event::DeviceStatus(d) => {
                    tracing::info!(device = %d.device, state = ?d.state, "device")
                }
                other => tracing::info!(kind = ?other, "other event"),
            }
        }
        new
    }
}

async fn cloud_handshake(
    State(state): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    match webhook::verify_subscription(
        q.get("hub.mode").map(String::as_str),
        q.get("hub.verify_token").map(String::as_str),
        q.get("hub.challenge").map(String::as_str),
        &state.verify_token,
    ) {
        Ok(challenge) => (StatusCode::OK, challenge.to_owned()),
        Err(e) => (StatusCode::FORBIDDEN, e.to_string()),
    }
}

async fn cloud_events(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Err(e) = webhook::verify_signature(&state.app_secret, signature, &body) {
        tracing::warn!(error = %e, "rejected webhook");
        return StatusCode::UNAUTHORIZED;
    }
    match webhook::parse_cloud(&body) {
        Ok(events) => {
            state.handle(events);
            StatusCode::OK
        }
        Err(e) => {
            tracing::warn!(error = %e, "unparseable webhook");
            StatusCode::BAD_REQUEST
        }
    }
}

async fn fonnte_events(
    State(state): State<Arc<AppState>>,
    Path(secret): Path<String>,
    body: Bytes,
) -> StatusCode {
    use subtle::ConstantTimeEq;
    if !bool::from(secret.as_bytes().ct_eq(state.fonnte_secret.as_bytes())) {
        return StatusCode::NOT_FOUND;
    }
    match webhook::parse_fonnte(&body) {
        Ok(event) => {
            state.handle(vec![event]);
            StatusCode::OK
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/webhooks/cloud", get(cloud_handshake).post(cloud_events))
        .route("/webhooks/fonnte/{secret}", post(fonnte_events))
        .with_state(state)
}

async fn self_test() -> Result<(), Box<dyn std::error::Error>> {
    let state = Arc::new(AppState {
        verify_token: "verify-me".into(),
        app_secret: b"app-secret".to_vec(),
        fonnte_secret: "f0nnte-s3cret".into(),
        seen: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server_state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app(server_state)).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    let http = reqwest::Client::new();
    let check = |what: &str, got: u16, want: u16| -> Result<(), Box<dyn std::error::Error>> {
        println!("{what}: HTTP {got}");
        if got == want {
            Ok(())
        } else {
            Err(format!("{what}: expected {want}, got {got}").into())
        }
    };

    let r = http
        .get(format!("{base}/webhooks/cloud?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"))
        .send()
        .await?;
    check("handshake", r.status().as_u16(), 200)?;
    if r.text().await? != "1158201444" {
        return Err("handshake did not echo the challenge".into());
    }

    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"6281100000000","phone_number_id":"42"},"contacts":[{"profile":{"name":"Budi"},"wa_id":"6281234567890"}],"messages":[{"from":"6281234567890","id":"wamid.SELFTEST","timestamp":"1700000000","type":"text","text":{"body":"halo"}}]}}]}]}"#;
    let good = webhook::sign(b"app-secret", body);
    for attempt in ["signed message", "provider retry (duplicate)"] {
        let r = http
            .post(format!("{base}/webhooks/cloud"))
            .header(SIGNATURE_HEADER, &good)
            .body(body.to_vec())
            .send()
            .await?;
        check(attempt, r.status().as_u16(), 200)?;
    }
    let r = http
        .post(format!("{base}/webhooks/cloud"))
        .header(SIGNATURE_HEADER, webhook::sign(b"wrong-secret", body))
        .body(body.to_vec())
        .send()
        .await?;
    check("bad signature", r.status().as_u16(), 401)?;

    let fonnte = r#"{"device":"6282227097005","sender":"6281234567890","message":"cek ongkir","name":"Budi","inboxid":"55"}"#;
    let r = http
        .post(format!("{base}/webhooks/fonnte/f0nnte-s3cret"))
        .body(fonnte)
        .send()
        .await?;
    check("fonnte message", r.status().as_u16(), 200)?;
    let r = http
        .post(format!("{base}/webhooks/fonnte/guess"))
        .body(fonnte)
        .send()
        .await?;
    check("fonnte wrong secret", r.status().as_u16(), 404)?;

    let seen = state.seen.lock().map(|s| s.len()).unwrap_or(0);
    if seen != 2 {
        return Err(format!("expected 2 distinct events, saw {seen}").into());
    }
    println!("self-test passed: 2 distinct events, duplicate dropped, forgeries rejected");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    if std::env::args().any(|a| a == "--self-test") {
        return self_test().await;
    }
    let need =
        |k: &str| std::env::var(k).map_err(|_| format!("{k} is not set (or use --self-test)"));
    let state = Arc::new(AppState {
        verify_token: need("WHATSAPP_VERIFY_TOKEN")?,
        app_secret: need("WHATSAPP_APP_SECRET")?.into_bytes(),
        fonnte_secret: need("FONNTE_WEBHOOK_SECRET")?,
        seen: Mutex::default(),
    });
    let addr = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    axum::serve(listener, app(state)).await?;
    Ok(())
}
