//! The read-only queries of the sales figures. They read the orders'
//! and catalog's tables (`mkt_orders`, `mkt_order_items`, `mkt_products`,
//! `mkt_variants`) and write nothing; `mkt_weekly_reports` is this
//! feature's own table.

use sqlx::{Any, AnyConnection, Executor};

use crate::domain::{ProductId, TenantId, VariantId};

/// A paid order counted in sales: when it was paid and what it brought.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PaidOrder {
    pub(crate) paid_at: i64,
    pub(crate) subtotal_idr: i64,
    pub(crate) refunded_idr: i64,
}

/// The vendor's orders paid in `[from, to)` (unix ms) and not cancelled.
pub(crate) async fn paid_orders<'e, E>(
    exec: E,
    tenant: &TenantId,
    from: i64,
    to: i64,
) -> Result<Vec<PaidOrder>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT paid_at, subtotal_idr, refunded_idr FROM mkt_orders \
         WHERE tenant_id = $1 AND paid_at >= $2 AND paid_at < $3 AND status <> 'cancelled'",
    )
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(exec)
    .await
}

/// A product's sales in a period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ProductSales {
    pub(crate) product_id: ProductId,
    pub(crate) name: String,
    pub(crate) units: i64,
    pub(crate) revenue_idr: i64,
}

/// The vendor's best-selling products (by revenue) of the orders paid in
/// `[from, to)` and not cancelled.
pub(crate) async fn top_products<'e, E>(
    exec: E,
    tenant: &TenantId,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<ProductSales>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT i.product_id, MAX(i.product_name) AS name, \
         CAST(SUM(i.quantity) AS BIGINT) AS units, \
         CAST(SUM(i.line_total_idr) AS BIGINT) AS revenue_idr \
         FROM mkt_order_items i JOIN mkt_orders o ON o.id = i.order_id \
         WHERE o.tenant_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3 \
         AND o.status <> 'cancelled' \
         GROUP BY i.product_id ORDER BY revenue_idr DESC, units DESC, i.product_id LIMIT $4",
    )
    .bind(tenant)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(exec)
    .await
}

/// A variant at or below its low-stock threshold.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct LowStockRow {
    pub(crate) variant_id: VariantId,
    pub(crate) product_id: ProductId,
    pub(crate) product_name: String,
    pub(crate) variant_name: String,
    pub(crate) sku: String,
    pub(crate) stock: i64,
    pub(crate) threshold: i64,
}

/// The vendor's active variants whose stock is at or below the product's
/// threshold (`default_threshold` when it sets none), lowest first.
pub(crate) async fn low_stock<'e, E>(
    exec: E,
    tenant: &TenantId,
    default_threshold: i64,
    limit: i64,
) -> Result<Vec<LowStockRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT v.id AS variant_id, p.id AS product_id, p.name AS product_name, \
         v.name AS variant_name, v.sku, v.stock, \
         COALESCE(p.low_stock_threshold, $2) AS threshold \
         FROM mkt_variants v JOIN mkt_products p ON p.id = v.product_id \
         WHERE v.tenant_id = $1 AND v.active = 1 \
         AND v.stock <= COALESCE(p.low_stock_threshold, $2) \
         ORDER BY v.stock, v.sku LIMIT $3",
    )
    .bind(tenant)
    .bind(default_threshold)
    .bind(limit)
    .fetch_all(exec)
    .await
}

/// Claims the weekly report of `tenant` for the week starting `week`
/// (`YYYY-MM-DD`); `false` when another run claimed it first.
pub(crate) async fn claim_week(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    week: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO mkt_weekly_reports (tenant_id, week_start, claimed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant_id, week_start) DO NOTHING",
    )
    .bind(tenant)
    .bind(week)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the sent report's message id (or the send error).
pub(crate) async fn finish_week<'e, E>(
    exec: E,
    tenant: &TenantId,
    week: &str,
    outcome: Result<&str, &str>,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let (sent, error) = match outcome {
        Ok(id) => (Some(id.to_owned()), None),
        Err(e) => (None, Some(e.to_owned())),
    };
    sqlx::query(
        "UPDATE mkt_weekly_reports SET message_id = $1, error = $2, finished_at = $3 \
         WHERE tenant_id = $4 AND week_start = $5",
    )
    .bind(sent)
    .bind(error)
    .bind(now)
    .bind(tenant)
    .bind(week)
    .execute(exec)
    .await?;
    Ok(())
}

/// Active vendors with a published product or an order: the ones a
/// weekly report goes to.
pub(crate) async fn selling_vendors<'e, E>(exec: E) -> Result<Vec<TenantId>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "SELECT t.id FROM tenants t WHERE t.status = 'active' AND (\
         EXISTS (SELECT 1 FROM mkt_products p WHERE p.tenant_id = t.id) OR \
         EXISTS (SELECT 1 FROM mkt_orders o WHERE o.tenant_id = t.id)) ORDER BY t.id",
    )
    .fetch_all(exec)
    .await
}

/// Deletes a vendor's weekly report claims.
pub(crate) async fn purge_tenant(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM mkt_weekly_reports WHERE tenant_id = $1")
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}
