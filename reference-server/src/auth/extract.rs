//! Authentication extractors: [`CurrentMember`] (vendor session token or
//! `X-Api-Key`) and [`AdminUser`] (platform admin session).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::token;
use crate::AppState;
use crate::db::now_ms;
use crate::http::AppError;
use crate::tenants::TenantStatus;

/// A member's role in a vendor, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Created the vendor; manages members, keys and billing.
    Owner,
    /// Manages devices, bots, contacts, campaigns and API keys.
    Admin,
    /// Works the inbox.
    Agent,
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Self::Owner => 3,
            Self::Admin => 2,
            Self::Agent => 1,
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Agent => "agent",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }

    /// Whether this role is at least `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// A login session (`Authorization: Bearer wss_...`).
    Session {
        /// The session row id (for logout).
        session_id: String,
    },
    /// A vendor API key (`X-Api-Key: wak_...`).
    ApiKey {
        /// The key row id.
        key_id: String,
    },
}

/// The authenticated vendor member of a request.
///
/// Accepts `Authorization: Bearer <session token>` or `X-Api-Key: <key>`.
/// Rejects with 401 when missing, unknown, expired or revoked, and with 403
/// when the vendor is banned (`tenant_banned`) or not active yet
/// (`tenant_not_active`). An API key acts with the [`Role::Admin`] role on
/// behalf of the member who created it.
#[derive(Debug, Clone)]
pub struct CurrentMember {
    /// The vendor: put it in every tenant query (`WHERE tenant_id = $n`).
    pub tenant_id: String,
    /// The member (for an API key: the member who created it).
    pub member_id: String,
    /// The effective role.
    pub role: Role,
    /// Session or API key.
    pub method: AuthMethod,
}

impl CurrentMember {
    /// 403 `insufficient_role` unless the role is at least `min`.
    pub fn require(&self, min: Role) -> Result<(), AppError> {
        if self.role.at_least(min) {
            Ok(())
        } else {
            Err(AppError::forbidden("insufficient_role", {
                let role = min.as_str();
                crate::http::i18n::tr!(
                    "tindakan ini perlu peran {role} atau lebih tinggi",
                    "this action needs the {role} role or higher"
                )
            }))
        }
    }

    /// 403 `session_required` when authenticated by API key (for account
    /// management such as creating API keys or members).
    pub fn require_session(&self) -> Result<&str, AppError> {
        match &self.method {
            AuthMethod::Session { session_id } => Ok(session_id),
            AuthMethod::ApiKey { .. } => Err(AppError::forbidden(
                "session_required",
                crate::http::i18n::Text::new(
                    "tindakan ini perlu anggota yang login, bukan kunci API",
                    "this action needs a logged-in member, not an API key",
                ),
            )),
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn tenant_gate(status: &str) -> Result<(), AppError> {
    match TenantStatus::parse(status) {
        Some(TenantStatus::Active) => Ok(()),
        Some(TenantStatus::Banned) => Err(AppError::forbidden(
            "tenant_banned",
            crate::http::i18n::Text::new(
                "akun vendor ini diblokir; hubungi pengelola platform",
                "this vendor account is banned; contact the platform",
            ),
        )),
        _ => Err(AppError::forbidden(
            "tenant_not_active",
            crate::http::i18n::Text::new(
                "akun vendor ini belum aktif",
                "this vendor account is not active yet",
            ),
        )),
    }
}

impl FromRequestParts<AppState> for CurrentMember {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(key) = parts.headers.get("x-api-key") {
            let key = key.to_str().map_err(|_| AppError::Unauthorized)?.trim();
            let row: Option<(String, String, String, String)> = sqlx::query_as(
                "SELECT k.id, k.tenant_id, k.created_by, t.status FROM api_keys k \
                 JOIN tenants t ON t.id = k.tenant_id \
                 WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
            )
            .bind(token::hash(key))
            .fetch_optional(&state.pool)
            .await?;
            let (key_id, tenant_id, member_id, status) = row.ok_or(AppError::Unauthorized)?;
            tenant_gate(&status)?;
            return Ok(Self {
                tenant_id,
                member_id,
                role: Role::Admin,
                method: AuthMethod::ApiKey { key_id },
            });
        }
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        let row: Option<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT s.id, m.id, m.tenant_id, m.role, t.status FROM sessions s \
             JOIN members m ON m.id = s.subject_id \
             JOIN tenants t ON t.id = m.tenant_id \
             WHERE s.token_hash = $1 AND s.subject_kind = 'member' \
               AND s.revoked_at IS NULL AND s.expires_at > $2",
        )
        .bind(token::hash(token))
        .bind(now_ms())
        .fetch_optional(&state.pool)
        .await?;
        let (session_id, member_id, tenant_id, role, status) = row.ok_or(AppError::Unauthorized)?;
        tenant_gate(&status)?;
        let role = Role::parse(&role).ok_or_else(|| AppError::internal("unknown role stored"))?;
        Ok(Self {
            tenant_id,
            member_id,
            role,
            method: AuthMethod::Session { session_id },
        })
    }
}

/// The authenticated platform admin of a request
/// (`Authorization: Bearer <admin session token>`); 401 otherwise.
#[derive(Debug, Clone)]
pub struct AdminUser {
    /// The admin's id.
    pub admin_id: String,
    /// The session row id (for logout).
    pub session_id: String,
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT s.id, a.id FROM sessions s JOIN platform_admins a ON a.id = s.subject_id \
             WHERE s.token_hash = $1 AND s.subject_kind = 'admin' \
               AND s.revoked_at IS NULL AND s.expires_at > $2",
        )
        .bind(token::hash(token))
        .bind(now_ms())
        .fetch_optional(&state.pool)
        .await?;
        let (session_id, admin_id) = row.ok_or(AppError::Unauthorized)?;
        Ok(Self {
            admin_id,
            session_id,
        })
    }
}
