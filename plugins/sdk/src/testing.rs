//! Unit-testing a plugin natively, with `cargo test`: a mock host for the
//! imports, builders for events and contexts, and [`handle`], which runs a
//! plugin the way the host does.
//!
//! In a component the [`log`](crate::log), [`kv`](crate::kv) and
//! [`llm`](crate::llm) functions call the host. In a native build there is
//! no host, so they call a mock host that belongs to the calling thread
//! (each `#[test]` runs on a thread of its own, so tests do not see each
//! other's data):
//!
//! - `log` lines are kept ([`logs`]) and printed to the test's output
//!   (shown for a failing test, or with `cargo test -- --nocapture`);
//! - `kv` is a map with the host's default limits (keys up to
//!   [`MAX_KEY_BYTES`], values up to [`MAX_VALUE_BYTES`]); seed it with
//!   [`set_kv`], read it with [`kv_value`];
//! - `llm::complete` answers what [`answer_llm`] queued, in order, and
//!   `not-configured` when nothing is queued; [`llm_requests`] shows what
//!   the plugin asked.
//!
//! ```
//! use plugin_sdk::testing::{self, ContextBuilder};
//! use plugin_sdk::{Action, Context, Event, Plugin, kv, log};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Config {
//!     prefix: String,
//! }
//!
//! struct Counter(Config);
//!
//! impl Plugin for Counter {
//!     type Config = Config;
//!     const NAME: &'static str = "counter";
//!     const VERSION: &'static str = "0.1.0";
//!
//!     fn new(config: Config) -> Result<Self, String> {
//!         Ok(Counter(config))
//!     }
//!
//!     fn handle(&mut self, event: &Event, ctx: &Context) -> Result<Vec<Action>, String> {
//!         let n = kv::get_string("n").and_then(|s| s.parse::<u32>().ok()).unwrap_or(0) + 1;
//!         kv::set("n", n.to_string().as_bytes())?;
//!         log::info(&format!("message {n} from {}", ctx.contact.phone));
//!         Ok(vec![Action::reply_text(format!("{}{n}: {}", self.0.prefix, event.text().unwrap_or("")))])
//!     }
//! }
//!
//! let ctx = ContextBuilder::new().phone("+6281234567890").build();
//! let config = serde_json::json!({ "prefix": "#" });
//! let actions = testing::handle::<Counter>(&config, &testing::text("halo"), &ctx).unwrap();
//! assert!(matches!(&actions[..], [Action::Reply(r)] if matches!(&r.content, plugin_sdk::ReplyContent::Text(t) if t == "#1: halo")));
//! testing::handle::<Counter>(&config, &testing::text("lagi"), &ctx).unwrap();
//! assert_eq!(testing::kv_value("n"), Some(b"2".to_vec()));
//! assert_eq!(testing::logs()[1].message, "message 2 from +6281234567890");
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use crate::bindings::botcore::plugin::llm::{LlmError, Request, Response, Usage};
pub use crate::bindings::botcore::plugin::log::Level;
use crate::{
    Action, ConfigProblem, Contact, Context, Direction, Event, Field, HistoryEntry, InboundMessage,
    LocalTime, MessageContent, Plugin,
};

/// The longest kv key the host accepts by default, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// The largest kv value the host accepts by default, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// One line a plugin logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Its level.
    pub level: Level,
    /// Its text.
    pub message: String,
}

#[derive(Default)]
struct MockHost {
    logs: Vec<LogLine>,
    kv: BTreeMap<String, Vec<u8>>,
    llm_answers: VecDeque<Result<Response, LlmError>>,
    llm_requests: Vec<Request>,
    /// Inside a configuration check the host withholds kv and the LLM.
    checking_config: bool,
}

thread_local! {
    static HOST: RefCell<MockHost> = RefCell::default();
}

fn with_host<T>(f: impl FnOnce(&mut MockHost) -> T) -> T {
    HOST.with(|h| f(&mut h.borrow_mut()))
}

/// Forgets everything this thread's mock host holds: logs, kv, queued LLM
/// answers and recorded requests.
pub fn reset() {
    with_host(|h| *h = MockHost::default());
}

/// The lines the plugin logged on this thread, oldest first.
#[must_use]
pub fn logs() -> Vec<LogLine> {
    with_host(|h| h.logs.clone())
}

/// The value stored under `key` in this thread's mock kv.
#[must_use]
pub fn kv_value(key: &str) -> Option<Vec<u8>> {
    with_host(|h| h.kv.get(key).cloned())
}

/// Stores a value in this thread's mock kv, as if an earlier event had.
pub fn set_kv(key: impl Into<String>, value: impl Into<Vec<u8>>) {
    with_host(|h| {
        h.kv.insert(key.into(), value.into());
    });
}

/// Queues the answer to the plugin's next `llm::complete` call.
pub fn answer_llm(answer: Result<Response, LlmError>) {
    with_host(|h| h.llm_answers.push_back(answer));
}

/// A successful LLM answer with `text`, for [`answer_llm`].
#[must_use]
pub fn llm_response(text: impl Into<String>) -> Response {
    Response {
        text: text.into(),
        usage: Usage {
            input_tokens: 0,
            output_tokens: 0,
        },
        provider: "mock".to_owned(),
        model: "mock".to_owned(),
    }
}

/// The requests the plugin sent to `llm::complete` on this thread.
#[must_use]
pub fn llm_requests() -> Vec<Request> {
    with_host(|h| h.llm_requests.clone())
}

/// The import functions of a native build (see [`crate::testing`]).
pub(crate) mod native {
    use super::{LlmError, LogLine, MAX_KEY_BYTES, MAX_VALUE_BYTES, Request, Response, with_host};
    use crate::bindings::botcore::plugin::log::Level;

    pub(crate) fn log(level: Level, message: &str) {
        // Visible in the test's output, like the host's log lines.
        eprintln!("plugin log {level:?}: {message}");
        with_host(|h| {
            h.logs.push(LogLine {
                level,
                message: message.to_owned(),
            });
        });
    }

    pub(crate) fn kv_get(key: &str) -> Option<Vec<u8>> {
        with_host(|h| {
            if h.checking_config {
                None
            } else {
                h.kv.get(key).cloned()
            }
        })
    }

    pub(crate) fn kv_set(key: &str, value: &[u8]) -> Result<(), String> {
        with_host(|h| {
            if h.checking_config {
                return Err("kv is not available while a configuration is checked".to_owned());
            }
            if key.len() > MAX_KEY_BYTES {
                return Err(format!("key is longer than {MAX_KEY_BYTES} bytes"));
            }
            if value.len() > MAX_VALUE_BYTES {
                return Err(format!("value is larger than {MAX_VALUE_BYTES} bytes"));
            }
            h.kv.insert(key.to_owned(), value.to_vec());
            Ok(())
        })
    }

    pub(crate) fn kv_delete(key: &str) {
        with_host(|h| {
            if !h.checking_config {
                h.kv.remove(key);
            }
        });
    }

    pub(crate) fn llm_complete(request: &Request) -> Result<Response, LlmError> {
        with_host(|h| {
            if h.checking_config {
                return Err(LlmError::Refused(
                    "no LLM while a configuration is checked".to_owned(),
                ));
            }
            h.llm_requests.push(request.clone());
            h.llm_answers
                .pop_front()
                .unwrap_or(Err(LlmError::NotConfigured))
        })
    }
}

/// Runs the plugin's configuration check as the host does when a vendor
/// saves `config`: deserializes it into `P::Config`, then calls
/// [`Plugin::prepare`] (by default [`Plugin::validate`]) with kv and the
/// LLM withheld. Returns the prepared bytes.
///
/// The host checks the manifest's JSON Schema first; this function does
/// not, but `P::Config` with `#[serde(deny_unknown_fields)]` refuses
/// unknown fields here as well.
pub fn prepare<P: Plugin>(config: &serde_json::Value) -> Result<Vec<u8>, Vec<ConfigProblem>> {
    let config: P::Config = serde_json::from_value(config.clone()).map_err(|e| {
        vec![ConfigProblem::root(format!(
            "does not fit the plugin's configuration type: {e}"
        ))]
    })?;
    with_host(|h| h.checking_config = true);
    let prepared = P::prepare(config);
    with_host(|h| h.checking_config = false);
    prepared
}

/// Runs one event through the plugin as the host does: checks and prepares
/// `config` ([`prepare`]), builds the plugin from the prepared bytes
/// ([`Plugin::from_prepared`]) or from the configuration
/// ([`Plugin::new`]), and calls [`Plugin::handle`] with `ctx` (whose
/// `config` is set to `config`). A configuration problem becomes an `Err`
/// naming each field.
pub fn handle<P: Plugin>(
    config: &serde_json::Value,
    event: &Event,
    ctx: &Context,
) -> Result<Vec<Action>, String> {
    let prepared = prepare::<P>(config).map_err(|problems| {
        problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let mut plugin = if prepared.is_empty() {
        let config: P::Config = serde_json::from_value(config.clone())
            .map_err(|e| format!("invalid configuration: {e}"))?;
        P::new(config)?
    } else {
        P::from_prepared(&prepared)?
    };
    let mut ctx = ctx.clone();
    ctx.config = config.to_string();
    plugin.handle(event, &ctx)
}

/// A text message event.
#[must_use]
pub fn text(body: impl Into<String>) -> Event {
    message(MessageContent::Text(body.into()))
}

/// A message event with any content (media, a tapped button, a location).
#[must_use]
pub fn message(content: MessageContent) -> Event {
    Event::Message(InboundMessage {
        id: "wamid.TEST".to_owned(),
        content,
        timestamp_ms: 1_767_578_400_000,
    })
}

/// Builds the [`Context`] a plugin gets with an event. Defaults: tenant
/// `test-tenant`, contact `+6281234567890` without name, tags or fields, no
/// state, no history, configuration `{}`, and Monday 5 January 2026,
/// 09:00 in Asia/Jakarta (UTC+7).
#[derive(Debug, Clone)]
#[must_use]
pub struct ContextBuilder {
    ctx: Context,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ContextBuilder {
    /// The defaults above.
    pub fn new() -> Self {
        Self {
            ctx: Context {
                tenant: "test-tenant".to_owned(),
                contact: Contact {
                    phone: "+6281234567890".to_owned(),
                    name: None,
                    tags: Vec::new(),
                    fields: Vec::new(),
                },
                state: None,
                history: Vec::new(),
                config: "{}".to_owned(),
                now: LocalTime {
                    timestamp_ms: 1_767_578_400_000,
                    time_zone: "Asia/Jakarta".to_owned(),
                    utc_offset_seconds: 7 * 3600,
                    year: 2026,
                    month: 1,
                    day: 5,
                    hour: 9,
                    minute: 0,
                    second: 0,
                    weekday: 1,
                },
            },
        }
    }

    /// The tenant (vendor) id.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.ctx.tenant = tenant.into();
        self
    }

    /// The contact's phone number (E.164).
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.ctx.contact.phone = phone.into();
        self
    }

    /// The contact's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.ctx.contact.name = Some(name.into());
        self
    }

    /// Adds a tag to the contact.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.ctx.contact.tags.push(tag.into());
        self
    }

    /// Adds a custom field to the contact.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.ctx.contact.fields.push(Field {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// The plugin-visible conversation state (what `Action::SetState` set).
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.ctx.state = Some(state.into());
        self
    }

    /// Appends a message to the history (oldest first).
    pub fn history(mut self, direction: Direction, text: impl Into<String>) -> Self {
        let at = self.ctx.now.timestamp_ms - 60_000;
        self.ctx.history.push(HistoryEntry {
            direction,
            text: text.into(),
            timestamp_ms: at,
        });
        self
    }

    /// The vendor's local time.
    pub fn now(mut self, now: LocalTime) -> Self {
        self.ctx.now = now;
        self
    }

    /// The context.
    #[must_use]
    pub fn build(self) -> Context {
        self.ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{Message, Role};
    use crate::{kv, llm, log};

    #[test]
    fn imports_reach_the_mock_host_instead_of_aborting() {
        reset();
        log::warn("careful");
        assert_eq!(
            logs(),
            [LogLine {
                level: Level::Warn,
                message: "careful".into()
            }]
        );
        assert_eq!(kv::get("k"), None);
        kv::set("k", b"v").unwrap();
        assert_eq!(kv_value("k"), Some(b"v".to_vec()));
        assert_eq!(kv::get_string("k").as_deref(), Some("v"));
        kv::delete("k");
        assert_eq!(kv_value("k"), None);
        assert!(kv::set(&"x".repeat(MAX_KEY_BYTES + 1), b"v").is_err());
        assert!(kv::set("big", &vec![0; MAX_VALUE_BYTES + 1]).is_err());
    }

    #[test]
    fn llm_answers_in_order_then_not_configured() {
        reset();
        answer_llm(Ok(llm_response("satu")));
        let request = Request {
            system: None,
            messages: vec![Message {
                role: Role::User,
                content: "halo".into(),
            }],
            max_tokens: 10,
            temperature: None,
        };
        assert!(matches!(llm::complete(&request), Ok(r) if r.text == "satu"));
        assert!(matches!(
            llm::complete(&request),
            Err(LlmError::NotConfigured)
        ));
        assert_eq!(llm_requests().len(), 2);
        assert_eq!(llm_requests()[0].messages[0].content, "halo");
    }

    #[test]
    fn each_test_thread_has_its_own_host() {
        set_kv("mine", b"1".to_vec());
        let other = std::thread::spawn(|| kv_value("mine")).join().unwrap();
        assert_eq!(other, None);
        assert_eq!(kv_value("mine"), Some(b"1".to_vec()));
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Config {
        greeting: String,
    }

    struct Greeter(Config);

    impl Plugin for Greeter {
        type Config = Config;
        const NAME: &'static str = "greeter";
        const VERSION: &'static str = "0.0.0";

        fn validate(config: Config) -> Result<(), Vec<ConfigProblem>> {
            // kv is withheld during the check, as on the host.
            assert!(kv::set("x", b"y").is_err());
            if config.greeting.is_empty() {
                return Err(vec![ConfigProblem::new("/greeting", "must not be empty")]);
            }
            Ok(())
        }

        fn new(config: Config) -> Result<Self, String> {
            Ok(Greeter(config))
        }

        fn handle(&mut self, _event: &Event, ctx: &Context) -> Result<Vec<Action>, String> {
            let name = ctx.contact.name.as_deref().unwrap_or("Kak");
            Ok(vec![Action::reply_text(format!(
                "{} {name} ({})",
                self.0.greeting, ctx.config
            ))])
        }
    }

    #[test]
    fn handle_runs_the_plugin_like_the_host() {
        reset();
        let ctx = ContextBuilder::new().name("Budi").tag("vip").build();
        assert!(ctx.contact.has_tag("VIP"));
        let config = serde_json::json!({ "greeting": "Halo" });
        let actions = handle::<Greeter>(&config, &text("hai"), &ctx).unwrap();
        let [Action::Reply(reply)] = &actions[..] else {
            panic!("{actions:?}")
        };
        assert!(
            matches!(&reply.content, crate::ReplyContent::Text(t) if t == r#"Halo Budi ({"greeting":"Halo"})"#)
        );
        // The plugin's own check and unknown fields are refused.
        let err = handle::<Greeter>(&serde_json::json!({ "greeting": "" }), &text("x"), &ctx)
            .unwrap_err();
        assert_eq!(err, "/greeting: must not be empty");
        let err =
            prepare::<Greeter>(&serde_json::json!({ "greeting": "a", "extra": 1 })).unwrap_err();
        assert!(err[0].message.contains("unknown field `extra`"), "{err:?}");
    }
}
