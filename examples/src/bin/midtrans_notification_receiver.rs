//! An axum endpoint that receives Midtrans notifications safely:
//! verify the signature, confirm with GET status, then apply the state
//! idempotently (a repeated or stale notification never downgrades an
//! order or activates it twice).
//!
//! ```sh
//! # Against the real sandbox (point the dashboard's notification URL here):
//! MIDTRANS_SERVER_KEY=SB-Mid-server-... cargo run -p examples --bin midtrans_notification_receiver
//! # Without any account: a local fake Midtrans and a scripted delivery.
//! cargo run -p examples --bin midtrans_notification_receiver -- --self-test
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use midtrans_client::{
    BaseUrls, Environment, Error, IncomingNotification, MidtransClient, PaymentState, testing,
};

/// What the shop knows about each order.
#[derive(Default)]
struct Orders {
    state: HashMap<String, PaymentState>,
    activations: HashMap<String, u32>,
}

#[derive(Clone)]
struct App {
    midtrans: MidtransClient,
    orders: Arc<Mutex<Orders>>,
}

async fn midtrans_webhook(State(app): State<App>, body: Bytes) -> StatusCode {
    let incoming = match IncomingNotification::from_slice(&body) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "unparseable notification");
            return StatusCode::BAD_REQUEST;
        }
    };
    let notification = match incoming {
        IncomingNotification::Transaction(n) => n,
        IncomingNotification::Subscription(s) => {
            // No signature on these: only the GET result is trusted.
            return match app.midtrans.confirm_subscription(&s).await {
                Ok(sub) => {
                    tracing::info!(id = %sub.id, status = ?sub.status, "subscription confirmed");
                    StatusCode::OK
                }
                Err(e) => {
                    tracing::warn!(error = %e, "subscription confirmation failed");
                    StatusCode::SERVICE_UNAVAILABLE
                }
            };
        }
        _ => return StatusCode::OK,
    };

    // Verify (server key of this merchant) + GET status.
    let confirmed = match app.midtrans.confirm(&notification).await {
        Ok(c) => c,
        Err(Error::Signature(e)) => {
            tracing::warn!(order_id = %notification.order_id, error = %e, "bad signature, ignored");
            return StatusCode::FORBIDDEN;
        }
        Err(e) if e.is_retryable() => {
            // Midtrans retries non-2xx answers: try again later.
            tracing::warn!(error = %e, "could not confirm now");
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        Err(e) => {
            tracing::warn!(error = %e, "confirmation failed");
            return StatusCode::UNPROCESSABLE_ENTITY;
        }
    };

    // Apply idempotently. In a database: one row per order id, updated in
    // a transaction only if the new state supersedes the stored one.
    let order_id = confirmed.notification.order_id.clone();
    let mut orders = app.orders.lock().unwrap_or_else(|p| p.into_inner());
    let current = orders
        .state
        .get(&order_id)
        .copied()
        .unwrap_or(PaymentState::Unknown);
    if confirmed.state.supersedes(current) {
        orders.state.insert(order_id.clone(), confirmed.state);
        if confirmed.state == PaymentState::Paid {
            *orders.activations.entry(order_id.clone()).or_default() += 1;
            tracing::info!(%order_id, "paid: activating the order");
        }
        tracing::info!(%order_id, from = ?current, to = ?confirmed.state, label = confirmed.state.label_id(), "order updated");
    } else {
        tracing::info!(%order_id, stored = ?current, incoming = ?confirmed.state, "repeat or stale notification, nothing changed");
    }
    StatusCode::OK
}

fn router(app: App) -> Router {
    Router::new()
        .route("/webhooks/midtrans", post(midtrans_webhook))
        .with_state(app)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    if std::env::args().any(|a| a == "--self-test") {
        return self_test().await;
    }
    let Ok(server_key) = std::env::var("MIDTRANS_SERVER_KEY") else {
        tracing::warn!(
            "MIDTRANS_SERVER_KEY is not set; run with --self-test to try it without an account"
        );
        return Ok(());
    };
    let app = App {
        midtrans: MidtransClient::new(server_key, Environment::Sandbox),
        orders: Arc::default(),
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], 3000));
    tracing::info!("listening on http://{addr}/webhooks/midtrans");
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, router(app)).await?;
    Ok(())
}

/// Runs the receiver against a local fake Midtrans whose GET status says
/// `settlement`, and delivers notifications out of order.
async fn self_test() -> Result<(), Box<dyn std::error::Error>> {
    const KEY: &str = "SB-Mid-server-SELF-TEST";
    const ORDER: &str = "DEMO-ORDER-1";

    // Fake Midtrans: GET /v2/{order_id}/status -> settled.
    async fn status(Path(order_id): Path<String>) -> (StatusCode, String) {
        let body = serde_json::json!({
            "status_code": "200", "status_message": "Success, transaction is found",
            "transaction_id": "9aed5972-5b6a-401e-894b-a32c91ed1a3a", "order_id": order_id,
            "gross_amount": "150000.00", "payment_type": "bank_transfer",
            "transaction_status": "settlement", "fraud_status": "accept"
        });
        (StatusCode::OK, body.to_string())
    }
    let fake = Router::new().route("/v2/{order_id}/status", get(status));
    let fake_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let fake_url = format!("http://{}", fake_listener.local_addr()?);
    tokio::spawn(async move { axum::serve(fake_listener, fake).await });

    let orders: Arc<Mutex<Orders>> = Arc::default();
    let app = App {
        midtrans: MidtransClient::new(KEY, Environment::Sandbox)
            .with_base_urls(BaseUrls::for_mock(&fake_url)?),
        orders: Arc::clone(&orders),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/midtrans", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router(app)).await });

    let http = reqwest::Client::new();
    let deliveries = [
        ("settlement", KEY),
        ("settlement", KEY),         // repeat
        ("pending", KEY),            // stale, arrives late
        ("settlement", "wrong-key"), // forged
    ];
    for (status, key) in deliveries {
        let body = testing::signed_notification(ORDER, status, 150_000, key);
        let resp = http.post(&url).body(body).send().await?;
        tracing::info!(
            notification = status,
            http = resp.status().as_u16(),
            "delivered"
        );
    }
    let orders = orders.lock().unwrap_or_else(|p| p.into_inner());
    let state = orders.state.get(ORDER).copied();
    let activations = orders.activations.get(ORDER).copied().unwrap_or(0);
    tracing::info!(?state, activations, "result");
    if state == Some(PaymentState::Paid) && activations == 1 {
        tracing::info!("self-test passed: paid once, never downgraded, forgery rejected");
        Ok(())
    } else {
        Err("self-test failed".into())
    }
}
