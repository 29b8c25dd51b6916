//! The contact-group routes: list, create, rename and delete groups, add
//! and remove members. The rules are functions the console calls too.

use axum::extract::{Path, State};

use super::model::{CreateGroup, GroupMembers, GroupView, duplicate_group, validate_group_name};
use super::store;
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::db::now_ms;
use crate::domain::{ContactId, GroupId, TenantId};
use crate::http::i18n::tr;
use crate::http::{
    ApiJson, ApiResult, AppError, ConstraintExt, Created, Data, ErrorBody, created, ok,
};

/// List contact groups.
#[utoipa::path(get, path = "/api/v1/contact-groups", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Groups", body = inline(Data<Vec<GroupView>>))))]
pub(super) async fn list_groups(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<GroupView>> {
    Ok(ok(store::groups(&state.pool, &member.tenant_id).await?))
}

/// Create a contact group (admin).
#[utoipa::path(post, path = "/api/v1/contact-groups", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    request_body = CreateGroup,
    responses(
        (status = 201, description = "Created", body = inline(Data<GroupView>)),
        (status = 409, description = "Name taken", body = ErrorBody)))]
pub(super) async fn create_group(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<CreateGroup>,
) -> Created<GroupView> {
    Ok(created(create(&state, &member, &req.name).await?))
}

/// Creates a group (admin): the rules of `POST /api/v1/contact-groups`.
pub(crate) async fn create(
    state: &AppState,
    member: &CurrentMember,
    name: &str,
) -> Result<GroupView, AppError> {
    member.require(Role::Admin)?;
    let name = validate_group_name(name)?;
    let id = GroupId::new();
    let now = now_ms();
    let (code, text) = duplicate_group();
    store::insert_group(&state.pool, &member.tenant_id, &id, &name, now)
        .await
        .on_unique(code, text)?;
    Ok(GroupView {
        id,
        name,
        members: 0,
        created_at: now,
    })
}

/// Rename a contact group (admin).
#[utoipa::path(patch, path = "/api/v1/contact-groups/{group_id}", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    params(("group_id" = String, Path, description = "Group id")),
    request_body = CreateGroup,
    responses(
        (status = 200, description = "Renamed", body = inline(Data<GroupView>)),
        (status = 400, description = "Invalid name", body = ErrorBody),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody)))]
pub(super) async fn rename_group(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<GroupId>,
    ApiJson(req): ApiJson<CreateGroup>,
) -> ApiResult<GroupView> {
    Ok(ok(rename(&state, &member, &id, &req.name).await?))
}

/// Renames a group (admin): the rules of
/// `PATCH /api/v1/contact-groups/{group_id}`.
pub(crate) async fn rename(
    state: &AppState,
    member: &CurrentMember,
    id: &GroupId,
    name: &str,
) -> Result<GroupView, AppError> {
    member.require(Role::Admin)?;
    let name = validate_group_name(name)?;
    let (code, text) = duplicate_group();
    let found = store::rename_group(&state.pool, &member.tenant_id, id, &name)
        .await
        .on_unique(code, text)?;
    if !found {
        return Err(AppError::NotFound("group"));
    }
    store::group(&state.pool, &member.tenant_id, id)
        .await?
        .ok_or(AppError::NotFound("group"))
}

/// Delete a contact group (admin); its contacts stay.
#[utoipa::path(delete, path = "/api/v1/contact-groups/{group_id}", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    params(("group_id" = String, Path, description = "Group id")),
    responses(
        (status = 200, description = "Deleted", body = inline(Data<serde_json::Value>)),
        (status = 404, description = "No such group", body = ErrorBody)))]
pub(super) async fn delete_group(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<GroupId>,
) -> ApiResult<serde_json::Value> {
    delete(&state, &member, &id).await?;
    Ok(ok(serde_json::json!({ "deleted": true })))
}

/// Deletes a group (admin), keeping its contacts: the rules of
/// `DELETE /api/v1/contact-groups/{group_id}`.
pub(crate) async fn delete(
    state: &AppState,
    member: &CurrentMember,
    id: &GroupId,
) -> Result<(), AppError> {
    member.require(Role::Admin)?;
    let mut tx = state.begin_write().await?;
    if !store::delete_group(&mut tx, &member.tenant_id, id).await? {
        return Err(AppError::NotFound("group"));
    }
    tx.commit().await?;
    Ok(())
}

async fn group_exists(state: &AppState, tenant: &TenantId, id: &GroupId) -> Result<(), AppError> {
    if store::group_exists(&state.pool, tenant, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("group"))
    }
}

/// Add contacts to a group (admin). Unknown contact ids are rejected.
#[utoipa::path(post, path = "/api/v1/contact-groups/{group_id}/members", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    params(("group_id" = String, Path, description = "Group id")),
    request_body = GroupMembers,
    responses(
        (status = 200, description = "Added", body = inline(Data<serde_json::Value>)),
        (status = 400, description = "Unknown contact", body = ErrorBody),
        (status = 404, description = "No such group", body = ErrorBody)))]
pub(super) async fn add_group_members(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<GroupId>,
    ApiJson(req): ApiJson<GroupMembers>,
) -> ApiResult<serde_json::Value> {
    add_members(&state, &member, &id, &req.contact_ids).await?;
    Ok(ok(serde_json::json!({ "added": req.contact_ids.len() })))
}

/// Adds contacts to a group (admin), refusing ids that are not the
/// vendor's contacts: the rules of
/// `POST /api/v1/contact-groups/{group_id}/members`.
pub(crate) async fn add_members(
    state: &AppState,
    member: &CurrentMember,
    id: &GroupId,
    contact_ids: &[ContactId],
) -> Result<(), AppError> {
    member.require(Role::Admin)?;
    let tenant = &member.tenant_id;
    group_exists(state, tenant, id).await?;
    let known = store::known_ids(&state.pool, tenant, contact_ids).await?;
    if let Some(bad) = contact_ids.iter().find(|c| !known.contains(*c)) {
        return Err(AppError::bad_request(
            "unknown_contact",
            tr!(
                "tidak ada kontak dengan id {bad}",
                "no contact with id {bad}"
            ),
        ));
    }
    let mut tx = state.begin_write().await?;
    store::add_to_group(&mut tx, tenant, id, contact_ids).await?;
    tx.commit().await?;
    Ok(())
}

/// Remove contacts from a group (admin).
#[utoipa::path(delete, path = "/api/v1/contact-groups/{group_id}/members", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    params(("group_id" = String, Path, description = "Group id")),
    request_body = GroupMembers,
    responses(
        (status = 200, description = "Removed", body = inline(Data<serde_json::Value>)),
        (status = 404, description = "No such group", body = ErrorBody)))]
pub(super) async fn remove_group_members(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<GroupId>,
    ApiJson(req): ApiJson<GroupMembers>,
) -> ApiResult<serde_json::Value> {
    let removed = remove_members(&state, &member, &id, &req.contact_ids).await?;
    Ok(ok(serde_json::json!({ "removed": removed })))
}

/// Removes contacts from a group (admin); returns how many were members:
/// the rules of `DELETE /api/v1/contact-groups/{group_id}/members`.
pub(crate) async fn remove_members(
    state: &AppState,
    member: &CurrentMember,
    id: &GroupId,
    contact_ids: &[ContactId],
) -> Result<u64, AppError> {
    member.require(Role::Admin)?;
    let tenant = &member.tenant_id;
    group_exists(state, tenant, id).await?;
    Ok(store::remove_from_group(&state.pool, tenant, id, contact_ids).await?)
}
