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

const CHECKS_CONFIG: bool = false;

// Never called (`CHECKS_CONFIG` is false); the glue needs the function.
async fn prepare_call(
    _: &Plugin,
    _: &mut Store<HostState>,
    _: &str,
) -> wasmtime::Result<super::ConfigCheck> {
    Ok(Ok(Vec::new()))
}

async fn handle_call(
    plugin: &Plugin,
    store: &mut Store<HostState>,
    event: &types::Event,
    context: &types::Context,
    _prepared: &[u8],
) -> wasmtime::Result<Result<Vec<types::Action>, String>> {
    plugin.call_handle(store, event, context).await
}

fn manifest_from(m: types::Manifest) -> crate::model::Manifest {
    crate::model::Manifest {
        name: m.name,
        version: m.version,
        events: m.events.into_iter().map(kind_from).collect(),
        config_schema: m.config_schema,
        debounce_ms: m.debounce_ms,
        history_depth: None,
    }
}
