//! Orders: a vendor buys or renews a plan through a Snap transaction.

use axum::extract::{Path, State};
use midtrans_client::{CustomerDetails, Idr, ItemDetail, OrderId, SnapRequest};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::limits::{self, Limit};
use super::subscriptions::{self, SubscriptionView};
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::db::{new_id, now_ms};
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, Created, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders, create_order))
        .routes(routes!(get_order))
        .routes(routes!(get_subscription))
}

/// An order for a plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    /// Id (also the Midtrans `order_id`).
    pub id: String,
    /// The vendor.
    pub tenant_id: String,
    /// The plan bought.
    pub plan_id: String,
    /// Amount in rupiah.
    pub amount_idr: i64,
    /// `pending`, `challenge`, `paid`, `failed` or `refunded`.
    pub status: String,
    /// Snap token for the Snap JS pop-up.
    pub snap_token: Option<String>,
    /// Snap payment page.
    pub redirect_url: Option<String>,
    /// Midtrans transaction id once known.
    pub transaction_id: Option<String>,
    /// Payment method once known, e.g. `bank_transfer`, `qris`.
    pub payment_type: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub paid_at: Option<i64>,
}

/// Columns of [`OrderView`], in order.
pub(crate) const ORDER_COLUMNS: &str = "id, tenant_id, plan_id, amount_idr, status, snap_token, \
    redirect_url, transaction_id, payment_type, created_at, paid_at";

/// A row of [`ORDER_COLUMNS`].
pub(crate) type OrderRow = (
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
);

/// Builds the view from a row.
pub(crate) fn order_view(r: OrderRow) -> OrderView {
    OrderView {
        id: r.0,
        tenant_id: r.1,
        plan_id: r.2,
        amount_idr: r.3,
        status: r.4,
        snap_token: r.5,
        redirect_url: r.6,
        transaction_id: r.7,
        payment_type: r.8,
        created_at: r.9,
        paid_at: r.10,
    }
}

async fn load(pool: &AnyPool, tenant_id: &str, order_id: &str) -> Result<OrderView, AppError> {
    let row: Option<OrderRow> = sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(order_id)
    .bind(tenant_id)
    .fetch_optional(pool)
    .await?;
    Ok(order_view(row.ok_or(AppError::NotFound("order"))?))
}

/// The plan to buy.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrder {
    /// Plan id (from `GET /api/v1/plans`).
    pub plan_id: String,
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
    member.require(Role::Admin)?;
    let client = super::configured(&state)?;
    let plan = super::plans::get(&state.pool, &req.plan_id)
        .await?
        .filter(|p| p.active && p.price_idr > 0)
        .ok_or_else(|| {
            AppError::bad_request(
                "plan_unavailable",
                Text::new("paket ini tidak bisa dibeli", "this plan cannot be bought"),
            )
        })?;
    let (email, name, whatsapp): (String, String, String) = sqlx::query_as(
        "SELECT m.email, m.name, t.whatsapp FROM members m JOIN tenants t ON t.id = m.tenant_id \
         WHERE m.id = $1 AND m.tenant_id = $2",
    )
    .bind(&member.member_id)
    .bind(&member.tenant_id)
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::Unauthorized)?;

    let order_id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO orders (id, tenant_id, plan_id, amount_idr, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $5)",
    )
    .bind(&order_id)
    .bind(&member.tenant_id)
    .bind(&plan.id)
    .bind(plan.price_idr)
    .bind(now)
    .execute(&state.pool)
    .await?;

    let mid_order = OrderId::new(order_id.clone()).map_err(AppError::internal)?;
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
            sqlx::query("UPDATE orders SET status = 'failed', updated_at = $1 WHERE id = $2 AND tenant_id = $3")
                .bind(now_ms())
                .bind(&order_id)
                .bind(&member.tenant_id)
                .execute(&state.pool)
                .await?;
            return Err(AppError::Upstream(format!("midtrans snap: {e}")));
        }
    };
    sqlx::query(
        "UPDATE orders SET snap_token = $1, redirect_url = $2, updated_at = $3 WHERE id = $4 AND tenant_id = $5",
    )
    .bind(&snap.token)
    .bind(&snap.redirect_url)
    .bind(now_ms())
    .bind(&order_id)
    .bind(&member.tenant_id)
    .execute(&state.pool)
    .await?;
    Ok(created(
        load(&state.pool, &member.tenant_id, &order_id).await?,
    ))
}

/// The vendor's orders, newest first.
#[utoipa::path(get, path = "/api/v1/billing/orders", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Orders", body = inline(crate::http::Data<Vec<OrderView>>))))]
async fn list_orders(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<OrderView>> {
    let rows: Vec<OrderRow> = sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200"
    ))
    .bind(&member.tenant_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(ok(rows.into_iter().map(order_view).collect()))
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
    Path(order_id): Path<String>,
) -> ApiResult<OrderView> {
    Ok(ok(load(&state.pool, &member.tenant_id, &order_id).await?))
}

/// Usage of one limit.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    /// Devices connected.
    pub devices: i64,
    /// Contacts stored.
    pub contacts: i64,
    /// Messages sent this month.
    pub messages_this_month: i64,
    /// AI requests this month.
    pub ai_requests_this_month: i64,
}

/// The subscription and this month's usage.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionStatus {
    /// The current subscription, `None` if the vendor never had one.
    pub subscription: Option<SubscriptionView>,
    /// Usage counters.
    pub usage: UsageView,
}

/// The vendor's subscription and usage.
#[utoipa::path(get, path = "/api/v1/billing/subscription", tag = "billing",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Subscription", body = inline(crate::http::Data<SubscriptionStatus>))))]
async fn get_subscription(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<SubscriptionStatus> {
    let subscription = subscriptions::current(&state.pool, &member.tenant_id).await?;
    let t = &member.tenant_id;
    Ok(ok(SubscriptionStatus {
        subscription,
        usage: UsageView {
            devices: limits::usage(&state.pool, t, Limit::Devices).await?,
            contacts: limits::usage(&state.pool, t, Limit::Contacts).await?,
            messages_this_month: limits::usage(&state.pool, t, Limit::MessagesPerMonth).await?,
            ai_requests_this_month: limits::usage(&state.pool, t, Limit::AiRequestsPerMonth)
                .await?,
        },
    }))
}
