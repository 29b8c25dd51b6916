#![doc = include_str!("../README.md")]

pub mod agent;
pub mod config;
pub mod output;
pub mod prompt;

pub use agent::{Agent, HandoffReason, Outcome, Step};
pub use config::{
    Config, ConfigError, DEBOUNCE_MS, Language, Snippet, default_escalation_keywords,
};
pub use output::{Intent, ModelOutput, parse_output};
pub use prompt::{Prompt, Speaker, Turn, build_prompt, system_prompt};

/// The plugin name in the manifest.
pub const NAME: &str = "ai-reply";

#[cfg(feature = "guest")]
mod guest {
    use plugin_sdk::llm::{self, LlmError, Message, Request, Role};
    use plugin_sdk::{Action, ConfigProblem, Context, Direction, Event, EventKind, Plugin, log};

    use crate::agent::{Agent, Outcome, Step};
    use crate::config::{Config, DEBOUNCE_MS};
    use crate::prompt::{Prompt, Speaker, Turn};

    /// The ai-reply plugin.
    pub(crate) struct AiReply(Config);

    impl Plugin for AiReply {
        type Config = Config;
        const NAME: &'static str = crate::NAME;
        const VERSION: &'static str = env!("CARGO_PKG_VERSION");

        fn events() -> Vec<EventKind> {
            // Media only matter when they carry a caption (`Event::text`).
            vec![EventKind::Text, EventKind::Interactive, EventKind::Media]
        }

        fn debounce_ms() -> Option<u32> {
            Some(DEBOUNCE_MS)
        }

        fn history_depth() -> Option<u32> {
            // The most any configuration reads; a host that knows the
            // configuration may pass just `history_window` entries.
            Some(crate::config::MAX_HISTORY_WINDOW)
        }

        fn validate(config: Config) -> Result<(), Vec<ConfigProblem>> {
            config
                .validate()
                .map_err(|e| vec![ConfigProblem::new(e.field(), e.to_string())])
        }

        fn new(config: Config) -> Result<Self, String> {
            config.validate().map_err(|e| e.to_string())?;
            Ok(Self(config))
        }

        fn handle(&mut self, event: &Event, ctx: &Context) -> Result<Vec<Action>, String> {
            let Some(text) = event.text() else {
                return Ok(Vec::new());
            };
            let history: Vec<Turn> = ctx
                .history
                .iter()
                .map(|h| Turn {
                    speaker: match h.direction {
                        Direction::Inbound => Speaker::Customer,
                        Direction::Outbound => Speaker::Business,
                    },
                    text: h.text.clone(),
                })
                .collect();
            let outcome = Agent::new(&self.0).respond(text, &history, complete);
            match &outcome {
                Outcome::Fallback { cause, .. } => {
                    log::warn(&format!("no AI answer, sending the fallback text: {cause}"));
                }
                Outcome::Handoff { reason, .. } => {
                    log::info(&format!("handing off to a human: {}", reason.label()));
                }
                Outcome::Answer { .. } | Outcome::Nothing => {}
            }
            Ok(outcome
                .steps(self.0.language)
                .into_iter()
                .map(action)
                .collect())
        }
    }

    fn complete(prompt: &Prompt) -> Result<String, String> {
        let request = Request {
            system: Some(prompt.system.clone()),
            messages: prompt
                .messages
                .iter()
                .map(|t| Message {
                    role: match t.speaker {
                        Speaker::Customer => Role::User,
                        Speaker::Business => Role::Assistant,
                    },
                    content: t.text.clone(),
                })
                .collect(),
            max_tokens: prompt.max_tokens,
            temperature: prompt.temperature,
        };
        llm::complete(&request)
            .map(|response| response.text)
            .map_err(|error| match error {
                LlmError::NotConfigured => "no LLM provider is configured".to_owned(),
                LlmError::LimitExceeded => "the AI usage limit is reached".to_owned(),
                LlmError::Provider(p) => format!("provider {} failed: {}", p.provider, p.message),
                LlmError::Refused(why) => format!("the host refused the call: {why}"),
            })
    }

    fn action(step: Step) -> Action {
        match step {
            Step::Reply { text, matched } => Action::reply_matched(text, matched),
            Step::Handoff(note) => Action::Handoff(Some(note)),
            Step::Stop => Action::Stop,
        }
    }

    plugin_sdk::register_plugin!(AiReply);
}
