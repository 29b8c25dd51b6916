//! Platform admin accounts and their sessions.

use axum::extract::State;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::session::{self, SubjectKind};
use crate::auth::{AdminUser, normalize_email, password};
use crate::db::{is_unique_violation, new_id, now_ms};
use crate::http::extract::ClientIp;
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(admin_login))
        .routes(routes!(admin_logout))
}

/// Email of the admin seeded on first start.
pub const SEED_ADMIN_EMAIL: &str = "admin@localhost";

/// The admin created on first start; `password` must be shown once.
pub struct SeededAdmin {
    /// Login email.
    pub email: String,
    /// The generated password.
    pub password: SecretString,
}

impl std::fmt::Debug for SeededAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeededAdmin")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// Creates `admin@localhost` with a random password when there is no
/// platform admin yet. Returns it so the caller prints it once; `None`
/// when an admin already exists (including one created concurrently by
/// another replica).
pub async fn seed_if_empty(state: &AppState) -> Result<Option<SeededAdmin>, AppError> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM platform_admins")
        .fetch_one(&state.pool)
        .await?;
    if count > 0 {
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

/// Creates a platform admin (CLI `admin create`).
pub async fn create_admin(state: &AppState, email: &str, pw: SecretString) -> Result<(), AppError> {
    let email = if email == SEED_ADMIN_EMAIL {
        email.to_owned()
    } else {
        normalize_email(email)?
    };
    password::validate(pw.expose_secret())?;
    let hash = password::hash(pw, state.config.argon2_memory_kib).await?;
    let now = now_ms();
    sqlx::query(
        "INSERT INTO platform_admins (id, email, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(new_id())
    .bind(&email)
    .bind(hash)
    .bind(now)
    .execute(&state.pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict(
                "email_taken",
                Text::new(
                    "sudah ada admin platform dengan email ini",
                    "a platform admin with this email exists",
                ),
            )
        } else {
            e.into()
        }
    })?;
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
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE platform_admins SET password_hash = $1, updated_at = $2 WHERE email = $3 RETURNING id",
    )
    .bind(hash)
    .bind(now_ms())
    .bind(&email)
    .fetch_optional(&state.pool)
    .await?;
    let id = id.ok_or(AppError::NotFound("platform admin"))?;
    session::revoke_all(&state.pool, SubjectKind::Admin, &id).await?;
    Ok(())
}

/// Admin credentials.
#[derive(Deserialize, ToSchema)]
pub(crate) struct AdminLogin {
    /// Email (`admin@localhost` for the seeded admin).
    email: String,
    /// Password.
    #[schema(format = Password)]
    password: String,
}

impl std::fmt::Debug for AdminLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminLogin")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// An admin session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AdminSession {
    /// Bearer token; shown once.
    token: String,
    /// Unix milliseconds.
    expires_at: i64,
    /// The admin.
    admin_id: String,
}

/// Log in as a platform admin.
#[utoipa::path(post, path = "/api/v1/admin/login", tag = "admin",
    request_body = AdminLogin,
    responses(
        (status = 200, description = "Logged in", body = inline(crate::http::Data<AdminSession>)),
        (status = 401, description = "Wrong email or password", body = crate::http::ErrorBody),
        (status = 429, description = "Too many attempts", body = crate::http::ErrorBody)))]
async fn admin_login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<AdminLogin>,
) -> ApiResult<AdminSession> {
    state.services.rate_limits.check(ip, Some(&req.email))?;
    let email = req.email.trim().to_lowercase();
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT id, password_hash FROM platform_admins WHERE email = $1")
            .bind(&email)
            .fetch_optional(&state.pool)
            .await?;
    let stored = row.as_ref().map(|r| r.1.clone());
    if !password::verify(
        SecretString::from(req.password),
        stored,
        state.config.argon2_memory_kib,
    )
    .await?
    {
        return Err(AppError::wrong_credentials());
    }
    let (admin_id, _) = row.ok_or_else(AppError::wrong_credentials)?;
    let s = session::create(
        &state.pool,
        SubjectKind::Admin,
        &admin_id,
        None,
        state.config.session_ttl_hours,
    )
    .await?;
    Ok(ok(AdminSession {
        token: s.token,
        expires_at: s.expires_at,
        admin_id,
    }))
}

/// Result of a logout.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LoggedOut {
    /// Always true.
    logged_out: bool,
}

/// Log out the admin session.
#[utoipa::path(post, path = "/api/v1/admin/logout", tag = "admin",
    security(("admin_session" = [])),
    responses((status = 200, description = "Logged out", body = inline(crate::http::Data<LoggedOut>))))]
async fn admin_logout(State(state): State<AppState>, admin: AdminUser) -> ApiResult<LoggedOut> {
    session::revoke(&state.pool, &admin.session_id).await?;
    Ok(ok(LoggedOut { logged_out: true }))
}
