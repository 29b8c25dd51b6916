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
use crate::http::i18n::{Text, tr};
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
    let client = super::configured(&state)?;
    let notification = Notification::from_slice(&body).map_err(|_| {
        count("malformed");
        AppError::bad_request(
            "invalid_notification",
            Text::new(
                "isi permintaan bukan notifikasi Midtrans",
                "the body is not a Midtrans notification",
            ),
        )
    })?;
    if client.verify_notification(&notification).is_err() {
        count("bad_signature");
        tracing::warn!(order_id = %notification.order_id, "midtrans notification with a bad signature");
        return Err(AppError::Status {
            status: axum::http::StatusCode::UNAUTHORIZED,
            code: "invalid_signature",
            message: Text::new(
                "tanda tangan notifikasi tidak valid",
                "the notification signature is not valid",
            ),
        });
    }
    let order: Option<(String, String, String, i64, String, i64, String, String)> = sqlx::query_as(
        "SELECT o.tenant_id, o.plan_id, o.status, o.amount_idr, p.name, p.duration_days, \
         t.whatsapp, t.locale \
         FROM orders o JOIN plans p ON p.id = o.plan_id JOIN tenants t ON t.id = o.tenant_id \
         WHERE o.id = $1",
    )
    .bind(&notification.order_id)
    .fetch_optional(&state.pool)
    .await?;
    let Some((
        tenant_id,
        plan_id,
        observed_status,
        amount_idr,
        plan_name,
        duration_days,
        whatsapp,
        locale,
    )) = order
    else {
        count("unknown_order");
        return Err(AppError::NotFound("order"));
    };
    let confirmed = client.confirm(&notification).await.map_err(|e| {
        count("confirm_failed");
        match e {
            midtrans_client::Error::ConfirmationMismatch(m) => AppError::bad_request(
                "confirmation_mismatch",
                tr!(
                    "konfirmasi Midtrans tidak cocok dengan notifikasi: {m}",
                    "{m}"
                ),
            ),
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
            Text::new(
                "jumlah yang dibayar berbeda dari jumlah pesanan",
                "the paid amount differs from the order amount",
            ),
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

    let event = std::sync::Arc::new(PaymentEvent {
        order_id: notification.order_id.clone(),
        tenant_id: tenant_id.clone(),
        plan_id,
        duration_days,
        transaction_id,
        transaction_status,
        fraud,
        payment_type,
        gross_amount: notification.gross_amount.clone(),
        new_state,
        observed_status,
        now: now_ms(),
    });
    // One job of the group-committing writer: on SQLite it shares its
    // transaction with the other writes waiting at that moment.
    let applied = state
        .services
        .writer
        .run(move |c| {
            let event = std::sync::Arc::clone(&event);
            Box::pin(async move { apply(c, &event).await })
        })
        .await?;
    let (changed, current, extended) = (applied.changed, applied.status, applied.extended);
    count(if changed { "applied" } else { "unchanged" });
    if let Some(expires_at) = extended {
        let state2 = state.clone();
        let order_id = notification.order_id.clone();
        tokio::spawn(async move {
            let receipt = super::receipt::Receipt {
                whatsapp: &whatsapp,
                locale: &locale,
                order_id: &order_id,
                plan: &plan_name,
                amount_idr,
                expires_at_ms: expires_at,
            };
            if let Err(e) = super::receipt::send_to(&state2, &receipt).await {
                tracing::warn!(%order_id, error = %e, "payment receipt not sent");
            }
        });
    }
    let status = current;
    Ok(ok(NotificationResult {
        order_id: notification.order_id,
        status,
        changed,
        subscription_expires_at: extended,
    }))
}

/// A confirmed payment event, owned so a writer job can be run again.
struct PaymentEvent {
    order_id: String,
    tenant_id: String,
    plan_id: String,
    duration_days: i64,
    transaction_id: String,
    transaction_status: String,
    fraud: Option<String>,
    payment_type: Option<String>,
    gross_amount: String,
    new_state: PaymentState,
    /// The order's status read before the job (outside its transaction).
    observed_status: String,
    now: i64,
}

/// What applying an event did.
struct Applied {
    changed: bool,
    /// The order's status afterwards.
    status: String,
    extended: Option<i64>,
}

/// Known order statuses the event must NOT overwrite (see
/// [`PaymentState::supersedes`]); any other stored status may be.
fn protected_statuses(new_state: PaymentState) -> Vec<&'static str> {
    [
        PaymentState::Paid,
        PaymentState::Pending,
        PaymentState::Challenge,
        PaymentState::Failed,
        PaymentState::Refunded,
    ]
    .into_iter()
    .filter(|s| !new_state.supersedes(*s))
    .map(state_name)
    .collect()
}

/// Records the event and moves the order forward, in the caller's
/// transaction: the payment row once (unique key on order, transaction and
/// status); the order with a compare-and-set UPDATE that only matches a
/// status the new state supersedes, so a repeat or a stale event changes
/// nothing even when two race; a move to `paid` extends the subscription
/// exactly once.
async fn apply(c: &mut sqlx::AnyConnection, e: &PaymentEvent) -> Result<Applied, sqlx::Error> {
    sqlx::query(
        "INSERT INTO payments (id, order_id, tenant_id, transaction_id, transaction_status, fraud_status, \
         payment_type, gross_amount, outcome, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (order_id, transaction_id, transaction_status) DO NOTHING",
    )
    .bind(new_id())
    .bind(&e.order_id)
    .bind(&e.tenant_id)
    .bind(&e.transaction_id)
    .bind(&e.transaction_status)
    .bind(e.fraud.clone())
    .bind(e.payment_type.clone())
    .bind(&e.gross_amount)
    .bind(state_name(e.new_state))
    .bind(e.now)
    .execute(&mut *c)
    .await?;
    let protected = protected_statuses(e.new_state);
    // Statuses only move forward, and what an event may not overwrite stays
    // so under every forward move: an order already seen in a protected
    // status (a repeated or stale notification) needs no UPDATE at all.
    if e.new_state == PaymentState::Unknown || protected.contains(&e.observed_status.as_str()) {
        return Ok(Applied {
            changed: false,
            status: e.observed_status.clone(),
            extended: None,
        });
    }
    let changed = {
        // The protected names are this module's constants, not input.
        let protected = protected
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let guard = if protected.is_empty() {
            String::new()
        } else {
            format!(" AND status NOT IN ({protected})")
        };
        let done = sqlx::query(&format!(
            "UPDATE orders SET status = $1, transaction_id = $2, payment_type = COALESCE($3, payment_type), \
             paid_at = CASE WHEN $1 = 'paid' THEN $4 ELSE paid_at END, updated_at = $4 \
             WHERE id = $5 AND tenant_id = $6{guard}"
        ))
        .bind(state_name(e.new_state))
        .bind(&e.transaction_id)
        .bind(e.payment_type.clone())
        .bind(e.now)
        .bind(&e.order_id)
        .bind(&e.tenant_id)
        .execute(&mut *c)
        .await?;
        done.rows_affected() == 1
    };
    if !changed {
        let status: String =
            sqlx::query_scalar("SELECT status FROM orders WHERE id = $1 AND tenant_id = $2")
                .bind(&e.order_id)
                .bind(&e.tenant_id)
                .fetch_one(&mut *c)
                .await?;
        return Ok(Applied {
            changed,
            status,
            extended: None,
        });
    }
    let extended = if e.new_state == PaymentState::Paid {
        subscriptions::apply_paid_order(
            c,
            &e.order_id,
            &e.tenant_id,
            &e.plan_id,
            e.duration_days,
            e.now,
        )
        .await?
    } else {
        None
    };
    Ok(Applied {
        changed,
        status: state_name(e.new_state).to_owned(),
        extended,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_statuses_follow_supersedes() {
        assert_eq!(
            protected_statuses(PaymentState::Paid),
            vec!["paid", "failed", "refunded"]
        );
        assert_eq!(
            protected_statuses(PaymentState::Pending),
            vec!["paid", "pending", "challenge", "failed", "refunded"]
        );
        // A reversal may turn a paid order into a failed one.
        assert!(!protected_statuses(PaymentState::Failed).contains(&"paid"));
        assert_eq!(protected_statuses(PaymentState::Refunded), vec!["refunded"]);
    }
}
