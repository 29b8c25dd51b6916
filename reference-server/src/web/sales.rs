//! The vendor's marketplace sales: revenue and orders per day, week or
//! month as server-rendered SVG charts, the best products, the variants
//! low on stock, and the CSV / XLSX download. The figures and the file
//! are the sales feature's (`marketplace::sales::{vendor_report,
//! export}`), the ones `GET /api/v1/marketplace/vendor/sales` answers.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;

use super::charts::{self, Chart, Series};
use super::format::rupiah;
use super::page::{Chrome, FormErrors, PageError, PageResult, invalid, render};
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::http::i18n::Lang;
use crate::marketplace::sales::model::{LowStock, SalesQuery, SalesReport};
use crate::marketplace::sales::{self};

/// The sales pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/sales", get(show))
        .route("/console/sales/export", get(export))
}

/// The report's filter as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct Filter {
    #[serde(default)]
    period: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

impl Filter {
    fn query(&self) -> SalesQuery {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        SalesQuery {
            period: opt(&self.period),
            from: opt(&self.from),
            to: opt(&self.to),
            format: opt(&self.format),
        }
    }

    /// The same filter as a query string for another format.
    fn link(&self, format: &str) -> String {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("period", &self.period)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .append_pair("format", format)
            .finish();
        format!("/console/sales/export?{q}")
    }
}

/// A best-selling product as shown.
struct TopLine {
    product_id: String,
    name: String,
    units: i64,
    revenue: String,
}

/// Revenue and orders of a period, as drawn: two charts (their scales
/// differ by orders of magnitude).
pub(super) struct SalesCharts {
    pub(super) revenue: Chart,
    pub(super) orders: Chart,
}

/// The charts of a list of buckets, labelled by their first day.
pub(super) fn sales_charts(
    buckets: &[crate::marketplace::sales::model::SalesBucket],
    lang: Lang,
) -> SalesCharts {
    let labels: Vec<String> = buckets
        .iter()
        .map(|b| b.start.get(5..).unwrap_or(&b.start).to_owned())
        .collect();
    let every = (labels.len() / 6).max(1);
    let empty = buckets.iter().all(|b| b.orders == 0 && b.revenue_idr == 0);
    let mut revenue = charts::columns(
        &labels,
        &[Series {
            name: lang.t("pendapatan (Rp)", "revenue (Rp)").to_owned(),
            values: buckets.iter().map(|b| b.revenue_idr).collect(),
        }],
        every,
    );
    let mut orders = charts::columns(
        &labels,
        &[Series {
            name: lang.t("pesanan", "orders").to_owned(),
            values: buckets.iter().map(|b| b.orders).collect(),
        }],
        every,
    );
    revenue.empty |= empty;
    orders.empty |= empty;
    SalesCharts { revenue, orders }
}

#[derive(Template)]
#[template(path = "web/sales.html")]
struct SalesPage {
    chrome: Chrome,
    filter: Filter,
    errors: FormErrors,
    report: Option<SalesReport>,
    charts: Option<SalesCharts>,
    total: String,
    top: Vec<TopLine>,
    low: Vec<LowStock>,
    csv: String,
    xlsx: String,
}

/// `GET /console/sales?period=day|week|month&from=&to=`: bad dates or
/// period are shown next to their field.
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Query(filter): Query<Filter>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let lang = c.chrome.lang;
    let mut errors = FormErrors::new();
    let report = match sales::vendor_report(&state, &c.member, &filter.query()).await {
        Ok(r) => Some(r),
        Err(e) => {
            errors.absorb(
                e,
                &[
                    ("invalid_period", "period"),
                    ("invalid_date", "from"),
                    ("invalid_range", "to"),
                ],
            )?;
            None
        }
    };
    let page = SalesPage {
        charts: report.as_ref().map(|r| sales_charts(&r.buckets, lang)),
        total: report
            .as_ref()
            .map(|r| rupiah(r.total_revenue_idr))
            .unwrap_or_default(),
        top: report
            .as_ref()
            .map(|r| {
                r.top_products
                    .iter()
                    .map(|p| TopLine {
                        product_id: p.product_id.to_string(),
                        name: p.name.clone(),
                        units: p.units,
                        revenue: rupiah(p.revenue_idr),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        low: report
            .as_ref()
            .map(|r| r.low_stock.clone())
            .unwrap_or_default(),
        csv: filter.link("csv"),
        xlsx: filter.link("xlsx"),
        chrome: c.chrome.at("sales"),
        filter,
        errors,
        report,
    };
    if page.errors.is_empty() {
        Ok(render(&page)?.into_response())
    } else {
        invalid(&page)
    }
}

/// `GET /console/sales/export?format=csv|xlsx&...`: the API's download.
pub(super) async fn export(
    State(state): State<AppState>,
    c: Console,
    Query(filter): Query<Filter>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    sales::export(&state, &c.member, &filter.query())
        .await
        .map_err(PageError::from)
}
