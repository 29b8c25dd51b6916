//! SQL for the `devices` table. Every statement is scoped by tenant, except
//! [`load_for_webhook`], which resolves a device id from a provider's call
//! (the device id in the URL is the only thing the provider knows).

use sqlx::{AnyPool, Row, any::AnyRow};

use super::model::{DeviceKind, DeviceSettings};

/// A device row as stored (secrets still encrypted).
#[derive(Clone)]
pub(crate) struct DeviceRow {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) name: String,
    pub(crate) kind: DeviceKind,
    pub(crate) phone_number: Option<String>,
    pub(crate) settings: DeviceSettings,
    pub(crate) secrets_ciphertext: String,
    pub(crate) secret_names: Vec<String>,
    pub(crate) bot_enabled: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl std::fmt::Debug for DeviceRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRow")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

pub(crate) const COLUMNS: &str = "id, tenant_id, name, kind, phone_number, config, secrets, \
     secret_names, bot_enabled, created_at, updated_at";

pub(crate) fn from_row(row: &AnyRow) -> Result<DeviceRow, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let config: String = row.try_get("config")?;
    let names: String = row.try_get("secret_names")?;
    let bot_enabled: i64 = row.try_get("bot_enabled")?;
    Ok(DeviceRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        kind: DeviceKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown device kind {kind:?}").into()))?,
        phone_number: row.try_get("phone_number")?,
        settings: serde_json::from_str(&config)
            .map_err(|e| sqlx::Error::Decode(format!("device config: {e}").into()))?,
        secrets_ciphertext: row.try_get("secrets")?,
        secret_names: serde_json::from_str(&names).unwrap_or_default(),
        bot_enabled: bot_enabled != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts a device.
pub(crate) async fn insert(pool: &AnyPool, d: &DeviceRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO devices (id, tenant_id, name, kind, phone_number, config, secrets, \
         secret_names, bot_enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&d.id)
    .bind(&d.tenant_id)
    .bind(&d.name)
    .bind(d.kind.as_str())
    .bind(&d.phone_number)
    .bind(settings_json(&d.settings))
    .bind(&d.secrets_ciphertext)
    .bind(names_json(&d.secret_names))
    .bind(i64::from(d.bot_enabled))
    .bind(d.created_at)
    .bind(d.updated_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Writes every mutable column of `d`; returns whether the row existed.
pub(crate) async fn update(pool: &AnyPool, d: &DeviceRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE devices SET name = $1, phone_number = $2, config = $3, secrets = $4, \
         secret_names = $5, bot_enabled = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9",
    )
    .bind(&d.name)
    .bind(&d.phone_number)
    .bind(settings_json(&d.settings))
    .bind(&d.secrets_ciphertext)
    .bind(names_json(&d.secret_names))
    .bind(i64::from(d.bot_enabled))
    .bind(d.updated_at)
    .bind(&d.tenant_id)
    .bind(&d.id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a device as changed (its pipeline changed), so every server
/// process reloads it on the next webhook.
pub(crate) async fn touch<'e, E>(
    exec: E,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    // `updated_at` must change even when two edits land in the same
    // millisecond: take the larger of now and the old value plus one.
    sqlx::query(
        "UPDATE devices SET updated_at = CASE WHEN updated_at >= $1 THEN updated_at + 1 ELSE $1 END \
         WHERE tenant_id = $2 AND id = $3",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .execute(exec)
    .await?;
    Ok(())
}

/// One device of a tenant.
pub(crate) async fn get(
    pool: &AnyPool,
    tenant_id: &str,
    id: &str,
) -> Result<Option<DeviceRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A tenant's devices, oldest first.
pub(crate) async fn list(pool: &AnyPool, tenant_id: &str) -> Result<Vec<DeviceRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 ORDER BY created_at, id");
    let rows = sqlx::query(&sql).bind(tenant_id).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

/// How many devices a tenant has.
pub(crate) async fn count(pool: &AnyPool, tenant_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM devices WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(pool)
        .await?;
    row.try_get("n")
}

/// Deletes a device and its plugin configuration; conversations and
/// messages stay (the vendor's history). Returns whether it existed.
pub(crate) async fn delete(pool: &AnyPool, tenant_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM device_plugins WHERE tenant_id = $1 AND device_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM devices WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// A device by id alone, for webhooks. The caller must still check the
/// provider's credentials (signature, token) before trusting the call.
pub(crate) async fn load_for_webhook(
    pool: &AnyPool,
    id: &str,
) -> Result<Option<DeviceRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(from_row).transpose()
}

fn settings_json(s: &DeviceSettings) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "{}".to_owned())
}

fn names_json(n: &[String]) -> String {
    serde_json::to_string(n).unwrap_or_else(|_| "[]".to_owned())
}
