//! Host bindings for `botcore:plugin@0.3.0` (see `wit/since_v0.3.0`): the
//! configuration check (`prepare-config`) returns the plugin's prepared
//! form of its configuration, `handle` gets it back, and the manifest
//! declares how much history the plugin reads.

super::glue::contract_glue!("wit/since_v0.3.0");

pub(super) const CHECKS_CONFIG: bool = true;

async fn prepare_call(
    plugin: &Plugin,
    store: &mut Store<HostState>,
    config: &str,
) -> wasmtime::Result<super::ConfigCheck> {
    let r = plugin.call_prepare_config(store, config).await?;
    Ok(r.map_err(|ps| ps.into_iter().map(|p| (p.field, p.message)).collect()))
}

async fn handle_call(
    handle: wasmtime::component::Func,
    store: &mut Store<HostState>,
    event: &types::Event,
    context: &types::Context,
    prepared: &[u8],
) -> wasmtime::Result<Result<Vec<types::Action>, String>> {
    // SAFETY: `handle` is the `handle` export of an instance of a component
    // whose `Pre::new` type-checked that export against this world
    // (`PluginPre::new`), i.e. against these types.
    #[allow(unsafe_code)]
    let typed = unsafe {
        wasmtime::component::TypedFunc::<
            (&types::Event, &types::Context, &[u8]),
            (Result<Vec<types::Action>, String>,),
        >::new_unchecked(handle)
    };
    let (result,) = typed.call_async(store, (event, context, prepared)).await?;
    Ok(result)
}

fn manifest_from(m: types::Manifest) -> crate::model::Manifest {
    let depth = m.history_depth;
    manifest_of(m, depth)
}
