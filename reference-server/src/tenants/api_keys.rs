//! Vendor API keys for machine access (`X-Api-Key: wak_...`).
//!
//! A key is shown once at creation and stored only as SHA-256; it acts
//! for its vendor with the `admin` role, stops working when revoked or
//! when the vendor is banned, and cannot manage members or other keys.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{CurrentMember, Role, token};
use crate::db::{new_id, now_ms};
use crate::http::{ApiJson, ApiResult, AppError, Created, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, revoke_key))
}

/// An API key as listed (never the key itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// Id.
    pub id: String,
    /// Label given at creation.
    pub name: String,
    /// First characters of the key, to recognise it.
    pub prefix: String,
    /// Member who created it.
    pub created_by: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; `None` while usable.
    pub revoked_at: Option<i64>,
}

type KeyRow = (String, String, String, String, i64, Option<i64>);

fn view((id, name, prefix, created_by, created_at, revoked_at): KeyRow) -> ApiKeyView {
    ApiKeyView {
        id,
        name,
        prefix,
        created_by,
        created_at,
        revoked_at,
    }
}

async fn load(state: &AppState, tenant_id: &str, key_id: &str) -> Result<ApiKeyView, AppError> {
    let row: Option<KeyRow> = sqlx::query_as(
        "SELECT id, name, prefix, created_by, created_at, revoked_at FROM api_keys \
         WHERE id = $1 AND tenant_id = $2",
    )
    .bind(key_id)
    .bind(tenant_id)
    .fetch_optional(&state.pool)
    .await?;
    Ok(view(row.ok_or(AppError::NotFound("api key"))?))
}

/// List the vendor's API keys.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    security(("session" = [])),
    responses((status = 200, description = "Keys", body = inline(crate::http::Data<Vec<ApiKeyView>>))))]
async fn list_keys(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<ApiKeyView>> {
    member.require_session()?;
    member.require(Role::Admin)?;
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT id, name, prefix, created_by, created_at, revoked_at FROM api_keys \
         WHERE tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(&member.tenant_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(ok(rows.into_iter().map(view).collect()))
}

/// A new key's label.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiKey {
    /// Label, e.g. "shop backend".
    pub name: String,
}

/// A created key: the only time `key` is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key for `X-Api-Key`; store it now, it is not shown again.
    pub key: String,
    /// The stored description.
    pub api_key: ApiKeyView,
}

/// Create an API key (owner or admin, logged in).
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys",
    security(("session" = [])),
    request_body = NewApiKey,
    responses(
        (status = 201, description = "Created; the key is shown once", body = inline(crate::http::Data<CreatedApiKey>)),
        (status = 403, description = "Role too low or called with an API key", body = crate::http::ErrorBody)))]
async fn create_key(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<NewApiKey>,
) -> Created<CreatedApiKey> {
    member.require_session()?;
    member.require(Role::Admin)?;
    let name = super::handlers::validate_name(&req.name)?;
    let key = token::generate(token::API_KEY_PREFIX);
    let prefix: String = key.chars().take(12).collect();
    let id = new_id();
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&member.tenant_id)
    .bind(&name)
    .bind(&prefix)
    .bind(token::hash(&key))
    .bind(&member.member_id)
    .bind(now_ms())
    .execute(&state.pool)
    .await?;
    Ok(created(CreatedApiKey {
        key,
        api_key: load(&state, &member.tenant_id, &id).await?,
    }))
}

/// One API key of the vendor.
#[utoipa::path(get, path = "/api/v1/api-keys/{api_key_id}", tag = "api-keys",
    security(("session" = [])),
    params(("api_key_id" = String, Path, description = "API key id")),
    responses(
        (status = 200, description = "The key", body = inline(crate::http::Data<ApiKeyView>)),
        (status = 404, description = "No such key in this vendor", body = crate::http::ErrorBody)))]
async fn get_key(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(api_key_id): Path<String>,
) -> ApiResult<ApiKeyView> {
    member.require_session()?;
    member.require(Role::Admin)?;
    Ok(ok(load(&state, &member.tenant_id, &api_key_id).await?))
}

/// Revoke an API key; it stops working immediately.
#[utoipa::path(delete, path = "/api/v1/api-keys/{api_key_id}", tag = "api-keys",
    security(("session" = [])),
    params(("api_key_id" = String, Path, description = "API key id")),
    responses(
        (status = 200, description = "Revoked", body = inline(crate::http::Data<ApiKeyView>)),
        (status = 404, description = "No such key in this vendor", body = crate::http::ErrorBody)))]
async fn revoke_key(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(api_key_id): Path<String>,
) -> ApiResult<ApiKeyView> {
    member.require_session()?;
    member.require(Role::Admin)?;
    // Revoking twice keeps the first time; another vendor's key is a 404.
    sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(&api_key_id)
    .bind(&member.tenant_id)
    .execute(&state.pool)
    .await?;
    Ok(ok(load(&state, &member.tenant_id, &api_key_id).await?))
}
