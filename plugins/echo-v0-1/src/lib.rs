//! A plugin of contract `botcore:plugin@0.1.0`, kept to prove that a host
//! still loads plugins built against an older contract version.

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
        path: "../../bot-core/wit/since_v0.1.0",
        world: "plugin",
    });
}

use bindings::botcore::plugin::types::{
    Action, Context, Event, EventKind, Manifest, MessageContent, Reply, ReplyContent,
};

struct EchoV01;

impl bindings::Guest for EchoV01 {
    fn manifest() -> Manifest {
        Manifest {
            name: "echo-v0-1".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            events: vec![EventKind::Text],
            config_schema: r#"{"type":"object"}"#.into(),
            debounce_ms: None,
        }
    }

    fn handle(event: Event, _context: Context) -> Result<Vec<Action>, String> {
        let Event::Message(m) = event;
        let MessageContent::Text(text) = m.content else {
            return Ok(Vec::new());
        };
        Ok(vec![Action::Reply(Reply {
            content: ReplyContent::Text(format!("v0.1: {text}")),
            matched: None,
        })])
    }
}

// The export glue is `unsafe` (raw ABI functions); keep the allowance to it.
#[allow(unsafe_code, clippy::restriction)]
mod export {
    use super::EchoV01;
    crate::bindings::export!(EchoV01 with_types_in crate::bindings);
}
