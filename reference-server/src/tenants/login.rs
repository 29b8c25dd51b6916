//! Member login and "who am I" (`/api/v1/auth/login`, `/api/v1/me`).

use std::net::IpAddr;

use axum::extract::State;
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{Me, SessionResponse, TenantStatus};
use super::store;
use crate::AppState;
use crate::audit::{self, Action, Actor, Entry, TargetKind};
use crate::auth::{AuthMethod, CurrentMember, normalize_email, password, session};
use crate::http::extract::ClientIp;
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(me))
}

/// 403 for a vendor that cannot log in yet or any more, saying why.
fn login_gate(status: TenantStatus) -> Result<(), AppError> {
    let (code, message) = match status {
        TenantStatus::Active => return Ok(()),
        TenantStatus::Deleted => (
            "tenant_deleted",
            Text::new(
                "akun vendor ini sudah dihapus",
                "this vendor account was deleted",
            ),
        ),
        TenantStatus::Banned => (
            "tenant_banned",
            Text::new(
                "akun vendor ini diblokir; hubungi pengelola platform",
                "this vendor account is banned; contact the platform",
            ),
        ),
        TenantStatus::PendingApproval => (
            "tenant_pending_approval",
            Text::new(
                "akun vendor ini menunggu persetujuan pengelola platform",
                "this vendor account waits for approval by the platform",
            ),
        ),
        TenantStatus::PendingVerification => (
            "tenant_not_verified",
            Text::new(
                "verifikasi dulu nomor WhatsApp dengan kode yang dikirim saat pendaftaran",
                "verify the WhatsApp number with the code sent at sign-up first",
            ),
        ),
    };
    Err(AppError::forbidden(code, message))
}

/// Log in as a vendor member.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = crate::auth::Credentials,
    responses(
        (status = 200, description = "Logged in", body = inline(crate::http::Data<SessionResponse>)),
        (status = 401, description = "Wrong email or password", body = crate::http::ErrorBody),
        (status = 403, description = "Vendor banned or not active", body = crate::http::ErrorBody),
        (status = 429, description = "Too many attempts", body = crate::http::ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<crate::auth::Credentials>,
) -> ApiResult<SessionResponse> {
    Ok(ok(log_in(&state, ip, req).await?))
}

/// Checks a member's email and password (rate limited per IP and per
/// email) and opens a session: the rules of `POST /api/v1/auth/login`.
pub(crate) async fn log_in(
    state: &AppState,
    ip: IpAddr,
    req: crate::auth::Credentials,
) -> Result<SessionResponse, AppError> {
    state.services.rate_limits.check(ip, Some(&req.email))?;
    let failed = |reason: &str| {
        Entry::new(Action::LoginFailed, Actor::Anonymous(req.email.clone()))
            .after(serde_json::json!({ "reason": reason }))
    };
    let Ok(email) = normalize_email(&req.email) else {
        let entry = failed("unknown_email");
        return Err(audit::refuse(state, entry, AppError::wrong_credentials()).await);
    };
    let row = store::login_of(&state.pool, &email).await?;
    // An unknown email is checked against a dummy hash, so both misses
    // take the same time.
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    let entry = failed(if row.is_some() {
        "wrong_password"
    } else {
        "unknown_email"
    });
    if !password::verify(
        SecretString::from(req.password),
        stored,
        state.config.argon2_memory_kib,
    )
    .await?
    {
        let entry = match &row {
            Some(r) => entry
                .tenant(&r.tenant_id)
                .target(TargetKind::Member, &r.member_id),
            None => entry,
        };
        return Err(audit::refuse(state, entry, AppError::wrong_credentials()).await);
    }
    let Some(row) = row else {
        return Err(audit::refuse(state, entry, AppError::wrong_credentials()).await);
    };
    if let Err(e) = login_gate(row.status) {
        let entry = failed(&format!("vendor_{}", row.status))
            .tenant(&row.tenant_id)
            .target(TargetKind::Member, &row.member_id);
        return Err(audit::refuse(state, entry, e).await);
    }
    let s = session::for_member(
        &state.pool,
        &row.member_id,
        &row.tenant_id,
        state.config.session_ttl_hours,
    )
    .await?;
    audit::record(
        state,
        Entry::new(Action::Login, Actor::Member(row.member_id.clone()))
            .tenant(&row.tenant_id)
            .target(TargetKind::Member, &row.member_id),
    )
    .await?;
    Ok(SessionResponse {
        token: s.token,
        expires_at: s.expires_at,
        tenant_id: row.tenant_id,
        member_id: row.member_id,
        role: row.role,
    })
}

/// Who am I: the member and vendor behind the credentials.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The caller", body = inline(crate::http::Data<Me>)),
        (status = 401, description = "Not authenticated", body = crate::http::ErrorBody)))]
async fn me(State(state): State<AppState>, member: CurrentMember) -> ApiResult<Me> {
    let row = store::me(&state.pool, member.tenant(), member.member())
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(ok(Me {
        member_id: member.member().clone(),
        email: row.email,
        name: row.name,
        role: member.role,
        tenant_id: member.tenant().clone(),
        tenant_name: row.tenant_name,
        auth: match member.method {
            AuthMethod::Session { .. } => "session",
            AuthMethod::ApiKey { .. } => "api_key",
        },
    }))
}
