//! Host bindings for `botcore:plugin@0.1.0` (frozen; see `wit/since_v0.1.0`).
//!
//! Kept so plugins built against 0.1.0 keep loading. A 0.1.0 plugin has no
//! configuration check of its own, so its configuration is checked against
//! its JSON Schema only; anything else it refuses surfaces as a failed event.

super::glue::contract_glue!("wit/since_v0.1.0");

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
