//! Payout routes: the vendor's ledger and payout account
//! (`/api/v1/marketplace/vendor/payouts`, `/payout-account`) and the
//! admin's payout (`/api/v1/admin/marketplace/vendors/{id}/payouts`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{Ledger, NewPayout, Payout, PayoutAccount};
use super::{accrue, pay_out, store};
use crate::AppState;
use crate::auth::{AdminUser, CurrentMember, Role};
use crate::domain::TenantId;
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, Data, ok};
use crate::marketplace::buyers::model::text_field;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ledger))
        .routes(routes!(get_account, put_account))
        .routes(routes!(admin_payout))
}

/// What the platform owes the vendor: entries per delivered order (after
/// commission and refunds) and the payouts made.
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/payouts", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "The ledger", body = inline(crate::http::Data<Ledger>))))]
async fn ledger(State(state): State<AppState>, member: CurrentMember) -> ApiResult<Ledger> {
    Ok(ok(ledger_of(&state, member.tenant()).await?))
}

/// The vendor's ledger: what is owed, the entries per delivered order and
/// the payouts (accrued first).
pub(crate) async fn ledger_of(state: &AppState, tenant: &TenantId) -> Result<Ledger, AppError> {
    accrue(state, tenant).await?;
    Ok(Ledger {
        owed_idr: store::owed(&state.pool, tenant).await?,
        entries: store::entries(&state.pool, tenant).await?,
        payouts: store::payouts(&state.pool, tenant).await?,
    })
}

/// The vendor's payout account.
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/payout-account", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "The account", body = inline(crate::http::Data<PayoutAccount>)),
        (status = 404, description = "None set", body = crate::http::ErrorBody)))]
async fn get_account(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<PayoutAccount> {
    Ok(ok(store::account(&state.pool, member.tenant())
        .await?
        .ok_or(AppError::NotFound("payout account"))?))
}

fn checked(a: &PayoutAccount) -> Result<PayoutAccount, AppError> {
    let bank = a.bank.trim().to_ascii_lowercase();
    if bank.is_empty()
        || bank.len() > 20
        || !bank.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(AppError::bad_request(
            "invalid_bank",
            Text::new(
                "bank: kode bank Iris seperti bca, bni, mandiri",
                "bank: an Iris bank code such as bca, bni, mandiri",
            ),
        ));
    }
    let account = a.account.trim().to_owned();
    if !(5..=30).contains(&account.len()) || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::bad_request(
            "invalid_account",
            Text::new("account: 5 sampai 30 angka", "account: 5 to 30 digits"),
        ));
    }
    Ok(PayoutAccount {
        bank,
        account,
        holder_name: text_field("holder_name", &a.holder_name, 100)?,
    })
}

/// Set where the vendor's payouts go (admin role).
#[utoipa::path(put, path = "/api/v1/marketplace/vendor/payout-account", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    request_body = PayoutAccount,
    responses((status = 200, description = "Saved", body = inline(crate::http::Data<PayoutAccount>)),
        (status = 400, description = "Invalid bank, account or name", body = crate::http::ErrorBody)))]
async fn put_account(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<PayoutAccount>,
) -> ApiResult<PayoutAccount> {
    member.require(Role::Admin)?;
    let a = checked(&req)?;
    store::set_account(&state.pool, member.tenant(), &a).await?;
    Ok(ok(a))
}

/// Pay a vendor everything it is owed through Midtrans Iris (platform
/// admin). The same `idempotency_key` returns the same payout, and
/// retries it while Iris has not accepted it.
#[utoipa::path(post, path = "/api/v1/admin/marketplace/vendors/{tenant_id}/payouts", tag = "admin",
    security(("admin_session" = [])),
    params(("tenant_id" = String, Path, description = "Vendor id")),
    request_body = NewPayout,
    responses((status = 201, description = "Paid out", body = inline(crate::http::Data<Payout>)),
        (status = 200, description = "Already paid out with this key", body = inline(crate::http::Data<Payout>)),
        (status = 409, description = "`nothing_owed`, `payout_account_missing` or `payout_in_progress`", body = crate::http::ErrorBody),
        (status = 502, description = "Iris refused; the payout stays pending, retry with the same key", body = crate::http::ErrorBody),
        (status = 503, description = "Iris not configured", body = crate::http::ErrorBody)))]
async fn admin_payout(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(tenant_id): Path<TenantId>,
    ApiJson(req): ApiJson<NewPayout>,
) -> Result<(StatusCode, axum::Json<Data<Payout>>), AppError> {
    let (payout, created) = admin_pay_out(&state, &admin, &tenant_id, &req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, ok(payout)))
}

/// A platform admin pays an existing vendor everything it is owed, once
/// per idempotency key; answers the payout and whether this call made it.
pub(crate) async fn admin_pay_out(
    state: &AppState,
    admin: &AdminUser,
    tenant_id: &TenantId,
    req: &NewPayout,
) -> Result<(Payout, bool), AppError> {
    let key = text_field("idempotency_key", &req.idempotency_key, 100)?;
    crate::tenants::store::get(&state.pool, tenant_id)
        .await?
        .ok_or(AppError::NotFound("vendor"))?;
    pay_out(state, tenant_id, &key, admin.admin_id.as_str()).await
}
