//! Plans: name, price in rupiah, duration and limits (the public list and
//! the admin's routes).

use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use super::model::{Plan, PlanInput};
use super::store;
use super::store::plans::NewPlan;
use crate::AppState;
use crate::audit::{self, Action, Entry, TargetKind};
use crate::auth::AdminUser;
use crate::db::now_ms;
use crate::domain::PlanId;
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, ConstraintExt, Created, ResultExt, created, ok};

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

/// A plan by id (see [`store::plans::get`]).
pub async fn get(pool: &sqlx::AnyPool, plan_id: &PlanId) -> Result<Option<Plan>, sqlx::Error> {
    store::plans::get(pool, plan_id).await
}

/// A plan by code (see [`store::plans::by_code`]).
pub async fn by_code(pool: &sqlx::AnyPool, code: &str) -> Result<Option<Plan>, sqlx::Error> {
    store::plans::by_code(pool, code).await
}

/// Plans offered to vendors (no login needed).
#[utoipa::path(get, path = "/api/v1/plans", tag = "billing",
    responses((status = 200, description = "Active plans", body = inline(crate::http::Data<Vec<Plan>>))))]
async fn list_plans(State(state): State<AppState>) -> ApiResult<Vec<Plan>> {
    Ok(ok(store::plans::list(&state.pool, true).await?))
}

/// Every plan, including inactive ones.
#[utoipa::path(get, path = "/api/v1/admin/plans", tag = "admin",
    security(("admin_session" = [])),
    responses((status = 200, description = "All plans", body = inline(crate::http::Data<Vec<Plan>>))))]
async fn admin_list_plans(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Vec<Plan>> {
    Ok(ok(store::plans::list(&state.pool, false).await?))
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

fn code_taken() -> Text {
    Text::new(
        "sudah ada paket dengan kode ini",
        "a plan with this code exists",
    )
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
    admin: AdminUser,
    ApiJson(input): ApiJson<PlanInput>,
) -> Created<Plan> {
    Ok(created(create(&state, &admin, input).await?))
}

/// Creates a plan from a complete input: the rules of
/// `POST /api/v1/admin/plans`.
pub(crate) async fn create(
    state: &AppState,
    admin: &AdminUser,
    input: PlanInput,
) -> Result<Plan, AppError> {
    validate(&input)?;
    let plan = NewPlan {
        code: input.code.ok_or_else(|| missing("code"))?,
        name: input
            .name
            .map(|n| n.trim().to_owned())
            .ok_or_else(|| missing("name"))?,
        price_idr: input.price_idr.ok_or_else(|| missing("price_idr"))?,
        duration_days: input
            .duration_days
            .ok_or_else(|| missing("duration_days"))?,
        max_devices: input.max_devices.ok_or_else(|| missing("max_devices"))?,
        max_contacts: input.max_contacts.ok_or_else(|| missing("max_contacts"))?,
        max_messages_per_month: input
            .max_messages_per_month
            .ok_or_else(|| missing("max_messages_per_month"))?,
        max_ai_requests_per_month: input
            .max_ai_requests_per_month
            .ok_or_else(|| missing("max_ai_requests_per_month"))?,
        active: input.active.unwrap_or(true),
    };
    let id = PlanId::new();
    store::plans::insert(&state.pool, &id, &plan, now_ms())
        .await
        .on_unique("code_taken", code_taken())?;
    let created = store::plans::get(&state.pool, &id)
        .await?
        .ok_or(AppError::NotFound("plan"))?;
    let entry = Entry::new(Action::PlanCreated, admin)
        .target(TargetKind::Plan, &id)
        .after(serde_json::to_value(&created).context("plan as JSON")?);
    audit::record(state, entry).await?;
    Ok(created)
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
    Path(plan_id): Path<PlanId>,
) -> ApiResult<Plan> {
    Ok(ok(store::plans::get(&state.pool, &plan_id)
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
    admin: AdminUser,
    Path(plan_id): Path<PlanId>,
    ApiJson(input): ApiJson<PlanInput>,
) -> ApiResult<Plan> {
    Ok(ok(update(&state, &admin, &plan_id, input).await?))
}

/// Changes the given fields of a plan: the rules of
/// `PATCH /api/v1/admin/plans/{id}`.
pub(crate) async fn update(
    state: &AppState,
    admin: &AdminUser,
    plan_id: &PlanId,
    input: PlanInput,
) -> Result<Plan, AppError> {
    validate(&input)?;
    let before = store::plans::get(&state.pool, plan_id).await?;
    let found = store::plans::update(&state.pool, plan_id, input, now_ms())
        .await
        .on_unique("code_taken", code_taken())?;
    if !found {
        return Err(AppError::NotFound("plan"));
    }
    let after = store::plans::get(&state.pool, plan_id)
        .await?
        .ok_or(AppError::NotFound("plan"))?;
    let entry = Entry::new(Action::PlanUpdated, admin)
        .target(TargetKind::Plan, plan_id)
        .before(serde_json::to_value(&before).context("plan as JSON")?)
        .after(serde_json::to_value(&after).context("plan as JSON")?);
    audit::record(state, entry).await?;
    Ok(after)
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
    admin: AdminUser,
    Path(plan_id): Path<PlanId>,
) -> ApiResult<Plan> {
    let plan = store::plans::get(&state.pool, &plan_id)
        .await?
        .ok_or(AppError::NotFound("plan"))?;
    if !store::plans::delete_unused(&state.pool, &plan_id).await? {
        return Err(AppError::conflict(
            "plan_in_use",
            Text::new(
                "paket ini sudah punya pesanan atau langganan; nonaktifkan saja",
                "the plan has orders or subscriptions; deactivate it instead",
            ),
        ));
    }
    let entry = Entry::new(Action::PlanDeleted, &admin)
        .target(TargetKind::Plan, &plan_id)
        .before(serde_json::to_value(&plan).context("plan as JSON")?);
    audit::record(&state, entry).await?;
    Ok(ok(plan))
}
