//! A vendor's sales figures: revenue and orders per day, week or month in
//! the vendor's time zone, the last 7 days, top products and the variants
//! low on stock, as JSON or CSV / XLSX (`http::export`); and the weekly
//! WhatsApp summary sent every Monday morning ([`weekly`]).
//!
//! Revenue is what paid orders brought minus their refunds, counted on
//! the local day the order was paid; cancelled orders do not count.
//! Reads the orders' and catalog's tables without writing them; its own
//! table is `mkt_weekly_reports` (one claim row per vendor and week).

mod http;
pub mod model;
pub(crate) mod store;
pub mod weekly;

use chrono::Days;
use chrono_tz::Tz;
use sqlx::AnyPool;
use utoipa_axum::router::OpenApiRouter;

pub(crate) use self::http::{build as vendor_report, export};
use self::model::{LowStock, SalesQuery, SalesReport, TopProduct};
use crate::AppState;
use crate::domain::TenantId;
use crate::http::AppError;

/// The sales routes (vendor).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// The vendor's time zone (Asia/Jakarta when unset or unknown).
pub async fn time_zone(pool: &AnyPool, tenant: &TenantId) -> Result<Tz, AppError> {
    Ok(crate::tenants::store::time_zone_of(pool, tenant)
        .await?
        .and_then(|z| z.parse().ok())
        .unwrap_or(chrono_tz::Asia::Jakarta))
}

/// The sales report of `tenant` for `q`, "today" being the vendor's date
/// at `now` (unix ms).
pub async fn report(
    pool: &AnyPool,
    tenant: &TenantId,
    tz: Tz,
    q: &SalesQuery,
    now: i64,
    default_threshold: i64,
) -> Result<SalesReport, AppError> {
    let period = model::period_of(q)?;
    let today = model::local_date(tz, now);
    let (from, to) = model::date_range(q, today)?;
    let start = model::midnight_ms(tz, period.start_of(from));
    let end = model::midnight_ms(tz, to + Days::new(1));
    let orders = store::paid_orders(pool, tenant, start, end).await?;
    let buckets = model::bucket(
        tz,
        period,
        from,
        to,
        orders
            .iter()
            .map(|o| (o.paid_at, o.subtotal_idr - o.refunded_idr)),
    );
    let week_ago = today - Days::new(6);
    let recent = store::paid_orders(
        pool,
        tenant,
        model::midnight_ms(tz, week_ago),
        model::midnight_ms(tz, today + Days::new(1)),
    )
    .await?;
    let trend = model::bucket(
        tz,
        model::Period::Day,
        week_ago,
        today,
        recent
            .iter()
            .map(|o| (o.paid_at, o.subtotal_idr - o.refunded_idr)),
    );
    let top_products = store::top_products(pool, tenant, start, end, 10)
        .await?
        .into_iter()
        .map(|p| TopProduct {
            product_id: p.product_id,
            name: p.name,
            units: p.units,
            revenue_idr: p.revenue_idr,
        })
        .collect();
    let low_stock = store::low_stock(pool, tenant, default_threshold, 100)
        .await?
        .into_iter()
        .map(|l| LowStock {
            variant_id: l.variant_id,
            product_id: l.product_id,
            product_name: l.product_name,
            variant_name: l.variant_name,
            sku: l.sku,
            stock: l.stock,
            threshold: l.threshold,
        })
        .collect();
    Ok(SalesReport {
        time_zone: tz.name().to_owned(),
        period,
        from: from.to_string(),
        to: to.to_string(),
        total_revenue_idr: buckets.iter().map(|b| b.revenue_idr).sum(),
        total_orders: buckets.iter().map(|b| b.orders).sum(),
        buckets,
        trend,
        top_products,
        low_stock,
    })
}
