//! Platform records across vendors: orders, payments, and the simulator
//! outbox of the platform's own sender.

use axum::extract::{Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{PaymentView, TenantFilter};
use crate::AppState;
use crate::auth::AdminUser;
use crate::billing::OrderView;
use crate::http::{ApiResult, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders))
        .routes(routes!(list_payments))
        .routes(routes!(platform_outbox))
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
    let tenant = filter.tenant_id.as_ref().map(|t| t.as_str());
    Ok(ok(crate::billing::store::orders::list(
        &state.pool,
        tenant,
        500,
    )
    .await?))
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
    Ok(ok(crate::billing::store::orders::payments(
        &state.pool,
        filter.tenant_id.as_ref(),
    )
    .await?))
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
