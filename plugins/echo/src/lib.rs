//! The plugin from the plugin author's guide (`docs/src/plugin-guide.md`):
//! echoes text messages back with a configurable prefix, greets by name, and
//! counts messages per tenant in the key-value store.

use plugin_sdk::{Action, Context, Event, Plugin, kv, log};

/// Configuration of the echo plugin. `deny_unknown_fields` puts
/// `"additionalProperties": false` into the schema, so the host refuses a
/// configuration with a field the plugin does not know (a typo).
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
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

// Native unit tests (`cargo test -p echo`): the SDK's mock host answers the
// kv and log calls.
#[cfg(test)]
mod tests {
    use plugin_sdk::testing::{self, ContextBuilder};
    use plugin_sdk::{Action, ReplyContent};
    use serde_json::json;

    use super::Echo;

    fn reply_text(actions: &[Action]) -> &str {
        match actions {
            [Action::Reply(r)] => match &r.content {
                ReplyContent::Text(t) => t,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn echoes_and_counts_per_tenant() {
        let ctx = ContextBuilder::new().phone("+6281234567890").build();
        let config = json!({"prefix": "Anda bilang: ", "count": true});
        let first = testing::handle::<Echo>(&config, &testing::text("halo"), &ctx).unwrap();
        assert_eq!(reply_text(&first), "Anda bilang: halo (#1)");
        let second = testing::handle::<Echo>(&config, &testing::text("lagi"), &ctx).unwrap();
        assert_eq!(reply_text(&second), "Anda bilang: lagi (#2)");
        assert_eq!(testing::kv_value("count"), Some(b"2".to_vec()));
        assert_eq!(testing::logs()[0].message, "echoing to +6281234567890");
    }

    #[test]
    fn ignores_what_is_not_text_and_refuses_unknown_fields() {
        let ctx = ContextBuilder::new().build();
        let location =
            testing::message(plugin_sdk::MessageContent::Location(plugin_sdk::Location {
                latitude: -6.2,
                longitude: 106.8,
                name: None,
                address: None,
            }));
        let config = json!({"prefix": "> "});
        assert!(
            testing::handle::<Echo>(&config, &location, &ctx)
                .unwrap()
                .is_empty()
        );
        let err = testing::prepare::<Echo>(&json!({"prefix": "x", "extra": 1})).unwrap_err();
        assert!(err[0].message.contains("unknown field `extra`"), "{err:?}");
    }
}
