//! `POST /webhooks/midtrans`: payment notifications.
//!
//! 1. Parse the body leniently and verify `signature_key` (SHA-512 over
//!    order id, status code, the raw gross amount and the server key,
//!    compared in constant time). A bad signature answers 401 and changes
//!    nothing.
//! 2. Confirm with `GET /v2/{order_id}/status`: only the confirmed status is
//!    applied, and its amount must equal the order's.
//! 3. Apply idempotently in one write transaction: the payment event is
//!    recorded once (unique key on order, transaction and status); the
//!    order moves only forward (`PaymentState::supersedes`) with a
//!    compare-and-set UPDATE, so a repeated notification changes nothing
//!    and a stale `pending` never downgrades `paid`; a move to `paid`
//!    extends the subscription exactly once (primary key on the order in
//!    `subscription_periods`), from the current expiry when still active.
//! 4. After commit, a WhatsApp receipt goes to the vendor (Indonesian, or
//!    English for vendors with locale `en`).

use axum::body::Bytes;
use axum::extract::State;
use midtrans_client::{Notification, PaymentState};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::subscriptions;
use crate::AppState;
use crate::db::{new_id, now_ms};
use crate::http::{ApiResult, AppError, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(midtrans_notification))
}

/// What the notification did.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResult {
    /// Our order.
    pub order_id: String,
    /// The order's status after handling.
    pub status: String,
    /// Whether this notification changed the order.
    pub changed: bool,
    /// New subscription expiry (unix ms) when this notification extended it.
    pub subscription_expires_at: Option<i64>,
}

fn state_name(s: PaymentState) -> &'static str {
    match s {
        PaymentState::Paid => "paid",
        PaymentState::Pending => "pending",
        PaymentState::Challenge => "challenge",
        PaymentState::Failed => "failed",
        PaymentState::Refunded => "refunded",
        _ => "unknown",
    }
}

fn parse_state(s: &str) -> PaymentState {
    match s {
        "paid" => PaymentState::Paid,
        "pending" => PaymentState::Pending,
        "challenge" => PaymentState::Challenge,
        "failed" => PaymentState::Failed,
        "refunded" => PaymentState::Refunded,
        _ => PaymentState::Unknown,
    }
}

fn count(outcome: &'static str) {
    metrics::counter!("midtrans_notifications_total", "outcome" => outcome).increment(1);
}

/// Midtrans payment notification (paste `{PUBLIC_BASE_URL}/webhooks/midtrans`
/// as the Payment Notification URL in the Midtrans dashboard).
#[utoipa::path(post, path = "/webhooks/midtrans", tag = "webhooks",
    request_body(content = String, description = "Midtrans notification JSON", content_type = "application/json"),
    responses(
        (status = 200, description = "Handled (also for repeats)", body = inline(crate::http::Data<NotificationResult>)),
        (status = 400, description = "Malformed, or amount differs from the order", body = crate::http::ErrorBody),
        (status = 401, description = "Bad signature", body = crate::http::ErrorBody),
        (status = 404, description = "Unknown order", body = crate::http::ErrorBody),
        (status = 502, description = "Confirmation with Midtrans failed; Midtrans retries", body = crate::http::ErrorBody)))]
async fn midtrans_notification(
    State(state): State<AppState>,
    body: Bytes,
) -> ApiResult<NotificationResult> {
    let client = state
        .services
        .midtrans
        .as_ref()
        .ok_or(AppError::NotConfigured(
            "payments are not configured (MIDTRANS_SERVER_KEY)",
        ))?;
    let notification = Notification::from_slice(&body).map_err(|_| {
        count("malformed");
        AppError::bad_request(
            "invalid_notification",
            "the body is not a Midtrans notification",
        )
    })?;
    if client.verify_notification(&notification).is_err() {
        count("bad_signature");
        tracing::warn!(order_id = %notification.order_id, "midtrans notification with a bad signature");
        return Err(AppError::Status {
            status: axum::http::StatusCode::UNAUTHORIZED,
            code: "invalid_signature",
            message: "the notification signature is not valid".to_owned(),
        });
    }
    let order: Option<(String, String, String, i64, String, i64)> = sqlx::query_as(
        "SELECT o.tenant_id, o.plan_id, o.status, o.amount_idr, p.name, p.duration_days \
         FROM orders o JOIN plans p ON p.id = o.plan_id WHERE o.id = $1",
    )
    .bind(&notification.order_id)
    .fetch_optional(&state.pool)
    .await?;
    let Some((tenant_id, plan_id, _, amount_idr, plan_name, duration_days)) = order else {
        count("unknown_order");
        return Err(AppError::NotFound("order"));
    };
    let confirmed = client.confirm(&notification).await.map_err(|e| {
        count("confirm_failed");
        match e {
            midtrans_client::Error::ConfirmationMismatch(m) => {
                AppError::bad_request("confirmation_mismatch", m)
            }
            other => AppError::Upstream(format!("midtrans status: {other}")),
        }
    })?;
    if confirmed
        .status
        .gross_amount_idr()
        .is_some_and(|a| a.rupiah() != amount_idr)
    {
        count("amount_mismatch");
        return Err(AppError::bad_request(
            "amount_mismatch",
            "the paid amount differs from the order amount",
        ));
    }
    let new_state = confirmed.state;
    let transaction_id = confirmed
        .status
        .transaction_id
        .clone()
        .or_else(|| notification.transaction_id.clone())
        .unwrap_or_default();
    let transaction_status = confirmed.status.transaction_status.as_ref().map_or_else(
        || notification.transaction_status.as_str().to_owned(),
        |s| s.as_str().to_owned(),
    );
    let payment_type = confirmed
        .status
        .payment_type
        .as_ref()
        .or(notification.payment_type.as_ref())
        .map(|p| p.as_str().to_owned());
    let fraud = confirmed
        .status
        .fraud_status
        .as_ref()
        .map(|f| f.as_str().to_owned());

    let now = now_ms();
    // Takes its turn with the process's other SQLite writers (no-op on
    // PostgreSQL), so concurrent notifications queue instead of colliding.
    let mut w = crate::bots::begin_write(&state).await?;
    let tx = &mut w.tx;
    sqlx::query(
        "INSERT INTO payments (id, order_id, tenant_id, transaction_id, transaction_status, fraud_status, \
         payment_type, gross_amount, outcome, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (order_id, transaction_id, transaction_status) DO NOTHING",
    )
    .bind(new_id())
    .bind(&notification.order_id)
    .bind(&tenant_id)
    .bind(&transaction_id)
    .bind(&transaction_status)
    .bind(fraud)
    .bind(payment_type.clone())
    .bind(&notification.gross_amount)
    .bind(state_name(new_state))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    // Read the status inside the write transaction: the compare-and-set
    // below only succeeds against this value.
    let current: String =
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1 AND tenant_id = $2")
            .bind(&notification.order_id)
            .bind(&tenant_id)
            .fetch_one(&mut **tx)
            .await?;
    let mut changed = false;
    let mut extended = None;
    if new_state.supersedes(parse_state(&current)) {
        let done = sqlx::query(
            "UPDATE orders SET status = $1, transaction_id = $2, payment_type = COALESCE($3, payment_type), \
             paid_at = CASE WHEN $1 = 'paid' THEN $4 ELSE paid_at END, updated_at = $4 \
             WHERE id = $5 AND tenant_id = $6 AND status = $7",
        )
        .bind(state_name(new_state))
        .bind(&transaction_id)
        .bind(payment_type)
        .bind(now)
        .bind(&notification.order_id)
        .bind(&tenant_id)
        .bind(&current)
        .execute(&mut **tx)
        .await?;
        changed = done.rows_affected() == 1;
        if changed && new_state == PaymentState::Paid {
            extended = subscriptions::apply_paid_order(
                tx,
                &notification.order_id,
                &tenant_id,
                &plan_id,
                duration_days,
                now,
            )
            .await?;
        }
    }
    w.commit().await?;
    count(if changed { "applied" } else { "unchanged" });
    if let Some(expires_at) = extended {
        let state2 = state.clone();
        let order_id = notification.order_id.clone();
        let tenant = tenant_id.clone();
        tokio::spawn(async move {
            if let Err(e) = super::receipt::send(
                &state2, &tenant, &order_id, &plan_name, amount_idr, expires_at,
            )
            .await
            {
                tracing::warn!(%order_id, error = %e, "payment receipt not sent");
            }
        });
    }
    let status = if changed {
        state_name(new_state).to_owned()
    } else {
        current
    };
    Ok(ok(NotificationResult {
        order_id: notification.order_id,
        status,
        changed,
        subscription_expires_at: extended,
    }))
}
