//! The [`AdminUser`] extractor, and reading the bearer token of a request.
//! (`CurrentMember` is extracted by `tenants`, which owns members.)

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::model::AdminUser;
use super::{store, token};
use crate::AppState;
use crate::db::now_ms;
use crate::http::AppError;

/// The token of `Authorization: Bearer <token>`, if any.
pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        admin_of_session(state, token).await
    }
}

/// The platform admin behind a session token (from the `Authorization`
/// header or the web console's cookie): 401 when unknown, expired or
/// revoked.
pub(crate) async fn admin_of_session(state: &AppState, token: &str) -> Result<AdminUser, AppError> {
    let row = store::live_admin_session(&state.pool, &token::hash(token), now_ms())
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(AdminUser {
        admin_id: row.admin_id,
        session_id: row.id,
    })
}
