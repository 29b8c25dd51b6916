//! The changes of checkouts and orders that touch several tables at once:
//! each runs in one write transaction (status move, stock, refund row),
//! then sends its WhatsApp messages.

use std::collections::HashMap;

use midtrans_client::{Idr, RefundRequest};
use sqlx::AnyConnection;

use super::lifecycle;
use super::model::{GroupRow, GroupStatus, OrderRow, VendorOrderStatus};
use super::store::{self, MoveDetails, PendingRefund};
use super::texts;
use crate::AppState;
use crate::db::now_ms;
use crate::domain::{OrderGroupId, TenantId, VendorOrderId};
use crate::http::AppError;
use crate::http::i18n::Text;
use crate::marketplace::catalog::model::{Actor, ActorKind, StockReason};
use crate::marketplace::catalog::stock::{self, Move};
use crate::marketplace::catalog::store as catalog;
use crate::marketplace::{buyers, notify};

fn changed_meanwhile() -> AppError {
    AppError::conflict(
        "order_changed",
        Text::new(
            "pesanan ini baru saja berubah; muat ulang dan coba lagi",
            "this order changed meanwhile; reload and try again",
        ),
    )
}

/// Puts the units of `order`'s lines back in stock (inside the caller's
/// transaction).
async fn restock(
    conn: &mut AnyConnection,
    state: &AppState,
    order: &OrderRow,
    reason: StockReason,
    actor: &Actor,
) -> Result<(), AppError> {
    let items = store::items_of(&mut *conn, std::slice::from_ref(&order.id)).await?;
    for (_, item) in items {
        stock::apply(
            conn,
            state.config.marketplace.low_stock_threshold,
            &Move {
                variant: &item.variant_id,
                tenant: &order.tenant_id,
                delta: item.quantity,
                reason,
                actor,
                note: None,
                order_id: Some(order.id.as_str()),
            },
        )
        .await?;
    }
    Ok(())
}

async fn vendor_name(state: &AppState, tenant: &TenantId) -> String {
    crate::tenants::store::get(&state.pool, tenant)
        .await
        .ok()
        .flatten()
        .map(|t| t.name)
        .unwrap_or_default()
}

/// Tells the buyer of the order's new status.
pub(super) async fn tell_buyer(state: &AppState, order: &OrderRow) {
    let vendor = vendor_name(state, &order.tenant_id).await;
    let Some(text) = texts::buyer_update(order, &vendor) else {
        return;
    };
    tell_buyer_text(state, &order.buyer_id, &text).await;
}

/// Sends `text` to a buyer.
pub(super) async fn tell_buyer_text(state: &AppState, buyer: &crate::domain::BuyerId, text: &Text) {
    match buyers::store::get(&state.pool, buyer).await {
        Ok(Some(b)) => notify::send(state, &b.whatsapp, &b.locale, text).await,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "buyer message not sent: buyer unreadable"),
    }
}

async fn tell_vendor(state: &AppState, tenant: &TenantId, text: &Text) {
    match crate::tenants::store::get(&state.pool, tenant).await {
        Ok(Some(v)) => notify::send(state, &v.whatsapp, &v.locale, text).await,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "vendor message not sent: vendor unreadable"),
    }
}

/// Expires an unpaid checkout: its orders are cancelled and their stock
/// released. `false` when the checkout was no longer awaiting payment
/// (paid, or expired by another process).
pub(crate) async fn expire_group(
    state: &AppState,
    group: &OrderGroupId,
    why: &str,
) -> Result<bool, AppError> {
    let system = Actor::system();
    let mut tx = state.begin_write().await?;
    if !store::move_group(
        &mut tx,
        group,
        GroupStatus::AwaitingPayment,
        GroupStatus::Expired,
        None,
        None,
    )
    .await?
    {
        return Ok(false);
    }
    for order in store::orders_of_group(&mut *tx, group).await? {
        lifecycle::check(
            order.status,
            VendorOrderStatus::Cancelled,
            ActorKind::System,
        )?;
        let details = MoveDetails {
            cancel_reason: Some(why),
            ..MoveDetails::default()
        };
        if !store::move_order(
            &mut tx,
            &order.id,
            order.status,
            VendorOrderStatus::Cancelled,
            &system,
            &details,
        )
        .await?
        {
            return Err(changed_meanwhile());
        }
        restock(&mut tx, state, &order, StockReason::Release, &system).await?;
    }
    let row = store::group(&mut *tx, group).await?;
    tx.commit().await?;
    if let Some(row) = row {
        tell_buyer_text(state, &row.buyer_id, &texts::expired(&row)).await;
    }
    Ok(true)
}

/// Moves a checkout from `from` to paid with the payment's details and
/// answers its orders; `None` when it was not in `from`.
async fn pay_group(
    conn: &mut AnyConnection,
    group: &GroupRow,
    from: GroupStatus,
    transaction_id: Option<&str>,
    payment_type: Option<&str>,
) -> Result<Option<Vec<OrderRow>>, AppError> {
    if !store::move_group(
        conn,
        &group.id,
        from,
        GroupStatus::Paid,
        transaction_id,
        payment_type,
    )
    .await?
    {
        return Ok(None);
    }
    Ok(Some(store::orders_of_group(&mut *conn, &group.id).await?))
}

/// Counts the units of the orders' lines as sold and answers the orders
/// as they are now.
async fn count_sold(
    conn: &mut AnyConnection,
    ids: &[VendorOrderId],
) -> Result<Vec<OrderRow>, AppError> {
    for (_, item) in store::items_of(&mut *conn, ids).await? {
        catalog::add_sold(conn, &item.product_id, item.quantity).await?;
    }
    let mut paid = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(o) = store::order(&mut *conn, id).await? {
            paid.push(o);
        }
    }
    Ok(paid)
}

/// Marks a checkout paid and moves its orders to processing, inside the
/// caller's transaction. `None` when it was not awaiting payment (a
/// repeated or late notification).
pub(super) async fn mark_paid(
    conn: &mut AnyConnection,
    group: &GroupRow,
    transaction_id: Option<&str>,
    payment_type: Option<&str>,
) -> Result<Option<Vec<OrderRow>>, AppError> {
    let Some(orders) = pay_group(
        conn,
        group,
        GroupStatus::AwaitingPayment,
        transaction_id,
        payment_type,
    )
    .await?
    else {
        return Ok(None);
    };
    let system = Actor::system();
    let ids: Vec<VendorOrderId> = orders.iter().map(|o| o.id.clone()).collect();
    for order in &orders {
        lifecycle::check(
            order.status,
            VendorOrderStatus::Processing,
            ActorKind::System,
        )?;
        if !store::move_order(
            conn,
            &order.id,
            order.status,
            VendorOrderStatus::Processing,
            &system,
            &MoveDetails::default(),
        )
        .await?
        {
            return Err(changed_meanwhile());
        }
    }
    count_sold(conn, &ids).await.map(Some)
}

/// A payment that arrived after its checkout expired (inside the caller's
/// transaction): when every unit is still in stock the checkout is paid
/// after all, its orders move from cancelled to processing and the stock
/// is taken again. `None` when a unit is gone: the caller rolls the
/// transaction back (undoing the units taken so far) and refunds with
/// [`refund_late`].
pub(super) async fn revive(
    conn: &mut AnyConnection,
    state: &AppState,
    group: &GroupRow,
    transaction_id: Option<&str>,
    payment_type: Option<&str>,
) -> Result<Option<Vec<OrderRow>>, AppError> {
    let Some(orders) = pay_group(
        conn,
        group,
        GroupStatus::Expired,
        transaction_id,
        payment_type,
    )
    .await?
    else {
        return Ok(None);
    };
    let system = Actor::system();
    let ids: Vec<VendorOrderId> = orders.iter().map(|o| o.id.clone()).collect();
    let items = store::items_of(&mut *conn, &ids).await?;
    let tenants: HashMap<&VendorOrderId, &TenantId> =
        orders.iter().map(|o| (&o.id, &o.tenant_id)).collect();
    for (order, item) in &items {
        let Some(tenant) = tenants.get(order) else {
            return Ok(None);
        };
        let taken = stock::apply(
            conn,
            state.config.marketplace.low_stock_threshold,
            &Move {
                variant: &item.variant_id,
                tenant,
                delta: -item.quantity,
                reason: StockReason::Sale,
                actor: &system,
                note: Some("late payment"),
                order_id: Some(order.as_str()),
            },
        )
        .await?;
        if taken.is_none() {
            return Ok(None);
        }
    }
    for order in &orders {
        if order.status != VendorOrderStatus::Cancelled
            || !store::move_order(
                conn,
                &order.id,
                VendorOrderStatus::Cancelled,
                VendorOrderStatus::Processing,
                &system,
                &MoveDetails::default(),
            )
            .await?
        {
            return Ok(None);
        }
    }
    count_sold(conn, &ids).await.map(Some)
}

/// Records a refund of each order of a late-paid checkout that could not
/// be revived (inside the caller's transaction); answers them for
/// [`refund_now`] after the commit. The orders stay cancelled.
pub(super) async fn refund_late(
    conn: &mut AnyConnection,
    group: &GroupRow,
) -> Result<Vec<PendingRefund>, AppError> {
    let mut refunds = Vec::new();
    for order in store::orders_of_group(&mut *conn, &group.id).await? {
        let key = format!("rf-{}", order.id);
        store::insert_refund(conn, &order, &key).await?;
        refunds.push(PendingRefund {
            order_id: order.id.clone(),
            group_id: order.group_id.clone(),
            amount_idr: order.subtotal_idr,
            refund_key: key,
        });
    }
    Ok(refunds)
}

/// After a payment committed: the buyer hears once per order, each vendor
/// of its new order.
pub(super) async fn announce_paid(state: &AppState, orders: &[OrderRow]) {
    let ids: Vec<VendorOrderId> = orders.iter().map(|o| o.id.clone()).collect();
    let mut lines: HashMap<VendorOrderId, Vec<String>> = HashMap::new();
    if let Ok(items) = store::items_of(&state.pool, &ids).await {
        for (order, item) in items {
            lines.entry(order).or_default().push(format!(
                "{} x{} ({})",
                item.product_name, item.quantity, item.variant_name
            ));
        }
    }
    for order in orders {
        tell_buyer(state, order).await;
        let list = lines.remove(&order.id).unwrap_or_default();
        tell_vendor(state, &order.tenant_id, &texts::vendor_paid(order, &list)).await;
    }
}

/// Moves `order` to `to` for `actor` (checked against the lifecycle
/// table). Cancelling a paid order puts its stock back and refunds the
/// order's amount through Midtrans.
pub(super) async fn transition(
    state: &AppState,
    order: &OrderRow,
    to: VendorOrderStatus,
    actor: &Actor,
    details: &MoveDetails<'_>,
) -> Result<OrderRow, AppError> {
    lifecycle::check(order.status, to, actor.kind)?;
    let mut tx = state.begin_write().await?;
    if !store::move_order(&mut tx, &order.id, order.status, to, actor, details).await? {
        return Err(changed_meanwhile());
    }
    let refund =
        to == VendorOrderStatus::Cancelled && order.status == VendorOrderStatus::Processing;
    if refund {
        restock(&mut tx, state, order, StockReason::CancelRestock, actor).await?;
        store::insert_refund(&mut tx, order, &format!("rf-{}", order.id)).await?;
    }
    let moved = store::order(&mut *tx, &order.id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    tx.commit().await?;
    if refund {
        let pending = PendingRefund {
            order_id: moved.id.clone(),
            group_id: moved.group_id.clone(),
            amount_idr: moved.subtotal_idr,
            refund_key: format!("rf-{}", moved.id),
        };
        if let Err(e) = refund_now(state, &pending).await {
            tracing::warn!(order = %moved.id, error = %e.chain(), "refund failed; the sweep retries it");
        }
    }
    tell_buyer(state, &moved).await;
    if to == VendorOrderStatus::Cancelled && actor.kind == ActorKind::Buyer {
        tell_vendor(state, &moved.tenant_id, &texts::vendor_cancelled(&moved)).await;
    }
    Ok(store::order(&state.pool, &moved.id).await?.unwrap_or(moved))
}

/// Asks Midtrans to refund an order's part of its checkout (the refund key
/// makes a retry safe) and records the outcome.
pub(crate) async fn refund_now(state: &AppState, r: &PendingRefund) -> Result<(), AppError> {
    let result = async {
        let client = crate::billing::configured(state)?;
        let group = store::group(&state.pool, &r.group_id)
            .await?
            .ok_or(AppError::NotFound("order group"))?;
        let order_id = midtrans_client::OrderId::new(group.payment_order_id)
            .map_err(|e| AppError::internal_from("refund order id", e))?;
        let request = RefundRequest::partial(r.refund_key.clone(), Idr::new(r.amount_idr))
            .reason(format!("order {} cancelled", r.order_id));
        client
            .refund(&order_id, &request)
            .await
            .map_err(|e| AppError::Upstream(format!("midtrans refund: {e}")))
    }
    .await;
    match result {
        Ok(_) => {
            let mut tx = state.begin_write().await?;
            store::finish_refund(&mut tx, &r.order_id).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(e) => {
            store::refund_failed(&state.pool, &r.order_id, &e.to_string()).await?;
            Err(e)
        }
    }
}

/// Marks shipped orders older than `auto_deliver_days` delivered; answers
/// how many.
pub(crate) async fn deliver_due(state: &AppState) -> Result<usize, AppError> {
    let days = state.config.marketplace.auto_deliver_days.max(1);
    let before = now_ms() - days * 86_400_000;
    let mut n = 0;
    for id in store::due_deliveries(&state.pool, before, 100).await? {
        let Some(order) = store::order(&state.pool, &id).await? else {
            continue;
        };
        match transition(
            state,
            &order,
            VendorOrderStatus::Delivered,
            &Actor::system(),
            &MoveDetails::default(),
        )
        .await
        {
            Ok(_) => n += 1,
            // Confirmed by the buyer meanwhile.
            Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
