//! The plugin host and the per-device pipelines.
//!
//! One `bot-core` [`PluginHost`] per process (wasmtime engine, pooling
//! allocator, CPU/memory limits; the vendor's LLM service behind the `llm`
//! import; plugin key-value data in `bot-core`'s `bot_kv` table). Plugin
//! components are loaded once from the plugins directory; a device's
//! pipeline is its configured plugins, in order, built once per device
//! version and cached.
//!
//! The components are embedded in the binary at build time (see the
//! crate's `build.rs`), so a copied binary runs bots; a `<name>.wasm` in
//! the configured plugins folder (`PLUGINS_DIR`) replaces the embedded one
//! of that name. Only the plugins in [`AVAILABLE_PLUGINS`] are offered.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use bot_core::llm::LlmService;
use bot_core::{
    Action, ConfigError, ConfigureError, ConversationStore, EventKind, Handler, HandlerContext,
    HandlerError, HostConfig, PluginComponent, PluginHost, SqlStore, WasmHandler,
};
use sqlx::AnyPool;
use tokio::sync::OnceCell;
use whatsapp_client::Recipient;
use whatsapp_client::webhook::InboundMessage;

use super::PluginInfo;
use super::reason::KeywordIndex;
use crate::AppState;
use crate::devices::registry::DeviceRuntime;
use crate::domain::{DeviceId, TenantId};
use crate::http::AppError;
use crate::http::i18n::{Text, tr};

/// Plugins a vendor may enable (other components in the folder, such as
/// the test plugins, are ignored).
pub const AVAILABLE_PLUGINS: [&str; 2] = ["keyword-rules", "ai-reply"];

/// Messages of history given to a plugin that does not say how many it
/// reads (ai-reply's `history_window` default).
pub(crate) const DEFAULT_HISTORY: u32 = 10;

/// Most messages of history any plugin gets (ai-reply's maximum window).
const MAX_HISTORY: u32 = 50;

/// How much history a configured plugin reads: what its manifest declares
/// (`history-depth`, contract 0.3.0; keyword-rules reads none), narrowed for
/// ai-reply to its configured `history_window`; the default for a plugin
/// that declares nothing.
fn history_depth(handler: &WasmHandler, config: &serde_json::Value) -> u32 {
    let declared = handler
        .history_depth()
        .unwrap_or(DEFAULT_HISTORY)
        .min(MAX_HISTORY);
    match handler.name() {
        "ai-reply" => config
            .get("history_window")
            .and_then(serde_json::Value::as_u64)
            .map_or(DEFAULT_HISTORY, |w| u32::try_from(w).unwrap_or(u32::MAX))
            .min(declared),
        _ => declared,
    }
}

/// The loaded components (each holds the plugin host).
struct Loaded {
    components: BTreeMap<String, Arc<PluginComponent>>,
}

/// A device's configured handlers, in order.
type Pipeline = Arc<[Arc<dyn Handler>]>;

/// A device's pipeline as the inbound path runs it: the handlers and the
/// keyword rules its replies are explained with.
#[derive(Clone)]
pub(crate) struct DevicePipeline {
    /// The configured handlers, in order.
    pub(crate) handlers: Pipeline,
    /// The keyword rules of its keyword-rules plugin.
    pub(crate) keywords: Arc<KeywordIndex>,
}

/// A configured plugin with the history it reads
/// ([`history_depth`]), for `bot-core`'s pipeline.
struct Configured {
    handler: WasmHandler,
    history: u32,
}

#[async_trait]
impl Handler for Configured {
    fn name(&self) -> &str {
        self.handler.name()
    }

    fn wants(&self, kind: EventKind) -> bool {
        self.handler.wants(kind)
    }

    fn debounce(&self) -> Option<std::time::Duration> {
        self.handler.debounce()
    }

    fn history_depth(&self) -> Option<u32> {
        Some(self.history)
    }

    async fn handle(
        &self,
        message: &InboundMessage<Recipient>,
        ctx: &HandlerContext,
    ) -> Result<Vec<Action>, HandlerError> {
        self.handler.handle(message, ctx).await
    }
}

/// The process's plugin host, loaded components and cached pipelines.
pub(crate) struct Plugins {
    pool: AnyPool,
    llm: Arc<dyn LlmService>,
    plugins_dir: Option<PathBuf>,
    cache_dir: PathBuf,
    loaded: OnceCell<Result<Loaded, String>>,
    pipelines: RwLock<HashMap<DeviceId, (i64, DevicePipeline)>>,
    /// Held while a pipeline is built ([`Plugins::pipeline`]).
    building: tokio::sync::Mutex<()>,
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_plugins.rs"));
}

/// Where a plugin's component comes from.
#[derive(Clone)]
pub enum PluginSource {
    /// A file in the configured plugins folder.
    File(PathBuf),
    /// The copy embedded in the binary at build time.
    Embedded(&'static [u8]),
    /// Neither: the plugin is not offered.
    Missing,
}

impl PluginSource {
    /// The component's bytes.
    pub async fn read(&self) -> Result<std::borrow::Cow<'static, [u8]>, String> {
        match self {
            Self::File(path) => tokio::fs::read(path)
                .await
                .map(std::borrow::Cow::Owned)
                .map_err(|e| format!("cannot read {}: {e}", path.display())),
            Self::Embedded(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            Self::Missing => Err("not found".to_owned()),
        }
    }
}

impl std::fmt::Debug for PluginSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for PluginSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Embedded(_) => f.write_str("embedded"),
            Self::Missing => f.write_str("missing"),
        }
    }
}

/// Each offered plugin and where its component comes from: the plugins
/// folder when it holds `<name>.wasm`, else the embedded copy.
pub fn plugin_sources(plugins_dir: Option<&std::path::Path>) -> Vec<(&'static str, PluginSource)> {
    AVAILABLE_PLUGINS
        .into_iter()
        .map(|name| {
            let file = plugins_dir
                .map(|dir| dir.join(format!("{name}.wasm")))
                .filter(|path| path.is_file());
            let source = match file {
                Some(path) => PluginSource::File(path),
                None => embedded::EMBEDDED_PLUGINS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(PluginSource::Missing, |(_, bytes)| {
                        PluginSource::Embedded(bytes)
                    }),
            };
            (name, source)
        })
        .collect()
}

/// Loads every offered plugin into `host`; a plugin that is missing or
/// fails to load is logged and left out.
pub async fn load_components(
    host: &Arc<PluginHost>,
    plugins_dir: Option<&std::path::Path>,
) -> BTreeMap<String, Result<Arc<PluginComponent>, String>> {
    let mut out = BTreeMap::new();
    for (name, source) in plugin_sources(plugins_dir) {
        let loaded = match source.read().await {
            Ok(bytes) => host.load_bytes(&bytes).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match &loaded {
            Ok(c) => {
                tracing::info!(plugin = name, version = %c.manifest().version, source = %source, "plugin loaded");
            }
            Err(e) => {
                tracing::warn!(plugin = name, source = %source, error = %e, "plugin not available");
            }
        }
        out.insert(name.to_owned(), loaded);
    }
    out
}

impl Plugins {
    pub(crate) fn new(pool: AnyPool, llm: Arc<dyn LlmService>, config: &crate::Config) -> Self {
        Self {
            pool,
            llm,
            plugins_dir: config.plugins_dir.clone(),
            cache_dir: config.effective_plugin_cache_dir(),
            loaded: OnceCell::new(),
            pipelines: RwLock::default(),
            building: tokio::sync::Mutex::new(()),
        }
    }

    async fn loaded(&self) -> Result<&Loaded, AppError> {
        let r = self
            .loaded
            .get_or_init(|| async {
                let load = async {
                    // Only the plugins' key-value table is used (applied by
                    // the server's migration step); conversations live in
                    // the inbox.
                    let store: Arc<dyn ConversationStore> =
                        Arc::new(SqlStore::new(self.pool.clone()));
                    let config = HostConfig::default().cache_dir(self.cache_dir.clone());
                    let host = Arc::new(
                        PluginHost::new(config, store, Some(Arc::clone(&self.llm)))
                            .map_err(|e| format!("plugin host: {e}"))?,
                    );
                    let components = load_components(&host, self.plugins_dir.as_deref())
                        .await
                        .into_values()
                        .filter_map(Result::ok)
                        .map(|c| (c.manifest().name.clone(), c))
                        .collect();
                    Ok::<_, String>(Loaded { components })
                };
                load.await
            })
            .await;
        r.as_ref()
            .map_err(|e| AppError::internal(format!("plugins unavailable: {e}")))
    }

    /// The plugins vendors can enable.
    pub(crate) async fn catalog(&self) -> Result<Vec<PluginInfo>, AppError> {
        let loaded = self.loaded().await?;
        Ok(loaded
            .components
            .values()
            .map(|c| {
                let m = c.manifest();
                PluginInfo {
                    name: m.name.clone(),
                    version: m.version.clone(),
                    events: m
                        .events
                        .iter()
                        .map(|e| {
                            serde_json::to_value(e)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default()
                        })
                        .collect(),
                    config_schema: serde_json::from_str(&m.config_schema).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// Checks a configuration against the plugin's schema; the error names
    /// the field (JSON pointer). The schema's own messages (from `bot-core`)
    /// are English; the Indonesian text leads them with its own words.
    /// The outer error is the server's (the plugins could not be loaded,
    /// a 500), the inner one the configuration's.
    pub(crate) async fn validate_config(
        &self,
        plugin: &str,
        config: &serde_json::Value,
    ) -> Result<Result<(), Text>, AppError> {
        let loaded = self.loaded().await?;
        let Some(c) = loaded.components.get(plugin) else {
            return Ok(Err(tr!(
                "plugin `{plugin}` tidak dikenal (lihat GET /api/v1/plugins)",
                "unknown plugin `{plugin}` (see GET /api/v1/plugins)"
            )));
        };
        match configure(c, config).await {
            Ok(_) => Ok(Ok(())),
            Err(ConfigureError::Unchecked { plugin, error }) if check_may_pass_later(&error) => {
                tracing::warn!(%plugin, %error, "configuration check did not finish; answered 503");
                Err(AppError::Status {
                    status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    code: "plugin_busy",
                    message: tr!(
                        "plugin `{plugin}` sedang sibuk dan belum selesai memeriksa konfigurasi; coba lagi sebentar lagi",
                        "plugin `{plugin}` is busy and did not finish checking the configuration; try again shortly"
                    ),
                })
            }
            Err(e) => {
                let errors = ConfigError::from(e).errors.join("; ");
                Ok(Err(tr!("konfigurasi tidak valid: {errors}", "{errors}")))
            }
        }
    }

    /// [`Plugins::validate_config`] split per problem: the JSON pointer of
    /// the field at fault and the message, for a form that shows each next
    /// to its field. Empty when the configuration is accepted.
    pub(crate) async fn config_problems(
        &self,
        plugin: &str,
        config: &serde_json::Value,
    ) -> Result<Vec<(String, String)>, AppError> {
        let loaded = self.loaded().await?;
        let Some(c) = loaded.components.get(plugin) else {
            return Ok(vec![("/".to_owned(), format!("unknown plugin `{plugin}`"))]);
        };
        Ok(problems_of(c, config).await)
    }

    /// Handlers for a pipeline that is not stored (the console's "try a
    /// message"): each enabled plugin configured as given; a configuration
    /// its schema refuses is a 400 naming the plugin.
    pub(crate) async fn handlers_for(
        &self,
        plugins: &[super::DevicePlugin],
    ) -> Result<Pipeline, AppError> {
        let loaded = self.loaded().await?;
        let mut handlers: Vec<Arc<dyn Handler>> = Vec::new();
        for p in plugins.iter().filter(|p| p.enabled) {
            let name = p.plugin.as_str();
            let Some(c) = loaded.components.get(name) else {
                return Err(AppError::bad_request(
                    "invalid_plugin_config",
                    tr!("plugin `{name}` tidak dikenal", "unknown plugin `{name}`"),
                ));
            };
            let handler = c.configure(&p.config).map_err(|e| {
                let errors = e.errors.join("; ");
                AppError::bad_request(
                    "invalid_plugin_config",
                    tr!(
                        "{name}: konfigurasi tidak valid: {errors}",
                        "{name}: {errors}"
                    ),
                )
            })?;
            let history = history_depth(&handler, &p.config);
            handlers.push(Arc::new(Configured { handler, history }));
        }
        Ok(handlers.into())
    }

    /// The pipeline of `device`, built from its stored configuration.
    pub(crate) async fn pipeline(
        &self,
        device: &DeviceRuntime,
    ) -> Result<DevicePipeline, AppError> {
        if let Some(p) = self.cached(device) {
            return Ok(p);
        }
        // One build at a time: the messages that arrive together for a
        // device whose pipeline is not cached wait for the first build
        // instead of each running every plugin's configuration check at
        // once, where on a busy machine a check can run past its CPU
        // deadline.
        let _building = self.building.lock().await;
        if let Some(p) = self.cached(device) {
            return Ok(p);
        }
        let loaded = self.loaded().await?;
        let rows = super::load_device_plugins(&self.pool, &device.tenant_id, &device.id).await?;
        let p = build(&loaded.components, &device.id, rows).await?;
        self.pipelines
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(device.id.clone(), (device.version, p.clone()));
        Ok(p)
    }

    fn cached(&self, device: &DeviceRuntime) -> Option<DevicePipeline> {
        self.pipelines
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&device.id)
            .filter(|(v, _)| *v == device.version)
            .map(|(_, p)| p.clone())
    }
}

/// The schema's and the plugin's problems with `config`, each split into
/// the JSON pointer it names and the message (`/` when it names none).
async fn problems_of(
    c: &Arc<PluginComponent>,
    config: &serde_json::Value,
) -> Vec<(String, String)> {
    match c.configure_async(config).await {
        Ok(_) => Vec::new(),
        Err(e) => e
            .errors
            .iter()
            .map(|line| match line.split_once(": ") {
                Some((pointer, message)) if pointer.starts_with('/') => {
                    (pointer.to_owned(), message.to_owned())
                }
                _ => ("/".to_owned(), line.clone()),
            })
            .collect(),
    }
}

/// Tries of a configuration check that stopped for a reason that may pass
/// on another try ([`check_may_pass_later`]).
const CONFIG_CHECK_TRIES: u32 = 3;

/// Whether a configuration check that stopped with `error` may finish on
/// another try: the CPU deadline is counted in ticks of the wall clock
/// (a busy machine stretches it) and the instance pool frees up; a trap
/// or a memory limit repeats.
fn check_may_pass_later(error: &HandlerError) -> bool {
    matches!(
        error,
        HandlerError::Timeout(_) | HandlerError::Instantiate(_)
    )
}

/// Configures `c` with `config`, trying a check that stopped for a reason
/// that may pass ([`check_may_pass_later`]) up to [`CONFIG_CHECK_TRIES`]
/// times.
async fn configure(
    c: &Arc<PluginComponent>,
    config: &serde_json::Value,
) -> Result<WasmHandler, ConfigureError> {
    let mut tries = 1;
    loop {
        match c.try_configure_async(config).await {
            Err(ConfigureError::Unchecked { error, .. })
                if check_may_pass_later(&error) && tries < CONFIG_CHECK_TRIES =>
            {
                tries += 1;
            }
            other => return other,
        }
    }
}

/// A device's handlers from its stored plugin rows. A configuration the
/// plugin now refuses (or whose check traps) leaves the plugin out; a
/// check that did not finish is tried again, and if it still does not
/// finish the build fails (and nothing is cached), since leaving out a
/// plugin whose configuration was accepted would silently drop its
/// replies.
async fn build(
    components: &BTreeMap<String, Arc<PluginComponent>>,
    device_id: &DeviceId,
    rows: Vec<super::DevicePlugin>,
) -> Result<DevicePipeline, AppError> {
    let mut handlers: Vec<Arc<dyn Handler>> = Vec::new();
    let mut keywords = KeywordIndex::default();
    for row in rows.into_iter().filter(|r| r.enabled) {
        let Some(c) = components.get(&row.plugin) else {
            tracing::warn!(device = %device_id, plugin = %row.plugin, "configured plugin is not available; skipped");
            continue;
        };
        let outcome = match configure(c, &row.config).await {
            // A trap or a memory limit in the check comes back with the
            // same configuration: treated as a refusal.
            Err(ConfigureError::Unchecked { plugin, error }) if !check_may_pass_later(&error) => {
                Err(ConfigureError::Refused(ConfigError::from(
                    ConfigureError::Unchecked { plugin, error },
                )))
            }
            other => other,
        };
        match outcome {
            Ok(handler) => {
                let history = history_depth(&handler, &row.config);
                if handler.name() == "keyword-rules" {
                    keywords = KeywordIndex::from_config(&row.config);
                }
                handlers.push(Arc::new(Configured { handler, history }));
            }
            Err(e @ ConfigureError::Unchecked { .. }) => {
                return Err(AppError::internal_from(
                    format!("building the bot pipeline of device {device_id}"),
                    e,
                ));
            }
            Err(e) => {
                tracing::warn!(device = %device_id, error = %e, "stored plugin configuration no longer valid; skipped");
            }
        }
    }
    Ok(DevicePipeline {
        handlers: handlers.into(),
        keywords: Arc::new(keywords),
    })
}

/// What the inbound path knows of the customer before the bot runs, read
/// in one query.
#[derive(Debug, Clone, Default)]
pub struct ContactSnapshot {
    /// Stored contact name (`None`: no stored contact, or no name).
    pub name: Option<String>,
    /// The contact's tags, sorted.
    pub tags: Vec<String>,
    /// The contact's custom fields.
    pub fields: BTreeMap<String, String>,
    /// Whether the vendor ever queued or sent a campaign message to the
    /// number (only then can a message count as a campaign reply).
    pub in_campaigns: bool,
    /// Messages per month of the vendor's active plan (`None`: no active
    /// subscription).
    pub max_messages: Option<i64>,
    /// Messages counted this month (UTC).
    pub used_messages: i64,
}

impl ContactSnapshot {
    /// Whether the plan has room for `n` more bot replies this month
    /// (checked before each bot turn; turns running at the same moment may
    /// together pass the limit by the replies in flight).
    pub fn plan_has_room(&self, n: i64) -> bool {
        self.max_messages
            .is_some_and(|max| self.used_messages.saturating_add(n) <= max)
    }
}

/// The contact's name, tags and custom fields from the contacts feature's
/// tables (empty when the customer is not a stored contact), whether
/// campaigns ever reached the number, and the vendor's monthly message
/// allowance and usage, in one query.
pub(crate) async fn contact_snapshot(
    pool: &AnyPool,
    tenant_id: &TenantId,
    phone: &str,
) -> Result<ContactSnapshot, sqlx::Error> {
    let rows: Vec<SnapshotRow> = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 AS x FROM campaign_recipients \
           WHERE tenant_id = $1 AND phone = $2 LIMIT 1) r) AS in_campaigns, \
         (SELECT p.max_messages_per_month FROM subscriptions s JOIN plans p ON p.id = s.plan_id \
           WHERE s.tenant_id = $1 AND s.status = $5 \
           AND (s.expires_at > $3 OR s.grace_until > $3)) AS max_messages, \
         (SELECT u.count FROM usage_counters u WHERE u.tenant_id = $1 AND u.metric = $6 \
           AND u.period = $4) AS used_messages, \
         c.name, c.fields, t.tag FROM (SELECT 1 AS one) o \
         LEFT JOIN contacts c ON c.tenant_id = $1 AND c.phone = $2 \
         LEFT JOIN contact_tags t ON t.contact_id = c.id AND t.tenant_id = c.tenant_id",
    )
    .bind(tenant_id)
    .bind(phone)
    .bind(crate::db::now_ms())
    .bind(crate::billing::limits::current_period())
    .bind(crate::billing::model::SubscriptionState::Active)
    .bind(crate::billing::limits::Limit::MessagesPerMonth.metric())
    .fetch_all(pool)
    .await?;
    let mut out = ContactSnapshot::default();
    for (i, r) in rows.into_iter().enumerate() {
        if i == 0 {
            out.in_campaigns = r.in_campaigns > 0;
            out.max_messages = r.max_messages;
            out.used_messages = r.used_messages.unwrap_or(0);
            out.name = r.name.filter(|n| !n.is_empty());
            out.fields = r
                .fields
                .and_then(|f| serde_json::from_str(&f).ok())
                .unwrap_or_default();
        }
        if let Some(tag) = r.tag {
            out.tags.push(tag);
        }
    }
    out.tags.sort();
    Ok(out)
}

/// One row of [`contact_snapshot`]'s query: the counts and the contact
/// repeat on every row, one row per tag.
#[derive(sqlx::FromRow)]
struct SnapshotRow {
    in_campaigns: i64,
    max_messages: Option<i64>,
    used_messages: Option<i64>,
    name: Option<String>,
    fields: Option<String>,
    tag: Option<String>,
}

/// Adds or removes a contact tag through the contacts feature (creating
/// the contact when a tag is added). Failures are logged: a tag is not
/// worth losing the reply over.
pub(crate) async fn apply_tag(
    state: &AppState,
    tenant: &TenantId,
    phone: &str,
    tag: &str,
    add: bool,
) {
    let tag = tag.trim();
    if tag.is_empty() || tag.chars().count() > 64 {
        return;
    }
    let result = async {
        let tenant = tenant.clone();
        let contact_id = crate::contacts::find_or_create(&state.pool, &tenant, phone, None)
            .await?
            .id;
        if add {
            crate::contacts::store::tag(&state.pool, &tenant, &contact_id, tag).await?;
        } else {
            crate::contacts::store::untag(&state.pool, &tenant, &contact_id, tag).await?;
        }
        Ok::<_, sqlx::Error>(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(%tenant, %error, "could not apply a plugin's tag action");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    /// The test plugin `hostile` loaded on a host with a short CPU deadline.
    async fn hostile() -> BTreeMap<String, Arc<PluginComponent>> {
        let store: Arc<dyn ConversationStore> = Arc::new(bot_core::MemoryStore::new());
        let config = HostConfig::default()
            .cpu_deadline(Duration::from_millis(30))
            .cache_dir(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugin-cache"),
            );
        let host = Arc::new(PluginHost::new(config, store, None).unwrap());
        let c = host
            .load_file(bot_core::testing::plugin_path("hostile"))
            .await
            .unwrap();
        BTreeMap::from([("hostile".to_owned(), c)])
    }

    fn row(behaviour: &str) -> super::super::DevicePlugin {
        serde_json::from_value(serde_json::json!({
            "plugin": "hostile", "config": {"behaviour": behaviour}
        }))
        .unwrap()
    }

    /// A stored configuration whose check cannot finish fails the build
    /// instead of leaving the plugin out: a pipeline without it would be
    /// cached and answer nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unfinished_configuration_check_fails_the_build() {
        let components = hostile().await;
        let d1 = DeviceId::from("d1");
        let built = build(&components, &d1, vec![row("echo"), row("validate-loop")]).await;
        match built {
            Err(e) => assert!(matches!(e, AppError::Internal { .. }), "{e}"),
            Ok(p) => panic!(
                "built a pipeline of {} handlers without the unchecked plugin",
                p.handlers.len()
            ),
        }
        // A refusal leaves the plugin out; the others stay.
        let p = build(&components, &d1, vec![row("validate-refuse"), row("echo")])
            .await
            .unwrap();
        assert_eq!(p.handlers.len(), 1);
    }
}
