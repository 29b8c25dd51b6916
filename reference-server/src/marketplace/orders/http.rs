//! Order routes of buyers (`/api/v1/marketplace/orders...`) and vendors
//! (`/api/v1/marketplace/vendor/orders...`).

use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::flow;
use super::model::{Cancel, Order, OrderGroup, OrderRow, Ship, VendorOrderStatus};
use super::store::{self, MoveDetails};
use super::{checkout, group_view, order_views};
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::domain::{OrderGroupId, VendorOrderId};
use crate::http::{ApiJson, ApiResult, AppError, ok};
use crate::marketplace::buyers::CurrentBuyer;
use crate::marketplace::buyers::model::text_field;
use crate::marketplace::catalog::model::{Actor, ActorKind};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(checkout::checkout))
        .routes(routes!(my_groups))
        .routes(routes!(my_group))
        .routes(routes!(my_order))
        .routes(routes!(buyer_cancel))
        .routes(routes!(confirm_delivery))
        .routes(routes!(vendor_orders))
        .routes(routes!(vendor_order))
        .routes(routes!(ship))
        .routes(routes!(vendor_cancel))
}

fn buyer_actor(buyer: &CurrentBuyer) -> Actor {
    Actor {
        kind: ActorKind::Buyer,
        id: Some(buyer.buyer_id.to_string()),
    }
}

fn member_actor(member: &CurrentMember) -> Actor {
    Actor {
        kind: ActorKind::Member,
        id: Some(member.member_id.to_string()),
    }
}

async fn one(state: &AppState, row: OrderRow) -> Result<Order, AppError> {
    order_views(&state.pool, vec![row])
        .await?
        .pop()
        .ok_or(AppError::NotFound("order"))
}

async fn buyers_order(
    state: &AppState,
    buyer: &CurrentBuyer,
    id: &VendorOrderId,
) -> Result<OrderRow, AppError> {
    store::buyer_order(&state.pool, &buyer.buyer_id, id)
        .await?
        .ok_or(AppError::NotFound("order"))
}

async fn vendors_order(
    state: &AppState,
    member: &CurrentMember,
    id: &VendorOrderId,
) -> Result<OrderRow, AppError> {
    store::vendor_order(&state.pool, member.tenant(), id)
        .await?
        .ok_or(AppError::NotFound("order"))
}

/// The buyer's checkouts with their orders, newest first (up to 100).
#[utoipa::path(get, path = "/api/v1/marketplace/orders", tag = "marketplace",
    security(("buyer_session" = [])),
    responses((status = 200, description = "Checkouts", body = inline(crate::http::Data<Vec<OrderGroup>>))))]
async fn my_groups(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
) -> ApiResult<Vec<OrderGroup>> {
    let mut out = Vec::new();
    for g in store::buyer_groups(&state.pool, &buyer.buyer_id, 100).await? {
        out.push(group_view(&state.pool, g).await?);
    }
    Ok(ok(out))
}

/// One of the buyer's checkouts.
#[utoipa::path(get, path = "/api/v1/marketplace/order-groups/{group_id}", tag = "marketplace",
    security(("buyer_session" = [])),
    params(("group_id" = String, Path, description = "Checkout id")),
    responses((status = 200, description = "The checkout", body = inline(crate::http::Data<OrderGroup>)),
        (status = 404, description = "No such checkout of this buyer", body = crate::http::ErrorBody)))]
async fn my_group(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    Path(group_id): Path<OrderGroupId>,
) -> ApiResult<OrderGroup> {
    let g = store::buyer_group(&state.pool, &buyer.buyer_id, &group_id)
        .await?
        .ok_or(AppError::NotFound("order group"))?;
    Ok(ok(group_view(&state.pool, g).await?))
}

/// One of the buyer's orders.
#[utoipa::path(get, path = "/api/v1/marketplace/orders/{order_id}", tag = "marketplace",
    security(("buyer_session" = [])),
    params(("order_id" = String, Path, description = "Order id")),
    responses((status = 200, description = "The order", body = inline(crate::http::Data<Order>)),
        (status = 404, description = "No such order of this buyer", body = crate::http::ErrorBody)))]
async fn my_order(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    Path(order_id): Path<VendorOrderId>,
) -> ApiResult<Order> {
    let row = buyers_order(&state, &buyer, &order_id).await?;
    Ok(ok(one(&state, row).await?))
}

fn reason(req: &Cancel) -> Result<String, AppError> {
    text_field("reason", &req.reason, 300)
}

/// Cancel an order before it ships; a paid order is refunded and its
/// stock put back.
#[utoipa::path(post, path = "/api/v1/marketplace/orders/{order_id}/cancel", tag = "marketplace",
    security(("buyer_session" = [])),
    params(("order_id" = String, Path, description = "Order id")),
    request_body = Cancel,
    responses((status = 200, description = "Cancelled", body = inline(crate::http::Data<Order>)),
        (status = 404, description = "No such order of this buyer", body = crate::http::ErrorBody),
        (status = 409, description = "Not allowed from its status", body = crate::http::ErrorBody)))]
async fn buyer_cancel(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    Path(order_id): Path<VendorOrderId>,
    ApiJson(req): ApiJson<Cancel>,
) -> ApiResult<Order> {
    let why = reason(&req)?;
    let row = buyers_order(&state, &buyer, &order_id).await?;
    let details = MoveDetails {
        cancel_reason: Some(&why),
        ..MoveDetails::default()
    };
    let moved = flow::transition(
        &state,
        &row,
        VendorOrderStatus::Cancelled,
        &buyer_actor(&buyer),
        &details,
    )
    .await?;
    Ok(ok(one(&state, moved).await?))
}

/// Confirm that a shipped order arrived.
#[utoipa::path(post, path = "/api/v1/marketplace/orders/{order_id}/confirm-delivery", tag = "marketplace",
    security(("buyer_session" = [])),
    params(("order_id" = String, Path, description = "Order id")),
    responses((status = 200, description = "Delivered", body = inline(crate::http::Data<Order>)),
        (status = 404, description = "No such order of this buyer", body = crate::http::ErrorBody),
        (status = 409, description = "Not shipped", body = crate::http::ErrorBody)))]
async fn confirm_delivery(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    Path(order_id): Path<VendorOrderId>,
) -> ApiResult<Order> {
    let row = buyers_order(&state, &buyer, &order_id).await?;
    let moved = flow::transition(
        &state,
        &row,
        VendorOrderStatus::Delivered,
        &buyer_actor(&buyer),
        &MoveDetails::default(),
    )
    .await?;
    Ok(ok(one(&state, moved).await?))
}

/// Filter of the vendor's order list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct OrdersQuery {
    /// Only orders in this status.
    status: Option<VendorOrderStatus>,
}

/// The vendor's orders, newest first (up to 200).
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/orders", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(OrdersQuery),
    responses((status = 200, description = "Orders", body = inline(crate::http::Data<Vec<Order>>))))]
async fn vendor_orders(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<OrdersQuery>,
) -> ApiResult<Vec<Order>> {
    Ok(ok(vendor_list(&state, &member, q.status).await?))
}

/// The vendor's orders, newest first (up to 200), optionally in one
/// status.
pub(crate) async fn vendor_list(
    state: &AppState,
    member: &CurrentMember,
    status: Option<VendorOrderStatus>,
) -> Result<Vec<Order>, AppError> {
    let rows = store::vendor_orders(&state.pool, member.tenant(), status, 200).await?;
    order_views(&state.pool, rows).await
}

/// One of the vendor's orders with its lines and history (404 for
/// another vendor's).
pub(crate) async fn vendor_one(
    state: &AppState,
    member: &CurrentMember,
    order_id: &VendorOrderId,
) -> Result<Order, AppError> {
    let row = vendors_order(state, member, order_id).await?;
    one(state, row).await
}

/// One of the vendor's orders.
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/orders/{order_id}", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("order_id" = String, Path, description = "Order id")),
    responses((status = 200, description = "The order", body = inline(crate::http::Data<Order>)),
        (status = 404, description = "No such order of this vendor", body = crate::http::ErrorBody)))]
async fn vendor_order(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(order_id): Path<VendorOrderId>,
) -> ApiResult<Order> {
    Ok(ok(vendor_one(&state, &member, &order_id).await?))
}

/// Mark a paid order shipped with its courier and tracking number.
#[utoipa::path(post, path = "/api/v1/marketplace/vendor/orders/{order_id}/ship", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("order_id" = String, Path, description = "Order id")),
    request_body = Ship,
    responses((status = 200, description = "Shipped", body = inline(crate::http::Data<Order>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody),
        (status = 404, description = "No such order of this vendor", body = crate::http::ErrorBody),
        (status = 409, description = "Not allowed from its status", body = crate::http::ErrorBody)))]
async fn ship(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(order_id): Path<VendorOrderId>,
    ApiJson(req): ApiJson<Ship>,
) -> ApiResult<Order> {
    Ok(ok(vendor_ship(&state, &member, &order_id, &req).await?))
}

/// Marks one of the vendor's paid orders shipped (agent role) with its
/// courier and tracking number.
pub(crate) async fn vendor_ship(
    state: &AppState,
    member: &CurrentMember,
    order_id: &VendorOrderId,
    req: &Ship,
) -> Result<Order, AppError> {
    member.require(Role::Agent)?;
    let courier = text_field("courier", &req.courier, 60)?;
    let tracking = text_field("tracking_number", &req.tracking_number, 100)?;
    let row = vendors_order(state, member, order_id).await?;
    let details = MoveDetails {
        courier: Some(&courier),
        tracking_number: Some(&tracking),
        cancel_reason: None,
    };
    let moved = flow::transition(
        state,
        &row,
        VendorOrderStatus::Shipped,
        &member_actor(member),
        &details,
    )
    .await?;
    one(state, moved).await
}

/// Cancel an order as the vendor (before shipping); a paid order is
/// refunded and its stock put back.
#[utoipa::path(post, path = "/api/v1/marketplace/vendor/orders/{order_id}/cancel", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("order_id" = String, Path, description = "Order id")),
    request_body = Cancel,
    responses((status = 200, description = "Cancelled", body = inline(crate::http::Data<Order>)),
        (status = 404, description = "No such order of this vendor", body = crate::http::ErrorBody),
        (status = 409, description = "Not allowed from its status", body = crate::http::ErrorBody)))]
async fn vendor_cancel(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(order_id): Path<VendorOrderId>,
    ApiJson(req): ApiJson<Cancel>,
) -> ApiResult<Order> {
    Ok(ok(
        vendor_cancel_order(&state, &member, &order_id, &req).await?
    ))
}

/// Cancels one of the vendor's orders before it ships (admin role); a
/// paid order is refunded and its stock put back.
pub(crate) async fn vendor_cancel_order(
    state: &AppState,
    member: &CurrentMember,
    order_id: &VendorOrderId,
    req: &Cancel,
) -> Result<Order, AppError> {
    member.require(Role::Admin)?;
    let why = reason(req)?;
    let row = vendors_order(state, member, order_id).await?;
    let details = MoveDetails {
        cancel_reason: Some(&why),
        ..MoveDetails::default()
    };
    let moved = flow::transition(
        state,
        &row,
        VendorOrderStatus::Cancelled,
        &member_actor(member),
        &details,
    )
    .await?;
    one(state, moved).await
}
