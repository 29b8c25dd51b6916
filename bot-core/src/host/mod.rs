//! The wasmtime host: loading, validating and caching plugin components,
//! and running them per message under CPU, memory and output limits.

mod cache;
mod glue;
mod state;
mod v0_1_0;
mod v0_2_0;
mod v0_3_0;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use wasmtime::component::Linker;
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolConcurrencyLimitError,
    PoolingAllocationConfig, Store, UpdateDeadline,
};
use whatsapp_client::Recipient;
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
    /// waiting for host calls (LLM, store) does not count. The manifest
    /// call and configuration checks get [`ADMIN_DEADLINE_FACTOR`] times
    /// this: they run once per load or configuration change, never per
    /// message, and a busy machine must not make a valid configuration
    /// look refused. The deadline is counted in ticks of the wall clock.
    pub cpu_deadline: Duration,
    /// Granularity of the deadline (default 5 ms); a thread ticks at this rate.
    pub epoch_tick: Duration,
    /// Wall-clock limit per event including host calls (default 30 s).
    pub wall_timeout: Duration,
    /// Time kept back from `wall_timeout` when a plugin calls the LLM
    /// (default 5 s): the host ends an LLM call that is still running when
    /// only this much of the event's wall time is left and answers the
    /// plugin with a refusal, so the plugin can still send its fallback
    /// text instead of being stopped. Keep the LLM router's budget
    /// ([`crate::llm::LlmRouter::with_budget`], default 20 s) below
    /// `wall_timeout - llm_reserve` so every provider of the fallback list
    /// gets its turn first.
    pub llm_reserve: Duration,
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
    /// Largest prepared configuration a plugin's `prepare-config` may
    /// return, in bytes (default 1 MiB); a larger one refuses the
    /// configuration.
    pub max_prepared: usize,
    /// Where compiled plugins are cached (none: compile on every load).
    pub cache_dir: Option<PathBuf>,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            cpu_deadline: Duration::from_millis(50),
            epoch_tick: Duration::from_millis(5),
            wall_timeout: Duration::from_secs(30),
            llm_reserve: Duration::from_secs(5),
            memory_limit: 32 << 20,
            max_instances: 64,
            max_actions: 16,
            max_llm_calls: 4,
            max_kv_key: 256,
            max_kv_value: 64 << 10,
            max_state: 4 << 10,
            max_prepared: 1 << 20,
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

    /// Sets the time kept back from the wall timeout for the plugin to act on
    /// an LLM call's outcome.
    #[must_use]
    pub fn llm_reserve(mut self, d: Duration) -> Self {
        self.llm_reserve = d;
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

    /// Sets the largest prepared configuration a plugin may return.
    #[must_use]
    pub fn max_prepared(mut self, bytes: usize) -> Self {
        self.max_prepared = bytes;
        self
    }

    /// Sets how many instances may run at once.
    #[must_use]
    pub fn max_instances(mut self, n: u32) -> Self {
        self.max_instances = n.max(1);
        self
    }

    /// The deadline of the manifest call and of configuration checks.
    #[must_use]
    pub fn admin_deadline(&self) -> Duration {
        self.cpu_deadline.saturating_mul(ADMIN_DEADLINE_FACTOR)
    }

    fn ticks_of(&self, deadline: Duration) -> u64 {
        let tick = self.epoch_tick.as_micros().max(1);
        (deadline.as_micros().div_ceil(tick)).max(1) as u64
    }
}

/// How many times the per-event CPU deadline the manifest call and
/// configuration checks may run ([`HostConfig::admin_deadline`]).
pub const ADMIN_DEADLINE_FACTOR: u32 = 20;

/// Which deadline a plugin call runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// An event: [`HostConfig::cpu_deadline`].
    Event,
    /// The manifest or a configuration check: [`HostConfig::admin_deadline`].
    Admin,
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

/// A configuration rejected by a plugin's JSON Schema or by the plugin
/// itself (`prepare-config`, `validate-config` in 0.2.0).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration for plugin `{plugin}`: {}", .errors.join("; "))]
pub struct ConfigError {
    /// The plugin.
    pub plugin: String,
    /// One message per problem, each naming the field (JSON pointer, `/`
    /// for the root).
    pub errors: Vec<String>,
}

/// Why [`PluginComponent::try_configure_async`] gave no handler.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigureError {
    /// The schema or the plugin refused the configuration: it is refused
    /// again on every try.
    #[error(transparent)]
    Refused(ConfigError),
    /// The plugin stopped before it finished checking the configuration
    /// (CPU deadline, memory limit, full instance pool, trap). That says
    /// nothing about the configuration; a CPU deadline on a busy machine
    /// or a full pool may pass on another try.
    #[error("plugin `{plugin}` could not check the configuration: {error}")]
    Unchecked {
        /// The plugin.
        plugin: String,
        /// How the check ended.
        error: HandlerError,
    },
}

impl From<ConfigureError> for ConfigError {
    fn from(e: ConfigureError) -> Self {
        match e {
            ConfigureError::Refused(e) => e,
            ConfigureError::Unchecked { plugin, error } => ConfigError {
                plugin,
                errors: vec![format!(
                    "/: the plugin could not check the configuration: {error}"
                )],
            },
        }
    }
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
            .max_memory_size(config.memory_limit)
            // A slot is reused for every message. Resetting it with madvise
            // made every next instance page-fault its stack, data and heap
            // back in (a third of the time per message went to the kernel).
            // Instead keep pages resident and reset only the dirty ones
            // (found with PAGEMAP_SCAN on Linux >= 6.7, else the low bytes).
            .linear_memory_keep_resident(KEEP_RESIDENT)
            // A table of at most one page (512 functions, e.g. keyword-rules'
            // 325) is then zeroed with a plain `memset`; a bigger one is
            // scanned for dirty pages like memories are, and all but its
            // first dirty page is decommitted. Each scan is an `ioctl` of
            // about 0.8 us, a tenth of an echo message.
            .table_keep_resident(TABLE_KEEP_RESIDENT)
            .pagemap_scan(Enabled::Auto);
        let mut wt = Config::new();
        // Bounds are checked by guard pages and a signal handler (each
        // memory reserves 4 GiB of address space plus a guard, the
        // engine's default), not by the generated code: keyword-rules runs
        // a tenth faster that way (9.2 vs 9.7 us per message). The price
        // is paid by a message that grows its memory: the next instance in
        // its slot shrinks it back with `mprotect`, which flushes the TLB
        // on every core (it was 15% of the pipeline's time when every
        // message grew its memory). The SDK's event arena keeps ordinary
        // messages within their initial memory, so they never do.
        wt.epoch_interruption(true)
            .signals_based_traps(true)
            .memory_reservation(MEMORY_RESERVATION)
            .memory_guard_size(MEMORY_GUARD)
            .wasm_component_model(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&wt).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        v0_1_0::add_to_linker(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        v0_2_0::add_to_linker(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        v0_3_0::add_to_linker(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
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
    ///
    /// The compiled code is mapped twice: one copy runs messages, the other
    /// the manifest and configuration checks, so the memory a check
    /// touches never stays in the pooled slots messages reuse. A plugin
    /// therefore holds its code size twice (about 1 MB for keyword-rules).
    pub async fn load_bytes(
        self: &Arc<Self>,
        bytes: &[u8],
    ) -> Result<Arc<PluginComponent>, LoadError> {
        let this = self.clone();
        let owned = bytes.to_vec();
        // Compiling is CPU-heavy; keep it off the async workers.
        let loaded = tokio::task::spawn_blocking(move || {
            cache::load_or_compile(&this.engine, &owned, this.config.cache_dir.as_deref())
        })
        .await
        .map_err(|e| LoadError::Engine(format!("compile task failed: {e}")))??;
        let (component, hit) = (&loaded.component, loaded.hit);
        if hit {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.cache_misses.fetch_add(1, Ordering::Relaxed);
        }
        // Newest first: a 0.2.0 component also type-checks as 0.1.0 (its
        // `manifest` and `handle` are the same), the reverse is not true.
        let mut refusals = Vec::new();
        let pre = 'found: {
            match v0_3_0::Pre::new(&self.linker, component) {
                Ok(pre) => break 'found Versioned::V0_3_0(pre),
                Err(LoadError::UnsupportedContract(why)) => refusals.push(("0.3.0", why)),
                Err(e) => return Err(e),
            }
            match v0_2_0::Pre::new(&self.linker, component) {
                Ok(pre) => break 'found Versioned::V0_2_0(pre),
                Err(LoadError::UnsupportedContract(why)) => refusals.push(("0.2.0", why)),
                Err(e) => return Err(e),
            }
            match v0_1_0::Pre::new(&self.linker, component) {
                Ok(pre) => break 'found Versioned::V0_1_0(pre),
                Err(LoadError::UnsupportedContract(why)) => refusals.push(("0.1.0", why)),
                Err(e) => return Err(e),
            }
            let why: Vec<String> = refusals
                .iter()
                .map(|(v, why)| format!("not botcore:plugin@{v} ({why})"))
                .collect();
            return Err(LoadError::UnsupportedContract(why.join("; ")));
        };
        let admin = pre.link_like(&self.linker, &loaded.admin)?;
        let manifest = match &admin {
            Versioned::V0_1_0(p) => p.manifest(self).await?,
            Versioned::V0_2_0(p) => p.manifest(self).await?,
            Versioned::V0_3_0(p) => p.manifest(self).await?,
        };
        check_manifest(&manifest)?;
        let schema: serde_json::Value = serde_json::from_str(&manifest.config_schema)
            .map_err(|e| LoadError::Manifest(format!("config schema is not JSON: {e}")))?;
        let validator = jsonschema::validator_for(&schema).map_err(|e| {
            LoadError::Manifest(format!("config schema is not a valid JSON Schema: {e}"))
        })?;
        Ok(Arc::new(PluginComponent {
            host: self.clone(),
            pre,
            admin,
            manifest,
            validator,
        }))
    }

    /// A store for one plugin call, with the memory limiter and the CPU
    /// deadline (time spent awaiting host calls is credited back).
    fn new_store(&self, tenant: &str, plugin: &str, kind: CallKind) -> Store<HostState> {
        let deadline = match kind {
            CallKind::Event => self.config.cpu_deadline,
            CallKind::Admin => self.config.admin_deadline(),
        };
        let mut state = HostState::new(
            tenant,
            plugin,
            &self.config,
            self.services.clone(),
            self.ticks.clone(),
        );
        state.deadline = deadline;
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(self.config.ticks_of(deadline));
        store.epoch_deadline_callback(|mut ctx| {
            let s = ctx.data_mut();
            let credit = std::mem::take(&mut s.credit);
            if credit > 0 {
                Ok(UpdateDeadline::Continue(credit))
            } else {
                s.timed_out = true;
                Ok(UpdateDeadline::Interrupt)
            }
        });
        store
    }
}

/// Where a plugin call failed.
enum CallError {
    /// Creating the instance failed.
    Instantiate(wasmtime::Error),
    /// The exported function trapped or was interrupted.
    Call(wasmtime::Error),
    /// The wall-clock limit passed.
    WallTimeout,
}

/// Turns a failed call into a [`HandlerError`] from typed facts (the
/// store's flags, the error's type and the stage it happened in), never
/// from the error's text: a plugin controls that text (its panic message,
/// its function names in the backtrace).
fn classify(config: &HostConfig, data: &HostState, e: CallError) -> HandlerError {
    let error = match e {
        CallError::WallTimeout => return HandlerError::Timeout(config.wall_timeout),
        _ if data.timed_out => return HandlerError::Timeout(data.deadline),
        _ if data.limits.hit_memory => return HandlerError::OutOfMemory(data.limits.memory),
        CallError::Instantiate(e) => {
            if e.is::<PoolConcurrencyLimitError>() || e.downcast_ref::<wasmtime::Trap>().is_none() {
                return HandlerError::Instantiate(format!("{e:#}"));
            }
            // A trap while starting (e.g. in the component's start function)
            // is the plugin's fault like any other trap.
            e
        }
        CallError::Call(e) => e,
    };
    HandlerError::Trap(format!("{error:#}"))
}

/// Bytes of each pooled linear memory kept resident between instances
/// (reset by `memset`, dirty pages only where the kernel can tell). A
/// message to keyword-rules touches well under this.
const KEEP_RESIDENT: usize = 4 << 20;

/// Address space each pooled memory reserves: all a 32-bit memory can
/// address, so the guard pages after it catch every access out of bounds.
const MEMORY_RESERVATION: u64 = 4 << 30;

/// Guard pages after each reservation: accesses with a constant offset up
/// to this far need no bounds check of their own.
const MEMORY_GUARD: u64 = 32 << 20;

/// Bytes of each pooled table kept resident: one page, the most that
/// wasmtime resets without a page scan.
const TABLE_KEEP_RESIDENT: usize = 4096;

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
    if m.history_depth.is_some_and(|d| d > MAX_HISTORY_DEPTH) {
        return Err(LoadError::Manifest(format!(
            "history-depth must be at most {MAX_HISTORY_DEPTH}"
        )));
    }
    if m.debounce_ms.is_some_and(|d| d > 60_000) {
        return Err(LoadError::Manifest(
            "debounce-ms must be at most 60000".into(),
        ));
    }
    Ok(())
}

/// What a plugin's configuration check answered: its prepared bytes
/// (empty when it prepares nothing), or `(field, message)` problems.
type ConfigCheck = Result<Vec<u8>, Vec<(String, String)>>;

/// The most history entries a plugin may ask for.
pub const MAX_HISTORY_DEPTH: u32 = 200;

/// Problems reported per configuration at most (the rest are dropped).
const MAX_PROBLEMS: usize = 50;

/// Plugin text shown to vendors: bounded and without control characters.
fn bounded(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// A plugin's list of `(field, message)` problems, bounded for vendors; an
/// empty list still refuses the configuration.
fn problem_list(problems: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = problems
        .into_iter()
        .take(MAX_PROBLEMS)
        .map(|(field, message)| {
            let field = bounded(&field, 200);
            let field = if field.is_empty() { "/".into() } else { field };
            (field, bounded(&message, 500))
        })
        .collect();
    if out.is_empty() {
        out.push(("/".into(), "refused by the plugin".into()));
    }
    out
}

enum Versioned {
    V0_1_0(v0_1_0::Pre),
    V0_2_0(v0_2_0::Pre),
    V0_3_0(v0_3_0::Pre),
}

impl Versioned {
    /// `component` linked as the same contract version as `self`.
    fn link_like(
        &self,
        linker: &Linker<HostState>,
        component: &wasmtime::component::Component,
    ) -> Result<Self, LoadError> {
        Ok(match self {
            Self::V0_1_0(_) => Self::V0_1_0(v0_1_0::Pre::new(linker, component)?),
            Self::V0_2_0(_) => Self::V0_2_0(v0_2_0::Pre::new(linker, component)?),
            Self::V0_3_0(_) => Self::V0_3_0(v0_3_0::Pre::new(linker, component)?),
        })
    }

    /// Whether the plugin's world exports a configuration check.
    fn checks_config(&self) -> bool {
        match self {
            Self::V0_1_0(_) => v0_1_0::CHECKS_CONFIG,
            Self::V0_2_0(_) => v0_2_0::CHECKS_CONFIG,
            Self::V0_3_0(_) => v0_3_0::CHECKS_CONFIG,
        }
    }

    async fn prepare_config(
        &self,
        host: &Arc<PluginHost>,
        plugin: &str,
        config: &str,
    ) -> Result<ConfigCheck, HandlerError> {
        match self {
            Self::V0_1_0(p) => p.prepare_config(host, plugin, config).await,
            Self::V0_2_0(p) => p.prepare_config(host, plugin, config).await,
            Self::V0_3_0(p) => p.prepare_config(host, plugin, config).await,
        }
    }
}

/// A loaded, validated plugin component (shared by every tenant using it).
pub struct PluginComponent {
    host: Arc<PluginHost>,
    /// Runs messages.
    pre: Versioned,
    /// A second copy of the compiled component that runs the manifest and
    /// the configuration checks, so their memory never lingers in the
    /// pooled slots messages use (see `cache::Loaded`).
    admin: Versioned,
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
            Versioned::V0_2_0(_) => "0.2.0",
            Versioned::V0_3_0(_) => "0.3.0",
        }
    }

    /// Checks `config` and returns a handler for a pipeline. Every problem
    /// is reported with the field it concerns (a JSON pointer).
    ///
    /// The configuration must satisfy the plugin's JSON Schema; then, for a
    /// plugin of contract 0.2.0 or later, the plugin's own check
    /// (`validate-config`, or `prepare-config` from 0.3.0) judges what a
    /// schema cannot (a broken reply template, a regex that does not
    /// compile, opening hours that end before they start), so a
    /// configuration is refused when it is set rather than failing every
    /// event. A 0.1.0 plugin is checked against its schema only. What a
    /// 0.3.0 plugin's `prepare-config` returns is kept in the handler and
    /// passed to every event, at most [`HostConfig::max_prepared`] bytes.
    ///
    /// This call blocks the calling thread while the plugin runs (usually
    /// well under a millisecond; at most the CPU deadline, or the wall
    /// timeout for a plugin waiting on the host). In async code prefer
    /// [`PluginComponent::configure_async`].
    pub fn configure(
        self: &Arc<Self>,
        config: &serde_json::Value,
    ) -> Result<WasmHandler, ConfigError> {
        self.check_schema(config)?;
        let text = config.to_string();
        if !self.pre.checks_config() {
            return Ok(self.handler(text, Vec::new()));
        }
        // The guest runs on the async engine; a private current-thread
        // runtime on a scoped thread lets a sync caller (even one on an
        // async worker thread) wait for it without nesting runtimes.
        let outcome = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_time()
                        .build()
                        .map_err(|e| {
                            HandlerError::Instantiate(format!("cannot start a runtime: {e}"))
                        })?;
                    rt.block_on(
                        self.admin
                            .prepare_config(&self.host, &self.manifest.name, &text),
                    )
                })
                .join()
        });
        let outcome = outcome.unwrap_or_else(|_| {
            Err(HandlerError::Instantiate(
                "the configuration check panicked".into(),
            ))
        });
        let prepared = self.judge(outcome).map_err(ConfigError::from)?;
        Ok(self.handler(text, prepared))
    }

    /// Like [`PluginComponent::configure`], without blocking the thread.
    pub async fn configure_async(
        self: &Arc<Self>,
        config: &serde_json::Value,
    ) -> Result<WasmHandler, ConfigError> {
        self.try_configure_async(config).await.map_err(Into::into)
    }

    /// Like [`PluginComponent::configure_async`], telling a configuration
    /// the plugin refused ([`ConfigureError::Refused`]) from a check that
    /// did not finish ([`ConfigureError::Unchecked`]), so a caller that
    /// builds handlers from stored, once accepted configurations can try
    /// again instead of dropping the plugin.
    pub async fn try_configure_async(
        self: &Arc<Self>,
        config: &serde_json::Value,
    ) -> Result<WasmHandler, ConfigureError> {
        self.check_schema(config).map_err(ConfigureError::Refused)?;
        let text = config.to_string();
        let outcome = self
            .admin
            .prepare_config(&self.host, &self.manifest.name, &text)
            .await;
        let prepared = self.judge(outcome)?;
        Ok(self.handler(text, prepared))
    }

    fn judge(&self, outcome: Result<ConfigCheck, HandlerError>) -> Result<Vec<u8>, ConfigureError> {
        let refuse = |errors: Vec<String>| {
            ConfigureError::Refused(ConfigError {
                plugin: self.manifest.name.clone(),
                errors,
            })
        };
        match outcome {
            Ok(Ok(prepared)) if prepared.len() > self.host.config.max_prepared => {
                tracing::warn!(plugin = %self.manifest.name, bytes = prepared.len(), "prepared configuration too large");
                Err(refuse(vec![format!(
                    "/: the plugin's prepared form of this configuration is {} bytes (at most {})",
                    prepared.len(),
                    self.host.config.max_prepared
                )]))
            }
            Ok(Ok(prepared)) => Ok(prepared),
            Ok(Err(problems)) => Err(refuse(
                problems
                    .into_iter()
                    .map(|(field, message)| format!("{field}: {message}"))
                    .collect(),
            )),
            Err(error) => {
                tracing::warn!(plugin = %self.manifest.name, %error, "plugin failed while checking a configuration");
                Err(ConfigureError::Unchecked {
                    plugin: self.manifest.name.clone(),
                    error,
                })
            }
        }
    }

    fn handler(self: &Arc<Self>, config: String, prepared: Vec<u8>) -> WasmHandler {
        WasmHandler {
            component: self.clone(),
            config: Arc::from(config),
            prepared: Arc::from(prepared),
            debounce: self
                .manifest
                .debounce_ms
                .map(|ms| Duration::from_millis(u64::from(ms))),
            history_depth: self.manifest.history_depth,
        }
    }

    fn check_schema(&self, config: &serde_json::Value) -> Result<(), ConfigError> {
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
        Ok(())
    }
}

/// A configured WASM plugin: a [`Handler`] that runs a fresh instance per
/// message.
#[derive(Clone)]
pub struct WasmHandler {
    component: Arc<PluginComponent>,
    config: Arc<str>,
    /// What the plugin's `prepare-config` returned for `config` (0.3.0).
    prepared: Arc<[u8]>,
    debounce: Option<Duration>,
    history_depth: Option<u32>,
}

impl fmt::Debug for WasmHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmHandler")
            .field("plugin", &self.component.manifest.name)
            .field("debounce", &self.debounce)
            .field("history_depth", &self.history_depth)
            .field("prepared_bytes", &self.prepared.len())
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

    /// Overrides how many history entries the plugin gets (the manifest's
    /// `history-depth` is the default; `None` leaves it to the runtime's
    /// limit). Capped at [`MAX_HISTORY_DEPTH`], like manifests. Useful when
    /// the depth follows the configuration (e.g. ai-reply's
    /// `history_window`).
    #[must_use]
    pub fn with_history_depth(mut self, depth: Option<u32>) -> Self {
        self.history_depth = depth.map(|d| d.min(MAX_HISTORY_DEPTH));
        self
    }

    /// The bytes the plugin prepared from its configuration (empty when it
    /// prepares nothing or its contract predates 0.3.0).
    #[must_use]
    pub fn prepared(&self) -> &[u8] {
        &self.prepared
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

    fn history_depth(&self) -> Option<u32> {
        self.history_depth
    }

    async fn handle(
        &self,
        message: &InboundMessage<Recipient>,
        ctx: &HandlerContext,
    ) -> Result<Vec<Action>, HandlerError> {
        let c = &self.component;
        let (name, config, prepared) = (&c.manifest.name, &*self.config, &*self.prepared);
        match &c.pre {
            Versioned::V0_1_0(pre) => {
                pre.handle(&c.host, name, message, ctx, config, prepared)
                    .await
            }
            Versioned::V0_2_0(pre) => {
                pre.handle(&c.host, name, message, ctx, config, prepared)
                    .await
            }
            Versioned::V0_3_0(pre) => {
                pre.handle(&c.host, name, message, ctx, config, prepared)
                    .await
            }
        }
    }
}
