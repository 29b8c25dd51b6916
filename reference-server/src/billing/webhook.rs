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
//!    `subscription_periods`), from the current expiry when still active,
//!    and issues the order's invoice with the year's next number.
//! 4. After commit, a WhatsApp receipt goes to the vendor (Indonesian, or
//!    English for vendors with locale `en`).
//!
//! Payments of other features (the marketplace's order groups) share this
//! URL: after step 1, an order id that a [`PaymentRoute`] in
//! `Services::payment_routes` claims is confirmed with Midtrans (step 2)
//! and handed to that route, which applies it to its own tables.

use axum::body::Bytes;
use axum::extract::State;
use midtrans_client::Notification;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store;
use super::store::orders::PaymentEvent;
use crate::AppState;
use crate::audit::{Action, Actor, Entry, TargetKind};
use crate::db::now_ms;
use crate::domain::OrderId;
use crate::http::i18n::{Text, tr};
use crate::http::{ApiResult, AppError, ok};

/// Another feature's payments that arrive at `POST /webhooks/midtrans`.
/// Billing knows them only through this trait, so the feature may depend
/// on billing (plan limits) without an import circle.
#[async_trait::async_trait]
pub trait PaymentRoute: Send + Sync + std::fmt::Debug {
    /// Whether `order_id` (the Midtrans order id) is one of its payments.
    fn owns(&self, order_id: &str) -> bool;

    /// Applies a notification whose signature was verified and whose
    /// status Midtrans confirmed, idempotently: a repeated or stale
    /// notification changes nothing.
    async fn apply(
        &self,
        state: &AppState,
        payment: midtrans_client::ConfirmedNotification,
    ) -> Result<NotificationResult, AppError>;
}

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
    if let Some(route) = state
        .services
        .payment_routes
        .iter()
        .find(|r| r.owns(&notification.order_id))
    {
        let result = route
            .apply(&state, confirm(client, &notification).await?)
            .await?;
        count(if result.changed {
            "applied"
        } else {
            "unchanged"
        });
        return Ok(ok(result));
    }
    let order_id = OrderId::from(notification.order_id.as_str());
    let Some(order) = store::orders::payable(&state.pool, &order_id).await? else {
        count("unknown_order");
        return Err(AppError::NotFound("order"));
    };
    let confirmed = confirm(client, &notification).await?;
    if confirmed
        .status
        .gross_amount_idr()
        .is_some_and(|a| a.rupiah() != order.amount_idr)
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
        order_id,
        tenant_id: order.tenant_id.clone(),
        plan_id: order.plan_id.clone(),
        duration_days: order.duration_days,
        grace_ms: state.config.billing.grace_ms(),
        amount_idr: order.amount_idr,
        refunded_idr: refunded_idr(&confirmed, order.amount_idr),
        transaction_id,
        transaction_status,
        fraud,
        payment_type,
        gross_amount: notification.gross_amount.clone(),
        new_state,
        observed_status: order.status.clone(),
        now: now_ms(),
    });
    // Built here, where the request's source is known; recorded with the
    // change, in the writer's transaction.
    let entry = Entry::new(Action::OrderStatusChanged, Actor::System)
        .tenant(&order.tenant_id)
        .target(TargetKind::Order, &notification.order_id)
        .before(serde_json::json!({ "status": order.status }));
    // One job of the group-committing writer: on SQLite it shares its
    // transaction with the other writes waiting at that moment.
    let applied = state
        .services
        .writer
        .run(move |c| {
            let event = std::sync::Arc::clone(&event);
            let entry = entry.clone();
            Box::pin(async move {
                let applied = store::orders::apply_payment(c, &event).await?;
                if applied.changed {
                    let paid = applied.status == "paid";
                    let entry = entry
                        .clone()
                        .action(if paid {
                            Action::OrderPaid
                        } else {
                            Action::OrderStatusChanged
                        })
                        .after(serde_json::json!({
                            "status": applied.status,
                            "transaction_status": event.transaction_status,
                            "payment_type": event.payment_type,
                            "gross_amount": event.gross_amount,
                            "invoice": applied.invoice,
                        }));
                    crate::audit::record_in(c, entry).await?;
                }
                if let Some(t) = applied.taken_back {
                    let entry = entry
                        .action(Action::SubscriptionTimeTakenBack)
                        .before(serde_json::json!({ "expires_at": t.expires_before }))
                        .after(serde_json::json!({
                            "expires_at": t.expires_after,
                            "taken_back_ms": t.ms,
                            "refunded_idr": t.refunded_idr,
                            "transaction_status": event.transaction_status,
                        }));
                    crate::audit::record_in(c, entry).await?;
                }
                Ok(applied)
            })
        })
        .await?;
    let (changed, current, extended) = (applied.changed, applied.status, applied.extended);
    let invoice = applied.invoice;
    count(if changed { "applied" } else { "unchanged" });
    if let Some(expires_at) = extended {
        let state2 = state.clone();
        let order_id = notification.order_id.clone();
        let amount_idr = order.amount_idr;
        let tenant_id = order.tenant_id.clone();
        let plan_name = order.plan_name;
        tokio::spawn(async move {
            let contact = crate::tenants::store::reach_of(&state2.pool, &tenant_id).await;
            let crate::tenants::model::VendorReach { whatsapp, locale } = match contact {
                Ok(Some(c)) => c,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(%order_id, error = %e, "payment receipt not sent: vendor unreadable");
                    return;
                }
            };
            let receipt = super::receipt::Receipt {
                whatsapp: &whatsapp,
                locale: &locale,
                order_id: &order_id,
                plan: &plan_name,
                amount_idr,
                expires_at_ms: expires_at,
                invoice: invoice.as_deref(),
            };
            if let Err(e) = super::receipt::send_to(&state2, &receipt).await {
                tracing::warn!(%order_id, error = %e.chain(), "payment receipt not sent");
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

/// How much of the order Midtrans reports refunded or charged back: the
/// sum of the confirmed `refunds`, else the confirmed (or notified)
/// `refund_amount`, else, for a full `refund` or `chargeback`, the whole
/// amount; 0 for other statuses.
fn refunded_idr(confirmed: &midtrans_client::ConfirmedNotification, amount_idr: i64) -> i64 {
    use midtrans_client::TransactionStatus as T;
    if confirmed.state != midtrans_client::PaymentState::Refunded {
        return 0;
    }
    let listed: i64 = confirmed
        .status
        .refunds
        .iter()
        .flatten()
        .filter_map(|r| r.refund_amount.map(|a| a.rupiah()))
        .sum();
    if listed > 0 {
        return listed.min(amount_idr);
    }
    if let Some(a) = confirmed
        .status
        .refund_amount
        .or(confirmed.notification.refund_amount)
    {
        return a.rupiah().min(amount_idr);
    }
    match confirmed.status.transaction_status {
        Some(T::Refund | T::Chargeback) => amount_idr,
        _ => 0,
    }
}

/// Step 2: Midtrans' own status for the notification.
async fn confirm(
    client: &midtrans_client::MidtransClient,
    notification: &Notification,
) -> Result<midtrans_client::ConfirmedNotification, AppError> {
    client.confirm(notification).await.map_err(|e| {
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
    })
}
