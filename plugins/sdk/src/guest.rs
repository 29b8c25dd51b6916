//! The guest side: bindings for `botcore:plugin@0.3.0`, the [`Plugin`]
//! trait and the [`register_plugin!`](crate::register_plugin) macro.

use std::borrow::Cow;

use serde::de::DeserializeOwned;

/// The generated bindings of the WIT world `botcore:plugin/plugin@0.3.0`.
///
/// Plugin authors rarely need this module: the types are re-exported at the
/// crate root and the host imports are wrapped in [`log`](crate::log),
/// [`kv`](crate::kv) and [`llm`](crate::llm).
#[allow(
    missing_docs,
    unsafe_code,
    unreachable_pub,
    unused_qualifications,
    clippy::all,
    clippy::pedantic,
    clippy::restriction
)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit/since_v0.3.0",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin",
        default_bindings_module: "plugin_sdk::bindings",
        runtime_path: "plugin_sdk::__private::wit_bindgen::rt",
    });
}

pub use bindings::botcore::plugin::types::{
    Action, Button, ButtonsMessage, ConfigProblem, Contact, Context, Direction, Event, EventKind,
    Field, HistoryEntry, InboundMedia, InboundMessage, InteractiveReply, ListMessage, ListRow,
    ListSection, LocalTime, Location, Manifest, MediaKind, MediaMessage, MessageContent, Reply,
    ReplyContent,
};

/// A bot-core plugin.
///
/// Implement it and call [`register_plugin!`](crate::register_plugin) once.
/// The host creates a fresh instance for every event, so the plugin is
/// built once per event (by [`Plugin::new`] from the JSON configuration,
/// or by [`Plugin::from_prepared`] from what [`Plugin::prepare`] made of
/// it); nothing survives from one event to the next, so keep building
/// cheap. The configuration was checked when it was set: against the
/// schema, then by [`Plugin::prepare`] (by default [`Plugin::validate`]).
///
/// After [`Plugin::handle`] the host discards the instance with all its
/// memory, so the plugin value and the event are not dropped: a `Drop`
/// implementation does not run. Do what must happen (a kv write) in
/// `handle`.
pub trait Plugin: Sized {
    /// The plugin's configuration; its JSON Schema (from `schemars`) is put
    /// into the manifest and the host validates every configuration against it.
    type Config: DeserializeOwned + schemars::JsonSchema;

    /// Stable plugin name (`[a-z0-9-]+`).
    const NAME: &'static str;
    /// The plugin's version (usually `env!("CARGO_PKG_VERSION")`).
    const VERSION: &'static str;

    /// The event kinds the plugin wants (default: text and taps on buttons
    /// or list rows).
    fn events() -> Vec<EventKind> {
        vec![EventKind::Text, EventKind::Interactive]
    }

    /// Debounce window: several messages of one contact within this many
    /// milliseconds produce one call (default: none).
    fn debounce_ms() -> Option<u32> {
        None
    }

    /// How many recent messages the plugin reads from
    /// [`Context::history`] (default `None`: whatever the host gives,
    /// usually 20). Declare `Some(0)` when the plugin reads no history, so
    /// the host loads none.
    fn history_depth() -> Option<u32> {
        None
    }

    /// Checks a configuration beyond what its JSON Schema says (templates
    /// that must parse, patterns that must compile, ranges that depend on
    /// each other). The host calls it when a vendor sets a configuration and
    /// refuses the configuration on any problem, so `new` and `handle` only
    /// ever see accepted configurations. No kv or LLM is available here.
    ///
    /// Default: calls [`Plugin::new`] and reports its error for the whole
    /// configuration (`/`). Override it to name the field.
    fn validate(config: Self::Config) -> Result<(), Vec<ConfigProblem>> {
        Self::new(config)
            .map(|_| ())
            .map_err(|e| vec![ConfigProblem::root(e)])
    }

    /// Checks a configuration like [`Plugin::validate`] and returns the
    /// plugin's prepared form of it: bytes the host keeps with the
    /// configuration and hands to every event, where
    /// [`Plugin::from_prepared`] builds the plugin from them instead of
    /// [`Plugin::new`] parsing JSON. Worth it when building from JSON is
    /// the bulk of an event's work; [`prepared::encode`](crate::prepared::encode)
    /// and [`prepared::decode`](crate::prepared::decode) are a compact
    /// binary form of any serde type. Keep it small: the host refuses more
    /// than 1 MiB by default.
    ///
    /// Default: runs [`Plugin::validate`] and prepares nothing (empty), so
    /// every event goes through [`Plugin::new`].
    fn prepare(config: Self::Config) -> Result<Vec<u8>, Vec<ConfigProblem>> {
        Self::validate(config).map(|()| Vec::new())
    }

    /// Builds the plugin, for one event, from the non-empty bytes
    /// [`Plugin::prepare`] returned. Implement it together with `prepare`.
    fn from_prepared(prepared: &[u8]) -> Result<Self, String> {
        let _ = prepared;
        Err("the plugin prepared its configuration but does not implement `from_prepared`".into())
    }

    /// Builds the plugin from its configuration, for one event.
    fn new(config: Self::Config) -> Result<Self, String>;

    /// Handles one event and returns the actions for the host to perform.
    /// An `Err` is logged by the host with the tenant and plugin name.
    fn handle(&mut self, event: &Event, ctx: &Context) -> Result<Vec<Action>, String>;
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;

    use std::mem::ManuallyDrop;

    use super::{Action, ConfigProblem, Context, Event, Manifest, Plugin};

    pub fn manifest<P: Plugin>() -> Manifest {
        crate::stop_bumping();
        let schema = schemars::schema_for!(P::Config);
        Manifest {
            name: P::NAME.to_owned(),
            version: P::VERSION.to_owned(),
            events: P::events(),
            config_schema: serde_json::to_string(&schema).unwrap_or_else(|_| "{}".to_owned()),
            debounce_ms: P::debounce_ms(),
            history_depth: P::history_depth(),
        }
    }

    // The export glue hands over owned values; the signature follows it.
    #[allow(clippy::needless_pass_by_value)]
    pub fn prepare_config<P: Plugin>(config: String) -> Result<Vec<u8>, Vec<ConfigProblem>> {
        crate::stop_bumping();
        let config: P::Config = serde_json::from_str(&config).map_err(|e| {
            vec![ConfigProblem::root(format!(
                "does not fit the plugin's configuration type: {e}"
            ))]
        })?;
        P::prepare(config)
    }

    // The export glue hands over owned values; the signature follows it.
    #[allow(clippy::needless_pass_by_value)]
    pub fn handle<P: Plugin>(
        event: Event,
        context: Context,
        prepared: Vec<u8>,
    ) -> Result<Vec<Action>, String> {
        // The host gives every event a fresh instance and drops it after
        // this call, memory and all: freeing the plugin, its configuration
        // and the event piece by piece first would be wasted work (it was a
        // tenth of keyword-rules' time in the guest).
        let (event, context, prepared) = (
            ManuallyDrop::new(event),
            ManuallyDrop::new(context),
            ManuallyDrop::new(prepared),
        );
        let mut plugin = ManuallyDrop::new(if prepared.is_empty() {
            let config: P::Config = serde_json::from_str(&context.config)
                .map_err(|e| format!("invalid configuration: {e}"))?;
            P::new(config)?
        } else {
            P::from_prepared(&prepared)?
        });
        plugin.handle(&event, &context)
    }
}

/// Exports a [`Plugin`] implementation as the component's `manifest`,
/// `prepare-config` and `handle` functions. Call it once, at the crate root.
///
/// ```ignore
/// plugin_sdk::register_plugin!(MyPlugin);
/// ```
#[macro_export]
macro_rules! register_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __PluginSdkExport;

        impl $crate::bindings::Guest for __PluginSdkExport {
            fn manifest() -> $crate::Manifest {
                $crate::__private::manifest::<$plugin>()
            }

            fn prepare_config(
                config: ::std::string::String,
            ) -> ::std::result::Result<::std::vec::Vec<u8>, ::std::vec::Vec<$crate::ConfigProblem>>
            {
                $crate::__private::prepare_config::<$plugin>(config)
            }

            fn handle(
                event: $crate::Event,
                context: $crate::Context,
                prepared: ::std::vec::Vec<u8>,
            ) -> ::std::result::Result<::std::vec::Vec<$crate::Action>, ::std::string::String> {
                $crate::__private::handle::<$plugin>(event, context, prepared)
            }
        }

        $crate::bindings::__export_plugin!(__PluginSdkExport with_types_in $crate::bindings);
    };
}

/// Where the host imports go: the host's own functions in a component; in
/// a native build (the plugin's unit tests) the calling thread's mock host
/// in [`testing`](crate::testing), since there is no host to call.
mod imports {
    #[cfg(target_family = "wasm")]
    pub(crate) use super::bindings::botcore::plugin::{
        kv::{delete as kv_delete, get as kv_get, set as kv_set},
        llm::complete as llm_complete,
        log::log,
    };
    #[cfg(not(target_family = "wasm"))]
    pub(crate) use crate::testing::native::{kv_delete, kv_get, kv_set, llm_complete, log};
}

/// Logging into the host's logs (tagged by the host with tenant and plugin).
///
/// In a native unit test the lines go to the thread's mock host
/// ([`testing::logs`](crate::testing::logs)) and to the test's output.
pub mod log {
    use super::bindings::botcore::plugin::log::Level;
    use super::imports::log;

    /// Logs at trace level.
    pub fn trace(message: &str) {
        log(Level::Trace, message);
    }
    /// Logs at debug level.
    pub fn debug(message: &str) {
        log(Level::Debug, message);
    }
    /// Logs at info level.
    pub fn info(message: &str) {
        log(Level::Info, message);
    }
    /// Logs at warn level.
    pub fn warn(message: &str) {
        log(Level::Warn, message);
    }
    /// Logs at error level.
    pub fn error(message: &str) {
        log(Level::Error, message);
    }
}

/// The key-value store the host keeps for this plugin and this tenant.
///
/// In a native unit test it is the thread's mock host's map
/// ([`testing::set_kv`](crate::testing::set_kv),
/// [`testing::kv_value`](crate::testing::kv_value)).
pub mod kv {
    use super::imports::{kv_delete, kv_get, kv_set};

    /// The value under `key`, if any.
    #[must_use]
    pub fn get(key: &str) -> Option<Vec<u8>> {
        kv_get(key)
    }

    /// The value under `key` as UTF-8 text, if any (and if it is text).
    #[must_use]
    pub fn get_string(key: &str) -> Option<String> {
        kv_get(key).and_then(|v| String::from_utf8(v).ok())
    }

    /// Stores `value` under `key`; fails when the key or value is too large.
    pub fn set(key: &str, value: &[u8]) -> Result<(), String> {
        kv_set(key, value)
    }

    /// Removes `key`.
    pub fn delete(key: &str) {
        kv_delete(key);
    }
}

/// Chat completions run by the host with the vendor's LLM provider.
pub mod llm {
    pub use super::bindings::botcore::plugin::llm::{
        LlmError, Message, ProviderError, Request, Response, Role, Usage,
    };

    /// Runs one chat completion on the host (in a native unit test: the
    /// answer queued with [`testing::answer_llm`](crate::testing::answer_llm),
    /// or `not-configured`).
    pub fn complete(request: &Request) -> Result<Response, LlmError> {
        super::imports::llm_complete(request)
    }
}

impl Event {
    /// The inbound message, for message events.
    #[must_use]
    pub fn message(&self) -> Option<&InboundMessage> {
        match self {
            Event::Message(m) => Some(m),
        }
    }

    /// The text of a text message, or the title of a tapped button or row.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        match &self.message()?.content {
            MessageContent::Text(t) => Some(t),
            MessageContent::Interactive(i) => Some(&i.title),
            MessageContent::Media(m) => m.caption.as_deref(),
            _ => None,
        }
    }

    /// The kind of the event, as used in [`Manifest::events`].
    #[must_use]
    pub fn kind(&self) -> EventKind {
        match &self.message().map(|m| &m.content) {
            Some(MessageContent::Text(_)) => EventKind::Text,
            Some(MessageContent::Media(_)) => EventKind::Media,
            Some(MessageContent::Interactive(_)) => EventKind::Interactive,
            Some(MessageContent::Location(_)) => EventKind::Location,
            _ => EventKind::Other,
        }
    }
}

impl Action {
    /// A text reply.
    #[must_use]
    pub fn reply_text(text: impl Into<String>) -> Self {
        Action::Reply(Reply {
            content: ReplyContent::Text(text.into()),
            matched: None,
        })
    }

    /// A text reply that records what produced it (e.g. a rule id), for
    /// the vendor's analytics.
    #[must_use]
    pub fn reply_matched(text: impl Into<String>, matched: impl Into<String>) -> Self {
        Action::Reply(Reply {
            content: ReplyContent::Text(text.into()),
            matched: Some(matched.into()),
        })
    }
}

impl ConfigProblem {
    /// A problem with the field at `field` (a JSON pointer such as
    /// `/rules/2/reply`).
    #[must_use]
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A problem with the configuration as a whole (field `/`).
    #[must_use]
    pub fn root(message: impl Into<String>) -> Self {
        Self::new("/", message)
    }
}

impl Contact {
    /// Whether the contact has `tag` (compared case-insensitively).
    #[must_use]
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }

    /// The value of the custom field `key`.
    #[must_use]
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.value.as_str())
    }
}

/// Template variables of a contact: `{name}` (falls back to `Kak` when the
/// contact has no name), `{phone}`, and every custom field by its key.
impl crate::text::Vars for Contact {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        match name {
            "name" => Some(Cow::Borrowed(self.name.as_deref().unwrap_or("Kak"))),
            "phone" => Some(Cow::Borrowed(&self.phone)),
            _ => self.field(name).map(Cow::Borrowed),
        }
    }
}
