//! Admin: vendors (list, approve, ban, unban), orders, payments, simulator
//! outbox of the platform sender.

// The `#[utoipa::path]` expansion for `IntoParams` query types names them
// in full, which trips this lint on the handler signatures.
#![allow(unused_qualifications)]

use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::AdminUser;
use crate::auth::session;
use crate::billing::OrderView;
use crate::db::now_ms;
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, ok};
use crate::tenants::TenantStatus;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_vendors))
        .routes(routes!(get_vendor))
        .routes(routes!(approve_vendor))
        .routes(routes!(ban_vendor))
        .routes(routes!(unban_vendor))
        .routes(routes!(list_orders))
        .routes(routes!(list_payments))
        .routes(routes!(platform_outbox))
}

/// A vendor as the platform sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VendorView {
    /// Id.
    pub id: String,
    /// Business name.
    pub name: String,
    /// WhatsApp number.
    pub whatsapp: String,
    /// Owner's email.
    pub owner_email: Option<String>,
    /// Status.
    pub status: TenantStatus,
    /// Reason given at the ban.
    pub ban_reason: Option<String>,
    /// Current plan code.
    pub plan_code: Option<String>,
    /// Subscription status (`active` / `expired`).
    pub subscription_status: Option<String>,
    /// Subscription expiry, unix ms.
    pub subscription_expires_at: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
}

const VENDOR_SELECT: &str = "SELECT t.id, t.name, t.whatsapp, \
    (SELECT m.email FROM members m WHERE m.tenant_id = t.id AND m.role = 'owner'), \
    t.status, t.ban_reason, p.code, s.status, s.expires_at, t.created_at \
    FROM tenants t LEFT JOIN subscriptions s ON s.tenant_id = t.id LEFT JOIN plans p ON p.id = s.plan_id";

type VendorRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

fn vendor_view(r: VendorRow) -> Result<VendorView, AppError> {
    Ok(VendorView {
        id: r.0,
        name: r.1,
        whatsapp: r.2,
        owner_email: r.3,
        status: TenantStatus::parse(&r.4)
            .ok_or_else(|| AppError::internal("unknown tenant status"))?,
        ban_reason: r.5,
        plan_code: r.6,
        subscription_status: r.7,
        subscription_expires_at: r.8,
        created_at: r.9,
    })
}

/// Every vendor, newest first (also used by the XLSX export).
pub(crate) async fn all_vendors(
    state: &AppState,
    status: Option<&str>,
) -> Result<Vec<VendorView>, AppError> {
    let rows: Vec<VendorRow> = sqlx::query_as(&format!(
        "{VENDOR_SELECT} WHERE ($1 IS NULL OR t.status = $1) ORDER BY t.created_at DESC, t.id DESC"
    ))
    .bind(status.map(str::to_owned))
    .fetch_all(&state.pool)
    .await?;
    rows.into_iter().map(vendor_view).collect()
}

async fn load(state: &AppState, tenant_id: &str) -> Result<VendorView, AppError> {
    let row: Option<VendorRow> = sqlx::query_as(&format!("{VENDOR_SELECT} WHERE t.id = $1"))
        .bind(tenant_id)
        .fetch_optional(&state.pool)
        .await?;
    vendor_view(row.ok_or(AppError::NotFound("vendor"))?)
}

/// Filter of the vendor list.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct VendorFilter {
    /// Only vendors in this status.
    status: Option<TenantStatus>,
}

/// List vendors.
#[utoipa::path(get, path = "/api/v1/admin/vendors", tag = "admin",
    security(("admin_session" = [])),
    params(VendorFilter),
    responses((status = 200, description = "Vendors", body = inline(crate::http::Data<Vec<VendorView>>))))]
async fn list_vendors(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(filter): Query<VendorFilter>,
) -> ApiResult<Vec<VendorView>> {
    Ok(ok(all_vendors(
        &state,
        filter.status.map(TenantStatus::as_str),
    )
    .await?))
}

/// One vendor.
#[utoipa::path(get, path = "/api/v1/admin/vendors/{tenant_id}", tag = "admin",
    security(("admin_session" = [])),
    params(("tenant_id" = String, Path, description = "Vendor id")),
    responses(
        (status = 200, description = "The vendor", body = inline(crate::http::Data<VendorView>)),
        (status = 404, description = "No such vendor", body = crate::http::ErrorBody)))]
async fn get_vendor(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(tenant_id): Path<String>,
) -> ApiResult<VendorView> {
    Ok(ok(load(&state, &tenant_id).await?))
}

async fn transition(
    state: &AppState,
    tenant_id: &str,
    from: &[TenantStatus],
    to: TenantStatus,
    reason: Option<String>,
) -> Result<VendorView, AppError> {
    let current = load(state, tenant_id).await?;
    if current.status == to {
        return Ok(current);
    }
    if !from.contains(&current.status) {
        return Err(AppError::conflict("invalid_transition", {
            let (from, to) = (current.status.as_str(), to.as_str());
            tr!(
                "vendor berstatus {from} tidak bisa menjadi {to}",
                "a vendor in status {from} cannot become {to}"
            )
        }));
    }
    let done = sqlx::query(
        "UPDATE tenants SET status = $1, ban_reason = $2, updated_at = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(now_ms())
    .bind(tenant_id)
    .bind(current.status.as_str())
    .execute(&state.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict(
            "concurrent_change",
            Text::new(
                "vendor berubah saat diproses; coba lagi",
                "the vendor changed meanwhile; retry",
            ),
        ));
    }
    load(state, tenant_id).await
}

/// Approve a vendor waiting for approval.
#[utoipa::path(post, path = "/api/v1/admin/vendors/{tenant_id}/approve", tag = "admin",
    security(("admin_session" = [])),
    params(("tenant_id" = String, Path, description = "Vendor id")),
    responses(
        (status = 200, description = "Active", body = inline(crate::http::Data<VendorView>)),
        (status = 409, description = "Not pending approval", body = crate::http::ErrorBody)))]
async fn approve_vendor(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(tenant_id): Path<String>,
) -> ApiResult<VendorView> {
    Ok(ok(transition(
        &state,
        &tenant_id,
        &[TenantStatus::PendingApproval],
        TenantStatus::Active,
        None,
    )
    .await?))
}

/// Why a vendor is banned.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct BanRequest {
    /// Shown to platform admins.
    reason: Option<String>,
}

/// Ban a vendor: its members cannot log in, its sessions and API keys stop
/// working, its bots stop; its data stays.
#[utoipa::path(post, path = "/api/v1/admin/vendors/{tenant_id}/ban", tag = "admin",
    security(("admin_session" = [])),
    params(("tenant_id" = String, Path, description = "Vendor id")),
    request_body = BanRequest,
    responses(
        (status = 200, description = "Banned", body = inline(crate::http::Data<VendorView>)),
        (status = 404, description = "No such vendor", body = crate::http::ErrorBody)))]
async fn ban_vendor(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(tenant_id): Path<String>,
    ApiJson(req): ApiJson<BanRequest>,
) -> ApiResult<VendorView> {
    let view = transition(
        &state,
        &tenant_id,
        &[
            TenantStatus::Active,
            TenantStatus::PendingApproval,
            TenantStatus::PendingVerification,
        ],
        TenantStatus::Banned,
        req.reason.map(|r| r.chars().take(500).collect()),
    )
    .await?;
    session::revoke_tenant(&state.pool, &tenant_id).await?;
    Ok(ok(view))
}

/// Lift a ban; the vendor is active again (API keys work again, sessions
/// must log in anew).
#[utoipa::path(post, path = "/api/v1/admin/vendors/{tenant_id}/unban", tag = "admin",
    security(("admin_session" = [])),
    params(("tenant_id" = String, Path, description = "Vendor id")),
    responses(
        (status = 200, description = "Active", body = inline(crate::http::Data<VendorView>)),
        (status = 409, description = "Not banned", body = crate::http::ErrorBody)))]
async fn unban_vendor(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(tenant_id): Path<String>,
) -> ApiResult<VendorView> {
    Ok(ok(transition(
        &state,
        &tenant_id,
        &[TenantStatus::Banned],
        TenantStatus::Active,
        None,
    )
    .await?))
}

/// Filter by vendor.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct TenantFilter {
    /// Only this vendor.
    tenant_id: Option<String>,
}

/// Orders of every vendor, newest first (at most 500).
#[utoipa::path(get, path = "/api/v1/admin/orders", tag = "admin",
    security(("admin_session" = [])),
    params(TenantFilter),
    responses((status = 200, description = "Orders", body = inline(crate::http::Data<Vec<OrderView>>))))]
async fn list_orders(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(filter): Query<TenantFilter>,
) -> ApiResult<Vec<OrderView>> {
    Ok(ok(crate::billing::store::orders::list(
        &state.pool,
        filter.tenant_id.as_deref(),
        500,
    )
    .await?))
}

/// A verified payment notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    /// Id.
    pub id: String,
    /// Our order.
    pub order_id: String,
    /// The vendor.
    pub tenant_id: String,
    /// Midtrans transaction id.
    pub transaction_id: String,
    /// Midtrans `transaction_status`.
    pub transaction_status: String,
    /// Classification: `paid`, `pending`, `challenge`, `failed`, `refunded`.
    pub outcome: String,
    /// Payment method.
    pub payment_type: Option<String>,
    /// Amount as Midtrans sent it.
    pub gross_amount: String,
    /// Unix milliseconds.
    pub received_at: i64,
}

/// Payment notifications of every vendor, newest first (at most 500).
#[utoipa::path(get, path = "/api/v1/admin/payments", tag = "admin",
    security(("admin_session" = [])),
    params(TenantFilter),
    responses((status = 200, description = "Payments", body = inline(crate::http::Data<Vec<PaymentView>>))))]
async fn list_payments(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(filter): Query<TenantFilter>,
) -> ApiResult<Vec<PaymentView>> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, order_id, tenant_id, transaction_id, transaction_status, outcome, payment_type, \
         gross_amount, received_at FROM payments WHERE ($1 IS NULL OR tenant_id = $1) \
         ORDER BY received_at DESC, id DESC LIMIT 500",
    )
    .bind(filter.tenant_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(ok(rows
        .into_iter()
        .map(|r| PaymentView {
            id: r.0,
            order_id: r.1,
            tenant_id: r.2,
            transaction_id: r.3,
            transaction_status: r.4,
            outcome: r.5,
            payment_type: r.6,
            gross_amount: r.7,
            received_at: r.8,
        })
        .collect()))
}

/// Messages the platform's own sender passed to the simulator (OTP codes,
/// receipts), newest first: how an operator without a real WhatsApp
/// number reads them.
#[utoipa::path(get, path = "/api/v1/admin/simulator/outbox", tag = "admin",
    security(("admin_session" = [])),
    responses((status = 200, description = "Messages", body = inline(crate::http::Data<Vec<crate::simulator::SimMessage>>))))]
async fn platform_outbox(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Vec<crate::simulator::SimMessage>> {
    Ok(ok(crate::simulator::list(
        &state.pool,
        None,
        None,
        None,
        200,
    )
    .await?))
}
