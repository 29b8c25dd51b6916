//! The platform's records for admins: orders and payments of every vendor,
//! the XLSX exports, the platform sender's simulator outbox and health.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use whatsapp_client::Provider as _;

use super::{AdminConsole, rupiah, when};
use crate::AppState;
use crate::config::PlatformProvider;
use crate::db::DbKind;
use crate::domain::TenantId;
use crate::http::AppError;
use crate::tenants::TenantStatus;
use crate::web::page::{Chrome, PageResult, render};
use crate::web::public::{OutboxRow, message_text, time_text};

/// An order as the admin list shows it.
struct OrderRow {
    id: String,
    vendor: String,
    tenant_id: TenantId,
    plan: String,
    amount: String,
    status: &'static str,
    created: String,
    paid: String,
}

/// A payment notification as the admin list shows it.
struct PaymentRow {
    order_id: String,
    vendor: String,
    outcome: String,
    method: String,
    amount: String,
    received: String,
}

#[derive(Template)]
#[template(path = "web/admin/orders.html")]
struct OrdersPage {
    chrome: Chrome,
    vendor: Option<String>,
    orders: Vec<OrderRow>,
    payments: Vec<PaymentRow>,
}

#[derive(Debug, Deserialize)]
pub(super) struct VendorFilter {
    #[serde(default)]
    tenant_id: Option<TenantId>,
}

/// `GET /admin/orders?tenant_id=`: orders and payment notifications of
/// every vendor (or of one), newest first.
pub(super) async fn orders(
    State(state): State<AppState>,
    a: AdminConsole,
    Query(f): Query<VendorFilter>,
) -> PageResult {
    let tenant = f.tenant_id.filter(|t| !t.as_str().is_empty());
    let names = crate::tenants::store::names(&state.pool).await?;
    let name_of = |t: &TenantId| names.get(t).cloned().unwrap_or_else(|| t.to_string());
    let plans: HashMap<String, String> = crate::billing::store::plans::list(&state.pool, false)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.code))
        .collect();
    let orders = crate::billing::store::orders::list(
        &state.pool,
        tenant.as_ref().map(TenantId::as_str),
        500,
    )
    .await?
    .into_iter()
    .map(|o| OrderRow {
        id: o.id.to_string(),
        vendor: name_of(&o.tenant_id),
        plan: plans
            .get(o.plan_id.as_str())
            .cloned()
            .unwrap_or_else(|| o.plan_id.to_string()),
        amount: rupiah(o.amount_idr),
        status: o.status.as_str(),
        created: when(Some(o.created_at)),
        paid: when(o.paid_at),
        tenant_id: o.tenant_id,
    })
    .collect();
    let payments = crate::billing::store::orders::payments(&state.pool, tenant.as_ref())
        .await?
        .into_iter()
        .map(|p| PaymentRow {
            order_id: p.order_id.to_string(),
            vendor: name_of(&p.tenant_id),
            outcome: p.outcome,
            method: p.payment_type.unwrap_or_default(),
            amount: p.gross_amount,
            received: when(Some(p.received_at)),
        })
        .collect();
    Ok(render(&OrdersPage {
        chrome: a.chrome.at("admin-orders"),
        vendor: tenant.as_ref().map(name_of),
        orders,
        payments,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "web/admin/exports.html")]
struct ExportsPage {
    chrome: Chrome,
}

/// `GET /admin/exports`.
pub(super) async fn exports(a: AdminConsole) -> PageResult {
    Ok(render(&ExportsPage {
        chrome: a.chrome.at("admin-exports"),
    })?
    .into_response())
}

/// `GET /admin/exports/{vendors|subscriptions}.xlsx`: the workbooks of
/// `/api/v1/admin/exports/...`.
pub(super) async fn download(
    State(state): State<AppState>,
    a: AdminConsole,
    Path(file): Path<String>,
) -> PageResult {
    match file.as_str() {
        "vendors.xlsx" => Ok(crate::admin::export::vendors_workbook(&state, &a.admin).await?),
        "subscriptions.xlsx" => {
            Ok(crate::admin::export::subscriptions_workbook(&state, &a.admin).await?)
        }
        _ => Err(AppError::NotFound("export").into()),
    }
}

#[derive(Template)]
#[template(path = "web/admin/outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    messages: Vec<OutboxRow>,
}

/// `GET /admin/outbox`: every message the platform's simulator "sent"
/// (as `GET /api/v1/admin/simulator/outbox`); only on the embedded
/// default, where the platform sender is the simulator.
pub(super) async fn outbox(State(state): State<AppState>, a: AdminConsole) -> PageResult {
    if !a.chrome.simulator {
        return Err(AppError::NotFound("simulator outbox").into());
    }
    let messages = crate::simulator::list(&state.pool, None, None, None, 200)
        .await?
        .into_iter()
        .map(|m| OutboxRow {
            to: m.to,
            text: message_text(&m.message),
            at: time_text(m.created_at),
        })
        .collect();
    Ok(render(&OutboxPage {
        chrome: a.chrome.at("admin-outbox"),
        messages,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "web/admin/health.html")]
struct HealthPage {
    chrome: Chrome,
    database_ok: bool,
    database_ms: String,
    database: &'static str,
    sender: String,
    simulator: bool,
    payments: bool,
    require_approval: bool,
    version: &'static str,
    vendors: Vec<(&'static str, &'static str, usize)>,
}

/// `GET /admin/health`: whether the database answers (the readiness
/// probe's check) and how the platform is set up.
pub(super) async fn health(State(state): State<AppState>, a: AdminConsole) -> PageResult {
    let lang = a.chrome.lang;
    let started = Instant::now();
    let ready = crate::http::health::database_ready(&state).await;
    let database_ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1e3);
    if let Err(e) = &ready {
        tracing::warn!(error = %e, "health page: the database does not answer");
    }
    let mut vendors = Vec::new();
    if ready.is_ok() {
        let all = crate::tenants::store::vendors(&state.pool, None).await?;
        for status in [
            TenantStatus::Active,
            TenantStatus::PendingApproval,
            TenantStatus::PendingVerification,
            TenantStatus::Banned,
            TenantStatus::Deleted,
        ] {
            let (label, class) = super::vendors::status_badge(status, lang);
            vendors.push((
                label,
                class,
                all.iter().filter(|v| v.status == status).count(),
            ));
        }
    }
    let provider = state.services.platform_sender.provider();
    Ok(render(&HealthPage {
        chrome: a.chrome.at("admin-health"),
        database_ok: ready.is_ok(),
        database_ms,
        database: match state.db {
            DbKind::Sqlite => "SQLite",
            DbKind::Postgres => "PostgreSQL",
        },
        sender: state.services.platform_sender.kind().to_owned(),
        simulator: provider == PlatformProvider::Simulator,
        payments: state.services.midtrans.is_some(),
        require_approval: state.config.require_approval,
        version: env!("CARGO_PKG_VERSION"),
        vendors,
    })?
    .into_response())
}
