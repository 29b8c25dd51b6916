//! A plugin of contract `botcore:plugin@0.2.0`, kept to prove that a host
//! still loads plugins built against an older contract version and still
//! runs their `validate-config`.

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
        path: "../../bot-core/wit/since_v0.2.0",
        world: "plugin",
    });
}

use bindings::botcore::plugin::types::{
    Action, ConfigProblem, Context, Event, EventKind, Manifest, MessageContent, Reply, ReplyContent,
};

struct EchoV02;

impl bindings::Guest for EchoV02 {
    fn manifest() -> Manifest {
        Manifest {
            name: "echo-v0-2".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            events: vec![EventKind::Text],
            config_schema: r#"{"type":"object"}"#.into(),
            debounce_ms: None,
        }
    }

    fn validate_config(config: String) -> Result<(), Vec<ConfigProblem>> {
        // No JSON parser in this tiny plugin: a key named `refuse` is enough
        // to prove the host asks and reports the field.
        if config.contains("\"refuse\"") {
            return Err(vec![ConfigProblem {
                field: "/refuse".into(),
                message: "echo-v0-2 refuses this key".into(),
            }]);
        }
        Ok(())
    }

    fn handle(event: Event, context: Context) -> Result<Vec<Action>, String> {
        let Event::Message(m) = event;
        let MessageContent::Text(text) = m.content else {
            return Ok(Vec::new());
        };
        Ok(vec![Action::Reply(Reply {
            content: ReplyContent::Text(format!(
                "v0.2: {text} (history {})",
                context.history.len()
            )),
            matched: None,
        })])
    }
}

// The export glue is `unsafe` (raw ABI functions); keep the allowance to it.
#[allow(unsafe_code, clippy::restriction)]
mod export {
    use super::EchoV02;
    crate::bindings::export!(EchoV02 with_types_in crate::bindings);
}
