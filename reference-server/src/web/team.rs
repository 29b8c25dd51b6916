//! `/console/team`: the vendor's members and their roles (add, rename,
//! change role, remove), and `/console/api-keys` (create, shown once;
//! revoke). Every change runs the rules of `/api/v1/members` and
//! `/api/v1/api-keys` (`tenants::add_member`, ..., `tenants::api_keys`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::format::when;
use super::page::{Chrome, FormErrors, PageResult, WebForm, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::auth::{Role, normalize_email, password};
use crate::domain::{ApiKeyId, MemberId};
use crate::http::AppError;
use crate::http::i18n::{Lang, Text};
use crate::tenants::model::{ApiKeyView, MemberView, NewApiKey, NewMember, UpdateMember};
use crate::tenants::validate_name;

/// The team and API key pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/team", get(team).post(add))
        .route("/console/team/{member_id}", get(member).post(change))
        .route("/console/team/{member_id}/remove", post(remove))
        .route("/console/api-keys", get(keys).post(create_key))
        .route("/console/api-keys/{api_key_id}/revoke", post(revoke_key))
}

/// A role's name on the pages.
pub(super) fn role_name(role: Role, lang: Lang) -> &'static str {
    match role {
        Role::Owner => lang.t("pemilik", "owner"),
        Role::Admin => lang.t("admin", "admin"),
        Role::Agent => lang.t("agen", "agent"),
    }
}

/// The add-member form as typed (the password is never shown again).
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    whatsapp: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

struct MemberRow {
    m: MemberView,
    role: &'static str,
    me: bool,
}

#[derive(Template)]
#[template(path = "web/team.html")]
struct TeamPage {
    chrome: Chrome,
    members: Vec<MemberRow>,
    form: AddForm,
    errors: FormErrors,
    can_add: bool,
    can_add_admin: bool,
}

async fn team_page(
    state: &AppState,
    c: Console,
    form: AddForm,
    errors: FormErrors,
) -> Result<TeamPage, AppError> {
    let lang = c.chrome.lang;
    let members = crate::tenants::store::members(&state.pool, c.member.tenant())
        .await?
        .into_iter()
        .map(|m| MemberRow {
            role: role_name(m.role, lang),
            me: &m.id == c.member.member(),
            m,
        })
        .collect();
    Ok(TeamPage {
        can_add: c.member.role.at_least(Role::Admin),
        can_add_admin: c.member.role == Role::Owner,
        chrome: c.chrome.at("team"),
        members,
        form,
        errors,
    })
}

/// `GET /console/team`.
async fn team(State(state): State<AppState>, c: Console) -> PageResult {
    c.member.require(Role::Agent)?;
    let form = AddForm {
        role: "agent".to_owned(),
        ..AddForm::default()
    };
    Ok(render(&team_page(&state, c, form, FormErrors::new()).await?)?.into_response())
}

/// `POST /console/team`: a new member; every field is checked with the
/// API's validators so all mistakes show at once.
async fn add(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<AddForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    errors.check("name", validate_name(&form.name))?;
    errors.check("email", normalize_email(&form.email))?;
    if !form.whatsapp.trim().is_empty() {
        errors.check("whatsapp", crate::phone::normalize(&form.whatsapp))?;
    }
    errors.check("password", password::validate(&form.password))?;
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.add(
            "role",
            &Text::new(
                "pilih peran agen atau admin",
                "choose the agent or admin role",
            ),
        );
    }
    if let (Some(role), true) = (role, errors.is_empty()) {
        let req = NewMember {
            email: form.email.clone(),
            name: form.name.clone(),
            password: form.password.clone(),
            role,
            whatsapp: Some(form.whatsapp.trim().to_owned()).filter(|w| !w.is_empty()),
        };
        match crate::tenants::add_member(&state, &c.member, req).await {
            Ok(_) => return see_other("/console/team"),
            Err(e) => errors.absorb(
                e,
                &[
                    ("email_taken", "email"),
                    ("invalid_role", "role"),
                    ("invalid_phone_number", "whatsapp"),
                ],
            )?,
        }
    }
    let form = AddForm {
        password: String::new(),
        ..form
    };
    invalid(&team_page(&state, c, form, errors).await?)
}

#[derive(Template)]
#[template(path = "web/member.html")]
struct MemberPage {
    chrome: Chrome,
    who: MemberView,
    /// The name as typed.
    typed_name: String,
    role: &'static str,
    errors: FormErrors,
    /// The signed-in member may rename this one (self, or an admin).
    can_rename: bool,
    /// The signed-in member may change this one's role (the owner, not
    /// for the owner).
    can_change_role: bool,
    can_remove: bool,
}

fn member_page(c: Console, who: MemberView, typed_name: String, errors: FormErrors) -> MemberPage {
    let me = &who.id == c.member.member();
    let owner = c.member.role == Role::Owner;
    MemberPage {
        role: role_name(who.role, c.chrome.lang),
        can_rename: me || c.member.role.at_least(Role::Admin),
        can_change_role: owner && who.role != Role::Owner,
        can_remove: who.role != Role::Owner
            && !me
            && (owner || (c.member.role == Role::Admin && who.role == Role::Agent)),
        chrome: c.chrome.at("team"),
        who,
        typed_name,
        errors,
    }
}

/// `GET /console/team/{id}`: another vendor's member is a 404.
async fn member(State(state): State<AppState>, c: Console, Path(id): Path<MemberId>) -> PageResult {
    c.member.require(Role::Agent)?;
    let m = crate::tenants::load_member(&state, c.member.tenant(), &id).await?;
    let name = m.name.clone();
    Ok(render(&member_page(c, m, name, FormErrors::new()))?.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: Option<String>,
}

/// `POST /console/team/{id}`: a new name and, for the owner, a new role.
async fn change(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<MemberId>,
    WebForm(form): WebForm<ChangeForm>,
) -> PageResult {
    let current = crate::tenants::load_member(&state, c.member.tenant(), &id).await?;
    let mut errors = FormErrors::new();
    errors.check("name", validate_name(&form.name))?;
    let role = form
        .role
        .as_deref()
        .filter(|r| !r.is_empty())
        .map(Role::parse);
    if role == Some(None) {
        errors.add("role", &Text::new("peran tidak dikenal", "unknown role"));
    }
    if errors.is_empty() {
        let req = UpdateMember {
            name: Some(form.name.clone()),
            // Only a real change of role asks for the owner's right.
            role: role.flatten().filter(|r| *r != current.role),
        };
        match crate::tenants::change_member(&state, &c.member, &id, req).await {
            Ok(_) => return see_other("/console/team"),
            Err(e) => errors.absorb(
                e,
                &[("invalid_role", "role"), ("insufficient_role", "role")],
            )?,
        }
    }
    invalid(&member_page(c, current, form.name, errors))
}

/// `POST /console/team/{id}/remove`: the member's sessions end with it.
async fn remove(State(state): State<AppState>, c: Console, Path(id): Path<MemberId>) -> PageResult {
    crate::tenants::remove_member(&state, &c.member, &id).await?;
    see_other("/console/team")
}

struct KeyRow {
    k: ApiKeyView,
    created: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "web/api_keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    /// The name as typed.
    typed_name: String,
    errors: FormErrors,
    /// The key just created: shown on this answer only.
    created: Option<String>,
}

async fn keys_page(
    state: &AppState,
    c: Console,
    typed_name: String,
    errors: FormErrors,
    created: Option<String>,
) -> Result<KeysPage, AppError> {
    let keys = crate::tenants::api_keys::list(state, &c.member)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            created: when(Some(k.created_at)),
            revoked: k.revoked_at.map(|t| when(Some(t))),
            k,
        })
        .collect();
    Ok(KeysPage {
        chrome: c.chrome.at("api-keys"),
        keys,
        typed_name,
        errors,
        created,
    })
}

/// `GET /console/api-keys`.
async fn keys(State(state): State<AppState>, c: Console) -> PageResult {
    Ok(
        render(&keys_page(&state, c, String::new(), FormErrors::new(), None).await?)?
            .into_response(),
    )
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct KeyForm {
    #[serde(default)]
    name: String,
}

/// `POST /console/api-keys`: a new key, shown once in this answer (the
/// console's answers are never cached).
async fn create_key(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<KeyForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    match crate::tenants::api_keys::create(
        &state,
        &c.member,
        NewApiKey {
            name: form.name.clone(),
        },
    )
    .await
    {
        Ok(created) => {
            let page = keys_page(&state, c, String::new(), errors, Some(created.key)).await?;
            Ok(render(&page)?.into_response())
        }
        Err(e) => {
            errors.absorb(e, &[("invalid_name", "name")])?;
            invalid(&keys_page(&state, c, form.name, errors, None).await?)
        }
    }
}

/// `POST /console/api-keys/{id}/revoke`: another vendor's key is a 404.
async fn revoke_key(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ApiKeyId>,
) -> PageResult {
    crate::tenants::api_keys::revoke(&state, &c.member, &id).await?;
    see_other("/console/api-keys")
}
