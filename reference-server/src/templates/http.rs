//! HTTP handlers of templates.

use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::compile::{Parts, Refused};
use super::model::{self, Preview, PreviewRequest, TemplateInput, TemplateView};
use super::{Compiled, compile_stored, store};
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::contacts::store as contacts;
use crate::db::now_ms;
use crate::domain::{ContactId, TemplateId, TenantId};
use crate::http::i18n::Text;
use crate::http::{
    ApiJson, ApiResult, AppError, ConstraintExt, Created, Data, ErrorBody, ResultExt, created, ok,
};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(preview_template))
        .routes(routes!(validate_template))
}

/// The caller's tenant, typed.
fn tenant_of(member: &CurrentMember) -> TenantId {
    TenantId::from(member.tenant_id.as_str())
}

/// Loads one of the tenant's templates (404 when it is not the tenant's).
pub(crate) async fn load(
    pool: &sqlx::AnyPool,
    tenant_id: &TenantId,
    id: &TemplateId,
) -> Result<TemplateView, AppError> {
    store::get(pool, tenant_id, id)
        .await?
        .ok_or(AppError::NotFound("template"))?
        .try_into()
}

/// The answer to a name another template of the vendor has.
fn name_taken() -> Text {
    Text::new(
        "template dengan nama ini sudah ada",
        "a template with this name already exists",
    )
}

/// The Cloud API mapping of a request as stored (JSON).
fn cloud_json(req: &TemplateInput) -> Result<Option<String>, AppError> {
    req.cloud_template
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .context("writing a cloud_template mapping as JSON")
}

/// List templates.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Templates", body = inline(Data<Vec<TemplateView>>))))]
async fn list_templates(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<TemplateView>> {
    Ok(ok(list(&state.pool, &tenant_of(&member)).await?))
}

/// The vendor's templates.
pub(crate) async fn list(
    pool: &sqlx::AnyPool,
    tenant: &TenantId,
) -> Result<Vec<TemplateView>, AppError> {
    store::list(pool, tenant)
        .await?
        .into_iter()
        .map(TemplateView::try_from)
        .collect()
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
    Ok(created(
        create(&state, &member, &req).await.map_err(|r| r.error)?,
    ))
}

/// Checks and stores a new template (admin): the rules of
/// `POST /api/v1/templates`. A mistake in a text comes with its position.
pub(crate) async fn create(
    state: &AppState,
    member: &CurrentMember,
    req: &TemplateInput,
) -> Result<TemplateView, Refused> {
    member.require(Role::Admin)?;
    let tenant = tenant_of(member);
    let name = model::validate_name(&req.name)?;
    let known = contacts::field_names(&state.pool, &tenant).await?;
    let compiled = Compiled::compile_at(&req.parts(), &known)?;
    let cloud = cloud_json(req)?;
    let id = TemplateId::new();
    store::insert(
        &state.pool,
        &tenant,
        &id,
        store::Fields {
            name: &name,
            input: req,
            cloud_template: cloud.as_deref(),
            name_fallback: compiled.stored_name_fallback(),
        },
        now_ms(),
    )
    .await
    .on_unique("template_exists", name_taken())?;
    Ok(load(&state.pool, &tenant, &id).await?)
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
    Path(id): Path<TemplateId>,
) -> ApiResult<TemplateView> {
    Ok(ok(load(&state.pool, &tenant_of(&member), &id).await?))
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
    Path(id): Path<TemplateId>,
    ApiJson(req): ApiJson<TemplateInput>,
) -> ApiResult<TemplateView> {
    Ok(ok(update(&state, &member, &id, &req)
        .await
        .map_err(|r| r.error)?))
}

/// Checks and replaces a template (admin): the rules of
/// `PUT /api/v1/templates/{id}`. A mistake in a text comes with its
/// position.
pub(crate) async fn update(
    state: &AppState,
    member: &CurrentMember,
    id: &TemplateId,
    req: &TemplateInput,
) -> Result<TemplateView, Refused> {
    member.require(Role::Admin)?;
    let tenant = tenant_of(member);
    let name = model::validate_name(&req.name)?;
    let known = contacts::field_names(&state.pool, &tenant).await?;
    let compiled = Compiled::compile_at(&req.parts(), &known)?;
    let cloud = cloud_json(req)?;
    let found = store::update(
        &state.pool,
        &tenant,
        id,
        store::Fields {
            name: &name,
            input: req,
            cloud_template: cloud.as_deref(),
            name_fallback: compiled.stored_name_fallback(),
        },
        now_ms(),
    )
    .await
    .on_unique("template_exists", name_taken())?;
    if !found {
        return Err(AppError::NotFound("template").into());
    }
    Ok(load(&state.pool, &tenant, id).await?)
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
    Path(id): Path<TemplateId>,
) -> ApiResult<serde_json::Value> {
    delete(&state, &member, &id).await?;
    Ok(ok(serde_json::json!({ "deleted": true })))
}

/// Deletes a template (admin) unless a campaign that has not finished
/// uses it: the rules of `DELETE /api/v1/templates/{id}`.
pub(crate) async fn delete(
    state: &AppState,
    member: &CurrentMember,
    id: &TemplateId,
) -> Result<(), AppError> {
    member.require(Role::Admin)?;
    let tenant = tenant_of(member);
    if (state.services.hooks.template_uses)(&state.pool, &tenant, id).await? > 0 {
        return Err(AppError::conflict(
            "template_in_use",
            Text::new(
                "template ini masih dipakai kampanye yang belum selesai",
                "a campaign that has not finished uses this template",
            ),
        ));
    }
    if !store::delete(&state.pool, &tenant, id).await? {
        return Err(AppError::NotFound("template"));
    }
    Ok(())
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
    Path(id): Path<TemplateId>,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> ApiResult<Preview> {
    let tenant = tenant_of(&member);
    let compiled = compile_stored(&state.pool, &tenant, &id).await?;
    let contact = contacts::get(&state.pool, &tenant, &req.contact_id)
        .await?
        .ok_or(AppError::NotFound("contact"))?;
    let vars = compiled.contact_vars(&contact.name, &contact.phone, &contact.fields);
    let seed = req.seed.unwrap_or_else(rand::random);
    let text = compiled.render_text(&vars, seed)?;
    let message = serde_json::to_value(compiled.render(&vars, seed)?)
        .context("writing a previewed message as JSON")?;
    let cloud_template = compiled
        .render_cloud(&vars, seed)?
        .map(serde_json::to_value)
        .transpose()
        .context("writing a previewed Cloud API template as JSON")?;
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
    let sample = preview_draft(&state, &member, &req.parts(), None, 1)
        .await
        .map_err(|r| r.error)?;
    Ok(ok(serde_json::json!({ "valid": true, "sample": sample })))
}

/// The text a template that is not saved yet renders for one of the
/// vendor's contacts (404 when it is not the vendor's), or for a sample
/// contact (Budi Santoso, no custom fields) when none is chosen. A mistake
/// in a text comes with its position.
pub(crate) async fn preview_draft(
    state: &AppState,
    member: &CurrentMember,
    parts: &Parts<'_>,
    contact: Option<&ContactId>,
    seed: u64,
) -> Result<String, Refused> {
    let tenant = tenant_of(member);
    let known = contacts::field_names(&state.pool, &tenant).await?;
    let c = Compiled::compile_at(parts, &known)?;
    let vars = match contact {
        None => c.contact_vars("Budi Santoso", "+6281234567890", &Default::default()),
        Some(id) => {
            let contact = contacts::get(&state.pool, &tenant, id)
                .await?
                .ok_or(AppError::NotFound("contact"))?;
            c.contact_vars(&contact.name, &contact.phone, &contact.fields)
        }
    };
    Ok(c.render_text(&vars, seed)?)
}
