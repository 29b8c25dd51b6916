//! Host bindings for `botcore:plugin@0.2.0` (frozen; see `wit/since_v0.2.0`):
//! the 0.1.0 world plus the `validate-config` export.

#[allow(missing_docs, unreachable_pub, clippy::all)]
mod bindings {
    wasmtime::component::bindgen!({
        path: "wit/since_v0.2.0",
        world: "plugin",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

use bindings::botcore::plugin::{kv, llm, log, types};
use bindings::{Plugin, PluginPre};
use wasmtime::Store;

super::glue::contract_glue!();

pub(super) const CHECKS_CONFIG: bool = true;

/// `validate-config`; 0.2.0 prepares nothing.
async fn prepare_call(
    plugin: &Plugin,
    store: &mut Store<HostState>,
    config: &str,
) -> wasmtime::Result<super::ConfigCheck> {
    let r = plugin.call_validate_config(store, config).await?;
    Ok(r.map(|()| Vec::new())
        .map_err(|ps| ps.into_iter().map(|p| (p.field, p.message)).collect()))
}

super::glue::before_v0_3_0!();
