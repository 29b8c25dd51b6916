//! Host bindings for `botcore:plugin@0.1.0` (frozen; see `wit/since_v0.1.0`).
//!
//! Kept so plugins built against 0.1.0 keep loading. A 0.1.0 plugin has no
//! configuration check of its own, so its configuration is checked against
//! its JSON Schema only; anything else it refuses surfaces as a failed event.

#[allow(missing_docs, unreachable_pub, clippy::all)]
mod bindings {
    wasmtime::component::bindgen!({
        path: "wit/since_v0.1.0",
        world: "plugin",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

use bindings::botcore::plugin::{kv, llm, log, types};
use bindings::{Plugin, PluginPre};
use wasmtime::Store;

super::glue::contract_glue!();

pub(super) const CHECKS_CONFIG: bool = false;

// 0.1.0 has no check: a configuration that fits the schema is accepted and
// prepares nothing. (The glue answers so itself without instantiating the
// plugin, because `CHECKS_CONFIG` is false.)
async fn prepare_call(
    _: &Plugin,
    _: &mut Store<HostState>,
    _: &str,
) -> wasmtime::Result<super::ConfigCheck> {
    Ok(Ok(Vec::new()))
}

super::glue::before_v0_3_0!();
