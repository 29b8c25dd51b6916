//! Orders: split checkout ([`checkout`]), the checkout's Midtrans payment
//! ([`payment`]), the order lifecycle ([`lifecycle`], the one transition
//! table), refunds of cancelled paid orders and the sweeps.
//!
//! Tables: `mkt_order_groups` (one checkout, one payment), `mkt_orders`
//! (one per vendor of a checkout), `mkt_order_items` (a snapshot of each
//! line: product, variant, SKU, vendor, unit price), `mkt_order_events`
//! (every status change with actor and time), `mkt_payment_events`
//! (each verified notification once) and `mkt_refunds` (one per
//! cancelled paid order, retried until Midtrans accepts it).
//!
//! Sweeps (every `marketplace.sweep_interval_secs`): unpaid checkouts past
//! their expiry are expired and their stock released, shipped orders older
//! than `auto_deliver_days` become delivered, pending refunds are retried.
//! Each change is a compare-and-set on the row's status, so two server
//! processes on one PostgreSQL database never apply one twice.

mod checkout;
mod flow;
mod http;
pub mod lifecycle;
pub mod model;
pub mod payment;
pub mod store;
mod texts;

pub use checkout::PAYMENT_PREFIX;
pub(crate) use http::{vendor_cancel_order, vendor_list, vendor_one, vendor_ship};

use std::collections::HashMap;
use std::time::Duration;

use sqlx::AnyPool;
use tokio::task::JoinHandle;
use utoipa_axum::router::OpenApiRouter;

use self::model::{GroupRow, Order, OrderGroup, OrderRow};
use crate::AppState;
use crate::db::now_ms;
use crate::domain::{OrderGroupId, VendorOrderId};
use crate::http::AppError;

/// The order routes (buyer and vendor).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// Starts the sweeps.
pub fn spawn_jobs(state: &AppState) -> Vec<JoinHandle<()>> {
    vec![crate::spawn_periodic(
        state,
        "marketplace-sweep",
        Duration::from_secs(state.config.marketplace.sweep_interval_secs.max(1)),
        |state| async move {
            if let Err(e) = sweep(&state).await {
                tracing::warn!(error = %e.chain(), "marketplace sweep failed");
            }
            Ok(())
        },
    )]
}

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Checkouts expired (their stock released).
    pub expired: usize,
    /// Orders marked delivered.
    pub delivered: usize,
    /// Refunds Midtrans accepted.
    pub refunded: usize,
}

/// Runs the sweeps once (the background job calls this; tests too).
pub async fn sweep(state: &AppState) -> Result<Swept, AppError> {
    let mut done = Swept::default();
    for id in store::due_groups(&state.pool, now_ms(), 100).await? {
        if flow::expire_group(state, &id, "payment expired").await? {
            done.expired += 1;
        }
    }
    done.delivered = flow::deliver_due(state).await?;
    // A refund tried in the last minute is left to its first attempt.
    for r in store::pending_refunds(&state.pool, now_ms() - 60_000, 50).await? {
        if flow::refund_now(state, &r).await.is_ok() {
            done.refunded += 1;
        }
    }
    Ok(done)
}

/// Orders with their lines, history and shipping copy.
pub(crate) async fn order_views(
    pool: &AnyPool,
    rows: Vec<OrderRow>,
) -> Result<Vec<Order>, AppError> {
    let ids: Vec<VendorOrderId> = rows.iter().map(|o| o.id.clone()).collect();
    let mut items: HashMap<VendorOrderId, Vec<_>> = HashMap::new();
    for (o, i) in store::items_of(pool, &ids).await? {
        items.entry(o).or_default().push(i);
    }
    let mut events: HashMap<VendorOrderId, Vec<_>> = HashMap::new();
    for (o, e) in store::events_of(pool, &ids).await? {
        events.entry(o).or_default().push(e);
    }
    let mut shipping: HashMap<OrderGroupId, serde_json::Value> = HashMap::new();
    for r in &rows {
        if !shipping.contains_key(&r.group_id)
            && let Some(g) = store::group(pool, &r.group_id).await?
        {
            shipping.insert(
                r.group_id.clone(),
                serde_json::from_str(&g.shipping).unwrap_or_default(),
            );
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| Order {
            items: items.remove(&r.id).unwrap_or_default(),
            history: events.remove(&r.id).unwrap_or_default(),
            shipping: shipping.get(&r.group_id).cloned().unwrap_or_default(),
            id: r.id,
            group_id: r.group_id,
            vendor_id: r.tenant_id,
            buyer_id: r.buyer_id,
            status: r.status,
            subtotal_idr: r.subtotal_idr,
            refunded_idr: r.refunded_idr,
            courier: r.courier,
            tracking_number: r.tracking_number,
            cancel_reason: r.cancel_reason,
            created_at: r.created_at,
            paid_at: r.paid_at,
            shipped_at: r.shipped_at,
            delivered_at: r.delivered_at,
            cancelled_at: r.cancelled_at,
        })
        .collect())
}

/// A checkout with its orders.
pub(crate) async fn group_view(pool: &AnyPool, g: GroupRow) -> Result<OrderGroup, AppError> {
    let orders = order_views(pool, store::orders_of_group(pool, &g.id).await?).await?;
    Ok(OrderGroup {
        id: g.id,
        status: g.status,
        total_idr: g.total_idr,
        payment_order_id: g.payment_order_id,
        snap_token: g.snap_token,
        redirect_url: g.redirect_url,
        expires_at: g.expires_at,
        orders,
        created_at: g.created_at,
        paid_at: g.paid_at,
    })
}
