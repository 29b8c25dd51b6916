//! A compact binary form of serde types (postcard) for a plugin's
//! `Plugin::prepare` and `Plugin::from_prepared`: decoding it is several
//! times cheaper than parsing the same data from JSON.
//!
//! The configuration type derives `Serialize` as well as `Deserialize`;
//! this is the plugin guide's example, as a test:
//!
//! ```
//! use plugin_sdk::{Action, ConfigProblem, Context, Event, Plugin, prepared};
//!
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Config {
//!     prefix: String,
//!     #[serde(default)]
//!     count: bool,
//! }
//!
//! struct Echo(Config);
//!
//! impl Plugin for Echo {
//!     type Config = Config;
//!     const NAME: &'static str = "echo";
//!     const VERSION: &'static str = "0.1.0";
//!
//!     fn validate(config: Config) -> Result<(), Vec<ConfigProblem>> {
//!         if config.prefix.len() > 100 {
//!             return Err(vec![ConfigProblem::new("/prefix", "at most 100 bytes")]);
//!         }
//!         Ok(())
//!     }
//!
//!     fn prepare(config: Config) -> Result<Vec<u8>, Vec<ConfigProblem>> {
//!         let bytes = prepared::encode(&config).map_err(|e| vec![ConfigProblem::root(e)])?;
//!         Self::validate(config)?;
//!         Ok(bytes)
//!     }
//!
//!     fn from_prepared(bytes: &[u8]) -> Result<Self, String> {
//!         Self::new(prepared::decode(bytes)?)
//!     }
//!
//!     fn new(config: Config) -> Result<Self, String> {
//!         Ok(Echo(config))
//!     }
//!
//!     fn handle(&mut self, event: &Event, _ctx: &Context) -> Result<Vec<Action>, String> {
//!         Ok(event.text().map(|t| vec![Action::reply_text(format!("{}{t}", self.0.prefix))]).unwrap_or_default())
//!     }
//! }
//!
//! # use plugin_sdk::testing::{self, ContextBuilder};
//! let bytes = testing::prepare::<Echo>(&serde_json::json!({"prefix": "> "})).unwrap();
//! assert!(!bytes.is_empty());
//! let actions = testing::handle::<Echo>(
//!     &serde_json::json!({"prefix": "> "}),
//!     &testing::text("halo"),
//!     &ContextBuilder::new().build(),
//! )
//! .unwrap();
//! assert_eq!(actions.len(), 1);
//! assert!(testing::prepare::<Echo>(&serde_json::json!({"prefix": "x".repeat(101)})).is_err());
//! ```

/// Encodes `value`.
///
/// # Errors
/// When `value` cannot be serialized (e.g. a map with non-string keys
/// is fine, but a type whose `Serialize` fails is not).
pub fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(value).map_err(|e| format!("cannot encode the configuration: {e}"))
}

/// Decodes what [`encode`] made.
///
/// # Errors
/// When the bytes are not an encoding of `T`.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    postcard::from_bytes(bytes)
        .map_err(|e| format!("cannot decode the prepared configuration: {e}"))
}
