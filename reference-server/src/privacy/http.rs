//! Personal data over HTTP: a vendor exports and erases one contact and
//! sets its message retention; the owner schedules or cancels the
//! account's deletion; a buyer exports and erases its own account; a
//! platform admin erases a person by number everywhere.

use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{
    BuyerData, Cancelled, ContactData, ContactErasure, DeletionRequest, DeletionStatus, Erased,
    PersonErasure, PersonRequest, PrivacySettings,
};
use super::{account, buyer, contact, retention};
use crate::AppState;
use crate::audit::{self, Action, Actor, Entry, TargetKind};
use crate::auth::{AdminUser, CurrentMember, Role};
use crate::domain::ContactId;
use crate::http::{ApiJson, ApiResult, ErrorBody, ok};
use crate::marketplace::buyers::CurrentBuyer;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_contact))
        .routes(routes!(erase_contact))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(deletion_status, request_deletion, cancel_deletion))
        .routes(routes!(export_buyer))
        .routes(routes!(erase_buyer))
        .routes(routes!(erase_person))
}

/// Everything stored about one contact: the contact, its groups, its
/// conversations with every message, its campaign rows, the vendor's
/// marketplace orders from a buyer with its number and the plugin data
/// under its number (admin).
#[utoipa::path(get, path = "/api/v1/contacts/{contact_id}/personal-data", tag = "privacy",
    security(("session" = []), ("api_key" = [])),
    params(("contact_id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "The contact's data", body = inline(crate::http::Data<ContactData>)),
        (status = 404, description = "No such contact", body = ErrorBody)))]
async fn export_contact(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ContactId>,
) -> ApiResult<ContactData> {
    member.require(Role::Admin)?;
    let data = contact::export(&state, member.tenant(), &id).await?;
    audit::record(
        &state,
        Entry::by_member(Action::ExportDownloaded, &member).target(TargetKind::Contact, &id),
    )
    .await?;
    Ok(ok(data))
}

/// Erase a contact with its conversations and messages, campaign rows,
/// tags, group memberships and plugin data (admin). Cannot be undone.
#[utoipa::path(post, path = "/api/v1/contacts/{contact_id}/erase", tag = "privacy",
    security(("session" = []), ("api_key" = [])),
    params(("contact_id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "What was deleted", body = inline(crate::http::Data<ContactErasure>)),
        (status = 404, description = "No such contact", body = ErrorBody)))]
async fn erase_contact(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ContactId>,
) -> ApiResult<ContactErasure> {
    member.require(Role::Admin)?;
    let entry = Entry::by_member(Action::DataErased, &member);
    Ok(ok(
        contact::erase(&state, member.tenant(), &id, entry).await?
    ))
}

/// The vendor's personal-data settings.
#[utoipa::path(get, path = "/api/v1/privacy/settings", tag = "privacy",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Settings", body = inline(crate::http::Data<PrivacySettings>))))]
async fn get_settings(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<PrivacySettings> {
    Ok(ok(retention::settings(&state, member.tenant()).await?))
}

/// Set how long message history is kept (admin).
#[utoipa::path(put, path = "/api/v1/privacy/settings", tag = "privacy",
    security(("session" = []), ("api_key" = [])),
    request_body = PrivacySettings,
    responses(
        (status = 200, description = "Saved", body = inline(crate::http::Data<PrivacySettings>)),
        (status = 400, description = "Retention out of range", body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(settings): ApiJson<PrivacySettings>,
) -> ApiResult<PrivacySettings> {
    member.require(Role::Admin)?;
    retention::save(&state, member.tenant(), &settings).await?;
    Ok(ok(settings))
}

/// The account's scheduled deletion.
#[utoipa::path(get, path = "/api/v1/account/deletion", tag = "privacy",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Scheduled", body = inline(crate::http::Data<DeletionStatus>)),
        (status = 404, description = "No deletion scheduled", body = ErrorBody)))]
async fn deletion_status(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<DeletionStatus> {
    Ok(ok(account::status(&state, &member).await?))
}

/// Schedule the vendor account's deletion (owner, signed in). After the
/// cooling-off period every contact, conversation, campaign, device, bot,
/// product and member is deleted; plan and marketplace orders stay for
/// accounting without the vendor's name and number.
#[utoipa::path(post, path = "/api/v1/account/deletion", tag = "privacy",
    security(("session" = [])),
    request_body = DeletionRequest,
    responses(
        (status = 200, description = "Scheduled", body = inline(crate::http::Data<DeletionStatus>)),
        (status = 400, description = "The name does not match", body = ErrorBody),
        (status = 403, description = "Not the owner", body = ErrorBody),
        (status = 409, description = "Already scheduled", body = ErrorBody)))]
async fn request_deletion(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<DeletionRequest>,
) -> ApiResult<DeletionStatus> {
    member.require_session()?;
    Ok(ok(account::request(&state, &member, &req).await?))
}

/// Cancel the account's scheduled deletion (owner, signed in).
#[utoipa::path(delete, path = "/api/v1/account/deletion", tag = "privacy",
    security(("session" = [])),
    responses(
        (status = 200, description = "Cancelled", body = inline(crate::http::Data<Cancelled>)),
        (status = 404, description = "No deletion scheduled", body = ErrorBody)))]
async fn cancel_deletion(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Cancelled> {
    member.require_session()?;
    account::cancel(&state, &member).await?;
    Ok(ok(Cancelled { cancelled: true }))
}

/// Everything the marketplace stores about the signed-in buyer.
#[utoipa::path(get, path = "/api/v1/marketplace/me/personal-data", tag = "marketplace",
    security(("buyer_session" = [])),
    responses((status = 200, description = "The buyer's data", body = inline(crate::http::Data<BuyerData>)),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
async fn export_buyer(State(state): State<AppState>, me: CurrentBuyer) -> ApiResult<BuyerData> {
    Ok(ok(buyer::export(&state, &me.buyer_id).await?))
}

/// Erase the signed-in buyer's account: addresses, cart, sessions, name
/// and number; orders stay for accounting without the shipping address.
#[utoipa::path(post, path = "/api/v1/marketplace/me/erase", tag = "marketplace",
    security(("buyer_session" = [])),
    responses((status = 200, description = "Erased", body = inline(crate::http::Data<Erased>)),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "Orders still under way", body = ErrorBody)))]
async fn erase_buyer(State(state): State<AppState>, me: CurrentBuyer) -> ApiResult<Erased> {
    buyer::erase(&state, &me.buyer_id, Actor::Buyer(me.buyer_id.clone())).await?;
    Ok(ok(Erased { erased: true }))
}

/// Erase a person by WhatsApp number on the whole platform (platform
/// admin): the contact at every vendor that stores the number, with its
/// history, and the marketplace buyer account (409 while its orders are
/// under way; nothing is erased then).
#[utoipa::path(post, path = "/api/v1/admin/personal-data/erase", tag = "admin",
    security(("admin_session" = [])),
    request_body = PersonRequest,
    responses(
        (status = 200, description = "Erased", body = inline(crate::http::Data<PersonErasure>)),
        (status = 400, description = "Invalid number", body = ErrorBody),
        (status = 409, description = "The buyer's orders are under way", body = ErrorBody)))]
async fn erase_person(
    State(state): State<AppState>,
    admin: AdminUser,
    ApiJson(req): ApiJson<PersonRequest>,
) -> ApiResult<PersonErasure> {
    let number = crate::phone::normalize(&req.whatsapp)?;
    let found = crate::marketplace::buyers::store::by_whatsapp(&state.pool, &number).await?;
    if let Some(b) = &found
        && crate::marketplace::orders::store::open_orders_of_buyer(&state.pool, &b.id).await? > 0
    {
        return Err(buyer::orders_open());
    }
    let holders = crate::contacts::store::holders_of_phone(&state.pool, &number).await?;
    for (tenant, id) in &holders {
        contact::erase(&state, tenant, id, Entry::new(Action::DataErased, &admin)).await?;
    }
    if let Some(b) = &found {
        buyer::erase(&state, &b.id, Actor::Admin(admin.admin_id.clone())).await?;
    }
    Ok(ok(PersonErasure {
        vendors: holders.len(),
        buyer: found.is_some(),
    }))
}
