//! The vendor's own profile.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::TenantStatus;
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::db::now_ms;
use crate::http::{ApiJson, ApiResult, AppError, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_tenant, update_tenant))
}

/// A vendor as its members see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    /// Id.
    pub id: String,
    /// Business name.
    pub name: String,
    /// The vendor's WhatsApp number (E.164).
    pub whatsapp: String,
    /// Status.
    pub status: TenantStatus,
    /// `id` (Indonesian, default) or `en`: language of WhatsApp receipts.
    pub locale: String,
    /// IANA time zone of the business (default `Asia/Jakarta`): the bots'
    /// business hours and the days of keyword statistics use it.
    pub time_zone: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

pub(crate) async fn load(state: &AppState, tenant_id: &str) -> Result<TenantView, AppError> {
    let row: Option<(String, String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, name, whatsapp, status, locale, time_zone, created_at FROM tenants WHERE id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(&state.pool)
    .await?;
    let (id, name, whatsapp, status, locale, time_zone, created_at) =
        row.ok_or(AppError::NotFound("tenant"))?;
    Ok(TenantView {
        id,
        name,
        whatsapp,
        status: TenantStatus::parse(&status)
            .ok_or_else(|| AppError::internal("unknown tenant status"))?,
        locale,
        time_zone,
        created_at,
    })
}

/// The caller's vendor.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "The vendor", body = inline(crate::http::Data<TenantView>))))]
async fn get_tenant(State(state): State<AppState>, member: CurrentMember) -> ApiResult<TenantView> {
    Ok(ok(load(&state, &member.tenant_id).await?))
}

/// Changes to the vendor profile (owner or admin).
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UpdateTenant {
    /// New business name.
    name: Option<String>,
    /// `id` or `en`.
    locale: Option<String>,
    /// IANA time zone, e.g. `Asia/Jakarta`, `Asia/Makassar`, `Asia/Jayapura`.
    time_zone: Option<String>,
}

/// Update the caller's vendor profile.
#[utoipa::path(patch, path = "/api/v1/tenant", tag = "tenant",
    security(("session" = []), ("api_key" = [])),
    request_body = UpdateTenant,
    responses(
        (status = 200, description = "Updated", body = inline(crate::http::Data<TenantView>)),
        (status = 400, description = "Invalid value", body = crate::http::ErrorBody)))]
async fn update_tenant(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<UpdateTenant>,
) -> ApiResult<TenantView> {
    member.require(Role::Admin)?;
    let name = req.name.map(|n| validate_name(&n)).transpose()?;
    let locale = req.locale.map(|l| validate_locale(&l)).transpose()?;
    let time_zone = req.time_zone.map(|t| validate_time_zone(&t)).transpose()?;
    sqlx::query(
        "UPDATE tenants SET name = COALESCE($1, name), locale = COALESCE($2, locale), \
         time_zone = COALESCE($3, time_zone), updated_at = $4 WHERE id = $5",
    )
    .bind(name)
    .bind(locale)
    .bind(time_zone)
    .bind(now_ms())
    .bind(&member.tenant_id)
    .execute(&state.pool)
    .await?;
    Ok(ok(load(&state, &member.tenant_id).await?))
}

/// Validates a business or person name: 1..=100 characters after trimming.
pub fn validate_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 {
        return Err(AppError::bad_request(
            "invalid_name",
            crate::http::i18n::Text::new(
                "nama harus 1 sampai 100 karakter",
                "the name must have 1 to 100 characters",
            ),
        ));
    }
    Ok(n.to_owned())
}

/// An IANA time zone name known to `chrono-tz` (`Asia/Jakarta` ...).
pub fn validate_time_zone(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    name.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            AppError::bad_request(
                "invalid_time_zone",
                crate::http::i18n::tr!(
                    "time_zone: `{name}` bukan zona waktu IANA seperti Asia/Jakarta",
                    "time_zone: `{name}` is not an IANA time zone such as Asia/Jakarta"
                ),
            )
        })
}

/// `id` or `en`.
pub fn validate_locale(locale: &str) -> Result<String, AppError> {
    match locale.trim().to_ascii_lowercase().as_str() {
        l @ ("id" | "en") => Ok(l.to_owned()),
        _ => Err(AppError::bad_request(
            "invalid_locale",
            crate::http::i18n::Text::new(
                "locale harus \"id\" atau \"en\"",
                "the locale must be \"id\" or \"en\"",
            ),
        )),
    }
}
