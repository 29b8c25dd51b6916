//! Host bindings for `botcore:plugin@0.1.0` (frozen; see `wit/since_v0.1.0`).
//!
//! Kept so plugins built against 0.1.0 keep loading. A 0.1.0 plugin has no
//! `validate-config` export, so its configuration is checked against its
//! JSON Schema only; anything else it refuses surfaces as a failed event.

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

super::glue::contract_glue!();
