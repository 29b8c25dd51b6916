//! Vendor sign-up with an OTP over WhatsApp, and password reset by OTP
//! (`/api/v1/auth/signup...`, `/api/v1/auth/password-reset...`).
//!
//! Sign-up creates the vendor in `pending_verification` with its owner,
//! then sends a code from the platform's own WhatsApp sender (the simulator
//! by default). Verifying the code activates the vendor (or moves it to
//! `pending_approval` when `require_approval` is set), grants the `trial`
//! plan when it exists, and logs the owner in. The OTP rules (code length,
//! expiry, attempts, resend cooldown, send limits) are those of the `otp`
//! crate. Resending a sign-up code and requesting a reset answer the same
//! whether or not the number or email is known.

use std::net::IpAddr;

use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{
    ChallengeSent, ConfirmReset, NewMemberRow, NewTenant, ResendSignup, ResetDone, ResetRequest,
    SessionResponse, SignupRequest, SignupVerified, TenantStatus, VerifySignup, validate_locale,
    validate_name,
};
use super::store;
use crate::AppState;
use crate::auth::{Role, normalize_email, password, session, token};
use crate::db::now_ms;
use crate::domain::{MemberId, TenantId};
use crate::http::extract::ClientIp;
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, ConstraintExt, ok};

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

pub(crate) fn otp_error(e: otp::OtpError) -> AppError {
    match e.http_status() {
        429 => AppError::RateLimited {
            retry_after_secs: e.retry_after().map_or(60, |d| d.as_secs().max(1)),
        },
        400 => AppError::bad_request(
            "otp_invalid_request",
            Text::new(
                e.user_message(otp::Locale::Indonesian),
                e.user_message(otp::Locale::English),
            ),
        ),
        502 | 503 => AppError::Upstream(format!("OTP delivery failed: {e}")),
        _ => AppError::internal_from("one-time passcode", e),
    }
}

pub(crate) fn otp_outcome_error(outcome: &otp::VerifyOutcome) -> AppError {
    let code = match outcome {
        otp::VerifyOutcome::WrongCode { .. } => "otp_wrong_code",
        otp::VerifyOutcome::Expired => "otp_expired",
        otp::VerifyOutcome::Locked => "otp_locked",
        _ => "otp_not_found",
    };
    AppError::Status {
        status: StatusCode::from_u16(outcome.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
        code,
        message: Text::new(
            outcome.user_message(otp::Locale::Indonesian),
            outcome.user_message(otp::Locale::English),
        ),
    }
}

pub(crate) fn locale_of(tag: &str) -> otp::Locale {
    otp::Locale::from_tag(tag).unwrap_or_default()
}

fn sent(issued: &otp::Issued, tenant_id: Option<TenantId>) -> ChallengeSent {
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
    Ok(ok(start_signup(&state, ip, req).await?))
}

/// Creates the pending vendor and its owner and sends the sign-up code:
/// the rules of `POST /api/v1/auth/signup`, for every face that signs
/// vendors up.
pub(crate) async fn start_signup(
    state: &AppState,
    ip: IpAddr,
    req: SignupRequest,
) -> Result<ChallengeSent, AppError> {
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
    if let Some(stale) = store::unverified_signup(&mut *tx, &whatsapp, &email).await? {
        store::delete_unverified(&mut tx, &stale).await?;
    }
    let tenant_id = TenantId::new();
    store::insert_tenant(
        &mut *tx,
        &NewTenant {
            id: &tenant_id,
            name: &business,
            whatsapp: &whatsapp,
            status: TenantStatus::PendingVerification,
            locale: &locale,
            now,
        },
    )
    .await
    .on_unique(
        "whatsapp_taken",
        Text::new(
            "nomor WhatsApp ini sudah terdaftar",
            "this WhatsApp number is already registered",
        ),
    )?;
    store::insert_member(
        &mut *tx,
        &NewMemberRow {
            id: &MemberId::new(),
            tenant_id: &tenant_id,
            email: &email,
            name: &name,
            whatsapp: Some(&whatsapp),
            password_hash: &hash,
            role: Role::Owner,
            now,
        },
    )
    .await
    .on_unique("email_taken", super::http::email_taken())?;
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
    Ok(sent(&issued, Some(tenant_id)))
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
    Ok(ok(finish_signup(&state, ip, req).await?))
}

/// Checks the sign-up code, activates the vendor (or queues it for
/// approval) and logs the owner in: the rules of
/// `POST /api/v1/auth/signup/verify`.
pub(crate) async fn finish_signup(
    state: &AppState,
    ip: IpAddr,
    req: VerifySignup,
) -> Result<SignupVerified, AppError> {
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
    let tenant_id = store::verify_signup(&mut *tx, &whatsapp, next, now)
        .await?
        .ok_or(AppError::NotFound("pending sign-up"))?;
    (state.services.hooks.vendor_verified)(&mut tx, &tenant_id, now).await?;
    let member_id = store::owner_of(&mut *tx, &tenant_id).await?;
    tx.commit().await?;
    let session = if next == TenantStatus::Active {
        let s = session::for_member(
            &state.pool,
            &member_id,
            &tenant_id,
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
    Ok(SignupVerified {
        tenant_id,
        status: next,
        session,
    })
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
    Ok(ok(resend_code(&state, ip, req).await?))
}

/// Sends a new sign-up code when a sign-up is pending for the number, and
/// answers the same when none is: the rules of
/// `POST /api/v1/auth/signup/resend`.
pub(crate) async fn resend_code(
    state: &AppState,
    ip: IpAddr,
    req: ResendSignup,
) -> Result<ChallengeSent, AppError> {
    state.services.rate_limits.check(ip, Some(&req.whatsapp))?;
    let whatsapp = crate::phone::normalize(&req.whatsapp)?;
    let pending = store::unverified_signup_locale(&state.pool, &whatsapp).await?;
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
    Ok(sent(&issued, None))
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
    let target = store::reset_target(&state.pool, &email).await?;
    // Whatever the account, the answer is the same: a real code when the
    // member has a number the channel reaches, else a decoy whose send
    // limits are keyed by the email, so repeated requests for one unknown
    // email hit the same limits a real account would.
    let account = target.and_then(|t| {
        let whatsapp = t.whatsapp?;
        otp::Destination::phone_e164(&whatsapp)
            .ok()
            .map(|destination| (destination, locale_of(&t.locale)))
    });
    let known = account.is_some();
    let (destination, locale) = match account {
        Some(account) => account,
        None => (
            otp::Destination::other("account", &token::hash(&email))
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
    let phone = verified.destination.as_phone_e164();
    // The code must have gone to this member's number.
    let member_id = match store::member_phone(&state.pool, &email).await? {
        Some(m) if m.whatsapp.is_some() && m.whatsapp.as_deref() == phone => m.id,
        _ => return Err(otp_outcome_error(&otp::VerifyOutcome::NotFound)),
    };
    let hash = password::hash(
        SecretString::from(req.new_password),
        state.config.argon2_memory_kib,
    )
    .await?;
    store::set_password(&state.pool, &member_id, &hash, now_ms()).await?;
    let sessions_revoked =
        crate::auth::store::revoke_member_sessions(&state.pool, &member_id).await?;
    Ok(ok(ResetDone { sessions_revoked }))
}
