//! Sales routes of vendors: `GET /api/v1/marketplace/vendor/sales` and
//! its download `/sales/export`.

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use axum::extract::{Query, State};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{SalesBucket, SalesQuery, SalesReport};
use crate::AppState;
use crate::auth::CurrentMember;
use crate::db::now_ms;
use crate::http::export::{self, ExportFormat, Table};
use crate::http::{ApiResult, AppError, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sales))
        .routes(routes!(sales_export))
}

/// The vendor's sales report for `q` (the rules of
/// `GET /vendor/sales`, shared by the console).
pub(crate) async fn build(
    state: &AppState,
    member: &CurrentMember,
    q: &SalesQuery,
) -> Result<SalesReport, AppError> {
    let tz = super::time_zone(&state.pool, member.tenant()).await?;
    super::report(
        &state.pool,
        member.tenant(),
        tz,
        q,
        now_ms(),
        state.config.marketplace.low_stock_threshold,
    )
    .await
}

/// Revenue and orders per day, week or month in the vendor's time zone,
/// the last 7 days, top products and low stock.
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/sales", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(SalesQuery),
    responses((status = 200, description = "The report", body = inline(crate::http::Data<SalesReport>)),
        (status = 400, description = "Bad period or dates", body = crate::http::ErrorBody)))]
async fn sales(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<SalesQuery>,
) -> ApiResult<SalesReport> {
    Ok(ok(build(&state, &member, &q).await?))
}

fn bucket_rows(buckets: &[SalesBucket]) -> Vec<Vec<String>> {
    buckets
        .iter()
        .map(|b| {
            vec![
                b.start.clone(),
                b.orders.to_string(),
                b.revenue_idr.to_string(),
            ]
        })
        .collect()
}

/// The sales report as CSV or XLSX: sales per period, the last 7 days,
/// top products and low stock (XLSX: one sheet each; CSV: one section
/// each).
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/sales/export", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(SalesQuery),
    responses((status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 400, description = "Bad period, dates or format", body = crate::http::ErrorBody)))]
async fn sales_export(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<SalesQuery>,
) -> Result<Response, AppError> {
    export(&state, &member, &q).await
}

/// The sales report of `q` as a CSV or XLSX download (`q.format`).
pub(crate) async fn export(
    state: &AppState,
    member: &CurrentMember,
    q: &SalesQuery,
) -> Result<Response, AppError> {
    let format = ExportFormat::from_query(q.format.as_deref())?;
    let r = build(state, member, q).await?;
    let head = ["start", "orders", "revenue_idr"];
    let mut rows = bucket_rows(&r.buckets);
    rows.push(vec![
        "total".to_owned(),
        r.total_orders.to_string(),
        r.total_revenue_idr.to_string(),
    ]);
    let top = r
        .top_products
        .iter()
        .map(|p| {
            vec![
                p.product_id.to_string(),
                p.name.clone(),
                p.units.to_string(),
                p.revenue_idr.to_string(),
            ]
        })
        .collect();
    let low = r
        .low_stock
        .iter()
        .map(|l| {
            vec![
                l.sku.clone(),
                l.product_name.clone(),
                l.variant_name.clone(),
                l.stock.to_string(),
                l.threshold.to_string(),
            ]
        })
        .collect();
    export::download(
        format,
        &format!("sales-{}-{}", r.from, r.to),
        vec![
            Table::new("Penjualan", head, rows),
            Table::new("7 hari", head, bucket_rows(&r.trend)),
            Table::new(
                "Produk teratas",
                ["product_id", "name", "units", "revenue_idr"],
                top,
            ),
            Table::new(
                "Stok menipis",
                ["sku", "product", "variant", "stock", "threshold"],
                low,
            ),
        ],
    )
    .await
}
