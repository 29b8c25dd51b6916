//! The `orders` and `payments` tables: plan orders and the Midtrans
//! payment events applied to them.

use midtrans_client::PaymentState;
use sqlx::AnyPool;

use crate::billing::model::{OrderView, PaymentView};
use crate::db::new_id;
use crate::domain::{OrderId, PlanId, TenantId};

const COLUMNS: &str = "id, tenant_id, plan_id, amount_idr, status, snap_token, \
    redirect_url, transaction_id, payment_type, created_at, paid_at";

/// One order of a tenant.
pub async fn get(
    pool: &AnyPool,
    tenant_id: &TenantId,
    order_id: &OrderId,
) -> Result<Option<OrderView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM orders WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(order_id)
    .bind(tenant_id)
    .fetch_optional(pool)
    .await
}

/// A tenant's newest orders, or every tenant's when `tenant_id` is `None`
/// (admin), at most `limit`.
pub async fn list(
    pool: &AnyPool,
    tenant_id: Option<&str>,
    limit: i64,
) -> Result<Vec<OrderView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM orders WHERE ($1 IS NULL OR tenant_id = $1) \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Inserts a pending order.
pub async fn insert_pending(
    pool: &AnyPool,
    id: &OrderId,
    tenant_id: &TenantId,
    plan_id: &PlanId,
    amount_idr: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO orders (id, tenant_id, plan_id, amount_idr, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $5)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(plan_id)
    .bind(amount_idr)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks an order that can never be paid (its Snap transaction failed).
pub async fn mark_failed(
    pool: &AnyPool,
    id: &OrderId,
    tenant_id: &TenantId,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET status = 'failed', updated_at = $1 WHERE id = $2 AND tenant_id = $3",
    )
    .bind(now)
    .bind(id)
    .bind(tenant_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores the Snap token and payment page of an order.
pub async fn set_snap(
    pool: &AnyPool,
    id: &OrderId,
    tenant_id: &TenantId,
    token: &str,
    redirect_url: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET snap_token = $1, redirect_url = $2, updated_at = $3 WHERE id = $4 AND tenant_id = $5",
    )
    .bind(token)
    .bind(redirect_url)
    .bind(now)
    .bind(id)
    .bind(tenant_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// What a payment notification needs to know about its order.
#[derive(Debug, sqlx::FromRow)]
pub struct PayableOrder {
    /// The vendor.
    pub tenant_id: TenantId,
    /// The plan bought.
    pub plan_id: PlanId,
    /// The stored status (read outside the applying transaction).
    pub status: String,
    /// The order's amount.
    pub amount_idr: i64,
    /// The plan's name (for the receipt).
    pub plan_name: String,
    /// Days the plan adds.
    pub duration_days: i64,
}

/// An order by id with its plan, for a payment notification.
pub async fn payable(
    pool: &AnyPool,
    order_id: &OrderId,
) -> Result<Option<PayableOrder>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.tenant_id, o.plan_id, o.status, o.amount_idr, p.name AS plan_name, p.duration_days \
         FROM orders o JOIN plans p ON p.id = o.plan_id WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_optional(pool)
    .await
}

/// A confirmed payment event, owned so a writer job can run it again.
#[derive(Debug)]
pub struct PaymentEvent {
    /// The order.
    pub order_id: OrderId,
    /// Its vendor.
    pub tenant_id: TenantId,
    /// Its plan.
    pub plan_id: PlanId,
    /// Days the plan adds.
    pub duration_days: i64,
    /// The grace period after the subscription's expiry, milliseconds.
    pub grace_ms: i64,
    /// The order's amount.
    pub amount_idr: i64,
    /// Of it, refunded or charged back so far (a refund notification).
    pub refunded_idr: i64,
    /// Midtrans' transaction id.
    pub transaction_id: String,
    /// Midtrans' transaction status word.
    pub transaction_status: String,
    /// Midtrans' fraud status word.
    pub fraud: Option<String>,
    /// The payment method.
    pub payment_type: Option<String>,
    /// The raw gross amount of the notification.
    pub gross_amount: String,
    /// The confirmed state.
    pub new_state: PaymentState,
    /// The order's status read before the job (outside its transaction).
    pub observed_status: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// What applying an event did.
#[derive(Debug)]
pub struct Applied {
    /// Whether the order changed.
    pub changed: bool,
    /// The order's status afterwards.
    pub status: String,
    /// The new subscription expiry when this event extended it.
    pub extended: Option<i64>,
    /// The number of the invoice this event issued.
    pub invoice: Option<String>,
    /// Subscription time this event took back (a refund or chargeback).
    pub taken_back: Option<super::subscriptions::TakenBack>,
}

/// The stored name of a payment state (`unknown` is never stored on an
/// order).
pub fn state_name(s: PaymentState) -> &'static str {
    match s {
        PaymentState::Paid => "paid",
        PaymentState::Pending => "pending",
        PaymentState::Challenge => "challenge",
        PaymentState::Failed => "failed",
        PaymentState::Refunded => "refunded",
        _ => "unknown",
    }
}

/// Known order statuses the event must NOT overwrite (see
/// [`PaymentState::supersedes`]); any other stored status may be.
pub(crate) fn protected_statuses(new_state: PaymentState) -> Vec<&'static str> {
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
/// and issues its invoice exactly once. A refund or chargeback of an order
/// that extended the subscription takes back the time the refunded share
/// bought (see [`super::subscriptions::take_back`]), also when a later
/// notification of the refunded order reports more refunded.
pub async fn apply_payment(
    c: &mut sqlx::AnyConnection,
    e: &PaymentEvent,
) -> Result<Applied, sqlx::Error> {
    let mut applied = apply_status(c, e).await?;
    if e.new_state == PaymentState::Refunded && applied.status == "refunded" {
        applied.taken_back = super::subscriptions::take_back(
            c,
            &e.order_id,
            &e.tenant_id,
            e.refunded_idr,
            e.amount_idr,
            e.grace_ms,
            e.now,
        )
        .await?;
    }
    Ok(applied)
}

async fn apply_status(
    c: &mut sqlx::AnyConnection,
    e: &PaymentEvent,
) -> Result<Applied, sqlx::Error> {
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
            invoice: None,
            taken_back: None,
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
            invoice: None,
            taken_back: None,
        });
    }
    let extended = if e.new_state == PaymentState::Paid {
        super::subscriptions::apply_paid_order(
            c,
            &e.order_id,
            &e.tenant_id,
            &e.plan_id,
            e.duration_days,
            e.grace_ms,
            e.now,
        )
        .await?
    } else {
        None
    };
    // The period was added just now, exactly once per order: its invoice
    // is issued with it.
    let invoice = match extended {
        Some(_) => Some(super::invoices::issue(c, &e.order_id, &e.tenant_id, e.now).await?),
        None => None,
    };
    Ok(Applied {
        changed,
        status: state_name(e.new_state).to_owned(),
        extended,
        invoice,
        taken_back: None,
    })
}

/// Payment notifications of every vendor (or of one), newest first, at
/// most 500.
pub async fn payments(
    pool: &AnyPool,
    tenant: Option<&TenantId>,
) -> Result<Vec<PaymentView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, order_id, tenant_id, transaction_id, transaction_status, outcome, payment_type, \
         gross_amount, received_at FROM payments WHERE ($1 IS NULL OR tenant_id = $1) \
         ORDER BY received_at DESC, id DESC LIMIT 500",
    )
    .bind(tenant.map(|t| t.as_str().to_owned()))
    .fetch_all(pool)
    .await
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
