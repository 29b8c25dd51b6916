//! Host bindings for `botcore:plugin@0.2.0` (frozen; see `wit/since_v0.2.0`):
//! the 0.1.0 world plus the `validate-config` export.

super::glue::contract_glue!("wit/since_v0.2.0");

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
