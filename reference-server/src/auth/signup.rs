//! Vendor sign-up with an OTP over WhatsApp, and password reset by OTP.
//!
//! Sign-up creates the vendor in `pending_verification` with its owner,
//! then sends a code from the platform's own WhatsApp sender (the simulator
//! by default). Verifying the code activates the vendor (or moves it to
//! `pending_approval` when `require_approval` is set), grants the `trial`
//! plan when it exists, and logs the owner in. The OTP rules (code length,
//! expiry, attempts, resend cooldown, send limits) are those of the `otp`
//! crate.

use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::handlers::{SessionResponse, normalize_email};
use super::session::{self, SubjectKind};
use super::{Role, password};
use crate::AppState;
use crate::db::{is_unique_violation, new_id, now_ms};
use crate::http::extract::ClientIp;
use crate::http::{ApiJson, ApiResult, AppError, ok};
use crate::tenants::{TenantStatus, validate_locale, validate_name};

/// Name of the platform in OTP messages.
pub const APP_NAME: &str = "WA Commerce";

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(verify_signup))
        .routes(routes!(resend_signup))
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
}

fn otp_error(e: otp::OtpError) -> AppError {
    match e.http_status() {
        429 => AppError::RateLimited {
            retry_after_secs: e.retry_after().map_or(60, |d| d.as_secs().max(1)),
        },
        400 => AppError::bad_request(
            "otp_invalid_request",
            crate::http::i18n::Text::new(
                e.user_message(otp::Locale::Indonesian),
                e.user_message(otp::Locale::English),
            ),
        ),
        502 | 503 => AppError::Upstream(format!("OTP delivery failed: {e}")),
        _ => AppError::internal(format!("otp: {e}")),
    }
}

fn otp_outcome_error(outcome: &otp::VerifyOutcome) -> AppError {
    let code = match outcome {
        otp::VerifyOutcome::WrongCode { .. } => "otp_wrong_code",
        otp::VerifyOutcome::Expired => "otp_expired",
        otp::VerifyOutcome::Locked => "otp_locked",
        _ => "otp_not_found",
    };
    AppError::Status {
        status: StatusCode::from_u16(outcome.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
        code,
        message: crate::http::i18n::Text::new(
            outcome.user_message(otp::Locale::Indonesian),
            outcome.user_message(otp::Locale::English),
        ),
    }
}

fn locale_of(tag: &str) -> otp::Locale {
    otp::Locale::from_tag(tag).unwrap_or_default()
}

/// A new vendor.
#[derive(Deserialize, ToSchema)]
pub(crate) struct SignupRequest {
    /// Business name.
    business_name: String,
    /// Owner's name.
    name: String,
    /// Owner's login email (unique).
    email: String,
    /// The vendor's WhatsApp number (unique; `0812...`, `+62...`).
    whatsapp: String,
    /// Password (8+ characters).
    #[schema(format = Password)]
    password: String,
    /// `id` (default) or `en`: language of WhatsApp messages.
    locale: Option<String>,
}

impl std::fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupRequest")
            .field("business_name", &self.business_name)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// An OTP challenge was sent.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChallengeSent {
    /// Send it back with the code.
    challenge_id: String,
    /// Unix milliseconds when the code stops working.
    expires_at: i64,
    /// Seconds before another code can be requested.
    resend_after_secs: u64,
    /// The vendor (sign-up only).
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
}

fn sent(issued: &otp::Issued, tenant_id: Option<String>) -> ChallengeSent {
    ChallengeSent {
        challenge_id: issued.challenge_id.clone(),
        expires_at: issued.expires_at.timestamp_millis(),
        resend_after_secs: issued.resend_after.as_secs(),
        tenant_id,
    }
}

/// Sign up a vendor; a code is sent to its WhatsApp number.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth",
    request_body = SignupRequest,
    responses(
        (status = 200, description = "Vendor created; OTP sent", body = inline(crate::http::Data<ChallengeSent>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody),
        (status = 409, description = "Email or WhatsApp number taken", body = crate::http::ErrorBody),
        (status = 429, description = "Too many attempts", body = crate::http::ErrorBody)))]
async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SignupRequest>,
) -> ApiResult<ChallengeSent> {
    state.services.rate_limits.check(ip, Some(&req.whatsapp))?;
    let business = validate_name(&req.business_name)?;
    let name = validate_name(&req.name)?;
    let email = normalize_email(&req.email)?;
    let whatsapp = crate::phone::normalize(&req.whatsapp)?;
    let locale = req
        .locale
        .as_deref()
        .map(validate_locale)
        .transpose()?
        .unwrap_or_else(|| "id".to_owned());
    password::validate(&req.password)?;
    state.services.rate_limits.check(ip, Some(&email))?;
    let hash = password::hash(
        SecretString::from(req.password),
        state.config.argon2_memory_kib,
    )
    .await?;

    let now = now_ms();
    let mut tx = state.begin_write().await?;
    // A sign-up that was never verified may be repeated with the same email
    // and number: the earlier unverified rows are replaced.
    let stale: Option<String> = sqlx::query_scalar(
        "SELECT t.id FROM tenants t JOIN members m ON m.tenant_id = t.id AND m.role = 'owner' \
         WHERE t.whatsapp = $1 AND m.email = $2 AND t.status = 'pending_verification'",
    )
    .bind(&whatsapp)
    .bind(&email)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(old) = stale {
        sqlx::query("DELETE FROM members WHERE tenant_id = $1")
            .bind(&old)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM tenants WHERE id = $1 AND status = 'pending_verification'")
            .bind(&old)
            .execute(&mut *tx)
            .await?;
    }
    let tenant_id = new_id();
    sqlx::query(
        "INSERT INTO tenants (id, name, whatsapp, status, locale, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&tenant_id)
    .bind(&business)
    .bind(&whatsapp)
    .bind(TenantStatus::PendingVerification.as_str())
    .bind(&locale)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict(
                "whatsapp_taken",
                crate::http::i18n::Text::new(
                    "nomor WhatsApp ini sudah terdaftar",
                    "this WhatsApp number is already registered",
                ),
            )
        } else {
            e.into()
        }
    })?;
    sqlx::query(
        "INSERT INTO members (id, tenant_id, email, name, whatsapp, password_hash, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(new_id())
    .bind(&tenant_id)
    .bind(&email)
    .bind(&name)
    .bind(&whatsapp)
    .bind(hash)
    .bind(Role::Owner.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("email_taken", crate::http::i18n::Text::new("email ini sudah terdaftar", "this email is already registered"))
        } else {
            e.into()
        }
    })?;
    tx.commit().await?;

    let destination = otp::Destination::phone_e164(&whatsapp).map_err(|e| otp_error(e.into()))?;
    let issued = state
        .services
        .otp
        .issue(
            otp::IssueRequest::new(otp::Purpose::REGISTER, destination)
                .client_key(ip.to_string())
                .locale(locale_of(&locale)),
        )
        .await
        .map_err(otp_error)?;
    Ok(ok(sent(&issued, Some(tenant_id))))
}

/// A code for a challenge.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct VerifySignup {
    /// From the sign-up answer.
    challenge_id: String,
    /// The code received on WhatsApp.
    code: String,
}

/// Result of verification.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SignupVerified {
    /// The vendor.
    tenant_id: String,
    /// `active`, or `pending_approval` when the platform approves vendors.
    status: TenantStatus,
    /// The owner's session when the vendor is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<SessionResponse>,
}

/// Verify the sign-up code: the vendor becomes active and the owner is logged in.
#[utoipa::path(post, path = "/api/v1/auth/signup/verify", tag = "auth",
    request_body = VerifySignup,
    responses(
        (status = 200, description = "Verified", body = inline(crate::http::Data<SignupVerified>)),
        (status = 400, description = "Wrong code", body = crate::http::ErrorBody),
        (status = 404, description = "Unknown or used challenge", body = crate::http::ErrorBody),
        (status = 410, description = "Code expired", body = crate::http::ErrorBody),
        (status = 423, description = "Too many wrong codes", body = crate::http::ErrorBody)))]
async fn verify_signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<VerifySignup>,
) -> ApiResult<SignupVerified> {
    state
        .services
        .rate_limits
        .check(ip, Some(&req.challenge_id))?;
    let outcome = state
        .services
        .otp
        .verify(&otp::Purpose::REGISTER, &req.challenge_id, &req.code)
        .await
        .map_err(otp_error)?;
    let Some(verified) = outcome.verified() else {
        return Err(otp_outcome_error(&outcome));
    };
    let whatsapp = verified
        .destination
        .as_phone_e164()
        .ok_or_else(|| AppError::internal("register challenge without a phone"))?
        .to_owned();
    let next = if state.config.require_approval {
        TenantStatus::PendingApproval
    } else {
        TenantStatus::Active
    };
    let now = now_ms();
    let mut tx = state.begin_write().await?;
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE tenants SET status = $1, updated_at = $2 WHERE whatsapp = $3 AND status = 'pending_verification' \
         RETURNING id",
    )
    .bind(next.as_str())
    .bind(now)
    .bind(&whatsapp)
    .fetch_optional(&mut *tx)
    .await?;
    let (tenant_id,) = row.ok_or(AppError::NotFound("pending sign-up"))?;
    crate::billing::subscriptions::grant_trial(&mut tx, &tenant_id, now).await?;
    let (member_id,): (String,) =
        sqlx::query_as("SELECT id FROM members WHERE tenant_id = $1 AND role = 'owner'")
            .bind(&tenant_id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    let session = if next == TenantStatus::Active {
        let s = session::create(
            &state.pool,
            SubjectKind::Member,
            &member_id,
            Some(&tenant_id),
            state.config.session_ttl_hours,
        )
        .await?;
        Some(SessionResponse {
            token: s.token,
            expires_at: s.expires_at,
            tenant_id: tenant_id.clone(),
            member_id,
            role: Role::Owner,
        })
    } else {
        None
    };
    Ok(ok(SignupVerified {
        tenant_id,
        status: next,
        session,
    }))
}

/// Which sign-up to resend the code for.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ResendSignup {
    /// The WhatsApp number used at sign-up.
    whatsapp: String,
}

/// Send a new sign-up code (after the cooldown). Answers the same whether
/// or not a pending sign-up exists for the number.
#[utoipa::path(post, path = "/api/v1/auth/signup/resend", tag = "auth",
    request_body = ResendSignup,
    responses(
        (status = 200, description = "Code sent", body = inline(crate::http::Data<ChallengeSent>)),
        (status = 429, description = "Cooldown or send limit", body = crate::http::ErrorBody)))]
async fn resend_signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<ResendSignup>,
) -> ApiResult<ChallengeSent> {
    state.services.rate_limits.check(ip, Some(&req.whatsapp))?;
    let whatsapp = crate::phone::normalize(&req.whatsapp)?;
    let pending: Option<String> = sqlx::query_scalar(
        "SELECT locale FROM tenants WHERE whatsapp = $1 AND status = 'pending_verification'",
    )
    .bind(&whatsapp)
    .fetch_optional(&state.pool)
    .await?;
    let destination = otp::Destination::phone_e164(&whatsapp).map_err(|e| otp_error(e.into()))?;
    let request = otp::IssueRequest::new(otp::Purpose::REGISTER, destination)
        .client_key(ip.to_string())
        .locale(locale_of(pending.as_deref().unwrap_or("id")));
    let issued = state
        .services
        .otp
        .issue_undisclosed(request, pending.is_some())
        .await
        .map_err(otp_error)?;
    Ok(ok(sent(&issued, None)))
}

/// Whose password to reset.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ResetRequest {
    /// Login email.
    email: String,
}

/// Request a password-reset code on the member's WhatsApp number. Answers
/// the same whether or not the email is registered.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 200, description = "Code sent if the account exists", body = inline(crate::http::Data<ChallengeSent>)),
        (status = 429, description = "Too many attempts", body = crate::http::ErrorBody)))]
async fn request_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<ResetRequest>,
) -> ApiResult<ChallengeSent> {
    state.services.rate_limits.check(ip, Some(&req.email))?;
    let email = normalize_email(&req.email)?;
    let row: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT m.whatsapp, t.locale FROM members m JOIN tenants t ON t.id = m.tenant_id WHERE m.email = $1",
    )
    .bind(&email)
    .fetch_optional(&state.pool)
    .await?;
    // Whatever the account, the answer is the same: a real code when the
    // member has a number the channel reaches, else a decoy whose send
    // limits are keyed by the email, so repeated requests for one unknown
    // email hit the same limits a real account would.
    let account = match row {
        Some((Some(whatsapp), locale)) => otp::Destination::phone_e164(&whatsapp)
            .ok()
            .map(|destination| (destination, locale_of(&locale))),
        _ => None,
    };
    let known = account.is_some();
    let (destination, locale) = match account {
        Some(account) => account,
        None => (
            otp::Destination::other("account", &crate::auth::token::hash(&email))
                .map_err(|e| otp_error(e.into()))?,
            otp::Locale::default(),
        ),
    };
    let issued = state
        .services
        .otp
        .issue_undisclosed(
            otp::IssueRequest::new(otp::Purpose::PASSWORD_RESET, destination)
                .client_key(ip.to_string())
                .locale(locale),
            known,
        )
        .await
        .map_err(otp_error)?;
    Ok(ok(sent(&issued, None)))
}

/// The code and the new password.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ConfirmReset {
    /// Login email.
    email: String,
    /// From the reset answer.
    challenge_id: String,
    /// The code received on WhatsApp.
    code: String,
    /// New password (8+ characters).
    #[schema(format = Password)]
    new_password: String,
}

impl std::fmt::Debug for ConfirmReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmReset")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Result of a reset.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResetDone {
    /// Sessions ended by the reset.
    sessions_revoked: u64,
}

/// Set a new password with the reset code; every session of the member ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth",
    request_body = ConfirmReset,
    responses(
        (status = 200, description = "Password changed", body = inline(crate::http::Data<ResetDone>)),
        (status = 400, description = "Wrong code or weak password", body = crate::http::ErrorBody),
        (status = 404, description = "Unknown challenge", body = crate::http::ErrorBody)))]
async fn confirm_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<ConfirmReset>,
) -> ApiResult<ResetDone> {
    state.services.rate_limits.check(ip, Some(&req.email))?;
    let email = normalize_email(&req.email)?;
    password::validate(&req.new_password)?;
    let outcome = state
        .services
        .otp
        .verify(&otp::Purpose::PASSWORD_RESET, &req.challenge_id, &req.code)
        .await
        .map_err(otp_error)?;
    let Some(verified) = outcome.verified() else {
        return Err(otp_outcome_error(&outcome));
    };
    let phone = verified.destination.as_phone_e164().map(str::to_owned);
    let member: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT id, whatsapp FROM members WHERE email = $1")
            .bind(&email)
            .fetch_optional(&state.pool)
            .await?;
    // The code must have gone to this member's number.
    let member_id = match member {
        Some((id, Some(w))) if Some(&w) == phone.as_ref() => id,
        _ => return Err(otp_outcome_error(&otp::VerifyOutcome::NotFound)),
    };
    let hash = password::hash(
        SecretString::from(req.new_password),
        state.config.argon2_memory_kib,
    )
    .await?;
    sqlx::query("UPDATE members SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_ms())
        .bind(&member_id)
        .execute(&state.pool)
        .await?;
    let sessions_revoked =
        session::revoke_all(&state.pool, SubjectKind::Member, &member_id).await?;
    Ok(ok(ResetDone { sessions_revoked }))
}
