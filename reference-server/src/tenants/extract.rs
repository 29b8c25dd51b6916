//! The [`CurrentMember`] extractor: a vendor member by session token or API
//! key. It lives here, not in `auth`, because it reads members, API keys
//! and the vendor's status, which this feature owns.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::model::TenantStatus;
use super::store;
use crate::AppState;
use crate::auth::{AuthMethod, CurrentMember, Role, bearer, token};
use crate::db::now_ms;
use crate::http::AppError;
use crate::http::i18n::Text;

/// 403 unless the vendor is active: `tenant_banned` when banned,
/// `tenant_not_active` while pending.
fn tenant_gate(status: TenantStatus) -> Result<(), AppError> {
    match status {
        TenantStatus::Active => Ok(()),
        TenantStatus::Deleted => Err(AppError::forbidden(
            "tenant_deleted",
            Text::new(
                "akun vendor ini sudah dihapus",
                "this vendor account was deleted",
            ),
        )),
        TenantStatus::Banned => Err(AppError::forbidden(
            "tenant_banned",
            Text::new(
                "akun vendor ini diblokir; hubungi pengelola platform",
                "this vendor account is banned; contact the platform",
            ),
        )),
        TenantStatus::PendingVerification | TenantStatus::PendingApproval => {
            Err(AppError::forbidden(
                "tenant_not_active",
                Text::new(
                    "akun vendor ini belum aktif",
                    "this vendor account is not active yet",
                ),
            ))
        }
    }
}

impl FromRequestParts<AppState> for CurrentMember {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(key) = parts.headers.get("x-api-key") {
            let key = key.to_str().map_err(|_| AppError::Unauthorized)?.trim();
            let access = store::api_key_access(&state.pool, &token::hash(key))
                .await?
                .ok_or(AppError::Unauthorized)?;
            tenant_gate(access.status)?;
            return Ok(Self::new(
                access.tenant_id,
                access.created_by,
                Role::Admin,
                AuthMethod::ApiKey {
                    key_id: access.key_id,
                },
            ));
        }
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        member_of_session(state, token).await
    }
}

/// The member behind a session token (from the `Authorization` header or
/// the web console's cookie): 401 when unknown, expired or revoked, 403
/// when the vendor is not active.
pub(crate) async fn member_of_session(
    state: &AppState,
    token: &str,
) -> Result<CurrentMember, AppError> {
    let session =
        crate::auth::store::live_member_session(&state.pool, &token::hash(token), now_ms())
            .await?
            .ok_or(AppError::Unauthorized)?;
    let access = store::member_access(&state.pool, &session.member_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    tenant_gate(access.status)?;
    Ok(CurrentMember::new(
        access.tenant_id,
        session.member_id,
        access.role,
        AuthMethod::Session {
            session_id: session.id,
        },
    ))
}
