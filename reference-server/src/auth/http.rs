//! Logout of vendor members: one session or all of them.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::CurrentMember;
use super::store;
use crate::AppState;
use crate::http::{ApiResult, ok};

/// The logout routes (`/api/v1/auth/logout`, `/api/v1/auth/logout-all`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(logout))
        .routes(routes!(logout_all))
}

/// How many sessions were revoked.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Revoked {
    /// Count of sessions revoked.
    revoked: u64,
}

/// Log out: revoke the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("session" = [])),
    responses(
        (status = 200, description = "Session revoked", body = inline(crate::http::Data<Revoked>)),
        (status = 401, description = "Not logged in", body = crate::http::ErrorBody)))]
async fn logout(State(state): State<AppState>, member: CurrentMember) -> ApiResult<Revoked> {
    let session_id = member.require_session()?;
    store::revoke_session(&state.pool, session_id).await?;
    Ok(ok(Revoked { revoked: 1 }))
}

/// Log out everywhere: revoke every session of the member.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth",
    security(("session" = [])),
    responses(
        (status = 200, description = "Sessions revoked", body = inline(crate::http::Data<Revoked>)),
        (status = 401, description = "Not logged in", body = crate::http::ErrorBody)))]
async fn logout_all(State(state): State<AppState>, member: CurrentMember) -> ApiResult<Revoked> {
    member.require_session()?;
    let revoked = store::revoke_member_sessions(&state.pool, member.member()).await?;
    Ok(ok(Revoked { revoked }))
}
