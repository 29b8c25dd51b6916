//! Host bindings for `botcore:plugin@0.2.0` (see `wit/since_v0.2.0`): the
//! 0.1.0 world plus the `validate-config` export.

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

super::glue::contract_glue!();

impl Pre {
    /// Runs the guest's `validate-config` on `config` (JSON text that
    /// passed the schema): `Ok(problems)` with one `(field, message)` per
    /// problem (empty: accepted), or why the call itself failed.
    pub(super) async fn validate_config(
        &self,
        host: &std::sync::Arc<PluginHost>,
        plugin: &str,
        config: &str,
    ) -> Result<Vec<(String, String)>, HandlerError> {
        let mut store = host.new_store("", plugin);
        store.data_mut().validating = true;
        let fut = async {
            let instance = self
                .0
                .instantiate_async(&mut store)
                .await
                .map_err(CallError::Instantiate)?;
            instance
                .call_validate_config(&mut store, config)
                .await
                .map_err(CallError::Call)
        };
        let outcome = match tokio::time::timeout(host.config.wall_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(CallError::WallTimeout),
        };
        let result = outcome.map_err(|e| classify(&host.config, store.data(), e))?;
        Ok(match result {
            Ok(()) => Vec::new(),
            Err(problems) => {
                let mut out: Vec<(String, String)> = problems
                    .into_iter()
                    .take(MAX_PROBLEMS)
                    .map(|p| {
                        let field = bounded(&p.field, 200);
                        let field = if field.is_empty() { "/".into() } else { field };
                        (field, bounded(&p.message, 500))
                    })
                    .collect();
                if out.is_empty() {
                    // An `err` without a reason still refuses the configuration.
                    out.push(("/".into(), "refused by the plugin".into()));
                }
                out
            }
        })
    }
}

/// Problems reported per configuration at most (the rest are dropped).
const MAX_PROBLEMS: usize = 50;

/// Plugin text shown to vendors: bounded and without control characters.
fn bounded(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}
