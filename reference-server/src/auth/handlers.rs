//! Account endpoints.

use axum::extract::State;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::session::{self, SubjectKind};
use super::{AuthMethod, CurrentMember, Role, password};
use crate::AppState;
use crate::http::extract::ClientIp;
use crate::http::{ApiJson, ApiResult, AppError, ok};
use crate::tenants::TenantStatus;

/// The account routes (`/api/v1/auth/...`, `/api/v1/me`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(me))
        .merge(super::signup::router())
}

/// Email and password.
#[derive(Deserialize, ToSchema)]
pub(crate) struct LoginRequest {
    /// Login email.
    email: String,
    /// Password.
    #[schema(format = Password)]
    password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionResponse {
    /// Bearer token for `Authorization: Bearer ...`; shown once.
    pub(crate) token: String,
    /// Unix milliseconds.
    pub(crate) expires_at: i64,
    /// The vendor.
    pub(crate) tenant_id: String,
    /// The member.
    pub(crate) member_id: String,
    /// The member's role.
    pub(crate) role: Role,
}

/// Normalises an email for storage and lookup.
pub(crate) fn normalize_email(email: &str) -> Result<String, AppError> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.contains(char::is_whitespace);
    if valid {
        Ok(e)
    } else {
        Err(AppError::bad_request(
            "invalid_email",
            crate::http::i18n::Text::new(
                "alamat email tidak valid",
                "the email address is not valid",
            ),
        ))
    }
}

/// Log in as a vendor member.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = inline(crate::http::Data<SessionResponse>)),
        (status = 401, description = "Wrong email or password", body = crate::http::ErrorBody),
        (status = 403, description = "Vendor banned or not active", body = crate::http::ErrorBody),
        (status = 429, description = "Too many attempts", body = crate::http::ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<SessionResponse> {
    state.services.rate_limits.check(ip, Some(&req.email))?;
    let email = normalize_email(&req.email).map_err(|_| AppError::wrong_credentials())?;
    let row: Option<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT m.id, m.tenant_id, m.role, m.password_hash, t.status FROM members m \
         JOIN tenants t ON t.id = m.tenant_id WHERE m.email = $1",
    )
    .bind(&email)
    .fetch_optional(&state.pool)
    .await?;
    let stored = row.as_ref().map(|r| r.3.clone());
    if !password::verify(
        SecretString::from(req.password),
        stored,
        state.config.argon2_memory_kib,
    )
    .await?
    {
        return Err(AppError::wrong_credentials());
    }
    let Some((member_id, tenant_id, role, _, status)) = row else {
        return Err(AppError::wrong_credentials());
    };
    match TenantStatus::parse(&status) {
        Some(TenantStatus::Active) => {}
        Some(TenantStatus::Banned) => {
            return Err(AppError::forbidden(
                "tenant_banned",
                crate::http::i18n::Text::new(
                    "akun vendor ini diblokir; hubungi pengelola platform",
                    "this vendor account is banned; contact the platform",
                ),
            ));
        }
        Some(TenantStatus::PendingApproval) => {
            return Err(AppError::forbidden(
                "tenant_pending_approval",
                crate::http::i18n::Text::new(
                    "akun vendor ini menunggu persetujuan pengelola platform",
                    "this vendor account waits for approval by the platform",
                ),
            ));
        }
        _ => {
            return Err(AppError::forbidden(
                "tenant_not_verified",
                crate::http::i18n::Text::new(
                    "verifikasi dulu nomor WhatsApp dengan kode yang dikirim saat pendaftaran",
                    "verify the WhatsApp number with the code sent at sign-up first",
                ),
            ));
        }
    }
    let role = Role::parse(&role).ok_or_else(|| AppError::internal("unknown role stored"))?;
    let s = session::create(
        &state.pool,
        SubjectKind::Member,
        &member_id,
        Some(&tenant_id),
        state.config.session_ttl_hours,
    )
    .await?;
    Ok(ok(SessionResponse {
        token: s.token,
        expires_at: s.expires_at,
        tenant_id,
        member_id,
        role,
    }))
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
    session::revoke(&state.pool, session_id).await?;
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
    let revoked = session::revoke_all(&state.pool, SubjectKind::Member, &member.member_id).await?;
    Ok(ok(Revoked { revoked }))
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Me {
    /// The member.
    member_id: String,
    /// Email.
    email: String,
    /// Display name.
    name: String,
    /// Role (API keys act as `admin`).
    role: Role,
    /// The vendor.
    tenant_id: String,
    /// The vendor's name.
    tenant_name: String,
    /// `session` or `api_key`.
    auth: &'static str,
}

/// Who am I: the member and vendor behind the credentials.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The caller", body = inline(crate::http::Data<Me>)),
        (status = 401, description = "Not authenticated", body = crate::http::ErrorBody)))]
async fn me(State(state): State<AppState>, member: CurrentMember) -> ApiResult<Me> {
    let (email, name, tenant_name): (String, String, String) = sqlx::query_as(
        "SELECT m.email, m.name, t.name FROM members m JOIN tenants t ON t.id = m.tenant_id \
         WHERE m.id = $1 AND m.tenant_id = $2",
    )
    .bind(&member.member_id)
    .bind(&member.tenant_id)
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::Unauthorized)?;
    Ok(ok(Me {
        member_id: member.member_id,
        email,
        name,
        role: member.role,
        tenant_id: member.tenant_id,
        tenant_name,
        auth: match member.method {
            AuthMethod::Session { .. } => "session",
            AuthMethod::ApiKey { .. } => "api_key",
        },
    }))
}
