//! Bots: the plugin pipeline of each device (which plugins, in which order,
//! with which configuration), the vendor's LLM providers, and the inbound
//! engine that runs them.
//!
//! Plugins are WebAssembly components loaded by `bot-core`: the ones
//! embedded in the binary at build time (built by
//! `scripts/build-plugins.sh`), each replaceable by a `<name>.wasm` in
//! `PLUGINS_DIR`. A plugin's
//! configuration is validated against the JSON Schema its manifest
//! declares before it is stored.

pub mod engine;
pub mod llm;
#[cfg(feature = "loadtest")]
pub mod loadtest;
pub mod pipeline;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::db::{new_id, now_ms};
use crate::devices::registry::DeviceRuntime;
use crate::http::i18n::tr;
use crate::http::{ApiJson, ApiResult, AppError, ok};

/// The bots feature's long-lived state, kept in [`crate::state::Services`]:
/// caches that must outlive a request. Built lazily from the app state on
/// first use.
#[derive(Default)]
pub struct BotsRuntime {
    inner: OnceLock<Inner>,
}

impl std::fmt::Debug for BotsRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotsRuntime")
            .field("started", &self.inner.get().is_some())
            .finish()
    }
}

/// The parts of [`BotsRuntime`].
pub(crate) struct Inner {
    /// Cached device runtimes by device id.
    pub(crate) devices: DeviceCache,
    /// Shared HTTP client of the provider senders (one connection pool).
    pub(crate) http: reqwest::Client,
    /// The per-tenant LLM service.
    pub(crate) llm: Arc<llm::TenantLlm>,
    /// The plugin host and per-device pipelines.
    pub(crate) plugins: pipeline::Plugins,
}

/// The bots runtime of `state`, started on first use.
pub(crate) fn runtime(state: &AppState) -> &Inner {
    state.services.bots.inner.get_or_init(|| {
        let llm = Arc::new(llm::TenantLlm::new(
            state.pool.clone(),
            state.services.crypto.clone(),
        ));
        Inner {
            devices: DeviceCache::default(),
            http: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            plugins: pipeline::Plugins::new(
                state.pool.clone(),
                Arc::clone(&llm) as Arc<dyn bot_core::llm::LlmService>,
                &state.config,
            ),
            llm,
        }
    })
}

/// A map of device id to its runtime.
#[derive(Default)]
pub(crate) struct DeviceCache(RwLock<HashMap<String, Arc<DeviceRuntime>>>);

impl DeviceCache {
    pub(crate) fn get(&self, id: &str) -> Option<Arc<DeviceRuntime>> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    pub(crate) fn insert(&self, id: String, rt: Arc<DeviceRuntime>) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, rt);
    }

    pub(crate) fn remove(&self, id: &str) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }
}

/// The bots routes: plugin catalog, per-device pipelines, LLM providers.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plugins))
        .routes(routes!(get_device_plugins, put_device_plugins))
        .routes(routes!(llm::list_llm_providers, llm::create_llm_provider))
        .routes(routes!(llm::update_llm_provider, llm::delete_llm_provider))
        .routes(routes!(llm::get_llm_usage))
}

/// A plugin available on this server.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginInfo {
    /// Stable name, e.g. `keyword-rules`.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// Event kinds it handles.
    pub events: Vec<String>,
    /// JSON Schema of its configuration.
    #[schema(value_type = Object)]
    pub config_schema: serde_json::Value,
}

/// One plugin of a device's pipeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePlugin {
    /// Plugin name (see `GET /api/v1/plugins`).
    pub plugin: String,
    /// Whether it runs (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Configuration, validated against the plugin's schema.
    #[schema(value_type = Object)]
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
}

fn yes() -> bool {
    true
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

/// Body of `PUT /api/v1/devices/{id}/plugins`: the whole ordered pipeline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutDevicePlugins {
    /// Plugins in the order they run.
    pub plugins: Vec<DevicePlugin>,
}

/// List the plugins this server can run, with their configuration schemas.
#[utoipa::path(
    get, path = "/api/v1/plugins", tag = "bots",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Available plugins", body = inline(crate::http::Data<Vec<PluginInfo>>)))
)]
async fn list_plugins(
    State(state): State<AppState>,
    _member: CurrentMember,
) -> ApiResult<Vec<PluginInfo>> {
    Ok(ok(runtime(&state).plugins.catalog().await?))
}

async fn device_exists(state: &AppState, tenant_id: &str, device_id: &str) -> Result<(), AppError> {
    let row = sqlx::query("SELECT id FROM devices WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(device_id)
        .fetch_optional(&state.pool)
        .await?;
    row.map(|_| ()).ok_or(AppError::NotFound("device"))
}

/// The stored pipeline of a device, in order.
pub(crate) async fn load_device_plugins(
    pool: &sqlx::AnyPool,
    tenant_id: &str,
    device_id: &str,
) -> Result<Vec<DevicePlugin>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT plugin, enabled, config FROM device_plugins WHERE tenant_id = $1 AND device_id = $2 \
         ORDER BY position",
    )
    .bind(tenant_id)
    .bind(device_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let enabled: i64 = r.try_get("enabled")?;
            let config: String = r.try_get("config")?;
            Ok(DevicePlugin {
                plugin: r.try_get("plugin")?,
                enabled: enabled != 0,
                config: serde_json::from_str(&config).unwrap_or_else(|_| empty_object()),
            })
        })
        .collect()
}

/// The plugin pipeline of a device.
#[utoipa::path(
    get, path = "/api/v1/devices/{id}/plugins", tag = "bots",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Device id")),
    responses(
        (status = 200, description = "The pipeline, in order", body = inline(crate::http::Data<Vec<DevicePlugin>>)),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
async fn get_device_plugins(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> ApiResult<Vec<DevicePlugin>> {
    device_exists(&state, &member.tenant_id, &id).await?;
    Ok(ok(
        load_device_plugins(&state.pool, &member.tenant_id, &id).await?
    ))
}

/// Replace the plugin pipeline of a device (owner or admin). Each config
/// is validated against its plugin's JSON Schema; a violation is a 400
/// `invalid_plugin_config` whose message names the plugin and the field.
#[utoipa::path(
    put, path = "/api/v1/devices/{id}/plugins", tag = "bots",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Device id")),
    request_body = PutDevicePlugins,
    responses(
        (status = 200, description = "The stored pipeline", body = inline(crate::http::Data<Vec<DevicePlugin>>)),
        (status = 400, description = "Unknown plugin or invalid configuration", body = crate::http::ErrorBody),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
async fn put_device_plugins(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PutDevicePlugins>,
) -> ApiResult<Vec<DevicePlugin>> {
    member.require(Role::Admin)?;
    device_exists(&state, &member.tenant_id, &id).await?;
    let plugins = &runtime(&state).plugins;
    let mut seen = std::collections::HashSet::new();
    for (i, p) in body.plugins.iter().enumerate() {
        let plugin = p.plugin.as_str();
        if !seen.insert(plugin) {
            return Err(AppError::bad_request(
                "invalid_plugin_config",
                tr!(
                    "plugins[{i}].plugin: {plugin} muncul dua kali",
                    "plugins[{i}].plugin: {plugin} appears twice"
                ),
            ));
        }
        plugins
            .validate_config(plugin, &p.config)
            .await?
            .map_err(|message| {
                AppError::bad_request(
                    "invalid_plugin_config",
                    message.about(&format!("plugins[{i}] ({plugin})")),
                )
            })?;
    }
    let now = now_ms();
    let mut tx = state.begin_write().await?;
    sqlx::query("DELETE FROM device_plugins WHERE tenant_id = $1 AND device_id = $2")
        .bind(&member.tenant_id)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    for (i, p) in body.plugins.iter().enumerate() {
        sqlx::query(
            "INSERT INTO device_plugins (id, tenant_id, device_id, plugin, position, enabled, config, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(new_id())
        .bind(&member.tenant_id)
        .bind(&id)
        .bind(&p.plugin)
        .bind(i as i64)
        .bind(i64::from(p.enabled))
        .bind(p.config.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    // A new device version makes every server process rebuild the pipeline.
    crate::devices::store::touch(&mut *tx, &member.tenant_id, &id, now).await?;
    tx.commit().await?;
    crate::devices::registry::forget(&state, &id);
    Ok(ok(body.plugins))
}
