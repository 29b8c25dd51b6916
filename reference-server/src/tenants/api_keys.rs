//! Vendor API keys for machine access (`X-Api-Key: wak_...`).
//!
//! A key is shown once at creation and stored only as SHA-256; it acts
//! for its vendor with the `admin` role, stops working when revoked or
//! when the vendor is banned, and cannot manage members or other keys.

use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{ApiKeyView, CreatedApiKey, NewApiKey, NewApiKeyRow, validate_name};
use super::store;
use crate::AppState;
use crate::audit::{self, Action, Entry, TargetKind};
use crate::auth::{CurrentMember, Role, token};
use crate::db::now_ms;
use crate::domain::{ApiKeyId, TenantId};
use crate::http::{ApiJson, ApiResult, AppError, Created, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, revoke_key))
}

async fn load(state: &AppState, tenant: &TenantId, key: &ApiKeyId) -> Result<ApiKeyView, AppError> {
    store::api_key(&state.pool, tenant, key)
        .await?
        .ok_or(AppError::NotFound("api key"))
}

/// List the vendor's API keys.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    security(("session" = [])),
    responses((status = 200, description = "Keys", body = inline(crate::http::Data<Vec<ApiKeyView>>))))]
async fn list_keys(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<ApiKeyView>> {
    Ok(ok(list(&state, &member).await?))
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
    Ok(created(create(&state, &member, req).await?))
}

/// The vendor's API keys (a logged-in admin or owner): the rules of
/// `GET /api/v1/api-keys`.
pub(crate) async fn list(
    state: &AppState,
    member: &CurrentMember,
) -> Result<Vec<ApiKeyView>, AppError> {
    member.require_session()?;
    member.require(Role::Admin)?;
    Ok(store::api_keys(&state.pool, member.tenant()).await?)
}

/// Creates an API key (a logged-in admin or owner); the key is in the
/// answer and nowhere else: the rules of `POST /api/v1/api-keys`.
pub(crate) async fn create(
    state: &AppState,
    member: &CurrentMember,
    req: NewApiKey,
) -> Result<CreatedApiKey, AppError> {
    member.require_session()?;
    member.require(Role::Admin)?;
    let name = validate_name(&req.name)?;
    let key = token::generate(token::API_KEY_PREFIX);
    let prefix: String = key.chars().take(12).collect();
    let id = ApiKeyId::new();
    store::insert_api_key(
        &state.pool,
        &NewApiKeyRow {
            id: &id,
            tenant_id: member.tenant(),
            name: &name,
            prefix: &prefix,
            key_hash: &token::hash(&key),
            created_by: member.member(),
            now: now_ms(),
        },
    )
    .await?;
    let entry = Entry::by_member(Action::ApiKeyCreated, member)
        .target(TargetKind::ApiKey, &id)
        .after(serde_json::json!({ "name": name, "prefix": prefix }));
    audit::record(state, entry).await?;
    Ok(CreatedApiKey {
        key,
        api_key: load(state, member.tenant(), &id).await?,
    })
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
    Path(api_key_id): Path<ApiKeyId>,
) -> ApiResult<ApiKeyView> {
    member.require_session()?;
    member.require(Role::Admin)?;
    Ok(ok(load(&state, member.tenant(), &api_key_id).await?))
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
    Path(api_key_id): Path<ApiKeyId>,
) -> ApiResult<ApiKeyView> {
    Ok(ok(revoke(&state, &member, &api_key_id).await?))
}

/// Revokes one of the vendor's API keys (a logged-in admin or owner):
/// the rules of `DELETE /api/v1/api-keys/{id}`.
pub(crate) async fn revoke(
    state: &AppState,
    member: &CurrentMember,
    api_key_id: &ApiKeyId,
) -> Result<ApiKeyView, AppError> {
    member.require_session()?;
    member.require(Role::Admin)?;
    // Revoking twice keeps the first time; another vendor's key is a 404.
    let before = load(state, member.tenant(), api_key_id).await?;
    store::revoke_api_key(&state.pool, member.tenant(), api_key_id, now_ms()).await?;
    if before.revoked_at.is_none() {
        let entry = Entry::by_member(Action::ApiKeyRevoked, member)
            .target(TargetKind::ApiKey, api_key_id)
            .before(serde_json::json!({ "name": before.name, "prefix": before.prefix }));
        audit::record(state, entry).await?;
    }
    load(state, member.tenant(), api_key_id).await
}
