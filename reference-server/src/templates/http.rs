//! HTTP handlers of the templates area.

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{CloudTemplateMapping, Compiled, TemplateMedia};
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::contacts::store as contacts;
use crate::db::{is_unique_violation, new_id, now_ms};
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, Created, Data, ErrorBody, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(preview_template))
        .routes(routes!(validate_template))
}

/// A message template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    /// Id.
    pub id: String,
    /// Name (unique per vendor).
    pub name: String,
    /// Text with `{variables}` and `{spin|tax}`.
    pub body: String,
    /// Optional media.
    pub media: Option<TemplateMedia>,
    /// Optional Cloud API template mapping.
    pub cloud_template: Option<CloudTemplateMapping>,
    /// What `{name}` and `{first_name}` say for a contact without a name
    /// (none: `Kak`).
    pub name_fallback: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

/// A new template or a full replacement.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateInput {
    /// Name (1..=100 characters, unique per vendor).
    pub name: String,
    /// Text with `{variables}` and `{spin|tax}`.
    pub body: String,
    /// Optional media; the rendered body becomes its caption.
    #[serde(default)]
    pub media: Option<TemplateMedia>,
    /// Optional Cloud API template mapping.
    #[serde(default)]
    pub cloud_template: Option<CloudTemplateMapping>,
    /// What `{name}` and `{first_name}` say for a contact without a name:
    /// 1 to 40 characters, e.g. `there` for an English text ("Hi there").
    /// Default `Kak`, the polite Indonesian address ("Halo Kak").
    #[serde(default)]
    pub name_fallback: Option<String>,
}

const COLUMNS: &str = "id, name, body, media_kind, media_url, cloud_template, name_fallback, \
     created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<TemplateView, AppError> {
    let media_kind: Option<String> = row.try_get("media_kind")?;
    let media_url: Option<String> = row.try_get("media_url")?;
    let cloud: Option<String> = row.try_get("cloud_template")?;
    let cloud_template = cloud
        .map(|c| serde_json::from_str::<CloudTemplateMapping>(&c))
        .transpose()
        .map_err(|e| AppError::internal(format!("stored cloud_template unreadable: {e}")))?;
    Ok(TemplateView {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        body: row.try_get("body")?,
        media: media_kind
            .zip(media_url)
            .map(|(kind, url)| TemplateMedia { kind, url }),
        cloud_template,
        name_fallback: row.try_get("name_fallback")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Loads one of the tenant's templates.
pub(crate) async fn load(
    pool: &sqlx::AnyPool,
    tenant_id: &str,
    id: &str,
) -> Result<TemplateView, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM message_templates WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound("template"))?;
    from_row(&row)
}

/// Compiles a stored template against the tenant's current custom fields.
pub(crate) async fn compile_stored(
    pool: &sqlx::AnyPool,
    tenant_id: &str,
    id: &str,
) -> Result<Compiled, AppError> {
    let t = load(pool, tenant_id, id).await?;
    let known = contacts::field_names(pool, tenant_id).await?;
    let parts = super::Parts {
        body: &t.body,
        media: t.media.as_ref(),
        cloud: t.cloud_template.as_ref(),
        name_fallback: t.name_fallback.as_deref(),
    };
    Compiled::compile(&parts, &known)
}

impl TemplateInput {
    fn parts(&self) -> super::Parts<'_> {
        super::Parts {
            body: &self.body,
            media: self.media.as_ref(),
            cloud: self.cloud_template.as_ref(),
            name_fallback: self.name_fallback.as_deref(),
        }
    }
}

fn validate_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 {
        return Err(AppError::bad_request(
            "invalid_name",
            Text::new(
                "nama harus terdiri dari 1 sampai 100 karakter",
                "the name must have 1 to 100 characters",
            ),
        ));
    }
    Ok(n.to_owned())
}

fn name_taken(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e) {
        AppError::conflict(
            "template_exists",
            Text::new(
                "template dengan nama ini sudah ada",
                "a template with this name already exists",
            ),
        )
    } else {
        e.into()
    }
}

/// List templates.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Templates", body = inline(Data<Vec<TemplateView>>))))]
async fn list_templates(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<TemplateView>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM message_templates WHERE tenant_id = $1 ORDER BY name"
    ))
    .bind(&member.tenant_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(ok(rows
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?))
}

/// Create a template (admin). Broken spintax and unknown variables are
/// rejected with the line and column.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates",
    security(("session" = []), ("api_key" = [])),
    request_body = TemplateInput,
    responses(
        (status = 201, description = "Created", body = inline(Data<TemplateView>)),
        (status = 400, description = "invalid_template / unknown_variable / invalid_media / invalid_name_fallback", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody)))]
async fn create_template(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<TemplateInput>,
) -> Created<TemplateView> {
    member.require(Role::Admin)?;
    let name = validate_name(&req.name)?;
    let known = contacts::field_names(&state.pool, &member.tenant_id).await?;
    let compiled = Compiled::compile(&req.parts(), &known)?;
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO message_templates (id, tenant_id, name, body, media_kind, media_url, cloud_template, \
         name_fallback, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(&member.tenant_id)
    .bind(&name)
    .bind(&req.body)
    .bind(req.media.as_ref().map(|m| m.kind.clone()))
    .bind(req.media.as_ref().map(|m| m.url.clone()))
    .bind(req.cloud_template.as_ref().map(|c| serde_json::to_string(c).unwrap_or_default()))
    .bind(compiled.stored_name_fallback())
    .bind(now)
    .execute(&state.pool)
    .await
    .map_err(name_taken)?;
    Ok(created(load(&state.pool, &member.tenant_id, &id).await?))
}

/// One template.
#[utoipa::path(get, path = "/api/v1/templates/{template_id}", tag = "templates",
    security(("session" = []), ("api_key" = [])),
    params(("template_id" = String, Path, description = "Template id")),
    responses(
        (status = 200, description = "The template", body = inline(Data<TemplateView>)),
        (status = 404, description = "No such template", body = ErrorBody)))]
async fn get_template(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> ApiResult<TemplateView> {
    Ok(ok(load(&state.pool, &member.tenant_id, &id).await?))
}

/// Replace a template (admin). Campaigns already started keep sending the
/// version they started with only until the next process restart, so edit
/// templates of running campaigns with care.
#[utoipa::path(put, path = "/api/v1/templates/{template_id}", tag = "templates",
    security(("session" = []), ("api_key" = [])),
    params(("template_id" = String, Path, description = "Template id")),
    request_body = TemplateInput,
    responses(
        (status = 200, description = "Updated", body = inline(Data<TemplateView>)),
        (status = 400, description = "invalid_template / unknown_variable / invalid_media / invalid_name_fallback", body = ErrorBody),
        (status = 404, description = "No such template", body = ErrorBody)))]
async fn update_template(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TemplateInput>,
) -> ApiResult<TemplateView> {
    member.require(Role::Admin)?;
    let name = validate_name(&req.name)?;
    let known = contacts::field_names(&state.pool, &member.tenant_id).await?;
    let compiled = Compiled::compile(&req.parts(), &known)?;
    let n = sqlx::query(
        "UPDATE message_templates SET name = $1, body = $2, media_kind = $3, media_url = $4, \
         cloud_template = $5, name_fallback = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9",
    )
    .bind(&name)
    .bind(&req.body)
    .bind(req.media.as_ref().map(|m| m.kind.clone()))
    .bind(req.media.as_ref().map(|m| m.url.clone()))
    .bind(
        req.cloud_template
            .as_ref()
            .map(|c| serde_json::to_string(c).unwrap_or_default()),
    )
    .bind(compiled.stored_name_fallback())
    .bind(now_ms())
    .bind(&member.tenant_id)
    .bind(&id)
    .execute(&state.pool)
    .await
    .map_err(name_taken)?
    .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound("template"));
    }
    Ok(ok(load(&state.pool, &member.tenant_id, &id).await?))
}

/// Delete a template (admin); refused while a campaign that is not
/// finished uses it.
#[utoipa::path(delete, path = "/api/v1/templates/{template_id}", tag = "templates",
    security(("session" = []), ("api_key" = [])),
    params(("template_id" = String, Path, description = "Template id")),
    responses(
        (status = 200, description = "Deleted", body = inline(Data<serde_json::Value>)),
        (status = 404, description = "No such template", body = ErrorBody),
        (status = 409, description = "In use by a campaign", body = ErrorBody)))]
async fn delete_template(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> ApiResult<serde_json::Value> {
    member.require(Role::Admin)?;
    let in_use: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaigns WHERE tenant_id = $1 AND (template_id = $2 OR followup_template_id = $2) \
         AND status IN ('draft', 'scheduled', 'running', 'paused')",
    )
    .bind(&member.tenant_id)
    .bind(&id)
    .fetch_one(&state.pool)
    .await?;
    if in_use > 0 {
        return Err(AppError::conflict(
            "template_in_use",
            Text::new(
                "template ini masih dipakai kampanye yang belum selesai",
                "a campaign that has not finished uses this template",
            ),
        ));
    }
    let n = sqlx::query("DELETE FROM message_templates WHERE tenant_id = $1 AND id = $2")
        .bind(&member.tenant_id)
        .bind(&id)
        .execute(&state.pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound("template"));
    }
    Ok(ok(serde_json::json!({ "deleted": true })))
}

/// Whom to preview for.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PreviewRequest {
    /// The contact whose variables fill the template.
    pub contact_id: String,
    /// Spintax seed (random when absent); the same seed gives the same text.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// A rendered preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    /// The text the contact would receive.
    pub text: String,
    /// The whole message as sent to the provider.
    #[schema(value_type = Object)]
    pub message: serde_json::Value,
    /// The Cloud API template message used as fallback, if mapped.
    #[schema(value_type = Option<Object>)]
    pub cloud_template: Option<serde_json::Value>,
    /// The seed used.
    pub seed: u64,
}

/// Preview a template for one contact.
#[utoipa::path(post, path = "/api/v1/templates/{template_id}/preview", tag = "templates",
    security(("session" = []), ("api_key" = [])),
    params(("template_id" = String, Path, description = "Template id")),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "Rendered", body = inline(Data<Preview>)),
        (status = 404, description = "No such template or contact", body = ErrorBody)))]
async fn preview_template(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> ApiResult<Preview> {
    let compiled = compile_stored(&state.pool, &member.tenant_id, &id).await?;
    let contact = contacts::get(&state.pool, &member.tenant_id, &req.contact_id)
        .await?
        .ok_or(AppError::NotFound("contact"))?;
    let vars = compiled.contact_vars(&contact.name, &contact.phone, &contact.fields);
    let seed = req.seed.unwrap_or_else(rand::random);
    let text = compiled.render_text(&vars, seed)?;
    let message =
        serde_json::to_value(compiled.render(&vars, seed)?).map_err(AppError::internal)?;
    let cloud_template = compiled
        .render_cloud(&vars, seed)?
        .map(|m| serde_json::to_value(m).map_err(AppError::internal))
        .transpose()?;
    Ok(ok(Preview {
        text,
        message,
        cloud_template,
        seed,
    }))
}

/// Check a template text without saving it.
#[utoipa::path(post, path = "/api/v1/templates/validate", tag = "templates",
    security(("session" = []), ("api_key" = [])),
    request_body = TemplateInput,
    responses(
        (status = 200, description = "Valid", body = inline(Data<serde_json::Value>)),
        (status = 400, description = "Invalid, with line and column", body = ErrorBody)))]
async fn validate_template(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<TemplateInput>,
) -> ApiResult<serde_json::Value> {
    let known = contacts::field_names(&state.pool, &member.tenant_id).await?;
    let c = Compiled::compile(&req.parts(), &known)?;
    let sample = c.contact_vars("Budi Santoso", "+6281234567890", &Default::default());
    Ok(ok(
        serde_json::json!({ "valid": true, "sample": c.render_text(&sample, 1)? }),
    ))
}
