//! Vendors as the platform manages them: list, one, approve, ban, unban.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{BanRequest, VendorFilter, VendorSubscription, VendorView};
use crate::AppState;
use crate::audit::{self, Action, Entry, TargetKind};
use crate::auth::AdminUser;
use crate::db::now_ms;
use crate::domain::TenantId;
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
}

/// Every vendor (or those in `status`), newest first, with its
/// subscription (also used by the XLSX export).
pub(crate) async fn all_vendors(
    state: &AppState,
    status: Option<TenantStatus>,
) -> Result<Vec<VendorView>, AppError> {
    let vendors = crate::tenants::store::vendors(&state.pool, status).await?;
    let mut subscriptions: HashMap<TenantId, VendorSubscription> =
        crate::billing::store::subscriptions::every_vendor(&state.pool)
            .await?
            .into_iter()
            .map(|s| (s.tenant_id.clone(), s))
            .collect();
    Ok(vendors
        .into_iter()
        .map(|v| {
            let subscription = subscriptions.remove(&v.id);
            VendorView::new(v, subscription)
        })
        .collect())
}

/// One vendor with its subscription (404 when there is none).
pub(crate) async fn load(state: &AppState, tenant: &TenantId) -> Result<VendorView, AppError> {
    let vendor = crate::tenants::store::vendor(&state.pool, tenant)
        .await?
        .ok_or(AppError::NotFound("vendor"))?;
    let subscription = crate::billing::subscriptions::current(&state.pool, tenant)
        .await?
        .map(|s| VendorSubscription {
            tenant_id: tenant.clone(),
            plan_code: s.plan_code,
            status: s.status.as_str().to_owned(),
            expires_at: s.expires_at,
        });
    Ok(VendorView::new(vendor, subscription))
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
    Ok(ok(all_vendors(&state, filter.status).await?))
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
    Path(tenant_id): Path<TenantId>,
) -> ApiResult<VendorView> {
    Ok(ok(load(&state, &tenant_id).await?))
}

/// Moves a vendor to `to` when it is in one of `from` (a no-op when it is
/// already there); 409 `invalid_transition` otherwise.
async fn transition(
    state: &AppState,
    admin: &AdminUser,
    action: Action,
    tenant: &TenantId,
    from: &[TenantStatus],
    to: TenantStatus,
    reason: Option<String>,
) -> Result<VendorView, AppError> {
    let current = load(state, tenant).await?;
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
    let moved = crate::tenants::store::set_status(
        &state.pool,
        tenant,
        current.status,
        to,
        reason.as_deref(),
        now_ms(),
    )
    .await?;
    if moved {
        audit::record(
            state,
            Entry::new(action, admin)
                .tenant(tenant)
                .target(TargetKind::Vendor, tenant)
                .before(serde_json::json!({ "status": current.status }))
                .after(serde_json::json!({ "status": to, "reason": reason })),
        )
        .await?;
    }
    if !moved {
        return Err(AppError::conflict(
            "concurrent_change",
            Text::new(
                "vendor berubah saat diproses; coba lagi",
                "the vendor changed meanwhile; retry",
            ),
        ));
    }
    load(state, tenant).await
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
    admin: AdminUser,
    Path(tenant_id): Path<TenantId>,
) -> ApiResult<VendorView> {
    Ok(ok(approve(&state, &admin, &tenant_id).await?))
}

/// Activates a vendor waiting for approval (409 `invalid_transition`
/// from any other status but active).
pub(crate) async fn approve(
    state: &AppState,
    admin: &AdminUser,
    tenant: &TenantId,
) -> Result<VendorView, AppError> {
    transition(
        state,
        admin,
        Action::VendorApproved,
        tenant,
        &[TenantStatus::PendingApproval],
        TenantStatus::Active,
        None,
    )
    .await
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
    admin: AdminUser,
    Path(tenant_id): Path<TenantId>,
    ApiJson(req): ApiJson<BanRequest>,
) -> ApiResult<VendorView> {
    Ok(ok(ban(&state, &admin, &tenant_id, req.reason).await?))
}

/// Bans a vendor and ends every session of its members (its API keys stop
/// working through the status check).
pub(crate) async fn ban(
    state: &AppState,
    admin: &AdminUser,
    tenant: &TenantId,
    reason: Option<String>,
) -> Result<VendorView, AppError> {
    let view = transition(
        state,
        admin,
        Action::VendorBanned,
        tenant,
        &[
            TenantStatus::Active,
            TenantStatus::PendingApproval,
            TenantStatus::PendingVerification,
        ],
        TenantStatus::Banned,
        reason
            .map(|r| r.trim().chars().take(500).collect::<String>())
            .filter(|r| !r.is_empty()),
    )
    .await?;
    crate::auth::store::revoke_tenant_sessions(&state.pool, tenant).await?;
    Ok(view)
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
    admin: AdminUser,
    Path(tenant_id): Path<TenantId>,
) -> ApiResult<VendorView> {
    Ok(ok(unban(&state, &admin, &tenant_id).await?))
}

/// Lifts a ban (409 `invalid_transition` unless banned or already active).
pub(crate) async fn unban(
    state: &AppState,
    admin: &AdminUser,
    tenant: &TenantId,
) -> Result<VendorView, AppError> {
    transition(
        state,
        admin,
        Action::VendorUnbanned,
        tenant,
        &[TenantStatus::Banned],
        TenantStatus::Active,
        None,
    )
    .await
}
