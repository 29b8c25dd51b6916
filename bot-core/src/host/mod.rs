//! The wasmtime host: loading, validating and caching plugin components,
//! and running them per message under CPU, memory and output limits.

mod cache;
mod state;
pub(crate) mod v0_1_0;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};
use whatsapp_client::webhook::InboundMessage;

use crate::handler::{Handler, HandlerError};
use crate::llm::LlmService;
use crate::model::{Action, EventKind, HandlerContext, Manifest};
use crate::store::ConversationStore;

pub(crate) use state::HostState;

/// Limits and tuning of the plugin host.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HostConfig {
    /// CPU time a plugin may use per event (default 50 ms). Time spent
    /// waiting for host calls (LLM, store) does not count.
    pub cpu_deadline: Duration,
    /// Granularity of the deadline (default 5 ms); a thread ticks at this rate.
    pub epoch_tick: Duration,
    /// Wall-clock limit per event including host calls (default 30 s).
    pub wall_timeout: Duration,
    /// Linear memory a plugin instance may use (default 32 MiB).
    pub memory_limit: usize,
    /// Plugin instances that may run at the same time (pool size, default 64).
    pub max_instances: u32,
    /// Actions one plugin call may return (default 16).
    pub max_actions: usize,
    /// LLM calls one plugin call may make (default 4).
    pub max_llm_calls: u32,
    /// Longest kv key in bytes (default 256).
    pub max_kv_key: usize,
    /// Largest kv value in bytes (default 64 KiB).
    pub max_kv_value: usize,
    /// Largest conversation state a plugin may set, in bytes (default 4 KiB).
    pub max_state: usize,
    /// Where compiled plugins are cached (none: compile on every load).
    pub cache_dir: Option<PathBuf>,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            cpu_deadline: Duration::from_millis(50),
            epoch_tick: Duration::from_millis(5),
            wall_timeout: Duration::from_secs(30),
            memory_limit: 32 << 20,
            max_instances: 64,
            max_actions: 16,
            max_llm_calls: 4,
            max_kv_key: 256,
            max_kv_value: 64 << 10,
            max_state: 4 << 10,
            cache_dir: None,
        }
    }
}

impl HostConfig {
    /// Sets the CPU deadline per event.
    #[must_use]
    pub fn cpu_deadline(mut self, d: Duration) -> Self {
        self.cpu_deadline = d;
        self
    }

    /// Sets the wall-clock limit per event.
    #[must_use]
    pub fn wall_timeout(mut self, d: Duration) -> Self {
        self.wall_timeout = d;
        self
    }

    /// Sets the memory limit per instance.
    #[must_use]
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Sets the compiled-artifact cache folder.
    #[must_use]
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Sets how many instances may run at once.
    #[must_use]
    pub fn max_instances(mut self, n: u32) -> Self {
        self.max_instances = n.max(1);
        self
    }

    fn deadline_ticks(&self) -> u64 {
        let tick = self.epoch_tick.as_micros().max(1);
        (self.cpu_deadline.as_micros().div_ceil(tick)).max(1) as u64
    }
}

/// Why a plugin cannot be loaded or configured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Reading the file failed.
    #[error("cannot read plugin file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The bytes are not a valid component, or it does not compile.
    #[error("invalid plugin component: {0}")]
    Invalid(String),
    /// The component does not implement any contract version this host knows.
    #[error("the component does not implement a known botcore:plugin version: {0}")]
    UnsupportedContract(String),
    /// The manifest is unusable.
    #[error("invalid plugin manifest: {0}")]
    Manifest(String),
    /// The engine could not be set up.
    #[error("plugin engine error: {0}")]
    Engine(String),
}

/// A configuration rejected by a plugin's JSON Schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration for plugin `{plugin}`: {}", .errors.join("; "))]
pub struct ConfigError {
    /// The plugin.
    pub plugin: String,
    /// One message per problem, each naming the field (JSON pointer, `/`
    /// for the root).
    pub errors: Vec<String>,
}

struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // The thread wakes within one tick; a panic in it is irrelevant now.
            let _ = t.join();
        }
    }
}

/// Host services plugins reach through imports.
#[derive(Clone)]
pub(crate) struct Services {
    pub(crate) store: Arc<dyn ConversationStore>,
    pub(crate) llm: Option<Arc<dyn LlmService>>,
}

/// The wasmtime engine and linker shared by all plugins of a process.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<HostState>,
    config: HostConfig,
    ticks: Arc<AtomicU64>,
    services: Services,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    _ticker: Ticker,
}

impl fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginHost")
            .field("config", &self.config)
            .field("llm", &self.services.llm.is_some())
            .finish_non_exhaustive()
    }
}

impl PluginHost {
    /// A host with `config`, plugins' kv in `store`, and the optional LLM
    /// service behind the `llm` import.
    pub fn new(
        config: HostConfig,
        store: Arc<dyn ConversationStore>,
        llm: Option<Arc<dyn LlmService>>,
    ) -> Result<Self, LoadError> {
        let mut pool = PoolingAllocationConfig::default();
        let n = config.max_instances;
        pool.total_component_instances(n)
            .total_core_instances(n.saturating_mul(8))
            .total_memories(n.saturating_mul(2))
            .total_tables(n.saturating_mul(4))
            .total_stacks(n)
            .max_memory_size(config.memory_limit);
        let mut wt = Config::new();
        wt.epoch_interruption(true)
            .wasm_component_model(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&wt).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        v0_1_0::add_to_linker(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        if let Some(dir) = &config.cache_dir {
            std::fs::create_dir_all(dir).map_err(|source| LoadError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        let ticks = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (engine, ticks, stop, tick) = (
                engine.clone(),
                ticks.clone(),
                stop.clone(),
                config.epoch_tick,
            );
            std::thread::Builder::new()
                .name("bot-core-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(tick);
                        ticks.fetch_add(1, Ordering::Relaxed);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| LoadError::Engine(format!("cannot start the epoch thread: {e}")))?
        };
        Ok(Self {
            engine,
            linker,
            config,
            ticks,
            services: Services { store, llm },
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            _ticker: Ticker {
                stop,
                thread: Some(thread),
            },
        })
    }

    /// The host's limits.
    #[must_use]
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// How many loads were served from the compile cache and how many compiled.
    #[must_use]
    pub fn cache_stats(&self) -> (u64, u64) {
        (
            self.cache_hits.load(Ordering::Relaxed),
            self.cache_misses.load(Ordering::Relaxed),
        )
    }

    /// Loads a plugin from a `.wasm` component file.
    pub async fn load_file(
        self: &Arc<Self>,
        path: impl AsRef<Path>,
    ) -> Result<Arc<PluginComponent>, LoadError> {
        let path = path.as_ref();
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| LoadError::Io {
                path: path.to_owned(),
                source,
            })?;
        self.load_bytes(&bytes).await
    }

    /// Loads a plugin from component bytes: compiles it (or takes it from
    /// the cache), checks that it implements a known contract version, calls
    /// its manifest and checks the manifest and its config schema.
    pub async fn load_bytes(
        self: &Arc<Self>,
        bytes: &[u8],
    ) -> Result<Arc<PluginComponent>, LoadError> {
        let this = self.clone();
        let owned = bytes.to_vec();
        // Compiling is CPU-heavy; keep it off the async workers.
        let (component, hit) = tokio::task::spawn_blocking(move || {
            cache::load_or_compile(&this.engine, &owned, this.config.cache_dir.as_deref())
        })
        .await
        .map_err(|e| LoadError::Engine(format!("compile task failed: {e}")))??;
        if hit {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.cache_misses.fetch_add(1, Ordering::Relaxed);
        }
        let pre = v0_1_0::Pre::new(&self.linker, &component)?;
        let manifest = pre.manifest(self).await?;
        check_manifest(&manifest)?;
        let schema: serde_json::Value = serde_json::from_str(&manifest.config_schema)
            .map_err(|e| LoadError::Manifest(format!("config schema is not JSON: {e}")))?;
        let validator = jsonschema::validator_for(&schema).map_err(|e| {
            LoadError::Manifest(format!("config schema is not a valid JSON Schema: {e}"))
        })?;
        Ok(Arc::new(PluginComponent {
            host: self.clone(),
            pre: Versioned::V0_1_0(pre),
            manifest,
            validator,
        }))
    }

    fn new_state(&self, tenant: &str, plugin: &str) -> HostState {
        HostState::new(
            tenant,
            plugin,
            &self.config,
            self.services.clone(),
            self.ticks.clone(),
        )
    }
}

fn check_manifest(m: &Manifest) -> Result<(), LoadError> {
    let ok_name = !m.name.is_empty()
        && m.name.len() <= 64
        && m.name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok_name {
        return Err(LoadError::Manifest(format!(
            "name `{}` must be 1-64 characters of a-z, 0-9 and -",
            m.name
        )));
    }
    if m.version.trim().is_empty() {
        return Err(LoadError::Manifest("version is empty".into()));
    }
    if m.debounce_ms.is_some_and(|d| d > 60_000) {
        return Err(LoadError::Manifest(
            "debounce-ms must be at most 60000".into(),
        ));
    }
    Ok(())
}

enum Versioned {
    V0_1_0(v0_1_0::Pre),
}

/// A loaded, validated plugin component (shared by every tenant using it).
pub struct PluginComponent {
    host: Arc<PluginHost>,
    pre: Versioned,
    manifest: Manifest,
    validator: jsonschema::Validator,
}

impl fmt::Debug for PluginComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginComponent")
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

impl PluginComponent {
    /// The manifest the plugin declared.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The contract version the plugin implements, e.g. `0.1.0`.
    #[must_use]
    pub fn contract_version(&self) -> &'static str {
        match self.pre {
            Versioned::V0_1_0(_) => "0.1.0",
        }
    }

    /// Checks `config` against the plugin's schema and returns a handler for
    /// a pipeline. Every problem is reported with the field it concerns.
    pub fn configure(
        self: &Arc<Self>,
        config: &serde_json::Value,
    ) -> Result<WasmHandler, ConfigError> {
        let errors: Vec<String> = self
            .validator
            .iter_errors(config)
            .map(|e| {
                let path = e.instance_path.to_string();
                let path = if path.is_empty() {
                    "/".to_owned()
                } else {
                    path
                };
                format!("{path}: {e}")
            })
            .collect();
        if !errors.is_empty() {
            return Err(ConfigError {
                plugin: self.manifest.name.clone(),
                errors,
            });
        }
        Ok(WasmHandler {
            component: self.clone(),
            config: Arc::from(config.to_string()),
            debounce: self
                .manifest
                .debounce_ms
                .map(|ms| Duration::from_millis(u64::from(ms))),
        })
    }
}

/// A configured WASM plugin: a [`Handler`] that runs a fresh instance per
/// message.
#[derive(Clone)]
pub struct WasmHandler {
    component: Arc<PluginComponent>,
    config: Arc<str>,
    debounce: Option<Duration>,
}

impl fmt::Debug for WasmHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmHandler")
            .field("plugin", &self.component.manifest.name)
            .field("debounce", &self.debounce)
            .finish_non_exhaustive()
    }
}

impl WasmHandler {
    /// The plugin component.
    #[must_use]
    pub fn component(&self) -> &Arc<PluginComponent> {
        &self.component
    }

    /// Overrides the debounce window the plugin's manifest declares (the
    /// manifest's value is the default): `None` answers every message at
    /// once, a window makes a burst from one contact get one answer. Capped
    /// at [`MAX_DEBOUNCE`], like manifests.
    #[must_use]
    pub fn with_debounce(mut self, window: Option<Duration>) -> Self {
        self.debounce = window.map(|w| w.min(MAX_DEBOUNCE));
        self
    }
}

/// The longest debounce window a plugin may declare or be given: 60 s.
pub const MAX_DEBOUNCE: Duration = Duration::from_secs(60);

#[async_trait]
impl Handler for WasmHandler {
    fn name(&self) -> &str {
        &self.component.manifest.name
    }

    fn wants(&self, kind: EventKind) -> bool {
        self.component.manifest.events.contains(&kind)
    }

    fn debounce(&self) -> Option<Duration> {
        self.debounce
    }

    async fn handle(
        &self,
        message: &InboundMessage,
        ctx: &HandlerContext,
    ) -> Result<Vec<Action>, HandlerError> {
        let c = &self.component;
        match &c.pre {
            Versioned::V0_1_0(pre) => {
                pre.handle(&c.host, &c.manifest.name, message, ctx, &self.config)
                    .await
            }
        }
    }
}
