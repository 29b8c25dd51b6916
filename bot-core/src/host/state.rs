//! Per-call store data: WASI context, limits, the tenant and plugin the
//! call belongs to, and the accounting of host-call time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::{HostConfig, Services};

/// Memory and table limits that remember whether the memory limit was hit.
pub(crate) struct Limits {
    pub(crate) memory: usize,
    pub(crate) hit_memory: bool,
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory {
            self.hit_memory = true;
            return Err(wasmtime::format_err!(
                "memory limit of {} bytes reached",
                self.memory
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

/// The data of one plugin call's store.
pub(crate) struct HostState {
    /// Made on the first WASI call: a plugin that only computes (most do)
    /// never needs one, and building it took a tenth of an echo call.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    pub(crate) limits: Limits,
    pub(crate) tenant: Arc<str>,
    pub(crate) plugin: Arc<str>,
    pub(crate) services: Services,
    ticks: Arc<AtomicU64>,
    /// Epoch ticks spent awaiting the host, not yet given back to the guest.
    pub(crate) credit: u64,
    /// Set when the CPU deadline stopped the guest.
    pub(crate) timed_out: bool,
    /// The CPU deadline of this call.
    pub(crate) deadline: Duration,
    pub(crate) llm_calls: u32,
    pub(crate) max_llm_calls: u32,
    pub(crate) max_kv_key: usize,
    pub(crate) max_kv_value: usize,
    /// Set while the guest checks a configuration (`prepare-config`,
    /// `validate-config`): no kv, no LLM.
    pub(crate) validating: bool,
    /// When the host's wall timeout for this call ends.
    wall_deadline: Instant,
    llm_reserve: Duration,
}

impl HostState {
    pub(crate) fn new(
        tenant: &str,
        plugin: &str,
        config: &HostConfig,
        services: Services,
        ticks: Arc<AtomicU64>,
    ) -> Self {
        Self {
            wasi: None,
            table: ResourceTable::new(),
            limits: Limits {
                memory: config.memory_limit,
                hit_memory: false,
            },
            tenant: Arc::from(tenant),
            plugin: Arc::from(plugin),
            services,
            ticks,
            credit: 0,
            timed_out: false,
            deadline: config.cpu_deadline,
            llm_calls: 0,
            max_llm_calls: config.max_llm_calls,
            max_kv_key: config.max_kv_key,
            max_kv_value: config.max_kv_value,
            validating: false,
            wall_deadline: Instant::now() + config.wall_timeout,
            llm_reserve: config.llm_reserve,
        }
    }

    /// How long an LLM call may take now: what is left of the wall timeout
    /// minus the reserve the plugin keeps for acting on the outcome; `None`
    /// when nothing is left.
    pub(crate) fn llm_budget(&self) -> Option<Duration> {
        let left = self
            .wall_deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(self.llm_reserve);
        (!left.is_zero()).then_some(left)
    }

    /// The current tick count; pair with [`HostState::credit_since`].
    pub(crate) fn tick(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    /// Gives the guest back the ticks spent in a host call that started at
    /// `start`, so awaiting the host never counts against its CPU deadline.
    pub(crate) fn credit_since(&mut self, start: u64) {
        self.credit += self.tick().saturating_sub(start);
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            // No environment, arguments, files, sockets or stdio: plugins do
            // no I/O of their own.
            ctx: self.wasi.get_or_insert_with(|| WasiCtx::builder().build()),
            table: &mut self.table,
        }
    }
}
