//! A plugin whose `manifest()` misbehaves: it never returns, or returns a
//! manifest the host must refuse. Never load it in production.
//!
//! `manifest()` has no configuration, so the misbehaviour is read from the
//! kv store the host gives the manifest call (tenant `""`, plugin
//! `manifest`), key `mode`:
//!
//! * unset or `loop`: spins forever (the CPU deadline must stop it);
//! * `bad-name`: the name `Not A Valid Name!`;
//! * `bad-schema`: a config schema that is not JSON;
//! * `bad-history`: a history depth above what the host allows;
//! * `ok`: a valid manifest named `hostile-manifest`.

#[allow(
    missing_docs,
    unsafe_code,
    unreachable_pub,
    unused_qualifications,
    clippy::all,
    clippy::pedantic,
    clippy::restriction
)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../bot-core/wit/since_v0.3.0",
        world: "plugin",
    });
}

use bindings::botcore::plugin::kv;
use bindings::botcore::plugin::types::{
    Action, ConfigProblem, Context, Event, EventKind, Manifest,
};

struct HostileManifest;

fn manifest(name: &str, schema: &str) -> Manifest {
    Manifest {
        name: name.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        events: vec![EventKind::Text],
        config_schema: schema.into(),
        debounce_ms: None,
        history_depth: None,
    }
}

impl bindings::Guest for HostileManifest {
    fn manifest() -> Manifest {
        let mode = kv::get("mode").and_then(|v| String::from_utf8(v).ok());
        match mode.as_deref() {
            Some("bad-name") => manifest("Not A Valid Name!", "{}"),
            Some("bad-schema") => manifest("hostile-manifest", "{not json"),
            Some("bad-history") => Manifest {
                history_depth: Some(1_000_000),
                ..manifest("hostile-manifest", "{}")
            },
            Some("ok") => manifest("hostile-manifest", "{}"),
            _ => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
        }
    }

    fn prepare_config(_config: String) -> Result<Vec<u8>, Vec<ConfigProblem>> {
        Ok(Vec::new())
    }

    fn handle(_event: Event, _context: Context, _prepared: Vec<u8>) -> Result<Vec<Action>, String> {
        Ok(Vec::new())
    }
}

// The export glue is `unsafe` (raw ABI functions); keep the allowance to it.
#[allow(unsafe_code, clippy::restriction)]
mod export {
    use super::HostileManifest;
    crate::bindings::export!(HostileManifest with_types_in crate::bindings);
}
