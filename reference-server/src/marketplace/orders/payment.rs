//! Payments of checkouts on the Midtrans notification URL: billing
//! verifies the signature and confirms the status with Midtrans, then
//! hands order ids starting with `mkt-` here.
//!
//! Applied in one write transaction: the notification is recorded once
//! (unique on checkout, transaction and status), so a repeat changes
//! nothing; the checkout moves only from `awaiting_payment` (a stale
//! `pending` after `paid` does nothing); the amount must equal the
//! checkout's total. `paid` moves every order of the checkout to
//! processing; a failed payment (denied, cancelled, expired) expires the
//! checkout and releases its stock. A payment that arrives after the
//! checkout expired revives it when every unit is still in stock, and is
//! refunded otherwise (the buyer hears which).

use midtrans_client::{ConfirmedNotification, PaymentState};

use super::checkout::PAYMENT_PREFIX;
use super::flow;
use super::model::GroupStatus;
use super::store;
use crate::AppState;
use crate::billing::webhook::{NotificationResult, PaymentRoute};
use crate::http::AppError;
use crate::http::i18n::Text;

/// The marketplace's [`PaymentRoute`].
#[derive(Debug)]
pub struct MarketplacePayments;

#[async_trait::async_trait]
impl PaymentRoute for MarketplacePayments {
    fn owns(&self, order_id: &str) -> bool {
        order_id.starts_with(PAYMENT_PREFIX)
    }

    async fn apply(
        &self,
        state: &AppState,
        confirmed: ConfirmedNotification,
    ) -> Result<NotificationResult, AppError> {
        let notification = &confirmed.notification;
        let group = store::group_by_payment(&state.pool, &notification.order_id)
            .await?
            .ok_or(AppError::NotFound("order"))?;
        if confirmed
            .status
            .gross_amount_idr()
            .is_none_or(|a| a.rupiah() != group.total_idr)
        {
            return Err(AppError::bad_request(
                "amount_mismatch",
                Text::new(
                    "jumlah yang dibayar berbeda dari jumlah pesanan",
                    "the paid amount differs from the order amount",
                ),
            ));
        }
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
        let fraud = confirmed
            .status
            .fraud_status
            .as_ref()
            .map(|f| f.as_str().to_owned());
        let payment_type = confirmed
            .status
            .payment_type
            .as_ref()
            .or(notification.payment_type.as_ref())
            .map(|p| p.as_str().to_owned());

        let event = store::PaymentEvent {
            group: &group.id,
            transaction_id: &transaction_id,
            transaction_status: &transaction_status,
            fraud_status: fraud.as_deref(),
            gross_amount: &notification.gross_amount,
        };
        let mut tx = state.begin_write().await?;
        let fresh = store::insert_payment_event(&mut tx, &event).await?;
        let mut paid = None;
        let mut failed = false;
        let mut refunds = Vec::new();
        if fresh {
            match confirmed.state {
                PaymentState::Paid => {
                    paid = flow::mark_paid(
                        &mut tx,
                        &group,
                        Some(&transaction_id),
                        payment_type.as_deref(),
                    )
                    .await?;
                    if paid.is_none() && group.status == GroupStatus::Expired {
                        paid = flow::revive(
                            &mut tx,
                            state,
                            &group,
                            Some(&transaction_id),
                            payment_type.as_deref(),
                        )
                        .await?;
                        if paid.is_none() {
                            // A unit was sold meanwhile: undo what the
                            // revival took and give the money back.
                            drop(tx);
                            tx = state.begin_write().await?;
                            if store::insert_payment_event(&mut tx, &event).await? {
                                refunds = flow::refund_late(&mut tx, &group).await?;
                            }
                        }
                    }
                }
                PaymentState::Failed => failed = group.status == GroupStatus::AwaitingPayment,
                _ => {}
            }
        }
        tx.commit().await?;
        let mut changed = paid.is_some() || !refunds.is_empty();
        for r in &refunds {
            if let Err(e) = flow::refund_now(state, r).await {
                tracing::warn!(order = %r.order_id, error = %e.chain(), "late payment refund failed; the sweep retries it");
            }
        }
        if !refunds.is_empty() {
            flow::tell_buyer_text(state, &group.buyer_id, &super::texts::late_refunded(&group))
                .await;
        }
        if let Some(orders) = &paid {
            flow::announce_paid(state, orders).await;
        }
        if failed {
            changed = flow::expire_group(state, &group.id, "payment failed").await?;
        }
        let status = store::group(&state.pool, &group.id)
            .await?
            .map_or(group.status, |g| g.status);
        Ok(NotificationResult {
            order_id: notification.order_id.clone(),
            status: status.to_string(),
            changed,
            subscription_expires_at: None,
        })
    }
}
