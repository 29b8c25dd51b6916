//! SQL for the `devices` table. Every statement is scoped by tenant, except
//! [`load_for_webhook`] and [`set_connection`], which resolve a device id
//! from a provider's call (the device id in the URL is the only thing the
//! provider knows).

use sqlx::AnyPool;

use super::model::{Connection, ConnectionState, DeviceKind, DeviceSettings, NewPlugin, PluginRow};
use crate::domain::{DeviceId, TenantId};
use crate::tenants::model::TenantStatus;

/// A device row as stored (secrets still encrypted).
#[derive(Clone)]
pub(crate) struct DeviceRow {
    pub(crate) id: DeviceId,
    pub(crate) tenant_id: TenantId,
    pub(crate) name: String,
    pub(crate) kind: DeviceKind,
    pub(crate) phone_number: Option<String>,
    pub(crate) settings: DeviceSettings,
    pub(crate) secrets_ciphertext: String,
    pub(crate) secret_names: Vec<String>,
    pub(crate) bot_enabled: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) connection: Option<Connection>,
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

/// The `devices` columns as read.
#[derive(sqlx::FromRow)]
struct Record {
    id: DeviceId,
    tenant_id: TenantId,
    name: String,
    kind: DeviceKind,
    phone_number: Option<String>,
    config: String,
    secrets: String,
    secret_names: String,
    bot_enabled: i64,
    created_at: i64,
    updated_at: i64,
    connection_state: Option<ConnectionState>,
    connection_reason: Option<String>,
    connection_changed_at: Option<i64>,
}

const COLUMNS: &str = "id, tenant_id, name, kind, phone_number, config, secrets, \
     secret_names, bot_enabled, created_at, updated_at, connection_state, connection_reason, \
     connection_changed_at";

impl TryFrom<Record> for DeviceRow {
    type Error = sqlx::Error;

    fn try_from(r: Record) -> Result<Self, sqlx::Error> {
        let settings = serde_json::from_str(&r.config).map_err(|e| sqlx::Error::ColumnDecode {
            index: "config".to_owned(),
            source: Box::new(e),
        })?;
        let secret_names =
            serde_json::from_str(&r.secret_names).map_err(|e| sqlx::Error::ColumnDecode {
                index: "secret_names".to_owned(),
                source: Box::new(e),
            })?;
        Ok(Self {
            id: r.id,
            tenant_id: r.tenant_id,
            name: r.name,
            kind: r.kind,
            phone_number: r.phone_number,
            settings,
            secrets_ciphertext: r.secrets,
            secret_names,
            bot_enabled: r.bot_enabled != 0,
            created_at: r.created_at,
            updated_at: r.updated_at,
            connection: r.connection_state.zip(r.connection_changed_at).map(
                |(state, changed_at)| Connection {
                    state,
                    reason: r.connection_reason,
                    changed_at,
                },
            ),
        })
    }
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
    .bind(d.kind)
    .bind(&d.phone_number)
    .bind(settings_json(&d.settings)?)
    .bind(&d.secrets_ciphertext)
    .bind(names_json(&d.secret_names)?)
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
    .bind(settings_json(&d.settings)?)
    .bind(&d.secrets_ciphertext)
    .bind(names_json(&d.secret_names)?)
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
    tenant_id: &TenantId,
    id: &DeviceId,
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
    tenant_id: &TenantId,
    id: &DeviceId,
) -> Result<Option<DeviceRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND id = $2");
    sqlx::query_as::<_, Record>(&sql)
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(DeviceRow::try_from)
        .transpose()
}

/// A tenant's devices, oldest first.
pub(crate) async fn list(
    pool: &AnyPool,
    tenant_id: &TenantId,
) -> Result<Vec<DeviceRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 ORDER BY created_at, id");
    sqlx::query_as::<_, Record>(&sql)
        .bind(tenant_id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(DeviceRow::try_from)
        .collect()
}

/// How many devices a tenant has.
pub(crate) async fn count(pool: &AnyPool, tenant_id: &TenantId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM devices WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(pool)
        .await
}

/// Whether the tenant has this device.
pub(crate) async fn exists(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &DeviceId,
) -> Result<bool, sqlx::Error> {
    let found: Option<DeviceId> =
        sqlx::query_scalar("SELECT id FROM devices WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// A device's plugin pipeline, in order.
pub(crate) async fn plugins(
    pool: &AnyPool,
    tenant_id: &TenantId,
    device_id: &DeviceId,
) -> Result<Vec<PluginRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT plugin, enabled, config FROM device_plugins WHERE tenant_id = $1 AND device_id = $2 \
         ORDER BY position",
    )
    .bind(tenant_id)
    .bind(device_id)
    .fetch_all(pool)
    .await
}

/// Replaces a device's plugin pipeline with `plugins`, in order.
pub(crate) async fn replace_plugins(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant_id: &TenantId,
    device_id: &DeviceId,
    plugins: &[NewPlugin<'_>],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM device_plugins WHERE tenant_id = $1 AND device_id = $2")
        .bind(tenant_id)
        .bind(device_id)
        .execute(&mut **tx)
        .await?;
    for (i, p) in plugins.iter().enumerate() {
        sqlx::query(
            "INSERT INTO device_plugins (id, tenant_id, device_id, plugin, position, enabled, config, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(crate::db::new_id())
        .bind(tenant_id)
        .bind(device_id)
        .bind(p.plugin)
        .bind(i64::try_from(i).unwrap_or(i64::MAX))
        .bind(i64::from(p.enabled))
        .bind(p.config.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Deletes a device and its plugin configuration (its send slot goes with
/// it by the foreign key); conversations and messages stay (the vendor's
/// history). Returns whether it existed.
pub(crate) async fn delete(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &DeviceId,
) -> Result<bool, sqlx::Error> {
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
    id: &DeviceId,
) -> Result<Option<DeviceRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE id = $1");
    sqlx::query_as::<_, Record>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(DeviceRow::try_from)
        .transpose()
}

/// What the webhook path checks on every call: the device's version and
/// its vendor's status and time zone.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct DeviceVersion {
    /// The device's `updated_at`: a cached runtime of another version is stale.
    pub(crate) updated_at: i64,
    /// The vendor's status (only an active vendor's bots answer).
    pub(crate) tenant_status: TenantStatus,
    /// The vendor's time zone, as stored.
    pub(crate) time_zone: String,
}

/// A device's version with its vendor's status and time zone, by device id
/// alone (the webhook path), in one indexed query on the hot path of every
/// inbound message; `None` when the device does not exist.
pub(crate) async fn version_of(
    pool: &AnyPool,
    id: &DeviceId,
) -> Result<Option<DeviceVersion>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.updated_at, t.status AS tenant_status, t.time_zone FROM devices d \
         JOIN tenants t ON t.id = d.tenant_id WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// A device's stored connection state and when it changed.
#[derive(sqlx::FromRow)]
struct StoredConnection {
    connection_state: Option<ConnectionState>,
    connection_changed_at: Option<i64>,
}

/// Records the connection state a provider reported at `at` (unix ms).
/// A report older than the stored one changes nothing, so a late
/// redelivery cannot undo a newer state. Returns the state stored before,
/// or `None` when nothing changed (same state, stale report, no device).
pub(crate) async fn set_connection(
    pool: &AnyPool,
    id: &DeviceId,
    state: ConnectionState,
    reason: Option<&str>,
    at: i64,
) -> Result<Option<Option<ConnectionState>>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let before: Option<StoredConnection> =
        sqlx::query_as("SELECT connection_state, connection_changed_at FROM devices WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(StoredConnection {
        connection_state: previous,
        connection_changed_at: changed_at,
    }) = before
    else {
        return Ok(None);
    };
    if previous == Some(state) || changed_at.is_some_and(|t| t > at) {
        return Ok(None);
    }
    let done = sqlx::query(
        "UPDATE devices SET connection_state = $1, connection_reason = $2, connection_changed_at = $3 \
         WHERE id = $4 AND (connection_changed_at IS NULL OR connection_changed_at <= $3) \
         AND (connection_state IS NULL OR connection_state <> $1)",
    )
    .bind(state)
    .bind(reason)
    .bind(at)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((done.rows_affected() == 1).then_some(previous))
}

/// Up to `limit` devices' encrypted secrets with ids after `after`, in id
/// order (for key rotation; every tenant's rows).
pub(crate) async fn secrets_page(
    pool: &AnyPool,
    after: &str,
    limit: i64,
) -> Result<Vec<crate::crypto::StoredSecret>, sqlx::Error> {
    let rows = sqlx::query_as::<_, crate::crypto::SecretRecord>(
        "SELECT id, tenant_id, secrets AS secret FROM devices WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_stored(super::secrets_aad))
        .collect())
}

/// Replaces a device's encrypted secrets if they are still `old` (the
/// server may have changed them meanwhile); whether it did.
pub(crate) async fn replace_secrets(
    pool: &AnyPool,
    id: &str,
    old: &str,
    new: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE devices SET secrets = $1 WHERE id = $2 AND secrets = $3")
        .bind(new)
        .bind(id)
        .bind(old)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

fn settings_json(s: &DeviceSettings) -> Result<String, sqlx::Error> {
    serde_json::to_string(s).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

fn names_json(n: &[String]) -> Result<String, sqlx::Error> {
    serde_json::to_string(n).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Deletes every device of a tenant with its send slots; answers their ids
/// (for the caller to drop from the process's cache).
pub(crate) async fn purge_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
) -> Result<Vec<DeviceId>, sqlx::Error> {
    let ids: Vec<DeviceId> = sqlx::query_scalar("SELECT id FROM devices WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
    for sql in [
        "DELETE FROM device_send_slots WHERE device_id IN \
         (SELECT id FROM devices WHERE tenant_id = $1)",
        "DELETE FROM devices WHERE tenant_id = $1",
    ] {
        sqlx::query(sql).bind(tenant_id).execute(&mut *conn).await?;
    }
    Ok(ids)
}
