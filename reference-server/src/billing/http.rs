//! The vendor's billing routes: buy or renew a plan through a Snap
//! transaction, read its orders, its subscription and its usage.

use axum::extract::{Path, State};
use midtrans_client::{CustomerDetails, Idr, ItemDetail, SnapRequest};
use sqlx::AnyPool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::limits::{self, Limit};
use super::model::{NewOrder, OrderView, SubscriptionStatus, UsageView};
use super::store;
use crate::AppState;
use crate::audit::{self, Action, Entry, TargetKind};
use crate::auth::{CurrentMember, Role};
use crate::db::now_ms;
use crate::domain::{OrderId, TenantId};
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, Created, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders, create_order))
        .routes(routes!(get_order))
        .routes(routes!(get_subscription))
}

async fn load(
    pool: &AnyPool,
    tenant_id: &TenantId,
    order_id: &OrderId,
) -> Result<OrderView, AppError> {
    store::orders::get(pool, tenant_id, order_id)
        .await?
        .ok_or(AppError::NotFound("order"))
}

/// Buy or renew a plan: creates an order and a Snap transaction; pay at
/// `redirect_url`. The subscription changes when Midtrans notifies the
/// payment.
#[utoipa::path(post, path = "/api/v1/billing/orders", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    request_body = NewOrder,
    responses(
        (status = 201, description = "Order created", body = inline(crate::http::Data<OrderView>)),
        (status = 400, description = "Plan not available", body = crate::http::ErrorBody),
        (status = 502, description = "Midtrans failed", body = crate::http::ErrorBody),
        (status = 503, description = "Payments not configured", body = crate::http::ErrorBody)))]
async fn create_order(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<NewOrder>,
) -> Created<OrderView> {
    Ok(created(place_order(&state, &member, req).await?))
}

/// Creates a pending order for a plan and its Snap transaction (owner or
/// admin): the rules of `POST /api/v1/billing/orders`. The payment is
/// confirmed later by Midtrans' notification.
pub(crate) async fn place_order(
    state: &AppState,
    member: &CurrentMember,
    req: NewOrder,
) -> Result<OrderView, AppError> {
    member.require(Role::Admin)?;
    let client = super::configured(state)?;
    let plan = store::plans::get(&state.pool, &req.plan_id)
        .await?
        .filter(|p| p.active && p.price_idr > 0)
        .ok_or_else(|| {
            AppError::bad_request(
                "plan_unavailable",
                Text::new("paket ini tidak bisa dibeli", "this plan cannot be bought"),
            )
        })?;
    let crate::tenants::model::MemberContact {
        email,
        name,
        tenant_whatsapp: whatsapp,
    } = crate::tenants::store::member_contact(&state.pool, &member.tenant_id, &member.member_id)
        .await?
        .ok_or(AppError::Unauthorized)?;

    let order_id = OrderId::new();
    store::orders::insert_pending(
        &state.pool,
        &order_id,
        &member.tenant_id,
        &plan.id,
        plan.price_idr,
        now_ms(),
    )
    .await?;
    let entry = Entry::by_member(Action::OrderCreated, member)
        .target(TargetKind::Order, &order_id)
        .after(serde_json::json!({
            "plan_id": plan.id, "plan": plan.code, "amount_idr": plan.price_idr,
        }));
    audit::record(state, entry).await?;

    let mid_order = midtrans_client::OrderId::new(order_id.to_string())
        .map_err(|e| AppError::internal_from("order id for Midtrans", e))?;
    let request = SnapRequest::new(mid_order, Idr::new(plan.price_idr))
        .items(vec![
            ItemDetail::new(
                format!("{} ({} hari)", plan.name, plan.duration_days),
                Idr::new(plan.price_idr),
                1,
            )
            .id(plan.code.clone()),
        ])
        .customer(CustomerDetails {
            first_name: Some(name),
            email: Some(email),
            phone: Some(whatsapp),
            ..CustomerDetails::default()
        });
    let snap = match client.create_snap_transaction(&request).await {
        Ok(s) => s,
        Err(e) => {
            // Keep the order for the record, as failed: nothing can pay it.
            store::orders::mark_failed(&state.pool, &order_id, &member.tenant_id, now_ms()).await?;
            return Err(AppError::Upstream(format!("midtrans snap: {e}")));
        }
    };
    store::orders::set_snap(
        &state.pool,
        &order_id,
        &member.tenant_id,
        &snap.token,
        &snap.redirect_url,
        now_ms(),
    )
    .await?;
    load(&state.pool, &member.tenant_id, &order_id).await
}

/// The vendor's orders, newest first.
#[utoipa::path(get, path = "/api/v1/billing/orders", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Orders", body = inline(crate::http::Data<Vec<OrderView>>))))]
async fn list_orders(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<OrderView>> {
    Ok(ok(store::orders::list(
        &state.pool,
        Some(&member.tenant_id),
        200,
    )
    .await?))
}

/// One order of the vendor.
#[utoipa::path(get, path = "/api/v1/billing/orders/{order_id}", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    params(("order_id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = inline(crate::http::Data<OrderView>)),
        (status = 404, description = "No such order in this vendor", body = crate::http::ErrorBody)))]
async fn get_order(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(order_id): Path<OrderId>,
) -> ApiResult<OrderView> {
    Ok(ok(load(&state.pool, &member.tenant_id, &order_id).await?))
}

/// The vendor's subscription and usage.
#[utoipa::path(get, path = "/api/v1/billing/subscription", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Subscription", body = inline(crate::http::Data<SubscriptionStatus>))))]
async fn get_subscription(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<SubscriptionStatus> {
    Ok(ok(subscription(&state, &member.tenant_id).await?))
}

/// A vendor's subscription and its usage against the plan's limits.
pub async fn subscription(
    state: &AppState,
    tenant: &TenantId,
) -> Result<SubscriptionStatus, AppError> {
    let subscription = store::subscriptions::current(&state.pool, tenant).await?;
    let (pool, t) = (&state.pool, tenant);
    Ok(SubscriptionStatus {
        subscription,
        usage: UsageView {
            devices: (state.services.hooks.device_count)(pool, t).await?,
            contacts: (state.services.hooks.contact_count)(pool, t).await?,
            messages_this_month: limits::usage(pool, t, Limit::MessagesPerMonth).await?,
            ai_requests_this_month: limits::usage(pool, t, Limit::AiRequestsPerMonth).await?,
        },
    })
}
