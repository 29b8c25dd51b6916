//! Members of a vendor and their roles (owner, admin, agent).

use axum::extract::{Path, State};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{CurrentMember, Role, password};
use crate::db::{is_unique_violation, new_id, now_ms};
use crate::http::{ApiJson, ApiResult, AppError, Created, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, add_member))
        .routes(routes!(get_member, update_member, remove_member))
}

/// A member as listed to the vendor.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// Id.
    pub id: String,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// WhatsApp number (E.164), used for password reset.
    pub whatsapp: Option<String>,
    /// Role.
    pub role: Role,
    /// Unix milliseconds.
    pub created_at: i64,
}

type MemberRow = (String, String, String, Option<String>, String, i64);

fn view(row: MemberRow) -> Result<MemberView, AppError> {
    let (id, email, name, whatsapp, role, created_at) = row;
    Ok(MemberView {
        id,
        email,
        name,
        whatsapp,
        role: Role::parse(&role).ok_or_else(|| AppError::internal("unknown role stored"))?,
        created_at,
    })
}

async fn load(state: &AppState, tenant_id: &str, member_id: &str) -> Result<MemberView, AppError> {
    let row: Option<MemberRow> = sqlx::query_as(
        "SELECT id, email, name, whatsapp, role, created_at FROM members WHERE id = $1 AND tenant_id = $2",
    )
    .bind(member_id)
    .bind(tenant_id)
    .fetch_optional(&state.pool)
    .await?;
    view(row.ok_or(AppError::NotFound("member"))?)
}

/// List the vendor's members.
#[utoipa::path(get, path = "/api/v1/members", tag = "members",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Members", body = inline(crate::http::Data<Vec<MemberView>>))))]
async fn list_members(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<MemberView>> {
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT id, email, name, whatsapp, role, created_at FROM members WHERE tenant_id = $1 \
         ORDER BY created_at, id",
    )
    .bind(&member.tenant_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(ok(rows
        .into_iter()
        .map(view)
        .collect::<Result<Vec<_>, _>>()?))
}

/// A new member (created by an owner or admin).
#[derive(Deserialize, ToSchema)]
pub struct NewMember {
    /// Login email (unique on the platform).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Initial password.
    #[schema(format = Password)]
    pub password: String,
    /// `admin` or `agent` (an admin can only add agents).
    pub role: Role,
    /// WhatsApp number for password reset (optional).
    pub whatsapp: Option<String>,
}

impl std::fmt::Debug for NewMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMember")
            .field("email", &self.email)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
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
    member.require_session()?;
    member.require(Role::Admin)?;
    match req.role {
        Role::Owner => {
            return Err(AppError::bad_request(
                "invalid_role",
                crate::http::i18n::Text::new(
                    "satu vendor hanya punya satu pemilik (owner)",
                    "a vendor has exactly one owner",
                ),
            ));
        }
        Role::Admin => member.require(Role::Owner)?,
        Role::Agent => {}
    }
    let email = crate::auth::normalize_email(&req.email)?;
    let name = super::handlers::validate_name(&req.name)?;
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
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO members (id, tenant_id, email, name, whatsapp, password_hash, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(&member.tenant_id)
    .bind(&email)
    .bind(&name)
    .bind(whatsapp)
    .bind(hash)
    .bind(req.role.as_str())
    .bind(now)
    .execute(&state.pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("email_taken", crate::http::i18n::Text::new("email ini sudah terdaftar", "this email is already registered"))
        } else {
            e.into()
        }
    })?;
    Ok(created(load(&state, &member.tenant_id, &id).await?))
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
    Path(member_id): Path<String>,
) -> ApiResult<MemberView> {
    Ok(ok(load(&state, &member.tenant_id, &member_id).await?))
}

/// Changes to a member.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMember {
    /// New display name.
    pub name: Option<String>,
    /// New role (`admin` or `agent`; owner only).
    pub role: Option<Role>,
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
    Path(member_id): Path<String>,
    ApiJson(req): ApiJson<UpdateMember>,
) -> ApiResult<MemberView> {
    member.require_session()?;
    let target = load(&state, &member.tenant_id, &member_id).await?;
    if target.id != member.member_id {
        member.require(Role::Admin)?;
    }
    if let Some(role) = req.role {
        member.require(Role::Owner)?;
        if role == Role::Owner || target.role == Role::Owner {
            return Err(AppError::bad_request(
                "invalid_role",
                crate::http::i18n::Text::new(
                    "peran pemilik (owner) tidak bisa diubah",
                    "the owner's role cannot be changed",
                ),
            ));
        }
    }
    let name = req
        .name
        .map(|n| super::handlers::validate_name(&n))
        .transpose()?;
    sqlx::query(
        "UPDATE members SET name = COALESCE($1, name), role = COALESCE($2, role), updated_at = $3 \
         WHERE id = $4 AND tenant_id = $5",
    )
    .bind(name)
    .bind(req.role.map(|r| r.as_str().to_owned()))
    .bind(now_ms())
    .bind(&member_id)
    .bind(&member.tenant_id)
    .execute(&state.pool)
    .await?;
    Ok(ok(load(&state, &member.tenant_id, &member_id).await?))
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
    Path(member_id): Path<String>,
) -> ApiResult<MemberView> {
    member.require_session()?;
    let target = load(&state, &member.tenant_id, &member_id).await?;
    member.require(Role::Admin)?;
    if target.role == Role::Owner {
        return Err(AppError::bad_request(
            "invalid_role",
            crate::http::i18n::Text::new(
                "pemilik (owner) tidak bisa dihapus",
                "the owner cannot be removed",
            ),
        ));
    }
    if target.role == Role::Admin {
        member.require(Role::Owner)?;
    }
    let mut tx = state.begin_write().await?;
    // Sessions and API keys of the member end now (a key acts on behalf of
    // its creator, who is gone).
    sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE created_by = $2 AND tenant_id = $3 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(&member_id)
        .bind(&member.tenant_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM sessions WHERE subject_kind = 'member' AND subject_id = $1 AND tenant_id = $2",
    )
    .bind(&member_id)
    .bind(&member.tenant_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM members WHERE id = $1 AND tenant_id = $2")
        .bind(&member_id)
        .bind(&member.tenant_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ok(target))
}
