//! Every SQL statement on `mkt_order_groups`, `mkt_payment_events`,
//! `mkt_orders`, `mkt_order_items`, `mkt_order_events` and `mkt_refunds`.
//! Reads for a buyer carry `buyer_id = $n`, for a vendor `tenant_id = $n`.

use sqlx::{Any, AnyConnection, Executor};

use super::model::{
    GroupRow, GroupStatus, OrderEvent, OrderItem, OrderRow, RefundStatus, VendorOrderStatus,
};
use crate::db::{new_id, now_ms};
use crate::domain::{BuyerId, OrderGroupId, ProductId, TenantId, VendorOrderId};
use crate::marketplace::catalog::model::{Actor, VariantForSale};

const GROUP: &str = "SELECT id, buyer_id, status, total_idr, payment_order_id, snap_token, \
    redirect_url, shipping, expires_at, created_at, paid_at FROM mkt_order_groups";

const ORDER: &str = "SELECT id, group_id, tenant_id, buyer_id, status, subtotal_idr, refunded_idr, \
    courier, tracking_number, cancel_reason, created_at, paid_at, shipped_at, delivered_at, \
    cancelled_at FROM mkt_orders";

/// The buyer's checkout made with this idempotency key.
pub async fn group_by_key<'e, E>(
    exec: E,
    buyer: &BuyerId,
    key: &str,
) -> Result<Option<GroupRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!(
        "{GROUP} WHERE buyer_id = $1 AND idempotency_key = $2"
    ))
    .bind(buyer)
    .bind(key)
    .fetch_optional(exec)
    .await
}

/// One of the buyer's checkouts.
pub async fn buyer_group<'e, E>(
    exec: E,
    buyer: &BuyerId,
    id: &OrderGroupId,
) -> Result<Option<GroupRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{GROUP} WHERE buyer_id = $1 AND id = $2"))
        .bind(buyer)
        .bind(id)
        .fetch_optional(exec)
        .await
}

/// A checkout by id (for the platform's own jobs and payments).
pub(crate) async fn group<'e, E>(
    exec: E,
    id: &OrderGroupId,
) -> Result<Option<GroupRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{GROUP} WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await
}

/// A checkout by its Midtrans order id.
pub(crate) async fn group_by_payment<'e, E>(
    exec: E,
    payment_order_id: &str,
) -> Result<Option<GroupRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{GROUP} WHERE payment_order_id = $1"))
        .bind(payment_order_id)
        .fetch_optional(exec)
        .await
}

/// The buyer's checkouts, newest first.
pub async fn buyer_groups<'e, E>(
    exec: E,
    buyer: &BuyerId,
    limit: i64,
) -> Result<Vec<GroupRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!(
        "{GROUP} WHERE buyer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(buyer)
    .bind(limit)
    .fetch_all(exec)
    .await
}

/// A new checkout.
#[derive(Debug)]
pub(crate) struct NewGroup<'a> {
    pub(crate) id: &'a OrderGroupId,
    pub(crate) buyer: &'a BuyerId,
    pub(crate) idempotency_key: &'a str,
    pub(crate) total_idr: i64,
    pub(crate) payment_order_id: &'a str,
    pub(crate) snap_token: &'a str,
    pub(crate) redirect_url: &'a str,
    pub(crate) shipping: &'a str,
    pub(crate) expires_at: i64,
}

/// Inserts a checkout awaiting payment (a repeated idempotency key is a
/// unique violation).
pub(crate) async fn insert_group(
    conn: &mut AnyConnection,
    g: &NewGroup<'_>,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mkt_order_groups (id, buyer_id, idempotency_key, status, total_idr, \
         payment_order_id, snap_token, redirect_url, shipping, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(g.id)
    .bind(g.buyer)
    .bind(g.idempotency_key)
    .bind(GroupStatus::AwaitingPayment)
    .bind(g.total_idr)
    .bind(g.payment_order_id)
    .bind(g.snap_token)
    .bind(g.redirect_url)
    .bind(g.shipping)
    .bind(g.expires_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a checkout from `from` to `to` unless something else moved it
/// first; `true` when this call moved it.
pub(crate) async fn move_group(
    conn: &mut AnyConnection,
    id: &OrderGroupId,
    from: GroupStatus,
    to: GroupStatus,
    transaction_id: Option<&str>,
    payment_type: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE mkt_order_groups SET status = $1, updated_at = $2, \
         paid_at = CASE WHEN $1 = 'paid' THEN $2 ELSE paid_at END, \
         transaction_id = COALESCE($3, transaction_id), payment_type = COALESCE($4, payment_type) \
         WHERE id = $5 AND status = $6",
    )
    .bind(to)
    .bind(now)
    .bind(transaction_id.map(str::to_owned))
    .bind(payment_type.map(str::to_owned))
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A verified payment notification of a checkout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PaymentEvent<'a> {
    pub(crate) group: &'a OrderGroupId,
    pub(crate) transaction_id: &'a str,
    pub(crate) transaction_status: &'a str,
    pub(crate) fraud_status: Option<&'a str>,
    pub(crate) gross_amount: &'a str,
}

/// Records a verified notification once; `false` when it was seen before.
pub(crate) async fn insert_payment_event(
    conn: &mut AnyConnection,
    e: &PaymentEvent<'_>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO mkt_payment_events (id, group_id, transaction_id, transaction_status, \
         fraud_status, gross_amount, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (group_id, transaction_id, transaction_status) DO NOTHING",
    )
    .bind(new_id())
    .bind(e.group)
    .bind(e.transaction_id)
    .bind(e.transaction_status)
    .bind(e.fraud_status.map(str::to_owned))
    .bind(e.gross_amount)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Checkouts still awaiting payment past their expiry.
pub(crate) async fn due_groups<'e, E>(
    exec: E,
    now: i64,
    limit: i64,
) -> Result<Vec<OrderGroupId>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "SELECT id FROM mkt_order_groups WHERE status = $1 AND expires_at < $2 \
         ORDER BY expires_at LIMIT $3",
    )
    .bind(GroupStatus::AwaitingPayment)
    .bind(now)
    .bind(limit)
    .fetch_all(exec)
    .await
}

/// Inserts a vendor's order of a checkout.
pub(crate) async fn insert_order(
    conn: &mut AnyConnection,
    id: &VendorOrderId,
    group: &OrderGroupId,
    tenant: &TenantId,
    buyer: &BuyerId,
    subtotal: i64,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mkt_orders (id, group_id, tenant_id, buyer_id, status, subtotal_idr, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id)
    .bind(group)
    .bind(tenant)
    .bind(buyer)
    .bind(VendorOrderStatus::Pending)
    .bind(subtotal)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts an order line with a snapshot of what was bought.
pub(crate) async fn insert_item(
    conn: &mut AnyConnection,
    order: &VendorOrderId,
    sale: &VariantForSale,
    quantity: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mkt_order_items (id, order_id, tenant_id, product_id, variant_id, product_name, \
         variant_name, sku, unit_price_idr, quantity, line_total_idr) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id())
    .bind(order)
    .bind(&sale.tenant_id)
    .bind(&sale.product_id)
    .bind(&sale.variant_id)
    .bind(&sale.product_name)
    .bind(&sale.variant_name)
    .bind(&sale.sku)
    .bind(sale.price_idr)
    .bind(quantity)
    .bind(sale.price_idr * quantity)
    .execute(conn)
    .await?;
    Ok(())
}

/// The orders of a checkout.
pub async fn orders_of_group<'e, E>(
    exec: E,
    group: &OrderGroupId,
) -> Result<Vec<OrderRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{ORDER} WHERE group_id = $1 ORDER BY id"))
        .bind(group)
        .fetch_all(exec)
        .await
}

/// One of the buyer's orders.
pub async fn buyer_order<'e, E>(
    exec: E,
    buyer: &BuyerId,
    id: &VendorOrderId,
) -> Result<Option<OrderRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{ORDER} WHERE buyer_id = $1 AND id = $2"))
        .bind(buyer)
        .bind(id)
        .fetch_optional(exec)
        .await
}

/// One of the vendor's orders.
pub async fn vendor_order<'e, E>(
    exec: E,
    tenant: &TenantId,
    id: &VendorOrderId,
) -> Result<Option<OrderRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{ORDER} WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(exec)
        .await
}

/// An order by id (the platform's jobs).
pub(crate) async fn order<'e, E>(
    exec: E,
    id: &VendorOrderId,
) -> Result<Option<OrderRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{ORDER} WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await
}

/// The vendor's orders, newest first, optionally in one status.
pub async fn vendor_orders<'e, E>(
    exec: E,
    tenant: &TenantId,
    status: Option<VendorOrderStatus>,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    match status {
        Some(s) => {
            sqlx::query_as(&format!(
                "{ORDER} WHERE tenant_id = $1 AND status = $2 ORDER BY created_at DESC, id DESC LIMIT $3"
            ))
            .bind(tenant)
            .bind(s)
            .bind(limit)
            .fetch_all(exec)
            .await
        }
        None => {
            sqlx::query_as(&format!(
                "{ORDER} WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
            .bind(tenant)
            .bind(limit)
            .fetch_all(exec)
            .await
        }
    }
}

/// Shipped orders whose shipping is older than `before`.
pub(crate) async fn due_deliveries<'e, E>(
    exec: E,
    before: i64,
    limit: i64,
) -> Result<Vec<VendorOrderId>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "SELECT id FROM mkt_orders WHERE status = $1 AND shipped_at < $2 ORDER BY shipped_at LIMIT $3",
    )
    .bind(VendorOrderStatus::Shipped)
    .bind(before)
    .bind(limit)
    .fetch_all(exec)
    .await
}

fn in_list(n: usize) -> String {
    crate::contacts::store::placeholders(1, n)
}

/// The lines of orders, with the order each belongs to.
pub async fn items_of<'e, E>(
    exec: E,
    orders: &[VendorOrderId],
) -> Result<Vec<(VendorOrderId, OrderItem)>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    #[derive(sqlx::FromRow)]
    struct Row {
        order_id: VendorOrderId,
        #[sqlx(flatten)]
        item: OrderItem,
    }
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT order_id, product_id, variant_id, product_name, variant_name, sku, unit_price_idr, \
         quantity, line_total_idr FROM mkt_order_items WHERE order_id IN ({}) ORDER BY order_id, id",
        in_list(orders.len())
    );
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for o in orders {
        q = q.bind(o);
    }
    Ok(q.fetch_all(exec)
        .await?
        .into_iter()
        .map(|r| (r.order_id, r.item))
        .collect())
}

/// The status history of orders, oldest first.
pub async fn events_of<'e, E>(
    exec: E,
    orders: &[VendorOrderId],
) -> Result<Vec<(VendorOrderId, OrderEvent)>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    #[derive(sqlx::FromRow)]
    struct Row {
        order_id: VendorOrderId,
        #[sqlx(flatten)]
        event: OrderEvent,
    }
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT order_id, from_status, to_status, actor_kind, actor_id, note, created_at \
         FROM mkt_order_events WHERE order_id IN ({}) ORDER BY created_at, id",
        in_list(orders.len())
    );
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for o in orders {
        q = q.bind(o);
    }
    Ok(q.fetch_all(exec)
        .await?
        .into_iter()
        .map(|r| (r.order_id, r.event))
        .collect())
}

/// What a status change sets besides the status.
#[derive(Debug, Default)]
pub(crate) struct MoveDetails<'a> {
    pub(crate) courier: Option<&'a str>,
    pub(crate) tracking_number: Option<&'a str>,
    pub(crate) cancel_reason: Option<&'a str>,
}

/// Moves an order from `from` to `to` unless something else moved it
/// first, and records the change; `true` when this call moved it.
pub(crate) async fn move_order(
    conn: &mut AnyConnection,
    id: &VendorOrderId,
    from: VendorOrderStatus,
    to: VendorOrderStatus,
    actor: &Actor,
    details: &MoveDetails<'_>,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let stamp = match to {
        VendorOrderStatus::Processing => "paid_at",
        VendorOrderStatus::Shipped => "shipped_at",
        VendorOrderStatus::Delivered => "delivered_at",
        VendorOrderStatus::Cancelled => "cancelled_at",
        VendorOrderStatus::Pending => "updated_at",
    };
    let done = sqlx::query(&format!(
        "UPDATE mkt_orders SET status = $1, updated_at = $2, {stamp} = $2, \
         courier = COALESCE($3, courier), tracking_number = COALESCE($4, tracking_number), \
         cancel_reason = COALESCE($5, cancel_reason) WHERE id = $6 AND status = $7"
    ))
    .bind(to)
    .bind(now)
    .bind(details.courier.map(str::to_owned))
    .bind(details.tracking_number.map(str::to_owned))
    .bind(details.cancel_reason.map(str::to_owned))
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let note = details.cancel_reason.map(str::to_owned).or_else(|| {
        details
            .courier
            .zip(details.tracking_number)
            .map(|(c, t)| format!("{c} {t}"))
    });
    sqlx::query(
        "INSERT INTO mkt_order_events (id, order_id, from_status, to_status, actor_kind, actor_id, \
         note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(actor.kind)
    .bind(actor.id.clone())
    .bind(note)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(true)
}

/// Records a refund to make for a cancelled paid order (once per order).
pub(crate) async fn insert_refund(
    conn: &mut AnyConnection,
    order: &OrderRow,
    refund_key: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mkt_refunds (id, order_id, group_id, tenant_id, amount_idr, refund_key, status, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(new_id())
    .bind(&order.id)
    .bind(&order.group_id)
    .bind(&order.tenant_id)
    .bind(order.subtotal_idr)
    .bind(refund_key)
    .bind(RefundStatus::Pending)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A refund to make.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PendingRefund {
    pub(crate) order_id: VendorOrderId,
    pub(crate) group_id: OrderGroupId,
    pub(crate) amount_idr: i64,
    pub(crate) refund_key: String,
}

/// Pending refunds last tried before `before` (oldest first).
pub(crate) async fn pending_refunds<'e, E>(
    exec: E,
    before: i64,
    limit: i64,
) -> Result<Vec<PendingRefund>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT order_id, group_id, amount_idr, refund_key FROM mkt_refunds \
         WHERE status = $1 AND updated_at <= $2 ORDER BY updated_at LIMIT $3",
    )
    .bind(RefundStatus::Pending)
    .bind(before)
    .bind(limit)
    .fetch_all(exec)
    .await
}

/// Marks a refund accepted by Midtrans and adds it to the order; `false`
/// when it was already done.
pub(crate) async fn finish_refund(
    conn: &mut AnyConnection,
    order: &VendorOrderId,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let amount: Option<i64> = sqlx::query_scalar(
        "UPDATE mkt_refunds SET status = $1, attempts = attempts + 1, updated_at = $2, last_error = NULL \
         WHERE order_id = $3 AND status = $4 RETURNING amount_idr",
    )
    .bind(RefundStatus::Done)
    .bind(now)
    .bind(order)
    .bind(RefundStatus::Pending)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(amount) = amount else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE mkt_orders SET refunded_idr = refunded_idr + $1, updated_at = $2 WHERE id = $3",
    )
    .bind(amount)
    .bind(now)
    .bind(order)
    .execute(conn)
    .await?;
    Ok(true)
}

/// Records a failed refund attempt (the sweep tries again).
pub(crate) async fn refund_failed<'e, E>(
    exec: E,
    order: &VendorOrderId,
    error: &str,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "UPDATE mkt_refunds SET attempts = attempts + 1, last_error = $1, updated_at = $2 \
         WHERE order_id = $3 AND status = $4",
    )
    .bind(error)
    .bind(now_ms())
    .bind(order)
    .bind(RefundStatus::Pending)
    .execute(exec)
    .await?;
    Ok(())
}

/// The buyer's delivered order containing `product` (the first one), with
/// its vendor.
pub async fn delivered_order_with<'e, E>(
    exec: E,
    buyer: &BuyerId,
    product: &ProductId,
) -> Result<Option<(VendorOrderId, TenantId)>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT o.id, o.tenant_id FROM mkt_orders o \
         JOIN mkt_order_items i ON i.order_id = o.id \
         WHERE o.buyer_id = $1 AND i.product_id = $2 AND o.status = $3 \
         ORDER BY o.delivered_at, o.id LIMIT 1",
    )
    .bind(buyer)
    .bind(product)
    .bind(VendorOrderStatus::Delivered)
    .fetch_optional(exec)
    .await
}

/// The vendor's orders from one buyer, newest first.
pub async fn vendor_orders_of_buyer<'e, E>(
    exec: E,
    tenant: &TenantId,
    buyer: &BuyerId,
) -> Result<Vec<OrderRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!(
        "{ORDER} WHERE tenant_id = $1 AND buyer_id = $2 ORDER BY created_at DESC, id DESC"
    ))
    .bind(tenant)
    .bind(buyer)
    .fetch_all(exec)
    .await
}

/// How many of a buyer's orders are still under way (waiting for payment,
/// being prepared or on their way).
pub(crate) async fn open_orders_of_buyer<'e, E>(
    exec: E,
    buyer: &BuyerId,
) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM mkt_orders WHERE buyer_id = $1 AND status IN ($2, $3, $4)",
    )
    .bind(buyer)
    .bind(VendorOrderStatus::Pending)
    .bind(VendorOrderStatus::Processing)
    .bind(VendorOrderStatus::Shipped)
    .fetch_one(exec)
    .await
}

/// Replaces the shipping copy of every checkout of a buyer with a marker
/// that it was erased; the orders stay for accounting.
pub(crate) async fn erase_shipping_of_buyer(
    conn: &mut AnyConnection,
    buyer: &BuyerId,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE mkt_order_groups SET shipping = $2, updated_at = $3 WHERE buyer_id = $1",
    )
    .bind(buyer)
    .bind(r#"{"erased":true}"#)
    .bind(now_ms())
    .execute(conn)
    .await?
    .rows_affected())
}
