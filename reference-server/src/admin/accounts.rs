//! Platform admin accounts (seeded on first start, created and reset from
//! the command line) and their login sessions. The accounts are stored by
//! `auth` (`platform_admins`).

use axum::extract::State;
use secrecy::{ExposeSecret, SecretString};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{AdminSession, LoggedOut, SeededAdmin};
use crate::AppState;
use crate::audit::{self, Action, Actor, Entry, TargetKind};
use crate::auth::{AdminUser, Credentials, normalize_email, password, session, store};
use crate::db::now_ms;
use crate::http::extract::ClientIp;
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, ConstraintExt, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(admin_login))
        .routes(routes!(admin_logout))
}

/// Email of the admin seeded on first start.
pub const SEED_ADMIN_EMAIL: &str = "admin@localhost";

/// Creates `admin@localhost` with a random password when there is no
/// platform admin yet. Returns it so the caller prints it once; `None`
/// when an admin already exists (including one created concurrently by
/// another replica).
pub async fn seed_if_empty(state: &AppState) -> Result<Option<SeededAdmin>, AppError> {
    if store::count_admins(&state.pool).await? > 0 {
        return Ok(None);
    }
    let pw = SecretString::from(password::generate());
    match create_admin(state, SEED_ADMIN_EMAIL, pw.clone()).await {
        Ok(()) => Ok(Some(SeededAdmin {
            email: SEED_ADMIN_EMAIL.to_owned(),
            password: pw,
        })),
        Err(AppError::Conflict { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates a platform admin (CLI `admin create`); 409 `email_taken` when
/// one has this email.
pub async fn create_admin(state: &AppState, email: &str, pw: SecretString) -> Result<(), AppError> {
    // The seeded address has no dot in its domain, so it skips the check.
    let email = if email == SEED_ADMIN_EMAIL {
        email.to_owned()
    } else {
        normalize_email(email)?
    };
    password::validate(pw.expose_secret())?;
    let hash = password::hash(pw, state.config.argon2_memory_kib).await?;
    store::insert_admin(&state.pool, &email, &hash, now_ms())
        .await
        .on_unique(
            "email_taken",
            Text::new(
                "sudah ada admin platform dengan email ini",
                "a platform admin with this email exists",
            ),
        )?;
    Ok(())
}

/// Sets a new password for an admin and ends its sessions (CLI
/// `admin reset-password`). 404 when no admin has this email.
pub async fn reset_password(
    state: &AppState,
    email: &str,
    pw: SecretString,
) -> Result<(), AppError> {
    let email = email.trim().to_lowercase();
    password::validate(pw.expose_secret())?;
    let hash = password::hash(pw, state.config.argon2_memory_kib).await?;
    let id = store::set_admin_password(&state.pool, &email, &hash, now_ms())
        .await?
        .ok_or(AppError::NotFound("platform admin"))?;
    store::revoke_admin_sessions(&state.pool, &id).await?;
    Ok(())
}

/// Log in as a platform admin.
#[utoipa::path(post, path = "/api/v1/admin/login", tag = "admin",
    request_body = Credentials,
    responses(
        (status = 200, description = "Logged in", body = inline(crate::http::Data<AdminSession>)),
        (status = 401, description = "Wrong email or password", body = crate::http::ErrorBody),
        (status = 429, description = "Too many attempts", body = crate::http::ErrorBody)))]
async fn admin_login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<Credentials>,
) -> ApiResult<AdminSession> {
    Ok(ok(log_in(&state, ip, req).await?))
}

/// Checks an admin's email and password and opens a session: the rules
/// of `POST /api/v1/admin/login`, rate limits included.
pub(crate) async fn log_in(
    state: &AppState,
    ip: std::net::IpAddr,
    req: Credentials,
) -> Result<AdminSession, AppError> {
    state.services.rate_limits.check(ip, Some(&req.email))?;
    let email = req.email.trim().to_lowercase();
    let admin = store::admin_credentials(&state.pool, &email).await?;
    let mut failed = Entry::new(Action::AdminLoginFailed, Actor::Anonymous(email.clone()));
    if let Some(a) = &admin {
        failed = failed.target(TargetKind::Admin, &a.id);
    }
    // An unknown email is checked against a dummy hash, so both misses
    // take the same time.
    let stored = admin.as_ref().map(|a| a.password_hash.clone());
    if !password::verify(
        SecretString::from(req.password),
        stored,
        state.config.argon2_memory_kib,
    )
    .await?
    {
        return Err(audit::refuse(state, failed, AppError::wrong_credentials()).await);
    }
    let Some(admin) = admin else {
        return Err(audit::refuse(state, failed, AppError::wrong_credentials()).await);
    };
    let s = session::for_admin(&state.pool, &admin.id, state.config.session_ttl_hours).await?;
    audit::record(
        state,
        Entry::new(Action::AdminLogin, Actor::Admin(admin.id.clone()))
            .target(TargetKind::Admin, &admin.id),
    )
    .await?;
    Ok(AdminSession {
        token: s.token,
        expires_at: s.expires_at,
        admin_id: admin.id,
    })
}

/// Log out the admin session.
#[utoipa::path(post, path = "/api/v1/admin/logout", tag = "admin",
    security(("admin_session" = [])),
    responses((status = 200, description = "Logged out", body = inline(crate::http::Data<LoggedOut>))))]
async fn admin_logout(State(state): State<AppState>, admin: AdminUser) -> ApiResult<LoggedOut> {
    store::revoke_session(&state.pool, &admin.session_id).await?;
    Ok(ok(LoggedOut { logged_out: true }))
}
