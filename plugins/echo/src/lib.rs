//! The plugin from the plugin author's guide (`docs/src/plugin-guide.md`):
//! echoes text messages back with a configurable prefix, greets by name, and
//! counts messages per tenant in the key-value store.

use plugin_sdk::{Action, Context, Event, Plugin, kv, log};

/// Configuration of the echo plugin.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Config {
    /// Text put before the echoed message.
    prefix: String,
    /// Whether to add the message count.
    #[serde(default)]
    count: bool,
}

struct Echo(Config);

impl Plugin for Echo {
    type Config = Config;
    const NAME: &'static str = "echo";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn new(config: Config) -> Result<Self, String> {
        Ok(Echo(config))
    }

    fn handle(&mut self, event: &Event, ctx: &Context) -> Result<Vec<Action>, String> {
        let Some(text) = event.text() else {
            return Ok(vec![]);
        };
        let mut reply = format!("{}{text}", self.0.prefix);
        if self.0.count {
            let n = kv::get_string("count")
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            kv::set("count", n.to_string().as_bytes())?;
            reply.push_str(&format!(" (#{n})"));
        }
        log::info(&format!("echoing to {}", ctx.contact.phone));
        Ok(vec![Action::reply_text(reply)])
    }
}

plugin_sdk::register_plugin!(Echo);
