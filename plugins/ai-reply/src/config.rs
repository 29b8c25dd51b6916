//! The plugin's configuration (validated by the host against its JSON
//! Schema, and again by [`Config::validate`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Largest accepted [`Config::history_window`].
pub const MAX_HISTORY_WINDOW: u32 = 50;
/// Largest accepted [`Config::max_tokens`].
pub const MAX_TOKENS_LIMIT: u32 = 4096;
/// Largest accepted total size of persona plus knowledge, in characters;
/// keeps every request (and its bill) bounded.
pub const MAX_PROMPT_CHARS: usize = 24_000;
/// The debounce window the plugin declares in its manifest, in milliseconds.
pub const DEBOUNCE_MS: u32 = 3_000;

/// The language the AI answers in (and of the default texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum Language {
    /// Bahasa Indonesia (default).
    #[default]
    #[serde(rename = "id")]
    Indonesian,
    /// English.
    #[serde(rename = "en")]
    English,
}

impl Language {
    /// The default text sent when the AI cannot answer (error, limit).
    pub fn default_fallback(self) -> &'static str {
        match self {
            Self::Indonesian => {
                "Mohon maaf Kak, saat ini kami belum bisa menjawab otomatis. \
                 Pesan Kakak sudah kami terima dan akan segera dibalas oleh tim kami."
            }
            Self::English => {
                "Sorry, we cannot answer automatically right now. We have received \
                 your message and our team will reply soon."
            }
        }
    }

    /// The default text sent when the conversation is handed to a human.
    pub fn default_handoff(self) -> &'static str {
        match self {
            Self::Indonesian => {
                "Baik Kak, percakapan ini kami teruskan ke tim kami. \
                 Mohon ditunggu sebentar ya, admin kami akan segera membalas."
            }
            Self::English => {
                "Sure, we are passing this conversation to our team. \
                 Please wait a moment, a staff member will reply shortly."
            }
        }
    }

    /// How the system prompt names the language.
    pub(crate) fn instruction_name(self) -> &'static str {
        match self {
            Self::Indonesian => {
                "Indonesian (Bahasa Indonesia, friendly and polite, address the customer as \"Kak\")"
            }
            Self::English => "English (friendly and polite)",
        }
    }
}

/// One piece of vendor knowledge: an FAQ answer, product facts, prices,
/// opening hours, shipping rules ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snippet {
    /// A short heading (for example `Ongkir` or `Harga kopi`).
    #[serde(default)]
    pub title: Option<String>,
    /// The facts.
    pub text: String,
}

/// Configuration of the ai-reply plugin. Every field has a default, so `{}`
/// is a valid configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Who the assistant is and how it talks: the vendor's voice. Placed at
    /// the start of the system prompt.
    pub persona: String,
    /// The shop's name, mentioned in the system prompt when set.
    pub business_name: Option<String>,
    /// Facts the assistant may answer from (FAQ, products, prices ...). The
    /// assistant is told not to invent anything outside them.
    pub knowledge: Vec<Snippet>,
    /// Language of the answers and of the default texts: `id` (default) or `en`.
    pub language: Language,
    /// How many recent messages of the conversation are sent to the model.
    #[schemars(range(max = 50))]
    pub history_window: u32,
    /// Upper bound on the tokens of one answer.
    #[schemars(range(min = 1, max = 4096))]
    pub max_tokens: u32,
    /// Sampling temperature (0 to 2); the provider default when absent.
    #[schemars(range(min = 0.0, max = 2.0))]
    pub temperature: Option<f32>,
    /// Words or phrases that hand the conversation to a human when the
    /// customer writes them (case- and accent-insensitive, whole words).
    pub escalation_keywords: Vec<String>,
    /// Hand off to a human when the model classifies the message as a complaint.
    pub handoff_on_complaint: bool,
    /// Sent when no AI answer is possible (provider error, usage limit,
    /// unusable model output). Default depends on `language`.
    pub fallback_text: Option<String>,
    /// Sent to the customer when the conversation is handed to a human.
    /// Default depends on `language`.
    pub handoff_text: Option<String>,
}

/// The default escalation keywords (Indonesian and English).
pub fn default_escalation_keywords() -> Vec<String> {
    [
        "admin",
        "cs",
        "customer service",
        "manusia",
        "orang asli",
        "komplain",
        "complain",
        "human",
        "agent",
        "operator",
        "live agent",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

impl Default for Config {
    fn default() -> Self {
        Self {
            persona:
                "Kamu adalah customer service yang ramah dan membantu untuk sebuah toko online."
                    .to_owned(),
            business_name: None,
            knowledge: Vec::new(),
            language: Language::default(),
            history_window: 10,
            max_tokens: 400,
            temperature: Some(0.3),
            escalation_keywords: default_escalation_keywords(),
            handoff_on_complaint: true,
            fallback_text: None,
            handoff_text: None,
        }
    }
}

/// Why a configuration is rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `history_window` is above [`MAX_HISTORY_WINDOW`].
    HistoryWindowTooLarge(u32),
    /// `max_tokens` is 0 or above [`MAX_TOKENS_LIMIT`].
    MaxTokensOutOfRange(u32),
    /// `temperature` is not a number from 0 to 2.
    TemperatureOutOfRange,
    /// Persona plus knowledge exceed [`MAX_PROMPT_CHARS`] characters.
    PromptTooLong(usize),
    /// An escalation keyword is empty or only punctuation.
    EmptyKeyword,
    /// A knowledge snippet has no text.
    EmptySnippet(usize),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::HistoryWindowTooLarge(n) => {
                write!(
                    f,
                    "history_window {n} is above the maximum of {MAX_HISTORY_WINDOW}"
                )
            }
            Self::MaxTokensOutOfRange(n) => {
                write!(f, "max_tokens {n} must be from 1 to {MAX_TOKENS_LIMIT}")
            }
            Self::TemperatureOutOfRange => f.write_str("temperature must be a number from 0 to 2"),
            Self::PromptTooLong(n) => write!(
                f,
                "persona and knowledge are {n} characters; at most {MAX_PROMPT_CHARS} are allowed"
            ),
            Self::EmptyKeyword => f.write_str("escalation_keywords contains an empty keyword"),
            Self::EmptySnippet(i) => write!(f, "knowledge snippet {i} has no text"),
        }
    }
}

impl ConfigError {
    /// The JSON pointer of the field that is wrong.
    #[must_use]
    pub fn field(&self) -> String {
        match self {
            Self::HistoryWindowTooLarge(_) => "/history_window".into(),
            Self::MaxTokensOutOfRange(_) => "/max_tokens".into(),
            Self::TemperatureOutOfRange => "/temperature".into(),
            // Persona and knowledge share the limit; the knowledge is what
            // usually grows.
            Self::PromptTooLong(_) => "/knowledge".into(),
            Self::EmptyKeyword => "/escalation_keywords".into(),
            Self::EmptySnippet(i) => format!("/knowledge/{i}/text"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Checks the limits the JSON Schema cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.history_window > MAX_HISTORY_WINDOW {
            return Err(ConfigError::HistoryWindowTooLarge(self.history_window));
        }
        if self.max_tokens == 0 || self.max_tokens > MAX_TOKENS_LIMIT {
            return Err(ConfigError::MaxTokensOutOfRange(self.max_tokens));
        }
        if self.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
            return Err(ConfigError::TemperatureOutOfRange);
        }
        if let Some(i) = self.knowledge.iter().position(|s| s.text.trim().is_empty()) {
            return Err(ConfigError::EmptySnippet(i));
        }
        let size = self.persona.chars().count()
            + self
                .knowledge
                .iter()
                .map(|s| {
                    s.text.chars().count() + s.title.as_deref().map_or(0, |t| t.chars().count())
                })
                .sum::<usize>();
        if size > MAX_PROMPT_CHARS {
            return Err(ConfigError::PromptTooLong(size));
        }
        if self
            .escalation_keywords
            .iter()
            .any(|k| crate::agent::words(k).is_empty())
        {
            return Err(ConfigError::EmptyKeyword);
        }
        Ok(())
    }

    /// The fallback text: configured, else the language's default.
    pub fn fallback_text(&self) -> &str {
        self.fallback_text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| self.language.default_fallback())
    }

    /// The handoff text: configured, else the language's default.
    pub fn handoff_text(&self) -> &str {
        self.handoff_text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| self.language.default_handoff())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn problem(v: serde_json::Value) -> (String, String) {
        let c: Config = serde_json::from_value(v).unwrap();
        let e = c.validate().unwrap_err();
        (e.field(), e.to_string())
    }

    #[test]
    fn every_refusal_names_its_field() {
        assert!(
            serde_json::from_value::<Config>(serde_json::json!({}))
                .unwrap()
                .validate()
                .is_ok()
        );
        assert_eq!(
            problem(serde_json::json!({"max_tokens": 0})).0,
            "/max_tokens"
        );
        assert_eq!(
            problem(serde_json::json!({"history_window": 10_000})).0,
            "/history_window"
        );
        assert_eq!(
            problem(serde_json::json!({"temperature": 3.5})).0,
            "/temperature"
        );
        let (field, message) = problem(serde_json::json!({
            "knowledge": [{"text": "Buka 08-17"}, {"title": "Harga", "text": "  "}]
        }));
        assert_eq!(field, "/knowledge/1/text");
        assert_eq!(message, "knowledge snippet 1 has no text");
        assert_eq!(
            problem(serde_json::json!({"escalation_keywords": ["admin", "!!"]})).0,
            "/escalation_keywords"
        );
    }
}
