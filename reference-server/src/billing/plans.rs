//! Plans: name, price in rupiah, duration and limits.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::AdminUser;
use crate::db::{is_unique_violation, new_id, now_ms};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, Created, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans))
        .routes(routes!(admin_list_plans, admin_create_plan))
        .routes(routes!(
            admin_get_plan,
            admin_update_plan,
            admin_delete_plan
        ))
}

/// A plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    /// Id.
    pub id: String,
    /// Stable short code, e.g. `basic`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Price in rupiah.
    pub price_idr: i64,
    /// Days added per purchase.
    pub duration_days: i64,
    /// Connected WhatsApp numbers.
    pub max_devices: i64,
    /// Stored contacts.
    pub max_contacts: i64,
    /// Outgoing messages per month.
    pub max_messages_per_month: i64,
    /// LLM requests per month.
    pub max_ai_requests_per_month: i64,
    /// Offered to vendors.
    pub active: bool,
}

const COLUMNS: &str = "id, code, name, price_idr, duration_days, max_devices, max_contacts, \
    max_messages_per_month, max_ai_requests_per_month, active";

type PlanRow = (String, String, String, i64, i64, i64, i64, i64, i64, i64);

fn from_row(r: PlanRow) -> Plan {
    Plan {
        id: r.0,
        code: r.1,
        name: r.2,
        price_idr: r.3,
        duration_days: r.4,
        max_devices: r.5,
        max_contacts: r.6,
        max_messages_per_month: r.7,
        max_ai_requests_per_month: r.8,
        active: r.9 != 0,
    }
}

/// A plan by id.
pub async fn get(pool: &AnyPool, plan_id: &str) -> Result<Option<Plan>, sqlx::Error> {
    let row: Option<PlanRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM plans WHERE id = $1"))
            .bind(plan_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(from_row))
}

/// A plan by code.
pub async fn by_code(pool: &AnyPool, code: &str) -> Result<Option<Plan>, sqlx::Error> {
    let row: Option<PlanRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM plans WHERE code = $1"))
            .bind(code)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(from_row))
}

async fn list(pool: &AnyPool, only_active: bool) -> Result<Vec<Plan>, sqlx::Error> {
    let rows: Vec<PlanRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM plans WHERE active = 1 OR $1 = 0 ORDER BY price_idr, code"
    ))
    .bind(i64::from(only_active))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Plans offered to vendors (no login needed).
#[utoipa::path(get, path = "/api/v1/plans", tag = "billing",
    responses((status = 200, description = "Active plans", body = inline(crate::http::Data<Vec<Plan>>))))]
async fn list_plans(State(state): State<AppState>) -> ApiResult<Vec<Plan>> {
    Ok(ok(list(&state.pool, true).await?))
}

/// Every plan, including inactive ones.
#[utoipa::path(get, path = "/api/v1/admin/plans", tag = "admin",
    security(("admin_session" = [])),
    responses((status = 200, description = "All plans", body = inline(crate::http::Data<Vec<Plan>>))))]
async fn admin_list_plans(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Vec<Plan>> {
    Ok(ok(list(&state.pool, false).await?))
}

/// Fields of a plan (create: all required; update: any subset).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PlanInput {
    /// Short code, `[a-z0-9-]`, unique.
    pub code: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Price in rupiah (0 allowed for free plans; Midtrans needs >= 1 to pay).
    pub price_idr: Option<i64>,
    /// Days per purchase (1..=3660).
    pub duration_days: Option<i64>,
    /// Devices (>= 0).
    pub max_devices: Option<i64>,
    /// Contacts (>= 0).
    pub max_contacts: Option<i64>,
    /// Messages per month (>= 0).
    pub max_messages_per_month: Option<i64>,
    /// AI requests per month (>= 0).
    pub max_ai_requests_per_month: Option<i64>,
    /// Offered to vendors.
    pub active: Option<bool>,
}

fn validate(input: &PlanInput) -> Result<(), AppError> {
    if let Some(code) = &input.code
        && (code.is_empty()
            || code.len() > 40
            || !code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        return Err(AppError::bad_request(
            "invalid_code",
            Text::new(
                "kode harus 1-40 karakter [a-z0-9-]",
                "the code must be 1-40 of [a-z0-9-]",
            ),
        ));
    }
    if let Some(name) = &input.name {
        crate::tenants::validate_name(name)?;
    }
    if input
        .price_idr
        .is_some_and(|p| !(0..=1_000_000_000_000).contains(&p))
    {
        return Err(AppError::bad_request(
            "invalid_price",
            Text::new(
                "harga harus 0 rupiah atau lebih",
                "the price must be 0 or more rupiah",
            ),
        ));
    }
    if input
        .duration_days
        .is_some_and(|d| !(1..=3660).contains(&d))
    {
        return Err(AppError::bad_request(
            "invalid_duration",
            Text::new(
                "durasi harus 1 sampai 3660 hari",
                "the duration must be 1 to 3660 days",
            ),
        ));
    }
    for v in [
        input.max_devices,
        input.max_contacts,
        input.max_messages_per_month,
        input.max_ai_requests_per_month,
    ]
    .into_iter()
    .flatten()
    {
        if v < 0 {
            return Err(AppError::bad_request(
                "invalid_limit",
                Text::new("batas harus 0 atau lebih", "limits must be 0 or more"),
            ));
        }
    }
    Ok(())
}

fn missing(field: &'static str) -> AppError {
    AppError::bad_request(
        "missing_field",
        tr!("`{field}` wajib diisi", "`{field}` is required"),
    )
}

fn map_conflict(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e) {
        AppError::conflict(
            "code_taken",
            Text::new(
                "sudah ada paket dengan kode ini",
                "a plan with this code exists",
            ),
        )
    } else {
        e.into()
    }
}

/// Create a plan.
#[utoipa::path(post, path = "/api/v1/admin/plans", tag = "admin",
    security(("admin_session" = [])),
    request_body = PlanInput,
    responses(
        (status = 201, description = "Created", body = inline(crate::http::Data<Plan>)),
        (status = 400, description = "Invalid or missing field", body = crate::http::ErrorBody),
        (status = 409, description = "Code taken", body = crate::http::ErrorBody)))]
async fn admin_create_plan(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiJson(input): ApiJson<PlanInput>,
) -> Created<Plan> {
    validate(&input)?;
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO plans (id, code, name, price_idr, duration_days, max_devices, max_contacts, \
         max_messages_per_month, max_ai_requests_per_month, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(&id)
    .bind(input.code.ok_or_else(|| missing("code"))?)
    .bind(
        input
            .name
            .map(|n| n.trim().to_owned())
            .ok_or_else(|| missing("name"))?,
    )
    .bind(input.price_idr.ok_or_else(|| missing("price_idr"))?)
    .bind(
        input
            .duration_days
            .ok_or_else(|| missing("duration_days"))?,
    )
    .bind(input.max_devices.ok_or_else(|| missing("max_devices"))?)
    .bind(input.max_contacts.ok_or_else(|| missing("max_contacts"))?)
    .bind(
        input
            .max_messages_per_month
            .ok_or_else(|| missing("max_messages_per_month"))?,
    )
    .bind(
        input
            .max_ai_requests_per_month
            .ok_or_else(|| missing("max_ai_requests_per_month"))?,
    )
    .bind(i64::from(input.active.unwrap_or(true)))
    .bind(now)
    .execute(&state.pool)
    .await
    .map_err(map_conflict)?;
    Ok(created(
        get(&state.pool, &id)
            .await?
            .ok_or(AppError::NotFound("plan"))?,
    ))
}

/// One plan.
#[utoipa::path(get, path = "/api/v1/admin/plans/{plan_id}", tag = "admin",
    security(("admin_session" = [])),
    params(("plan_id" = String, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = inline(crate::http::Data<Plan>)),
        (status = 404, description = "No such plan", body = crate::http::ErrorBody)))]
async fn admin_get_plan(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(plan_id): Path<String>,
) -> ApiResult<Plan> {
    Ok(ok(get(&state.pool, &plan_id)
        .await?
        .ok_or(AppError::NotFound("plan"))?))
}

/// Update a plan. Existing subscriptions keep their end date; new limits
/// apply at once.
#[utoipa::path(patch, path = "/api/v1/admin/plans/{plan_id}", tag = "admin",
    security(("admin_session" = [])),
    params(("plan_id" = String, Path, description = "Plan id")),
    request_body = PlanInput,
    responses(
        (status = 200, description = "Updated", body = inline(crate::http::Data<Plan>)),
        (status = 404, description = "No such plan", body = crate::http::ErrorBody)))]
async fn admin_update_plan(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(plan_id): Path<String>,
    ApiJson(input): ApiJson<PlanInput>,
) -> ApiResult<Plan> {
    validate(&input)?;
    let done = sqlx::query(
        "UPDATE plans SET code = COALESCE($1, code), name = COALESCE($2, name), \
         price_idr = COALESCE($3, price_idr), duration_days = COALESCE($4, duration_days), \
         max_devices = COALESCE($5, max_devices), max_contacts = COALESCE($6, max_contacts), \
         max_messages_per_month = COALESCE($7, max_messages_per_month), \
         max_ai_requests_per_month = COALESCE($8, max_ai_requests_per_month), \
         active = COALESCE($9, active), updated_at = $10 WHERE id = $11",
    )
    .bind(input.code)
    .bind(input.name.map(|n| n.trim().to_owned()))
    .bind(input.price_idr)
    .bind(input.duration_days)
    .bind(input.max_devices)
    .bind(input.max_contacts)
    .bind(input.max_messages_per_month)
    .bind(input.max_ai_requests_per_month)
    .bind(input.active.map(i64::from))
    .bind(now_ms())
    .bind(&plan_id)
    .execute(&state.pool)
    .await
    .map_err(map_conflict)?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("plan"));
    }
    Ok(ok(get(&state.pool, &plan_id)
        .await?
        .ok_or(AppError::NotFound("plan"))?))
}

/// Delete a plan that was never ordered; a plan with orders can only be
/// deactivated (`active: false`), so its history stays readable.
#[utoipa::path(delete, path = "/api/v1/admin/plans/{plan_id}", tag = "admin",
    security(("admin_session" = [])),
    params(("plan_id" = String, Path, description = "Plan id")),
    responses(
        (status = 200, description = "Deleted", body = inline(crate::http::Data<Plan>)),
        (status = 404, description = "No such plan", body = crate::http::ErrorBody),
        (status = 409, description = "The plan has orders or subscriptions", body = crate::http::ErrorBody)))]
async fn admin_delete_plan(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(plan_id): Path<String>,
) -> ApiResult<Plan> {
    let plan = get(&state.pool, &plan_id)
        .await?
        .ok_or(AppError::NotFound("plan"))?;
    let done = sqlx::query(
        "DELETE FROM plans WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM orders WHERE plan_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE plan_id = $1)",
    )
    .bind(&plan_id)
    .execute(&state.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict(
            "plan_in_use",
            Text::new(
                "paket ini sudah punya pesanan atau langganan; nonaktifkan saja",
                "the plan has orders or subscriptions; deactivate it instead",
            ),
        ));
    }
    Ok(ok(plan))
}
