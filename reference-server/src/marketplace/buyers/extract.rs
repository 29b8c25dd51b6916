//! The [`CurrentBuyer`] extractor: a buyer session token, looked up only
//! in the buyer sessions.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::model::CurrentBuyer;
use super::store;
use crate::AppState;
use crate::auth::{bearer, token};
use crate::http::AppError;

/// Prefix of buyer session tokens.
pub(super) const TOKEN_PREFIX: &str = "wsb_";

impl FromRequestParts<AppState> for CurrentBuyer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(AppError::Unauthorized);
        }
        let session = store::live_session(&state.pool, &token::hash(token))
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(Self {
            buyer_id: session.buyer_id,
            session_id: session.id,
        })
    }
}
