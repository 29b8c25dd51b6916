//! The contact routes: create, list, read, change and delete contacts,
//! import and export files, and the custom field names in use.

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use axum::extract::{Path, Query, State};
use axum::response::Response;
use base64::Engine as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::groups;
use super::import::{self, ColumnMapping, FileError, FileFormat};
use super::model::{
    ContactPage, ContactView, CreateContact, ExportQuery, ImportReport, ImportRequest, ListQuery,
    UpdateContact, duplicate_phone, normalize_phone, validate_fields, validate_name, validate_tags,
};
use super::store::{self, ListFilter};
use crate::AppState;
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentMember, Role};
use crate::billing::limits::{self, Limit};
use crate::db::now_ms;
use crate::domain::{ContactId, GroupId, TenantId};
use crate::http::export::{self, ExportFormat, Table};
use crate::http::i18n::Text;
use crate::http::{
    ApiJson, ApiResult, AppError, ConstraintExt, Created, Data, ErrorBody, created, ok,
};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .routes(routes!(import_contacts))
        .routes(routes!(export_contacts))
        .routes(routes!(list_fields))
        .routes(routes!(groups::list_groups, groups::create_group))
        .routes(routes!(groups::rename_group, groups::delete_group))
        .routes(routes!(
            groups::add_group_members,
            groups::remove_group_members
        ))
}

/// One of the vendor's contacts; another vendor's is "not found": the
/// answer of `GET /api/v1/contacts/{contact_id}`.
pub(crate) async fn get(
    state: &AppState,
    member: &CurrentMember,
    id: &ContactId,
) -> Result<ContactView, AppError> {
    load_view(state, &member.tenant_id, id).await
}

async fn load_view(
    state: &AppState,
    tenant_id: &TenantId,
    id: &ContactId,
) -> Result<ContactView, AppError> {
    store::get(&state.pool, tenant_id, id)
        .await?
        .map(ContactView::from)
        .ok_or(AppError::NotFound("contact"))
}

/// Create a contact (admin).
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    request_body = CreateContact,
    responses(
        (status = 201, description = "Created", body = inline(Data<ContactView>)),
        (status = 400, description = "Invalid number or field", body = ErrorBody),
        (status = 402, description = "Plan contact limit reached", body = ErrorBody),
        (status = 409, description = "Number already a contact", body = ErrorBody)))]
async fn create_contact(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<CreateContact>,
) -> Created<ContactView> {
    member.require(Role::Admin)?;
    let phone = normalize_phone(&req.phone)?;
    let name = validate_name(&req.name)?;
    let fields = validate_fields(req.fields)?;
    let tags = validate_tags(req.tags)?;
    let stored = store::count(&state.pool, &member.tenant_id).await?;
    limits::check_with_current(&state.pool, &member.tenant_id, Limit::Contacts, stored, 1).await?;
    let id = ContactId::new();
    let now = now_ms();
    let mut tx = state.begin_write().await?;
    let (code, text) = duplicate_phone();
    store::insert(&mut tx, &member.tenant_id, &id, &phone, &name, &fields, now)
        .await
        .on_unique(code, text)?;
    store::set_tags(&mut tx, &member.tenant_id, &id, &tags).await?;
    store::remember_fields(&mut tx, &member.tenant_id, fields.keys()).await?;
    tx.commit().await?;
    Ok(created(load_view(&state, &member.tenant_id, &id).await?))
}

/// List contacts.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    params(ListQuery),
    responses((status = 200, description = "A page of contacts", body = inline(Data<ContactPage>))))]
async fn list_contacts(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<ListQuery>,
) -> ApiResult<ContactPage> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let offset = q.offset.unwrap_or(0).max(0);
    Ok(ok(list(&state, &member, &q.filter(), limit, offset).await?))
}

/// A page of the vendor's contacts matching `filter`, oldest first: the
/// list of `GET /api/v1/contacts`.
pub(crate) async fn list(
    state: &AppState,
    member: &CurrentMember,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<ContactPage, AppError> {
    let (items, total) = store::list(&state.pool, &member.tenant_id, filter, limit, offset).await?;
    Ok(ContactPage {
        items: items.into_iter().map(ContactView::from).collect(),
        total,
    })
}

/// One contact.
#[utoipa::path(get, path = "/api/v1/contacts/{contact_id}", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    params(("contact_id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "The contact", body = inline(Data<ContactView>)),
        (status = 404, description = "No such contact", body = ErrorBody)))]
async fn get_contact(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ContactId>,
) -> ApiResult<ContactView> {
    Ok(ok(get(&state, &member, &id).await?))
}

/// Update a contact (admin).
#[utoipa::path(patch, path = "/api/v1/contacts/{contact_id}", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    params(("contact_id" = String, Path, description = "Contact id")),
    request_body = UpdateContact,
    responses(
        (status = 200, description = "Updated", body = inline(Data<ContactView>)),
        (status = 400, description = "Invalid value", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 409, description = "Number already another contact", body = ErrorBody)))]
async fn update_contact(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ContactId>,
    ApiJson(req): ApiJson<UpdateContact>,
) -> ApiResult<ContactView> {
    Ok(ok(update(&state, &member, &id, req).await?))
}

/// Changes a contact (admin): the rules of
/// `PATCH /api/v1/contacts/{contact_id}`, shared with the console.
pub(crate) async fn update(
    state: &AppState,
    member: &CurrentMember,
    id: &ContactId,
    req: UpdateContact,
) -> Result<ContactView, AppError> {
    member.require(Role::Admin)?;
    let phone = req.phone.as_deref().map(normalize_phone).transpose()?;
    let name = req.name.as_deref().map(validate_name).transpose()?;
    let fields = req.fields.map(validate_fields).transpose()?;
    let tags = req.tags.map(validate_tags).transpose()?;
    let now = now_ms();
    let tenant = &member.tenant_id;
    let mut tx = state.begin_write().await?;
    if !store::exists(&mut tx, tenant, id).await? {
        return Err(AppError::NotFound("contact"));
    }
    let (code, text) = duplicate_phone();
    store::update(
        &mut tx,
        tenant,
        id,
        phone.as_deref(),
        name.as_deref(),
        fields.as_ref(),
        now,
    )
    .await
    .on_unique(code, text)?;
    if let Some(o) = req.opted_out {
        store::set_opted_out(&mut *tx, tenant, id, o, now).await?;
    }
    if let Some(tags) = &tags {
        store::set_tags(&mut tx, tenant, id, tags).await?;
    }
    if let Some(f) = &fields {
        store::remember_fields(&mut tx, tenant, f.keys()).await?;
    }
    tx.commit().await?;
    if req.opted_out == Some(true) {
        (state.services.hooks.contact_withdrawn)(&state.pool, tenant, id, "opted_out").await?;
    }
    load_view(state, tenant, id).await
}

/// Delete a contact (admin). Its queued campaign messages are cancelled.
#[utoipa::path(delete, path = "/api/v1/contacts/{contact_id}", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    params(("contact_id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "Deleted", body = inline(Data<serde_json::Value>)),
        (status = 404, description = "No such contact", body = ErrorBody)))]
async fn delete_contact(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ContactId>,
) -> ApiResult<serde_json::Value> {
    member.require(Role::Admin)?;
    let tenant = &member.tenant_id;
    (state.services.hooks.contact_withdrawn)(&state.pool, tenant, &id, "contact_deleted").await?;
    let mut tx = state.begin_write().await?;
    if !store::delete(&mut tx, tenant, &id).await? {
        return Err(AppError::NotFound("contact"));
    }
    tx.commit().await?;
    Ok(ok(serde_json::json!({ "deleted": true })))
}

/// Imports decoded file bytes for a tenant (shared by the API and the CLI).
#[allow(clippy::too_many_arguments)]
pub async fn run_import(
    state: &AppState,
    tenant_id: &TenantId,
    bytes: &[u8],
    file_name: Option<&str>,
    format: Option<FileFormat>,
    mapping: &ColumnMapping,
    extra_tags: Vec<String>,
    group_id: Option<&GroupId>,
    update_existing: bool,
    dry_run: bool,
    progress: impl FnMut(usize, usize),
) -> Result<ImportReport, AppError> {
    let format = format.unwrap_or_else(|| import::detect_format(file_name, bytes));
    let file_err = |e: FileError| AppError::bad_request("invalid_file", e.text());
    let table = import::read_table(format, bytes).map_err(file_err)?;
    let parsed = import::parse_rows(&table, mapping).map_err(file_err)?;
    let extra_tags = validate_tags(extra_tags)?;
    if let Some(g) = group_id
        && !store::group_exists(&state.pool, tenant_id, g).await?
    {
        return Err(AppError::NotFound("group"));
    }
    let phones: Vec<&str> = parsed.rows.iter().map(|r| r.phone.as_str()).collect();
    let existing = store::existing_by_phone(&state.pool, tenant_id, &phones).await?;
    let new_count = parsed
        .rows
        .iter()
        .filter(|r| !existing.contains_key(&r.phone))
        .count();
    let rows_read = parsed.rows.len() + parsed.errors.len();
    if dry_run {
        let unchanged = (parsed.rows.len() - new_count) as u64;
        return Ok(ImportReport {
            rows: rows_read,
            created: new_count as u64,
            updated: 0,
            unchanged,
            rejected: parsed.errors,
            fields: parsed.field_names,
            dry_run: true,
        });
    }
    if new_count > 0 {
        let stored = store::count(&state.pool, tenant_id).await?;
        limits::check_with_current(
            &state.pool,
            tenant_id,
            Limit::Contacts,
            stored,
            i64::try_from(new_count).unwrap_or(i64::MAX),
        )
        .await?;
    }
    let total = parsed.rows.len();
    let mut progress = progress;
    let applied = store::apply_import(
        &state.pool,
        state.db,
        tenant_id,
        &parsed.rows,
        &existing,
        update_existing,
        &extra_tags,
        group_id,
        &parsed.field_names,
        |done| progress(done, total),
    )
    .await?;
    Ok(ImportReport {
        rows: rows_read,
        created: applied.created,
        updated: applied.updated,
        unchanged: applied.unchanged,
        rejected: parsed.errors,
        fields: parsed.field_names,
        dry_run: false,
    })
}

/// Import contacts from a CSV or Excel file (admin). Valid rows are
/// imported in one transaction; every rejected row is reported with its
/// row number and reason. Importing the same file again creates nothing.
#[utoipa::path(post, path = "/api/v1/contacts/import", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    request_body = ImportRequest,
    responses(
        (status = 200, description = "Imported", body = inline(Data<ImportReport>)),
        (status = 400, description = "Unreadable file or bad mapping", body = ErrorBody),
        (status = 402, description = "Plan contact limit reached", body = ErrorBody)))]
async fn import_contacts(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<ImportRequest>,
) -> ApiResult<ImportReport> {
    member.require(Role::Admin)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(req.content_base64.trim())
        .map_err(|_| {
            AppError::bad_request(
                "invalid_file",
                Text::new(
                    "content_base64 bukan base64 yang valid",
                    "content_base64 is not valid base64",
                ),
            )
        })?;
    let report = run_import(
        &state,
        &member.tenant_id,
        &bytes,
        req.file_name.as_deref(),
        req.format,
        &req.mapping,
        req.tags,
        req.group_id.as_ref(),
        req.update_existing,
        req.dry_run,
        |_, _| {},
    )
    .await?;
    Ok(ok(report))
}

/// Export the contacts as CSV or XLSX (columns: phone, name, tags,
/// opted_out, then one per custom field): every contact, or those the
/// list's filters select.
#[utoipa::path(get, path = "/api/v1/contacts/export", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 400, description = "Unknown format", body = ErrorBody)))]
async fn export_contacts(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    export_file(&state, &member, &q).await
}

/// The vendor's contacts selected by the query's filters as a CSV or XLSX
/// download, recorded in the audit trail: the rules of
/// `GET /api/v1/contacts/export`, shared with the console.
pub async fn export_file(
    state: &AppState,
    member: &CurrentMember,
    q: &ExportQuery,
) -> Result<Response, AppError> {
    let format = ExportFormat::from_query(q.format.as_deref())?;
    let contacts = store::all_matching(&state.pool, &member.tenant_id, &q.filter()).await?;
    let mut fields: Vec<String> = store::field_names(&state.pool, &member.tenant_id).await?;
    for c in &contacts {
        for k in c.fields.keys() {
            if !fields.contains(k) {
                fields.push(k.clone());
            }
        }
    }
    let mut header: Vec<String> = ["phone", "name", "tags", "opted_out"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    header.extend(fields.iter().cloned());
    let rows: Vec<Vec<String>> = contacts
        .iter()
        .map(|c| {
            let mut r = vec![
                c.phone.clone(),
                c.name.clone(),
                c.tags.join(", "),
                c.opted_out.to_string(),
            ];
            r.extend(
                fields
                    .iter()
                    .map(|f| c.fields.get(f).cloned().unwrap_or_default()),
            );
            r
        })
        .collect();
    let count = rows.len();
    let file =
        export::download(format, "contacts", vec![Table::new("Kontak", header, rows)]).await?;
    let entry =
        Entry::by_member(Action::ExportDownloaded, member).export("contacts", format, count);
    audit::record(state, entry).await?;
    Ok(file)
}

/// Custom field names in use (the variables templates may use besides
/// `name`, `first_name`, `phone`).
#[utoipa::path(get, path = "/api/v1/contact-fields", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Field names", body = inline(Data<Vec<String>>))))]
async fn list_fields(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<String>> {
    Ok(ok(store::field_names(&state.pool, &member.tenant_id).await?))
}
