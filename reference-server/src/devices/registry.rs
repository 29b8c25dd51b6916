//! Per-device runtime: decrypted secrets and the sender, built once and
//! cached per device.
//!
//! Freshness across server processes: every lookup reads the device's
//! `updated_at` (joined with its tenant's status, which the webhook path
//! needs anyway) in one indexed query; an edit anywhere bumps `updated_at`,
//! so a stale cached device is rebuilt on the next call. Secrets are
//! decrypted only when (re)building.

use std::sync::Arc;

use secrecy::ExposeSecret;
use whatsapp_client::Provider;

use super::model::{DeviceKind, DeviceSecrets, DeviceSettings};
use super::store;
use crate::AppState;
use crate::domain::{DeviceId, TenantId};
use crate::http::AppError;
use crate::tenants::model::TenantStatus;

/// A device ready to send and receive.
pub struct DeviceRuntime {
    /// Device id.
    pub id: DeviceId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The vendor's name for the device.
    pub name: String,
    /// Provider kind.
    pub kind: DeviceKind,
    /// Non-secret settings.
    pub settings: DeviceSettings,
    /// Decrypted secrets.
    pub secrets: DeviceSecrets,
    /// Whether bots answer on this device.
    pub bot_enabled: bool,
    /// `updated_at` of the row this was built from.
    pub version: i64,
    /// The sender, paced.
    pub provider: Arc<dyn Provider>,
}

impl std::fmt::Debug for DeviceRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRuntime")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("kind", &self.kind)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A device with what the inbound path needs to know about its tenant.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// The device.
    pub device: Arc<DeviceRuntime>,
    /// Whether the tenant is active (banned or unapproved: `false`).
    pub tenant_active: bool,
    /// The tenant's time zone (business hours, per-day statistics).
    pub time_zone: chrono_tz::Tz,
}

/// Looks a device up by id (for webhooks and senders): the cached runtime
/// if still current, else a fresh one. Also answers whether the device's
/// tenant is active (banned or unapproved tenants: `false`).
pub async fn get(
    state: &AppState,
    device_id: &DeviceId,
) -> Result<Option<(Arc<DeviceRuntime>, bool)>, AppError> {
    Ok(lookup(state, device_id)
        .await?
        .map(|l| (l.device, l.tenant_active)))
}

/// [`get`] with the tenant's time zone, in the same single query.
pub async fn lookup(state: &AppState, device_id: &DeviceId) -> Result<Option<Lookup>, AppError> {
    let Some(current) = store::version_of(&state.pool, device_id).await? else {
        forget(state, device_id);
        return Ok(None);
    };
    let version = current.updated_at;
    let active = current.tenant_status == TenantStatus::Active;
    let time_zone = current.time_zone.parse().unwrap_or_else(|_| {
        tracing::warn!(device = %device_id, time_zone = %current.time_zone, "stored time zone unknown; using Asia/Jakarta");
        chrono_tz::Asia::Jakarta
    });
    let found = |device| {
        Some(Lookup {
            device,
            tenant_active: active,
            time_zone,
        })
    };
    let cache = &state.services.devices;
    if let Some(rt) = cache.get(device_id)
        && rt.version == version
    {
        return Ok(found(rt));
    }
    let Some(row) = store::load_for_webhook(&state.pool, device_id).await? else {
        return Ok(None);
    };
    let secrets = super::decrypt_secrets(state, &row)?;
    let provider = build_provider(
        state,
        &row.tenant_id,
        &row.id,
        row.kind,
        &row.settings,
        &secrets,
    )?;
    let rt = Arc::new(DeviceRuntime {
        id: row.id,
        tenant_id: row.tenant_id,
        name: row.name,
        kind: row.kind,
        settings: row.settings,
        secrets,
        bot_enabled: row.bot_enabled,
        version: row.updated_at,
        provider,
    });
    cache.insert(device_id.clone(), Arc::clone(&rt));
    Ok(found(rt))
}

/// A tenant's device by id (404 for another tenant's device).
pub async fn get_for_tenant(
    state: &AppState,
    tenant_id: &TenantId,
    device_id: &DeviceId,
) -> Result<(Arc<DeviceRuntime>, bool), AppError> {
    let l = lookup_for_tenant(state, tenant_id, device_id).await?;
    Ok((l.device, l.tenant_active))
}

/// [`get_for_tenant`] with the tenant's time zone.
pub async fn lookup_for_tenant(
    state: &AppState,
    tenant_id: &TenantId,
    device_id: &DeviceId,
) -> Result<Lookup, AppError> {
    match lookup(state, device_id).await? {
        Some(l) if l.device.tenant_id == *tenant_id => Ok(l),
        _ => Err(AppError::NotFound("device")),
    }
}

/// Drops a device from this process's cache (after an edit or delete).
pub fn forget(state: &AppState, device_id: &DeviceId) {
    state.services.devices.remove(device_id);
}

/// Builds the paced sender of a device.
///
/// On PostgreSQL, where several server processes may send for one device
/// (campaign sends on the lease holder, bot replies wherever the webhook
/// lands), the device's rate is kept through send slots reserved in the
/// database ([`super::send_slots`]); the in-process limiter then keeps only
/// the pair limit. On SQLite one process sends, and the in-process limiter
/// holds the rate.
fn build_provider(
    state: &AppState,
    tenant_id: &TenantId,
    device_id: &DeviceId,
    kind: DeviceKind,
    settings: &DeviceSettings,
    secrets: &DeviceSecrets,
) -> Result<Arc<dyn Provider>, AppError> {
    use whatsapp_client::Paced;
    let client = state.services.devices.http().clone();
    let label = format!("device {device_id}");
    let shared = state.db == crate::db::DbKind::Postgres;
    let pacing = if shared {
        // The shared slots hold the rate and retry refused sends in their
        // own turn.
        kind.pacing().per_second(0).rate_limit_retries(0)
    } else {
        kind.pacing()
    };
    if let Some(p) = remote_provider(kind, settings, secrets, client, &label, &pacing)? {
        return Ok(match (shared, kind.max_per_second()) {
            (true, Some(per_second)) => Arc::new(super::send_slots::SharedSlots::new(
                p,
                state.pool.clone(),
                device_id.clone(),
                per_second,
            )),
            _ => p,
        });
    }
    // The simulator sends nowhere, so it is not rate limited (the wrapper
    // stays, so the path is the same as for real devices).
    Ok(Arc::new(Paced::new(
        crate::simulator::SimSender::new(
            Some(tenant_id.as_str()),
            Some(device_id.as_str()),
            state.services.writer.clone(),
        ),
        &whatsapp_client::PacingConfig::unlimited(),
    )))
}

/// The paced sender of a provider that is reached over HTTP (Cloud API,
/// Fonnte, gateway); `None` for the simulator. `label` names the sender in
/// errors ("device ...", "platform WhatsApp"); `pacing` is its limits.
pub(crate) fn remote_provider(
    kind: DeviceKind,
    settings: &DeviceSettings,
    secrets: &DeviceSecrets,
    client: reqwest::Client,
    label: &str,
    pacing: &whatsapp_client::PacingConfig,
) -> Result<Option<Arc<dyn Provider>>, AppError> {
    use whatsapp_client::Paced;
    let missing = |f: &str| AppError::internal(format!("{label}: {f} missing"));
    let bad = |field: &str, e: &dyn std::fmt::Display| {
        AppError::internal(format!("{label}: setting {field} unusable: {e}"))
    };
    let provider: Arc<dyn Provider> = match kind {
        DeviceKind::CloudApi => {
            let token = secrets
                .access_token
                .as_ref()
                .ok_or_else(|| missing("access_token"))?;
            let pid = settings
                .phone_number_id
                .as_deref()
                .ok_or_else(|| missing("phone_number_id"))?;
            let mut c = whatsapp_client::cloud::CloudApi::new(pid, token.expose_secret())
                .with_http_client(client);
            if let Some(v) = &settings.api_version {
                c = c.with_version(v.clone());
            }
            if let Some(base) = &settings.base_url {
                c = c.with_base_url(base).map_err(|e| bad("base_url", &e))?;
            }
            Arc::new(Paced::new(c, pacing))
        }
        DeviceKind::Fonnte => {
            let token = secrets.token.as_ref().ok_or_else(|| missing("token"))?;
            let mut c = whatsapp_client::fonnte::Fonnte::new(token.expose_secret())
                .with_http_client(client);
            if let Some(base) = &settings.base_url {
                c = c.with_base_url(base).map_err(|e| bad("base_url", &e))?;
            }
            Arc::new(Paced::new(c, pacing))
        }
        DeviceKind::Gateway => {
            let token = secrets.token.as_ref().ok_or_else(|| missing("token"))?;
            let url = settings
                .gateway_url
                .as_deref()
                .ok_or_else(|| missing("gateway_url"))?;
            let header = settings
                .header_name
                .as_deref()
                .ok_or_else(|| missing("header_name"))?;
            let c = whatsapp_client::gateway::Gateway::new(url, header, token.expose_secret())
                .map_err(|e| bad("gateway_url", &e))?
                .with_http_client(client);
            Arc::new(Paced::new(c, pacing))
        }
        DeviceKind::Simulator => return Ok(None),
    };
    Ok(Some(provider))
}

/// The devices feature's long-lived state, kept in
/// [`crate::state::Services`]: the device runtimes of this process by
/// device id, and the HTTP client their senders share (one connection
/// pool), built on first use.
#[derive(Default)]
pub struct DevicesRuntime {
    cache: std::sync::RwLock<std::collections::HashMap<DeviceId, Arc<DeviceRuntime>>>,
    http: std::sync::OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for DevicesRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevicesRuntime").finish_non_exhaustive()
    }
}

impl DevicesRuntime {
    fn get(&self, id: &DeviceId) -> Option<Arc<DeviceRuntime>> {
        self.cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    fn insert(&self, id: DeviceId, rt: Arc<DeviceRuntime>) {
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, rt);
    }

    fn remove(&self, id: &DeviceId) {
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default()
        })
    }
}
