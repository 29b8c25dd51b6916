//! The vendor's own profile and its members.

use axum::extract::{Path, State};
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{
    MemberView, NewMember, NewMemberRow, TenantView, UpdateMember, UpdateTenant, validate_locale,
    validate_name, validate_time_zone,
};
use super::store;
use crate::AppState;
use crate::audit::{self, Action, Entry, TargetKind};
use crate::auth::{CurrentMember, Role, password};
use crate::db::now_ms;
use crate::domain::{MemberId, TenantId};
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, ConstraintExt, Created, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_tenant, update_tenant))
        .routes(routes!(list_members, add_member))
        .routes(routes!(get_member, update_member, remove_member))
}

/// The vendor, 404 when it does not exist.
pub(crate) async fn load(state: &AppState, tenant: &TenantId) -> Result<TenantView, AppError> {
    store::get(&state.pool, tenant)
        .await?
        .ok_or(AppError::NotFound("tenant"))
}

/// The caller's vendor.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "The vendor", body = inline(crate::http::Data<TenantView>))))]
async fn get_tenant(State(state): State<AppState>, member: CurrentMember) -> ApiResult<TenantView> {
    Ok(ok(load(&state, member.tenant()).await?))
}

/// Update the caller's vendor profile.
#[utoipa::path(patch, path = "/api/v1/tenant", tag = "tenant",
    security(("session" = []), ("api_key" = [])),
    request_body = UpdateTenant,
    responses(
        (status = 200, description = "Updated", body = inline(crate::http::Data<TenantView>)),
        (status = 400, description = "Invalid value", body = crate::http::ErrorBody)))]
async fn update_tenant(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<UpdateTenant>,
) -> ApiResult<TenantView> {
    Ok(ok(update_profile(&state, &member, req).await?))
}

/// Changes the caller's vendor profile (admin or owner): the rules of
/// `PATCH /api/v1/tenant`.
pub(crate) async fn update_profile(
    state: &AppState,
    member: &CurrentMember,
    req: UpdateTenant,
) -> Result<TenantView, AppError> {
    member.require(Role::Admin)?;
    let name = req.name.map(|n| validate_name(&n)).transpose()?;
    let locale = req.locale.map(|l| validate_locale(&l)).transpose()?;
    let time_zone = req.time_zone.map(|t| validate_time_zone(&t)).transpose()?;
    store::update_profile(
        &state.pool,
        member.tenant(),
        name.as_deref(),
        locale.as_deref(),
        time_zone.as_deref(),
        now_ms(),
    )
    .await?;
    load(state, member.tenant()).await
}

/// One member of the vendor, 404 when it is not the vendor's.
pub(crate) async fn load_member(
    state: &AppState,
    tenant: &TenantId,
    member: &MemberId,
) -> Result<MemberView, AppError> {
    store::member(&state.pool, tenant, member)
        .await?
        .ok_or(AppError::NotFound("member"))
}

/// List the vendor's members.
#[utoipa::path(get, path = "/api/v1/members", tag = "members",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Members", body = inline(crate::http::Data<Vec<MemberView>>))))]
async fn list_members(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<MemberView>> {
    Ok(ok(store::members(&state.pool, member.tenant()).await?))
}

/// Add a member to the vendor.
#[utoipa::path(post, path = "/api/v1/members", tag = "members",
    security(("session" = [])),
    request_body = NewMember,
    responses(
        (status = 201, description = "Added", body = inline(crate::http::Data<MemberView>)),
        (status = 403, description = "Role too low", body = crate::http::ErrorBody),
        (status = 409, description = "Email taken", body = crate::http::ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<NewMember>,
) -> Created<MemberView> {
    Ok(created(add(&state, &member, req).await?))
}

/// Adds a member (a logged-in admin adds agents, the owner also admins):
/// the rules of `POST /api/v1/members`.
pub(crate) async fn add(
    state: &AppState,
    member: &CurrentMember,
    req: NewMember,
) -> Result<MemberView, AppError> {
    member.require_session()?;
    member.require(Role::Admin)?;
    match req.role {
        Role::Owner => {
            return Err(AppError::bad_request(
                "invalid_role",
                Text::new(
                    "satu vendor hanya punya satu pemilik (owner)",
                    "a vendor has exactly one owner",
                ),
            ));
        }
        Role::Admin => member.require(Role::Owner)?,
        Role::Agent => {}
    }
    let email = crate::auth::normalize_email(&req.email)?;
    let name = validate_name(&req.name)?;
    let whatsapp = req
        .whatsapp
        .as_deref()
        .map(crate::phone::normalize)
        .transpose()?;
    password::validate(&req.password)?;
    let hash = password::hash(
        SecretString::from(req.password),
        state.config.argon2_memory_kib,
    )
    .await?;
    let id = MemberId::new();
    let mut tx = state.begin_write().await?;
    store::insert_member(
        &mut *tx,
        &NewMemberRow {
            id: &id,
            tenant_id: member.tenant(),
            email: &email,
            name: &name,
            whatsapp: whatsapp.as_deref(),
            password_hash: &hash,
            role: req.role,
            now: now_ms(),
        },
    )
    .await
    .on_unique("email_taken", email_taken())?;
    let entry = Entry::by_member(Action::MemberAdded, member)
        .target(TargetKind::Member, &id)
        .after(serde_json::json!({ "email": email, "name": name, "role": req.role }));
    audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    load_member(state, member.tenant(), &id).await
}

/// 409 `email_taken`.
pub(super) fn email_taken() -> Text {
    Text::new(
        "email ini sudah terdaftar",
        "this email is already registered",
    )
}

/// One member of the vendor.
#[utoipa::path(get, path = "/api/v1/members/{member_id}", tag = "members",
    security(("session" = []), ("api_key" = [])),
    params(("member_id" = String, Path, description = "Member id")),
    responses(
        (status = 200, description = "The member", body = inline(crate::http::Data<MemberView>)),
        (status = 404, description = "No such member in this vendor", body = crate::http::ErrorBody)))]
async fn get_member(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(member_id): Path<MemberId>,
) -> ApiResult<MemberView> {
    Ok(ok(load_member(&state, member.tenant(), &member_id).await?))
}

/// Change a member's name or role.
#[utoipa::path(patch, path = "/api/v1/members/{member_id}", tag = "members",
    security(("session" = [])),
    params(("member_id" = String, Path, description = "Member id")),
    request_body = UpdateMember,
    responses(
        (status = 200, description = "Updated", body = inline(crate::http::Data<MemberView>)),
        (status = 404, description = "No such member in this vendor", body = crate::http::ErrorBody)))]
async fn update_member(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(member_id): Path<MemberId>,
    ApiJson(req): ApiJson<UpdateMember>,
) -> ApiResult<MemberView> {
    Ok(ok(change(&state, &member, &member_id, req).await?))
}

/// Changes a member's name (self or an admin) or role (the owner only;
/// never to or from owner): the rules of `PATCH /api/v1/members/{id}`.
pub(crate) async fn change(
    state: &AppState,
    member: &CurrentMember,
    member_id: &MemberId,
    req: UpdateMember,
) -> Result<MemberView, AppError> {
    member.require_session()?;
    let target = load_member(state, member.tenant(), member_id).await?;
    if &target.id != member.member() {
        member.require(Role::Admin)?;
    }
    if let Some(role) = req.role {
        member.require(Role::Owner)?;
        if role == Role::Owner || target.role == Role::Owner {
            return Err(AppError::bad_request(
                "invalid_role",
                Text::new(
                    "peran pemilik (owner) tidak bisa diubah",
                    "the owner's role cannot be changed",
                ),
            ));
        }
    }
    let name = req.name.map(|n| validate_name(&n)).transpose()?;
    store::update_member(
        &state.pool,
        member.tenant(),
        member_id,
        name.as_deref(),
        req.role,
        now_ms(),
    )
    .await?;
    if let Some(role) = req.role.filter(|r| *r != target.role) {
        let entry = Entry::by_member(Action::MemberRoleChanged, member)
            .target(TargetKind::Member, member_id)
            .before(serde_json::json!({ "role": target.role }))
            .after(serde_json::json!({ "role": role }));
        audit::record(state, entry).await?;
    }
    load_member(state, member.tenant(), member_id).await
}

/// Remove a member (not the owner); their sessions end.
#[utoipa::path(delete, path = "/api/v1/members/{member_id}", tag = "members",
    security(("session" = [])),
    params(("member_id" = String, Path, description = "Member id")),
    responses(
        (status = 200, description = "Removed", body = inline(crate::http::Data<MemberView>)),
        (status = 404, description = "No such member in this vendor", body = crate::http::ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(member_id): Path<MemberId>,
) -> ApiResult<MemberView> {
    Ok(ok(remove(&state, &member, &member_id).await?))
}

/// Removes a member (an admin removes agents, the owner also admins;
/// never the owner) and ends its sessions: the rules of
/// `DELETE /api/v1/members/{id}`.
pub(crate) async fn remove(
    state: &AppState,
    member: &CurrentMember,
    member_id: &MemberId,
) -> Result<MemberView, AppError> {
    member.require_session()?;
    let target = load_member(state, member.tenant(), member_id).await?;
    member.require(Role::Admin)?;
    if target.role == Role::Owner {
        return Err(AppError::bad_request(
            "invalid_role",
            Text::new(
                "pemilik (owner) tidak bisa dihapus",
                "the owner cannot be removed",
            ),
        ));
    }
    if target.role == Role::Admin {
        member.require(Role::Owner)?;
    }
    let mut tx = state.begin_write().await?;
    // The member's API keys are revoked with it, and its sessions end now.
    store::remove_member(&mut tx, member.tenant(), member_id, now_ms()).await?;
    crate::auth::store::delete_member_sessions(&mut *tx, member.tenant(), member_id).await?;
    let entry = Entry::by_member(Action::MemberRemoved, member)
        .target(TargetKind::Member, member_id)
        .before(serde_json::json!({ "email": target.email, "role": target.role }));
    audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(target)
}
