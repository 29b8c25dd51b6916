//! SQL on `message_templates`. Every statement is scoped by tenant.

use sqlx::AnyPool;

use super::model::{TemplateInput, TemplateRow};
use crate::domain::{TemplateId, TenantId};

/// The columns of [`TemplateRow`].
const COLUMNS: &str = "id, name, body, media_kind, media_url, cloud_template, name_fallback, \
     created_at, updated_at";

/// One of the tenant's templates.
pub(crate) async fn get(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &TemplateId,
) -> Result<Option<TemplateRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM message_templates WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The tenant's templates by name.
pub(crate) async fn list(
    pool: &AnyPool,
    tenant_id: &TenantId,
) -> Result<Vec<TemplateRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM message_templates WHERE tenant_id = $1 ORDER BY name"
    ))
    .bind(tenant_id)
    .fetch_all(pool)
    .await
}

/// A checked template's stored fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    /// Trimmed name.
    pub(crate) name: &'a str,
    /// The input (body and media as given).
    pub(crate) input: &'a TemplateInput,
    /// The Cloud API mapping as JSON.
    pub(crate) cloud_template: Option<&'a str>,
    /// The checked name fallback.
    pub(crate) name_fallback: Option<&'a str>,
}

/// Inserts a template (a unique violation when the name is taken).
pub(crate) async fn insert(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &TemplateId,
    f: Fields<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO message_templates (id, tenant_id, name, body, media_kind, media_url, cloud_template, \
         name_fallback, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(f.name)
    .bind(&f.input.body)
    .bind(f.input.media.as_ref().map(|m| m.kind.as_str()))
    .bind(f.input.media.as_ref().map(|m| m.url.as_str()))
    .bind(f.cloud_template)
    .bind(f.name_fallback)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Replaces a template. Returns whether it exists (a unique violation
/// when the new name is taken).
pub(crate) async fn update(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &TemplateId,
    f: Fields<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE message_templates SET name = $1, body = $2, media_kind = $3, media_url = $4, \
         cloud_template = $5, name_fallback = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9",
    )
    .bind(f.name)
    .bind(&f.input.body)
    .bind(f.input.media.as_ref().map(|m| m.kind.as_str()))
    .bind(f.input.media.as_ref().map(|m| m.url.as_str()))
    .bind(f.cloud_template)
    .bind(f.name_fallback)
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Deletes a template. Returns whether it existed.
pub(crate) async fn delete(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &TemplateId,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query("DELETE FROM message_templates WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(n > 0)
}

/// Deletes every message template of a tenant.
pub(crate) async fn purge_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM message_templates WHERE tenant_id = $1")
        .bind(tenant_id)
        .execute(conn)
        .await?;
    Ok(())
}
