//! Register with a WhatsApp one-time code, over axum.
//!
//! `POST /register/start {"phone": "0812...", "name": "Budi"}` sends a code
//! and answers `202 {"challenge_id", "expires_at", "resend_after_secs",
//! "sent_to"}`; `POST /register/verify {"challenge_id", "code"}` creates the
//! account (`201`) or answers with the typed outcome (400 wrong code, 410
//! expired, 423 locked, 404 not found, 429 with `Retry-After`). Texts follow
//! `Accept-Language` (Indonesian by default, English available).
//!
//! ```sh
//! # Codes are printed to the log (development channel), SQLite in memory:
//! cargo run -p examples --bin otp_register_flow
//! # Real WhatsApp through Fonnte, PostgreSQL, a fixed secret:
//! FONNTE_TOKEN=... DATABASE_URL=postgres://... OTP_SECRET=$(openssl rand -hex 32) \
//!     cargo run -p examples --bin otp_register_flow
//! # No accounts needed: scripted requests against the running app.
//! cargo run -p examples --bin otp_register_flow -- --self-test
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use otp::channel::{Delivery, WhatsAppChannel};
use otp::testing::RecordingChannel;
use otp::{
    Channel, DeliveryError, Destination, IssueRequest, Locale, ManualClock, Messages, Otp,
    OtpError, OtpSecret, Purpose, SqlStore, VerifyOutcome,
};
use serde::Deserialize;
use serde_json::json;
use whatsapp_client::PhoneNumber;
use whatsapp_client::fonnte::Fonnte;

#[derive(Clone)]
struct App {
    otp: Otp,
    /// Registered users by E.164 number.
    users: Arc<Mutex<HashMap<String, String>>>,
    /// Names waiting for their code, by challenge id.
    pending: Arc<Mutex<HashMap<String, String>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn locale(headers: &HeaderMap) -> Locale {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_tag)
        .unwrap_or_default()
}

fn json_response(status: u16, body: serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

fn otp_error(e: &OtpError, locale: Locale) -> Response {
    let status = e.http_status();
    if status >= 500 {
        tracing::error!(error = %e, "otp failure");
    }
    let mut response = json_response(
        status,
        json!({ "error": status_name(status), "message": e.user_message(locale) }),
    );
    if let Some(wait) = e.retry_after() {
        let secs = wait.as_secs_f64().ceil().max(1.0).to_string();
        if let Ok(value) = HeaderValue::from_str(&secs) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

fn status_name(status: u16) -> &'static str {
    match status {
        400 => "invalid_request",
        429 => "too_many_requests",
        502 | 503 => "delivery_failed",
        _ => "internal_error",
    }
}

#[derive(Deserialize)]
struct StartBody {
    phone: String,
    name: String,
}

async fn start(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<StartBody>,
) -> Response {
    let locale = locale(&headers);
    let english = locale == Locale::English;
    let Ok(phone) = PhoneNumber::parse(&body.phone) else {
        let message = if english {
            "That is not a valid phone number."
        } else {
            "Nomor telepon tidak valid."
        };
        return json_response(400, json!({ "error": "invalid_phone", "message": message }));
    };
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        let message = if english {
            "Please enter your name."
        } else {
            "Silakan isi nama Anda."
        };
        return json_response(400, json!({ "error": "invalid_name", "message": message }));
    }
    let destination = Destination::phone(&phone);
    let request = IssueRequest::new(Purpose::REGISTER, destination.clone())
        .client_key(peer.ip().to_string())
        .locale(locale);
    // An existing number gets a decoy: the same answer, the same limits, no
    // message, and no code will ever verify. The response therefore does
    // not reveal who is registered. (A real app may prefer to send the
    // owner a "you already have an account" notice instead.)
    let registered = lock(&app.users).contains_key(phone.e164());
    let result = if registered {
        app.otp.issue_decoy(request).await
    } else {
        app.otp.issue(request).await
    };
    match result {
        Ok(issued) => {
            lock(&app.pending).insert(issued.challenge_id.clone(), name);
            json_response(
                202,
                json!({
                    "challenge_id": issued.challenge_id,
                    "expires_at": issued.expires_at.to_rfc3339(),
                    "resend_after_secs": issued.resend_after.as_secs(),
                    "sent_to": destination.masked(),
                }),
            )
        }
        Err(e) => otp_error(&e, locale),
    }
}

#[derive(Deserialize)]
struct VerifyBody {
    challenge_id: String,
    code: String,
}

async fn verify(
    State(app): State<App>,
    headers: HeaderMap,
    Json(body): Json<VerifyBody>,
) -> Response {
    let locale = locale(&headers);
    let outcome = match app
        .otp
        .verify(&Purpose::REGISTER, &body.challenge_id, &body.code)
        .await
    {
        Ok(outcome) => outcome,
        Err(e) => return otp_error(&e, locale),
    };
    let VerifyOutcome::Verified(verified) = outcome else {
        let mut body = json!({ "error": outcome.code(), "message": outcome.user_message(locale) });
        if let VerifyOutcome::WrongCode { attempts_left } = outcome {
            body["attempts_left"] = json!(attempts_left);
        }
        return json_response(outcome.http_status(), body);
    };
    let phone = verified.destination.to_string();
    let name = lock(&app.pending)
        .remove(&verified.challenge_id)
        .unwrap_or_default();
    let mut users = lock(&app.users);
    if users.contains_key(&phone) {
        // Two sign-ups for one number raced; the first one won.
        return json_response(409, json!({ "error": "already_registered" }));
    }
    users.insert(phone.clone(), name.clone());
    json_response(201, json!({ "phone": phone, "name": name }))
}

fn router(app: App) -> Router {
    Router::new()
        .route("/register/start", post(start))
        .route("/register/verify", post(verify))
        .with_state(app)
}

/// Development channel: writes the message to the log instead of sending it.
struct LogChannel;

#[async_trait]
impl Channel for LogChannel {
    fn name(&self) -> &'static str {
        "log"
    }
    fn supports(&self, destination: &Destination) -> bool {
        destination.as_phone_e164().is_some()
    }
    async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), DeliveryError> {
        tracing::info!(to = %delivery.destination().masked(), text = delivery.text(), "DEV ONLY: message not sent");
        Ok(())
    }
}

fn secret() -> Result<OtpSecret, Box<dyn std::error::Error>> {
    match std::env::var("OTP_SECRET") {
        Ok(value) => Ok(OtpSecret::new(value.into_bytes())?),
        Err(_) => {
            tracing::warn!(
                "OTP_SECRET is not set: using a random secret (codes die with the process)"
            );
            Ok(OtpSecret::random())
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    if std::env::args().any(|a| a == "--self-test") {
        return self_test().await;
    }
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let store = SqlStore::connect(&url).await?;
    store.migrate().await?;
    let builder = match std::env::var("FONNTE_TOKEN") {
        Ok(token) => Otp::builder(secret()?, store, WhatsAppChannel::text(Fonnte::new(token))),
        Err(_) => {
            tracing::warn!("FONNTE_TOKEN is not set: codes are written to the log");
            Otp::builder(secret()?, store, LogChannel)
        }
    };
    let otp = builder.messages(Messages::new("TokoKu")).build()?;
    otp.spawn_purge_task(Duration::from_secs(300));
    let app = App {
        otp,
        users: Arc::default(),
        pending: Arc::default(),
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], 3000));
    tracing::info!("listening on http://{addr}/register/start");
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// Drives the real routes with a recording channel and a manual clock.
async fn self_test() -> Result<(), Box<dyn std::error::Error>> {
    let channel = RecordingChannel::new();
    let clock = ManualClock::at_epoch_2026();
    let store = SqlStore::connect("sqlite::memory:").await?;
    store.migrate().await?;
    let otp = Otp::builder(OtpSecret::random(), store, channel.clone())
        .messages(Messages::new("TokoKu"))
        .clock(clock.clone())
        .build()?;
    let users: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let app = App {
        otp,
        users: users.clone(),
        pending: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router(app).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let http = reqwest::Client::new();
    let post =
        |path: &str, body: serde_json::Value| http.post(format!("{base}{path}")).json(&body).send();
    let mut failures = Vec::new();
    let mut check = |what: &str, ok: bool| {
        tracing::info!(ok, "{what}");
        if !ok {
            failures.push(what.to_owned());
        }
    };

    let r = post(
        "/register/start",
        json!({ "phone": "0812-3456-7890", "name": "Budi" }),
    )
    .await?;
    check("start: 202", r.status() == 202);
    let started: serde_json::Value = r.json().await?;
    let id = started["challenge_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    check(
        "start: masked destination",
        started["sent_to"] == "+6281******890",
    );
    let code = channel.last_code().unwrap_or_default();
    check("a WhatsApp text was sent", channel.sent().len() == 1);

    let r = post(
        "/register/verify",
        json!({ "challenge_id": id, "code": "000000x" }),
    )
    .await?;
    let body: serde_json::Value = r.json().await?;
    check(
        "wrong code: 400, 2 attempts left",
        body["attempts_left"] == 2,
    );
    tracing::info!(message = %body["message"], "wrong code message");

    let r = post(
        "/register/verify",
        json!({ "challenge_id": id, "code": code }),
    )
    .await?;
    check("right code: 201", r.status() == 201);
    check("user created", lock(&users).contains_key("+6281234567890"));

    let r = post(
        "/register/verify",
        json!({ "challenge_id": id, "code": code }),
    )
    .await?;
    check("code is single use: 404", r.status() == 404);

    let r = post(
        "/register/start",
        json!({ "phone": "+62 812 3456 7890", "name": "Eve" }),
    )
    .await?;
    let retry = r.headers().get("retry-after").cloned();
    check("resend within the cooldown: 429", r.status() == 429);
    check(
        "Retry-After: 60",
        retry.as_ref().and_then(|v| v.to_str().ok()) == Some("60"),
    );

    clock.advance(Duration::from_secs(61));
    let r = post(
        "/register/start",
        json!({ "phone": "6281234567890", "name": "Eve" }),
    )
    .await?;
    check("registered number: same 202 answer", r.status() == 202);
    let decoy: serde_json::Value = r.json().await?;
    check("... but nothing was sent", channel.sent().len() == 1);
    let r = post(
        "/register/verify",
        json!({ "challenge_id": decoy["challenge_id"], "code": code }),
    )
    .await?;
    check("... and no code verifies it", r.status() == 400);

    let r = http
        .post(format!("{base}/register/start"))
        .header("accept-language", "en-US")
        .json(&json!({ "phone": "12", "name": "X" }))
        .send()
        .await?;
    let body: serde_json::Value = r.json().await?;
    check(
        "bad number: English message",
        body["message"] == "That is not a valid phone number.",
    );

    if failures.is_empty() {
        tracing::info!("self-test passed");
        Ok(())
    } else {
        Err(format!("self-test failed: {failures:?}").into())
    }
}
