//! The contact-group routes: list, create and delete groups, add and
//! remove members.

use axum::extract::{Path, State};

use super::model::{CreateGroup, GroupMembers, GroupView};
use super::store;
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::db::now_ms;
use crate::domain::GroupId;
use crate::http::i18n::{Text, tr};
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
    member.require(Role::Admin)?;
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_request(
            "invalid_name",
            Text::new(
                "nama harus terdiri dari 1 sampai 100 karakter",
                "the name must have 1 to 100 characters",
            ),
        ));
    }
    let id = GroupId::new();
    let now = now_ms();
    store::insert_group(&state.pool, &member.tenant_id, &id, &name, now)
        .await
        .on_unique(
            "group_exists",
            Text::new(
                "grup kontak dengan nama ini sudah ada",
                "a group with this name already exists",
            ),
        )?;
    Ok(created(GroupView {
        id,
        name,
        members: 0,
        created_at: now,
    }))
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
    member.require(Role::Admin)?;
    let mut tx = state.begin_write().await?;
    if !store::delete_group(&mut tx, &member.tenant_id, &id).await? {
        return Err(AppError::NotFound("group"));
    }
    tx.commit().await?;
    Ok(ok(serde_json::json!({ "deleted": true })))
}

async fn group_exists(state: &AppState, tenant: &str, id: &str) -> Result<(), AppError> {
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
    member.require(Role::Admin)?;
    let tenant = &member.tenant_id;
    group_exists(&state, tenant, &id).await?;
    let known = store::known_ids(&state.pool, tenant, &req.contact_ids).await?;
    if let Some(bad) = req.contact_ids.iter().find(|c| !known.contains(*c)) {
        return Err(AppError::bad_request(
            "unknown_contact",
            tr!(
                "tidak ada kontak dengan id {bad}",
                "no contact with id {bad}"
            ),
        ));
    }
    let mut tx = state.begin_write().await?;
    store::add_to_group(&mut tx, tenant, &id, &req.contact_ids).await?;
    tx.commit().await?;
    Ok(ok(serde_json::json!({ "added": req.contact_ids.len() })))
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
    member.require(Role::Admin)?;
    let tenant = &member.tenant_id;
    group_exists(&state, tenant, &id).await?;
    let removed = store::remove_from_group(&state.pool, tenant, &id, &req.contact_ids).await?;
    Ok(ok(serde_json::json!({ "removed": removed })))
}
