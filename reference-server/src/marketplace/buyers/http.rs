//! Buyer sign-in, profile and addresses (`/api/v1/marketplace/auth/...`,
//! `/api/v1/marketplace/me...`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::TOKEN_PREFIX;
use super::model::{
    Address, Buyer, BuyerSession, CodeSent, CurrentBuyer, NewAddress, RequestCode, UpdateBuyer,
    VerifyCode, locale, text_field,
};
use super::store;
use crate::AppState;
use crate::auth::token;
use crate::db::{is_unique_violation, now_ms};
use crate::domain::{AddressId, BuyerId};
use crate::http::extract::ClientIp;
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, Created, created, ok};
use crate::tenants::signup::{locale_of, otp_error, otp_outcome_error};

/// Addresses a buyer may keep.
const MAX_ADDRESSES: i64 = 20;

#[derive(OpenApi)]
#[openapi(modifiers(&BuyerScheme))]
struct BuyerDoc;

struct BuyerScheme;

impl Modify for BuyerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                super::SECURITY_BUYER,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "Buyer session token from /api/v1/marketplace/auth/verify",
                        ))
                        .build(),
                ),
            );
    }
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(BuyerDoc::openapi())
        .routes(routes!(request_code))
        .routes(routes!(verify_code))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
        .routes(routes!(list_addresses, add_address))
        .routes(routes!(delete_address))
}

fn purpose() -> otp::Purpose {
    otp::Purpose::custom("buyer_login").unwrap_or(otp::Purpose::LOGIN)
}

/// Send a sign-in code to a WhatsApp number (a new number gets an account
/// when it signs in). Answers the same for known and unknown numbers.
#[utoipa::path(post, path = "/api/v1/marketplace/auth/code", tag = "marketplace",
    request_body = RequestCode,
    responses(
        (status = 200, description = "Code sent", body = inline(crate::http::Data<CodeSent>)),
        (status = 400, description = "Invalid number", body = crate::http::ErrorBody),
        (status = 429, description = "Cooldown or send limit", body = crate::http::ErrorBody)))]
async fn request_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RequestCode>,
) -> ApiResult<CodeSent> {
    state.services.rate_limits.check(ip, Some(&req.whatsapp))?;
    let whatsapp = crate::phone::normalize(&req.whatsapp)?;
    let lang = match req.locale.as_deref() {
        Some(l) => locale(l)?,
        None => store::by_whatsapp(&state.pool, &whatsapp)
            .await?
            .map_or_else(|| "id".to_owned(), |b| b.locale),
    };
    let destination = otp::Destination::phone_e164(&whatsapp).map_err(|e| otp_error(e.into()))?;
    let issued = state
        .services
        .otp
        .issue(
            otp::IssueRequest::new(purpose(), destination)
                .client_key(ip.to_string())
                .locale(locale_of(&lang)),
        )
        .await
        .map_err(otp_error)?;
    Ok(ok(CodeSent {
        challenge_id: issued.challenge_id,
        expires_at: issued.expires_at.timestamp_millis(),
        resend_after_secs: issued.resend_after.as_secs(),
    }))
}

/// Sign in with the code; creates the account on first sign-in.
#[utoipa::path(post, path = "/api/v1/marketplace/auth/verify", tag = "marketplace",
    request_body = VerifyCode,
    responses(
        (status = 200, description = "Signed in", body = inline(crate::http::Data<BuyerSession>)),
        (status = 400, description = "Wrong code", body = crate::http::ErrorBody),
        (status = 404, description = "Unknown or used challenge", body = crate::http::ErrorBody),
        (status = 410, description = "Code expired", body = crate::http::ErrorBody),
        (status = 423, description = "Too many wrong codes", body = crate::http::ErrorBody)))]
async fn verify_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<VerifyCode>,
) -> ApiResult<BuyerSession> {
    state
        .services
        .rate_limits
        .check(ip, Some(&req.challenge_id))?;
    let name = req
        .name
        .as_deref()
        .map(|n| text_field("name", n, 100))
        .transpose()?;
    let lang = req.locale.as_deref().map(locale).transpose()?;
    let outcome = state
        .services
        .otp
        .verify(&purpose(), &req.challenge_id, &req.code)
        .await
        .map_err(otp_error)?;
    let Some(verified) = outcome.verified() else {
        return Err(otp_outcome_error(&outcome));
    };
    let whatsapp = verified
        .destination
        .as_phone_e164()
        .ok_or_else(|| AppError::internal("buyer challenge without a phone"))?
        .to_owned();
    let mut created_now = false;
    let buyer = match store::by_whatsapp(&state.pool, &whatsapp).await? {
        Some(b) => b,
        None => {
            let id = BuyerId::new();
            match store::insert(
                &state.pool,
                &id,
                &whatsapp,
                name.as_deref(),
                lang.as_deref().unwrap_or("id"),
            )
            .await
            {
                Ok(()) => created_now = true,
                // The same number signed in twice at once: keep the first.
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => return Err(e.into()),
            }
            store::by_whatsapp(&state.pool, &whatsapp)
                .await?
                .ok_or_else(|| AppError::internal("buyer vanished after insert"))?
        }
    };
    let token = token::generate(TOKEN_PREFIX);
    let expires_at = now_ms() + state.config.session_ttl_hours.max(1) * 3_600_000;
    store::insert_session(&state.pool, &buyer.id, &token::hash(&token), expires_at).await?;
    Ok(ok(BuyerSession {
        token,
        expires_at,
        created: created_now,
        buyer,
    }))
}

/// End the current buyer session.
#[utoipa::path(post, path = "/api/v1/marketplace/auth/logout", tag = "marketplace",
    security(("buyer_session" = [])),
    responses((status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = crate::http::ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
) -> Result<StatusCode, AppError> {
    store::revoke_session(&state.pool, &buyer.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn load(state: &AppState, buyer: &BuyerId) -> Result<Buyer, AppError> {
    store::get(&state.pool, buyer)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// The signed-in buyer.
#[utoipa::path(get, path = "/api/v1/marketplace/me", tag = "marketplace",
    security(("buyer_session" = [])),
    responses((status = 200, description = "The buyer", body = inline(crate::http::Data<Buyer>)),
        (status = 401, description = "Not signed in", body = crate::http::ErrorBody)))]
async fn me(State(state): State<AppState>, buyer: CurrentBuyer) -> ApiResult<Buyer> {
    Ok(ok(load(&state, &buyer.buyer_id).await?))
}

/// Change the buyer's name or language.
#[utoipa::path(patch, path = "/api/v1/marketplace/me", tag = "marketplace",
    security(("buyer_session" = [])),
    request_body = UpdateBuyer,
    responses((status = 200, description = "Updated", body = inline(crate::http::Data<Buyer>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody)))]
async fn update_me(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    ApiJson(req): ApiJson<UpdateBuyer>,
) -> ApiResult<Buyer> {
    let name = req
        .name
        .as_deref()
        .map(|n| text_field("name", n, 100))
        .transpose()?;
    let lang = req.locale.as_deref().map(locale).transpose()?;
    store::update(
        &state.pool,
        &buyer.buyer_id,
        name.as_deref(),
        lang.as_deref(),
    )
    .await?;
    Ok(ok(load(&state, &buyer.buyer_id).await?))
}

/// The buyer's shipping addresses.
#[utoipa::path(get, path = "/api/v1/marketplace/me/addresses", tag = "marketplace",
    security(("buyer_session" = [])),
    responses((status = 200, description = "Addresses", body = inline(crate::http::Data<Vec<Address>>))))]
async fn list_addresses(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
) -> ApiResult<Vec<Address>> {
    Ok(ok(store::addresses(&state.pool, &buyer.buyer_id).await?))
}

/// Add a shipping address.
#[utoipa::path(post, path = "/api/v1/marketplace/me/addresses", tag = "marketplace",
    security(("buyer_session" = [])),
    request_body = NewAddress,
    responses((status = 201, description = "Added", body = inline(crate::http::Data<Address>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody),
        (status = 409, description = "Too many addresses", body = crate::http::ErrorBody)))]
async fn add_address(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    ApiJson(req): ApiJson<NewAddress>,
) -> Created<Address> {
    let address = req.validate()?;
    if store::address_count(&state.pool, &buyer.buyer_id).await? >= MAX_ADDRESSES {
        return Err(AppError::conflict(
            "too_many_addresses",
            Text::new(
                format!("paling banyak {MAX_ADDRESSES} alamat; hapus salah satu dulu"),
                format!("at most {MAX_ADDRESSES} addresses; delete one first"),
            ),
        ));
    }
    let id = AddressId::new();
    store::insert_address(&state.pool, &buyer.buyer_id, &id, &address).await?;
    let saved = store::address(&state.pool, &buyer.buyer_id, &id)
        .await?
        .ok_or(AppError::NotFound("address"))?;
    Ok(created(saved))
}

/// Delete a shipping address (orders keep their own copy).
#[utoipa::path(delete, path = "/api/v1/marketplace/me/addresses/{address_id}", tag = "marketplace",
    security(("buyer_session" = [])),
    params(("address_id" = String, Path, description = "Address id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such address of this buyer", body = crate::http::ErrorBody)))]
async fn delete_address(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    Path(address_id): Path<AddressId>,
) -> Result<StatusCode, AppError> {
    if store::delete_address(&state.pool, &buyer.buyer_id, &address_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound("address"))
    }
}
