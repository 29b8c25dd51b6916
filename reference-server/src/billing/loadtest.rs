//! Setup for the Midtrans load generator (`src/bin/loadgen_midtrans.rs`):
//! a Midtrans status API stand-in on loopback, and a server on a fresh
//! SQLite file pointed at it, with active vendors and pending orders.
//!
//! Compiled only with the `loadtest` feature, which the load-generator
//! binaries require: the fixed server key below must never be part of a
//! server build.

use std::net::SocketAddr;
use std::path::Path;

use axum::Json;
use axum::extract::Path as UrlPath;
use axum::routing::get;
use secrecy::SecretString;

use crate::db::{new_id, now_ms};

/// Error type of [`start`].
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// The server key the load test signs notifications with.
pub const SERVER_KEY: &str = "SB-Mid-server-loadtest";

/// What [`start`] set up.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Base URL of the server.
    pub base: String,
    /// Orders created, all `pending`, all of `amount_idr`.
    pub orders: Vec<String>,
    /// The orders' amount.
    pub amount_idr: i64,
    /// The server's database, for checking the outcome.
    pub pool: sqlx::AnyPool,
}

/// `GET /v2/{order_id}/status` of the stand-in: every order is settled.
async fn settled(UrlPath(order_id): UrlPath<String>, amount: i64) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status_code": "200",
        "status_message": "Success, transaction is found",
        "transaction_id": format!("tx-{order_id}"),
        "order_id": order_id,
        "gross_amount": format!("{amount}.00"),
        "currency": "IDR",
        "payment_type": "bank_transfer",
        "transaction_time": "2026-01-01 10:00:00",
        "transaction_status": "settlement",
        "fraud_status": "accept"
    }))
}

/// Starts the Midtrans stand-in and the server under `data_dir` on loopback
/// ports, creates `vendors` active vendors and `orders` pending orders of
/// the seeded `basic` plan spread over them. Both servers run until the
/// runtime is dropped.
pub async fn start(data_dir: &Path, vendors: usize, orders: usize) -> Result<Setup, StartError> {
    // The plan price is only known once the database exists; the stand-in
    // answers with the amount it is given here.
    let mut config = crate::Config::with_data_dir(data_dir);
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    let (mock_listener, mock_addr) = crate::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    config.midtrans.server_key = Some(SecretString::from(SERVER_KEY.to_owned()));
    config.midtrans.api_base_url = Some(format!("http://{mock_addr}"));
    let state = crate::build_state(config).await?;
    let (plan_id, amount_idr): (String, i64) =
        sqlx::query_as("SELECT id, price_idr FROM plans WHERE code = 'basic'")
            .fetch_one(&state.pool)
            .await?;
    let mock = axum::Router::new().route(
        "/v2/{order_id}/status",
        get(move |p: UrlPath<String>| settled(p, amount_idr)),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(mock_listener, mock).await {
            tracing::error!(error = %e, "midtrans stand-in stopped");
        }
    });

    let now = now_ms();
    let vendors = vendors.max(1);
    let mut tenants = Vec::with_capacity(vendors);
    let mut tx = state.pool.begin().await?;
    for i in 0..vendors {
        let id = new_id();
        sqlx::query(
            "INSERT INTO tenants (id, name, whatsapp, status, created_at, updated_at) \
             VALUES ($1, $2, $3, 'active', $4, $4)",
        )
        .bind(&id)
        .bind(format!("Load {i}"))
        .bind(format!("+62813{:08}", i))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tenants.push(id);
    }
    let mut order_ids = Vec::with_capacity(orders);
    for i in 0..orders {
        let id = format!("load-{}", new_id());
        sqlx::query(
            "INSERT INTO orders (id, tenant_id, plan_id, amount_idr, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $5)",
        )
        .bind(&id)
        .bind(&tenants[i % vendors])
        .bind(&plan_id)
        .bind(amount_idr)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        order_ids.push(id);
    }
    tx.commit().await?;
    let pool = state.pool.clone();
    let (listener, addr) = crate::bind(state.config.bind).await?;
    tokio::spawn(crate::serve(state, listener, std::future::pending::<()>()));
    Ok(Setup {
        base: format!("http://{addr}"),
        orders: order_ids,
        amount_idr,
        pool,
    })
}
