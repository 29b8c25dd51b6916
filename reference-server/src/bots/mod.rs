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
//!
//! Owns the tables `llm_providers`, `llm_usage` and `bot_keyword_hits`
//! (SQL in [`llm`] and [`store`]); a device's pipeline is stored by
//! `devices` (`device_plugins`). [`pipeline::contact_snapshot`] reads the
//! contact, its campaign messages and the plan's message allowance in one
//! query, on the hot path of every inbound message.

pub mod engine;
pub mod llm;
#[cfg(feature = "loadtest")]
pub mod loadtest;
pub mod pipeline;
mod reason;
pub(crate) mod store;

use std::sync::{Arc, OnceLock};

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::db::{new_id, now_ms};
use crate::domain::{DeviceId, TenantId};
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
            plugins: pipeline::Plugins::new(
                state.pool.clone(),
                Arc::clone(&llm) as Arc<dyn bot_core::llm::LlmService>,
                &state.config,
            ),
            llm,
        }
    })
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
    Ok(ok(catalog(&state).await?))
}

async fn device_exists(
    state: &AppState,
    tenant_id: &TenantId,
    device_id: &DeviceId,
) -> Result<(), AppError> {
    if crate::devices::store::exists(&state.pool, tenant_id, device_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("device"))
    }
}

/// The stored pipeline of a device, in order.
pub(crate) async fn load_device_plugins(
    pool: &sqlx::AnyPool,
    tenant_id: &TenantId,
    device_id: &DeviceId,
) -> Result<Vec<DevicePlugin>, sqlx::Error> {
    let rows = crate::devices::store::plugins(pool, tenant_id, device_id).await?;
    Ok(rows
        .into_iter()
        .map(|r| DevicePlugin {
            plugin: r.plugin,
            enabled: r.enabled != 0,
            config: serde_json::from_str(&r.config).unwrap_or_else(|_| empty_object()),
        })
        .collect())
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
    Path(id): Path<DeviceId>,
) -> ApiResult<Vec<DevicePlugin>> {
    Ok(ok(device_plugins(&state, &member, &id).await?))
}

/// The pipeline of one of the vendor's devices, in order.
pub(crate) async fn device_plugins(
    state: &AppState,
    member: &CurrentMember,
    id: &DeviceId,
) -> Result<Vec<DevicePlugin>, AppError> {
    device_exists(state, &member.tenant_id, id).await?;
    Ok(load_device_plugins(&state.pool, &member.tenant_id, id).await?)
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
        (status = 503, description = "A plugin was too busy to finish checking its configuration (`plugin_busy`); nothing changed, try again", body = crate::http::ErrorBody),
    )
)]
async fn put_device_plugins(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<DeviceId>,
    ApiJson(body): ApiJson<PutDevicePlugins>,
) -> ApiResult<Vec<DevicePlugin>> {
    Ok(ok(set_device_plugins(&state, &member, &id, body).await?))
}

/// Replaces a device's pipeline (owner or admin), each configuration
/// checked against its plugin's schema: the rules of
/// `PUT /api/v1/devices/{id}/plugins`.
pub(crate) async fn set_device_plugins(
    state: &AppState,
    member: &CurrentMember,
    id: &DeviceId,
    body: PutDevicePlugins,
) -> Result<Vec<DevicePlugin>, AppError> {
    member.require(Role::Admin)?;
    device_exists(state, &member.tenant_id, id).await?;
    let plugins = &runtime(state).plugins;
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
    let stored: Vec<crate::devices::model::NewPlugin<'_>> = body
        .plugins
        .iter()
        .map(|p| crate::devices::model::NewPlugin {
            plugin: &p.plugin,
            enabled: p.enabled,
            config: &p.config,
        })
        .collect();
    crate::devices::store::replace_plugins(&mut tx, &member.tenant_id, id, &stored, now).await?;
    // A new device version makes every server process rebuild the pipeline.
    crate::devices::store::touch(&mut *tx, &member.tenant_id, id, now).await?;
    // Plugin settings may hold credentials: the entry names the plugins only.
    let pipeline: Vec<_> = body
        .plugins
        .iter()
        .map(|p| serde_json::json!({ "plugin": p.plugin, "enabled": p.enabled }))
        .collect();
    let entry = crate::audit::Entry::by_member(crate::audit::Action::BotPluginsConfigured, member)
        .target(crate::audit::TargetKind::Device, id)
        .after(serde_json::json!({ "plugins": pipeline }));
    crate::audit::record_in(&mut tx, entry).await?;
    tx.commit().await?;
    crate::devices::registry::forget(state, id);
    Ok(body.plugins)
}

/// Where a plugin moves in a device's pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// One place earlier (runs before the plugin now above it).
    Up,
    /// One place later.
    Down,
}

/// Moves one plugin of a device's pipeline one place up or down (owner or
/// admin); at either end nothing changes. The pipeline is saved by
/// [`set_device_plugins`], the rules of `PUT /api/v1/devices/{id}/plugins`.
pub(crate) async fn move_plugin(
    state: &AppState,
    member: &CurrentMember,
    id: &DeviceId,
    plugin: &str,
    to: Move,
) -> Result<Vec<DevicePlugin>, AppError> {
    member.require(Role::Admin)?;
    let mut plugins = device_plugins(state, member, id).await?;
    let at = plugins
        .iter()
        .position(|p| p.plugin == plugin)
        .ok_or_else(|| not_in_pipeline(plugin))?;
    let other = match to {
        Move::Up => at.checked_sub(1),
        Move::Down => Some(at + 1).filter(|i| *i < plugins.len()),
    };
    let Some(other) = other else {
        return Ok(plugins);
    };
    plugins.swap(at, other);
    set_device_plugins(state, member, id, PutDevicePlugins { plugins }).await
}

/// Turns one plugin of a device's pipeline on or off (owner or admin). A
/// plugin this server offers that the pipeline does not hold yet is added
/// at the end with its default configuration (`{}`) when turned on.
pub(crate) async fn set_plugin_enabled(
    state: &AppState,
    member: &CurrentMember,
    id: &DeviceId,
    plugin: &str,
    enabled: bool,
) -> Result<Vec<DevicePlugin>, AppError> {
    member.require(Role::Admin)?;
    let mut plugins = device_plugins(state, member, id).await?;
    match plugins.iter_mut().find(|p| p.plugin == plugin) {
        Some(p) => p.enabled = enabled,
        None if enabled && pipeline::AVAILABLE_PLUGINS.contains(&plugin) => {
            plugins.push(DevicePlugin {
                plugin: plugin.to_owned(),
                enabled: true,
                config: empty_object(),
            });
        }
        None => return Err(not_in_pipeline(plugin)),
    }
    set_device_plugins(state, member, id, PutDevicePlugins { plugins }).await
}

/// Replaces the configuration of one plugin of a device's pipeline (owner
/// or admin), adding the plugin at the end (on) when the pipeline does not
/// hold it yet; checked against the plugin's schema like the whole
/// pipeline in [`set_device_plugins`].
pub(crate) async fn set_plugin_config(
    state: &AppState,
    member: &CurrentMember,
    id: &DeviceId,
    plugin: &str,
    config: serde_json::Value,
) -> Result<Vec<DevicePlugin>, AppError> {
    member.require(Role::Admin)?;
    let mut plugins = device_plugins(state, member, id).await?;
    match plugins.iter_mut().find(|p| p.plugin == plugin) {
        Some(p) => p.config = config,
        None => plugins.push(DevicePlugin {
            plugin: plugin.to_owned(),
            enabled: true,
            config,
        }),
    }
    set_device_plugins(state, member, id, PutDevicePlugins { plugins }).await
}

/// The problems of `config` for `plugin`, each as the JSON pointer of the
/// field at fault (`/max_tokens`, `/` for the whole configuration) and the
/// plugin's message: the check [`set_device_plugins`] makes, split per
/// field for a form. Empty when the configuration is accepted.
pub(crate) async fn config_problems(
    state: &AppState,
    plugin: &str,
    config: &serde_json::Value,
) -> Result<Vec<(String, String)>, AppError> {
    runtime(state).plugins.config_problems(plugin, config).await
}

/// The plugins this server offers vendors, with their schemas.
pub(crate) async fn catalog(state: &AppState) -> Result<Vec<PluginInfo>, AppError> {
    runtime(state).plugins.catalog().await
}

fn not_in_pipeline(plugin: &str) -> AppError {
    AppError::bad_request(
        "invalid_plugin_config",
        tr!(
            "plugin: `{plugin}` tidak ada di pipeline perangkat ini",
            "plugin: `{plugin}` is not in this device's pipeline"
        ),
    )
}

/// What a dry run of a pipeline did with one message.
#[derive(Debug, Clone, Default)]
pub struct DryRun {
    /// The texts the bot would send, in order, with the plugin and the
    /// rule that produced each.
    pub replies: Vec<DryReply>,
    /// Other actions (tags, state, handoff), described.
    pub actions: Vec<String>,
    /// Each plugin and how its turn went (`ran`, `not-wanted`, `failed: ...`).
    pub runs: Vec<(String, String)>,
}

/// One reply of a dry run.
#[derive(Debug, Clone)]
pub struct DryReply {
    /// The plugin that answered.
    pub plugin: String,
    /// What matched (a keyword rule id), when the plugin says.
    pub matched: Option<String>,
    /// The reply's text (or its kind for a non-text message).
    pub text: String,
}

struct Collect(DryRun);

#[async_trait::async_trait]
impl bot_core::Perform for Collect {
    type Error = bot_core::StoreError;

    async fn perform(
        &mut self,
        plugin: &str,
        actions: &[bot_core::Action],
    ) -> Result<(), Self::Error> {
        for a in actions {
            match a {
                bot_core::Action::Reply { message, matched } => {
                    let json = serde_json::to_value(message).unwrap_or_default();
                    self.0.replies.push(DryReply {
                        plugin: plugin.to_owned(),
                        matched: matched.clone(),
                        text: json
                            .get("body")
                            .and_then(|b| b.as_str())
                            .map_or_else(|| format!("[{}]", message.kind()), str::to_owned),
                    });
                }
                bot_core::Action::SetState(s) => self
                    .0
                    .actions
                    .push(format!("{plugin}: state = {}", s.as_deref().unwrap_or("-"))),
                bot_core::Action::Tag(t) => self.0.actions.push(format!("{plugin}: +tag {t}")),
                bot_core::Action::Untag(t) => self.0.actions.push(format!("{plugin}: -tag {t}")),
                bot_core::Action::Handoff(why) => self.0.actions.push(format!(
                    "{plugin}: handoff {}",
                    why.as_deref().unwrap_or_default()
                )),
                bot_core::Action::Stop => self.0.actions.push(format!("{plugin}: stop")),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Runs a message through `plugins` (a pipeline as it would be saved for
/// one of the vendor's devices) with the real plugin host, in a
/// throw-away conversation: nothing is stored or sent. The contact's
/// stored name, tags and fields are used when `from` is a known contact.
pub(crate) async fn dry_run(
    state: &AppState,
    member: &CurrentMember,
    device_id: &DeviceId,
    plugins: &[DevicePlugin],
    from: &str,
    text: &str,
) -> Result<DryRun, AppError> {
    use bot_core::ConversationStore;
    use whatsapp_client::webhook::{InboundMessage, MessageContent};

    device_exists(state, &member.tenant_id, device_id).await?;
    let from =
        whatsapp_client::PhoneNumber::parse(from).map_err(|e| crate::phone::invalid("from", &e))?;
    if text.trim().is_empty() {
        return Err(AppError::bad_request(
            "invalid_message",
            crate::http::i18n::Text::new("text: tidak boleh kosong", "text: must not be empty"),
        ));
    }
    let handlers = runtime(state).plugins.handlers_for(plugins).await?;
    let time_zone = crate::tenants::store::time_zone_of(&state.pool, member.tenant())
        .await?
        .and_then(|tz| tz.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(chrono_tz::Asia::Jakarta);
    let memory = bot_core::MemoryStore::new();
    let store: &dyn ConversationStore = &memory;
    let m = InboundMessage::new(
        "dry-run",
        format!("dry-run.{}", new_id()),
        whatsapp_client::Recipient::from(&from),
        MessageContent::text_body(text.to_owned()),
    );
    let mut conv = bot_core::Conversations::receive(store, &member.tenant_id, &m, now_ms())
        .await
        .map_err(|e| AppError::internal_from("dry run conversation", e))?
        .ok_or_else(|| AppError::internal("dry run message seen as a duplicate"))?;
    let stored = pipeline::contact_snapshot(&state.pool, &member.tenant_id, from.e164()).await?;
    conv.name = stored.name;
    conv.tags = stored.tags;
    conv.fields = stored.fields;
    let turn = bot_core::Turn {
        tenant: &member.tenant_id,
        handlers: &handlers,
        time_zone,
        handoff_timeout: None,
        history_limit: pipeline::DEFAULT_HISTORY,
        clock: &bot_core::SystemClock,
    };
    let mut collect = Collect(DryRun::default());
    let answer = bot_core::pipeline::answer(store, &turn, &conv, &m, &mut collect)
        .await
        .map_err(|e| AppError::internal_from("dry run", e))?;
    collect.0.runs = answer
        .runs
        .iter()
        .map(|r| {
            let status = match &r.status {
                bot_core::pipeline::RunStatus::Ran { actions } => format!("ran ({actions})"),
                bot_core::pipeline::RunStatus::NotWanted => "not-wanted".to_owned(),
                bot_core::pipeline::RunStatus::Debounced => "debounced".to_owned(),
                bot_core::pipeline::RunStatus::Failed { error } => format!("failed: {error}"),
            };
            (r.plugin.clone(), status)
        })
        .collect();
    Ok(collect.0)
}
