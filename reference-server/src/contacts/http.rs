//! HTTP handlers of the contacts area.

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use whatsapp_client::PhoneNumber;

use super::import::{self, ColumnMapping, FileError, FileFormat, RowError};
use super::store::{self, Contact, ListFilter};
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::billing::limits::{self, Limit};
use crate::db::{is_unique_violation, new_id, now_ms};
use crate::http::export::{self, ExportFormat, Table};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, Created, Data, ErrorBody, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .routes(routes!(import_contacts))
        .routes(routes!(export_contacts))
        .routes(routes!(list_fields))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(delete_group))
        .routes(routes!(add_group_members, remove_group_members))
}

/// A contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    /// Id.
    pub id: String,
    /// WhatsApp number, E.164.
    pub phone: String,
    /// Name (may be empty).
    pub name: String,
    /// Custom fields (used as template variables).
    pub fields: BTreeMap<String, String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Opted out of campaigns (replied STOP / BERHENTI or marked so).
    pub opted_out: bool,
    /// When it opted out, unix milliseconds.
    pub opted_out_at: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        Self {
            id: c.id,
            phone: c.phone,
            name: c.name,
            fields: c.fields,
            tags: c.tags,
            opted_out: c.opted_out,
            opted_out_at: c.opted_out_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new contact.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateContact {
    /// WhatsApp number in any common form (`0812...`, `+62 812-...`, `62812...`).
    pub phone: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Custom fields.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Changes to a contact; absent members are left unchanged.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateContact {
    /// New number.
    pub phone: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// Replaces all custom fields.
    pub fields: Option<BTreeMap<String, String>>,
    /// Replaces all tags.
    pub tags: Option<Vec<String>>,
    /// Opt the contact out of (true) or back into (false) campaigns.
    pub opted_out: Option<bool>,
}

fn normalize_phone(raw: &str) -> Result<String, AppError> {
    PhoneNumber::parse(raw)
        .map(|p| p.e164().to_owned())
        .map_err(|e| crate::phone::invalid("phone", &e))
}

fn validate_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.chars().count() > 200 {
        return Err(AppError::bad_request(
            "invalid_name",
            Text::new(
                "nama paling banyak 200 karakter",
                "the name must have at most 200 characters",
            ),
        ));
    }
    Ok(n.to_owned())
}

fn validate_fields(fields: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, AppError> {
    let mut out = BTreeMap::new();
    for (k, v) in fields {
        let name = import::field_name_from_header(&k);
        if name.is_empty() || name.chars().count() > 64 {
            return Err(AppError::bad_request(
                "invalid_field",
                tr!(
                    "nama kolom kustom {k:?} tidak valid",
                    "invalid custom field name {k:?}"
                ),
            ));
        }
        if matches!(name.as_str(), "name" | "first_name" | "phone") {
            return Err(AppError::bad_request(
                "invalid_field",
                tr!(
                    "{name:?} adalah variabel bawaan dan tidak bisa dipakai sebagai kolom kustom",
                    "{name:?} is a built-in variable and cannot be a custom field"
                ),
            ));
        }
        if v.chars().count() > import::MAX_FIELD_CHARS {
            return Err(AppError::bad_request(
                "invalid_field",
                tr!(
                    "kolom kustom {name:?} terlalu panjang",
                    "custom field {name:?} is too long"
                ),
            ));
        }
        out.insert(name, v);
    }
    Ok(out)
}

fn validate_tags(tags: Vec<String>) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_owned();
        if t.is_empty() || t.chars().count() > 64 {
            return Err(AppError::bad_request(
                "invalid_tag",
                Text::new(
                    "tag harus terdiri dari 1 sampai 64 karakter",
                    "tags must have 1 to 64 characters",
                ),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn duplicate_phone() -> AppError {
    AppError::conflict(
        "contact_exists",
        Text::new(
            "kontak dengan nomor WhatsApp ini sudah ada",
            "a contact with this WhatsApp number already exists",
        ),
    )
}

async fn load_view(state: &AppState, tenant_id: &str, id: &str) -> Result<ContactView, AppError> {
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
    limits::check(&state.pool, &member.tenant_id, Limit::Contacts, 1).await?;
    let id = new_id();
    let now = now_ms();
    let mut tx = state.begin_write().await?;
    sqlx::query(
        "INSERT INTO contacts (id, tenant_id, phone, name, fields, opted_out, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
    )
    .bind(&id)
    .bind(&member.tenant_id)
    .bind(&phone)
    .bind(&name)
    .bind(store::fields_json(&fields))
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { duplicate_phone() } else { e.into() })?;
    store::set_tags(&mut tx, &member.tenant_id, &id, &tags).await?;
    store::remember_fields(&mut tx, &member.tenant_id, fields.keys()).await?;
    tx.commit().await?;
    Ok(created(load_view(&state, &member.tenant_id, &id).await?))
}

/// Contact list filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only contacts with this tag.
    pub tag: Option<String>,
    /// Only members of this group.
    pub group_id: Option<String>,
    /// Phone or name contains this text.
    pub q: Option<String>,
    /// Only opted-out (`true`) or reachable (`false`) contacts.
    pub opted_out: Option<bool>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// A page of contacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPage {
    /// The contacts, oldest first.
    pub items: Vec<ContactView>,
    /// How many contacts match the filters.
    pub total: i64,
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
    let filter = ListFilter {
        tag: q.tag,
        group_id: q.group_id,
        q: q.q,
        opted_out: q.opted_out,
    };
    let (items, total) =
        store::list(&state.pool, &member.tenant_id, &filter, limit, offset).await?;
    Ok(ok(ContactPage {
        items: items.into_iter().map(ContactView::from).collect(),
        total,
    }))
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
    Path(id): Path<String>,
) -> ApiResult<ContactView> {
    Ok(ok(load_view(&state, &member.tenant_id, &id).await?))
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
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateContact>,
) -> ApiResult<ContactView> {
    member.require(Role::Admin)?;
    let phone = req.phone.as_deref().map(normalize_phone).transpose()?;
    let name = req.name.as_deref().map(validate_name).transpose()?;
    let fields = req.fields.map(validate_fields).transpose()?;
    let tags = req.tags.map(validate_tags).transpose()?;
    let now = now_ms();
    let tenant = &member.tenant_id;
    let mut tx = state.begin_write().await?;
    let exists: Option<String> =
        sqlx::query_scalar("SELECT id FROM contacts WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(AppError::NotFound("contact"));
    }
    sqlx::query(
        "UPDATE contacts SET phone = COALESCE($1, phone), name = COALESCE($2, name), \
         fields = COALESCE($3, fields), updated_at = $4 WHERE tenant_id = $5 AND id = $6",
    )
    .bind(phone)
    .bind(name)
    .bind(fields.as_ref().map(store::fields_json))
    .bind(now)
    .bind(tenant)
    .bind(&id)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            duplicate_phone()
        } else {
            e.into()
        }
    })?;
    if let Some(o) = req.opted_out {
        let sql = if o {
            "UPDATE contacts SET opted_out = 1, opted_out_at = $1 WHERE tenant_id = $2 AND id = $3 AND opted_out = 0"
        } else {
            "UPDATE contacts SET opted_out = 0, opted_out_at = NULL WHERE tenant_id = $2 AND id = $3 AND $1 > 0"
        };
        sqlx::query(sql)
            .bind(now)
            .bind(tenant)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(tags) = &tags {
        store::set_tags(&mut tx, tenant, &id, tags).await?;
    }
    if let Some(f) = &fields {
        store::remember_fields(&mut tx, tenant, f.keys()).await?;
    }
    tx.commit().await?;
    if req.opted_out == Some(true) {
        crate::campaigns::cancel_queued_for_contact(&state.pool, tenant, &id, "opted_out").await?;
    }
    Ok(ok(load_view(&state, tenant, &id).await?))
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
    Path(id): Path<String>,
) -> ApiResult<serde_json::Value> {
    member.require(Role::Admin)?;
    let tenant = &member.tenant_id;
    crate::campaigns::cancel_queued_for_contact(&state.pool, tenant, &id, "contact_deleted")
        .await?;
    let mut tx = state.begin_write().await?;
    for sql in [
        "DELETE FROM contact_tags WHERE tenant_id = $1 AND contact_id = $2",
        "DELETE FROM contact_group_members WHERE tenant_id = $1 AND contact_id = $2",
    ] {
        sqlx::query(sql)
            .bind(tenant)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    let n = sqlx::query("DELETE FROM contacts WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(&id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound("contact"));
    }
    tx.commit().await?;
    Ok(ok(serde_json::json!({ "deleted": true })))
}

/// A contact file to import.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ImportRequest {
    /// The file name (its extension picks the format: `.csv`, `.xlsx`, `.xls`).
    #[serde(default)]
    pub file_name: Option<String>,
    /// Overrides the format detection.
    #[serde(default)]
    pub format: Option<FileFormat>,
    /// The file, base64.
    pub content_base64: String,
    /// Which column holds what (detected from the headers when absent).
    #[serde(default)]
    pub mapping: ColumnMapping,
    /// Tags added to every imported contact.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Group every imported contact joins.
    #[serde(default)]
    pub group_id: Option<String>,
    /// Merge the file's name and fields into contacts that already exist
    /// (default: leave them unchanged).
    #[serde(default)]
    pub update_existing: bool,
    /// Validate and report without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// New contacts created.
    pub created: u64,
    /// Existing contacts updated (with `update_existing`).
    pub updated: u64,
    /// Rows whose number already was a contact and was left unchanged.
    pub unchanged: u64,
    /// Rejected rows with their row number and reason.
    pub rejected: Vec<RowError>,
    /// Custom field names found.
    pub fields: Vec<String>,
    /// Nothing was written (`dry_run`).
    pub dry_run: bool,
}

/// Imports decoded file bytes for a tenant (shared by the API and the CLI).
#[allow(clippy::too_many_arguments)]
pub async fn run_import(
    state: &AppState,
    tenant_id: &str,
    bytes: &[u8],
    file_name: Option<&str>,
    format: Option<FileFormat>,
    mapping: &ColumnMapping,
    extra_tags: Vec<String>,
    group_id: Option<&str>,
    update_existing: bool,
    dry_run: bool,
    progress: impl FnMut(usize, usize),
) -> Result<ImportReport, AppError> {
    let format = format.unwrap_or_else(|| import::detect_format(file_name, bytes));
    let file_err = |e: FileError| AppError::bad_request("invalid_file", e.text());
    let table = import::read_table(format, bytes).map_err(file_err)?;
    let parsed = import::parse_rows(&table, mapping).map_err(file_err)?;
    let extra_tags = validate_tags(extra_tags)?;
    if let Some(g) = group_id {
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM contact_groups WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(g)
                .fetch_optional(&state.pool)
                .await?;
        if found.is_none() {
            return Err(AppError::NotFound("group"));
        }
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
        limits::check(
            &state.pool,
            tenant_id,
            Limit::Contacts,
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
        req.group_id.as_deref(),
        req.update_existing,
        req.dry_run,
        |_, _| {},
    )
    .await?;
    Ok(ok(report))
}

/// Export format.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

/// Export every contact as CSV or XLSX (columns: phone, name, tags,
/// opted_out, then one per custom field).
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
    let format = ExportFormat::from_query(q.format.as_deref())?;
    let contacts = store::all(&state.pool, &member.tenant_id).await?;
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
    export::download(format, "contacts", vec![Table::new("Kontak", header, rows)]).await
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

/// A contact group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    /// Id.
    pub id: String,
    /// Name (unique per vendor).
    pub name: String,
    /// Members.
    pub members: i64,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A new group.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateGroup {
    /// Name (1..=100 characters, unique per vendor).
    pub name: String,
}

/// List contact groups.
#[utoipa::path(get, path = "/api/v1/contact-groups", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Groups", body = inline(Data<Vec<GroupView>>))))]
async fn list_groups(
    State(state): State<AppState>,
    member: CurrentMember,
) -> ApiResult<Vec<GroupView>> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT g.id, g.name, g.created_at, \
         (SELECT COUNT(*) FROM contact_group_members m WHERE m.tenant_id = $1 AND m.group_id = g.id) \
         FROM contact_groups g WHERE g.tenant_id = $1 ORDER BY g.name",
    )
    .bind(&member.tenant_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(ok(rows
        .into_iter()
        .map(|(id, name, created_at, members)| GroupView {
            id,
            name,
            members,
            created_at,
        })
        .collect()))
}

/// Create a contact group (admin).
#[utoipa::path(post, path = "/api/v1/contact-groups", tag = "contacts",
    security(("session" = []), ("api_key" = [])),
    request_body = CreateGroup,
    responses(
        (status = 201, description = "Created", body = inline(Data<GroupView>)),
        (status = 409, description = "Name taken", body = ErrorBody)))]
async fn create_group(
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
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO contact_groups (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(&member.tenant_id)
    .bind(&name)
    .bind(now)
    .execute(&state.pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict(
                "group_exists",
                Text::new(
                    "grup kontak dengan nama ini sudah ada",
                    "a group with this name already exists",
                ),
            )
        } else {
            e.into()
        }
    })?;
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
async fn delete_group(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> ApiResult<serde_json::Value> {
    member.require(Role::Admin)?;
    let mut tx = state.begin_write().await?;
    sqlx::query("DELETE FROM contact_group_members WHERE tenant_id = $1 AND group_id = $2")
        .bind(&member.tenant_id)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query("DELETE FROM contact_groups WHERE tenant_id = $1 AND id = $2")
        .bind(&member.tenant_id)
        .bind(&id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound("group"));
    }
    tx.commit().await?;
    Ok(ok(serde_json::json!({ "deleted": true })))
}

/// Contacts to add to or remove from a group.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GroupMembers {
    /// Contact ids.
    pub contact_ids: Vec<String>,
}

async fn group_exists(state: &AppState, tenant: &str, id: &str) -> Result<(), AppError> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM contact_groups WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .fetch_optional(&state.pool)
            .await?;
    found.map(|_| ()).ok_or(AppError::NotFound("group"))
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
async fn add_group_members(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<GroupMembers>,
) -> ApiResult<serde_json::Value> {
    member.require(Role::Admin)?;
    let tenant = &member.tenant_id;
    group_exists(&state, tenant, &id).await?;
    let known =
        crate::campaigns::audience::known_contact_ids(&state.pool, tenant, &req.contact_ids)
            .await?;
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
async fn remove_group_members(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<GroupMembers>,
) -> ApiResult<serde_json::Value> {
    member.require(Role::Admin)?;
    let tenant = &member.tenant_id;
    group_exists(&state, tenant, &id).await?;
    let mut removed = 0;
    for cid in &req.contact_ids {
        removed += sqlx::query("DELETE FROM contact_group_members WHERE tenant_id = $1 AND group_id = $2 AND contact_id = $3")
            .bind(tenant)
            .bind(&id)
            .bind(cid)
            .execute(&state.pool)
            .await?
            .rows_affected();
    }
    Ok(ok(serde_json::json!({ "removed": removed })))
}
