//! The decisions: escalate before asking the model, ask it, read its answer,
//! and turn the result into the steps the host performs.

use crate::config::{Config, Language};
use crate::output::{Intent, ModelOutput, parse_output};
use crate::prompt::{Prompt, Turn, build_prompt};

/// Why a conversation is handed to a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffReason {
    /// The customer wrote an escalation keyword (the keyword as configured).
    Keyword(String),
    /// The model classified the message as a request for a person.
    Requested,
    /// The model classified the message as a complaint (and the
    /// configuration hands complaints off).
    Complaint,
    /// The model said it cannot answer from what it knows.
    CannotAnswer,
}

impl HandoffReason {
    /// A note for the human agent taking over, in the configured language.
    pub fn note(&self, language: Language) -> String {
        match (self, language) {
            (Self::Keyword(k), Language::Indonesian) => {
                format!("Pelanggan meminta admin (kata kunci \"{k}\").")
            }
            (Self::Keyword(k), Language::English) => {
                format!("The customer asked for a person (keyword \"{k}\").")
            }
            (Self::Requested, Language::Indonesian) => {
                "Pelanggan ingin bicara dengan admin.".to_owned()
            }
            (Self::Requested, Language::English) => {
                "The customer wants to talk to a person.".to_owned()
            }
            (Self::Complaint, Language::Indonesian) => {
                "Pelanggan menyampaikan komplain.".to_owned()
            }
            (Self::Complaint, Language::English) => "The customer has a complaint.".to_owned(),
            (Self::CannotAnswer, Language::Indonesian) => {
                "AI tidak dapat menjawab pertanyaan pelanggan.".to_owned()
            }
            (Self::CannotAnswer, Language::English) => {
                "The AI could not answer the customer's question.".to_owned()
            }
        }
    }

    /// A short machine-readable label (`keyword`, `requested`, ...).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Keyword(_) => "keyword",
            Self::Requested => "requested",
            Self::Complaint => "complaint",
            Self::CannotAnswer => "cannot-answer",
        }
    }
}

/// What the plugin does with one customer message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send the model's answer.
    Answer {
        /// The reply.
        text: String,
        /// The classified intent.
        intent: Intent,
    },
    /// Tell the customer a person will take over, and hand off.
    Handoff {
        /// Why.
        reason: HandoffReason,
        /// The text for the customer.
        text: String,
    },
    /// No AI answer is possible; send the fallback text.
    Fallback {
        /// The fallback text.
        text: String,
        /// What went wrong, for the logs (never sent to the customer).
        cause: String,
    },
    /// Nothing to answer (an empty message).
    Nothing,
}

/// One thing for the host to do, in order. The guest maps these one to one
/// onto the WIT `action`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send a text; `matched` tells the vendor's analytics what produced it.
    Reply {
        /// The text.
        text: String,
        /// `ai-reply:<intent>`, `ai-reply:handoff` or `ai-reply:fallback`.
        matched: String,
    },
    /// Hand the conversation to a human, with a note for the agent.
    Handoff(String),
    /// Run no later plugin for this event.
    Stop,
}

impl Outcome {
    /// The steps for the host.
    pub fn steps(&self, language: Language) -> Vec<Step> {
        match self {
            Self::Answer { text, intent } => vec![Step::Reply {
                text: text.clone(),
                matched: format!("ai-reply:{}", intent.label()),
            }],
            Self::Handoff { reason, text } => vec![
                Step::Reply {
                    text: text.clone(),
                    matched: "ai-reply:handoff".to_owned(),
                },
                Step::Handoff(reason.note(language)),
                Step::Stop,
            ],
            Self::Fallback { text, .. } => {
                vec![Step::Reply {
                    text: text.clone(),
                    matched: "ai-reply:fallback".to_owned(),
                }]
            }
            Self::Nothing => Vec::new(),
        }
    }
}

/// Splits text into folded words (lowercase, no accents, letters and digits).
pub(crate) fn words(text: &str) -> Vec<String> {
    plugin_sdk::text::fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The AI customer-service agent of one configuration.
#[derive(Debug, Clone, Copy)]
pub struct Agent<'c> {
    config: &'c Config,
}

impl<'c> Agent<'c> {
    /// An agent for `config` (validate it first with [`Config::validate`]).
    pub fn new(config: &'c Config) -> Self {
        Self { config }
    }

    /// The first configured escalation keyword that occurs in `message` as
    /// whole words (so `cs` matches "mau ke CS" but not "discs").
    pub fn escalation_keyword(&self, message: &str) -> Option<&'c str> {
        let words = words(message);
        self.config
            .escalation_keywords
            .iter()
            .map(String::as_str)
            .find(|keyword| {
                let needle = self::words(keyword);
                !needle.is_empty() && words.windows(needle.len()).any(|w| w == needle.as_slice())
            })
    }

    /// The request for the model.
    pub fn prompt(&self, history: &[Turn], message: &str) -> Prompt {
        build_prompt(self.config, history, message)
    }

    /// Handles one customer message: escalates on a keyword without asking
    /// the model, otherwise asks it through `complete` (which returns the
    /// model's text or a description of the failure) and decides from its
    /// answer.
    pub fn respond(
        &self,
        message: &str,
        history: &[Turn],
        complete: impl FnOnce(&Prompt) -> Result<String, String>,
    ) -> Outcome {
        if message.trim().is_empty() {
            return Outcome::Nothing;
        }
        if let Some(keyword) = self.escalation_keyword(message) {
            return self.handoff(HandoffReason::Keyword(keyword.to_owned()));
        }
        match complete(&self.prompt(history, message)) {
            Ok(text) => self.decide(parse_output(&text)),
            Err(cause) => self.fallback(cause),
        }
    }

    /// Decides from the model's (parsed) answer.
    pub fn decide(&self, output: Option<ModelOutput>) -> Outcome {
        let Some(output) = output else {
            return self.fallback("the model's answer could not be read".to_owned());
        };
        match output.intent {
            Intent::Human => return self.handoff(HandoffReason::Requested),
            Intent::Complaint if self.config.handoff_on_complaint => {
                return self.handoff(HandoffReason::Complaint);
            }
            _ => {}
        }
        if !output.can_answer {
            return self.handoff(HandoffReason::CannotAnswer);
        }
        Outcome::Answer {
            text: output.answer,
            intent: output.intent,
        }
    }

    fn handoff(&self, reason: HandoffReason) -> Outcome {
        Outcome::Handoff {
            reason,
            text: self.config.handoff_text().to_owned(),
        }
    }

    fn fallback(&self, cause: String) -> Outcome {
        Outcome::Fallback {
            text: self.config.fallback_text().to_owned(),
            cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: &Prompt) -> Result<String, String> {
        panic!("the model must not be asked")
    }

    fn answering(text: &'static str) -> impl FnOnce(&Prompt) -> Result<String, String> {
        move |_| Ok(text.to_owned())
    }

    #[test]
    fn keywords_match_whole_words_case_and_accent_insensitive() {
        let config = Config::default();
        let agent = Agent::new(&config);
        assert_eq!(
            agent.escalation_keyword("Mau bicara sama ADMIN dong"),
            Some("admin")
        );
        assert_eq!(agent.escalation_keyword("hubungkan ke cs."), Some("cs"));
        assert_eq!(
            agent.escalation_keyword("saya mau KOMPLAIN!!"),
            Some("komplain")
        );
        assert_eq!(
            agent.escalation_keyword("need a human please"),
            Some("human")
        );
        assert_eq!(
            agent.escalation_keyword("butuh customer   service"),
            Some("customer service")
        );
        assert_eq!(agent.escalation_keyword("administrasi pengiriman?"), None);
        assert_eq!(agent.escalation_keyword("discs and cables"), None);
        assert_eq!(agent.escalation_keyword("harga kopi berapa?"), None);

        let custom = Config {
            escalation_keywords: vec!["Pemilik Toko".to_owned(), "bós".to_owned()],
            ..Config::default()
        };
        let agent = Agent::new(&custom);
        assert_eq!(
            agent.escalation_keyword("mau ngomong sama pemilik  toko"),
            Some("Pemilik Toko")
        );
        assert_eq!(agent.escalation_keyword("panggil bos"), Some("bós"));
        assert_eq!(agent.escalation_keyword("admin"), None);
    }

    #[test]
    fn keyword_hands_off_without_asking_the_model() {
        let config = Config::default();
        let outcome = Agent::new(&config).respond("minta admin", &[], never);
        assert_eq!(
            outcome,
            Outcome::Handoff {
                reason: HandoffReason::Keyword("admin".to_owned()),
                text: config.handoff_text().to_owned()
            }
        );
        assert_eq!(
            outcome.steps(Language::Indonesian),
            vec![
                Step::Reply {
                    text: config.handoff_text().to_owned(),
                    matched: "ai-reply:handoff".to_owned()
                },
                Step::Handoff("Pelanggan meminta admin (kata kunci \"admin\").".to_owned()),
                Step::Stop,
            ]
        );
    }

    #[test]
    fn answers_are_sent_with_their_intent() {
        let config = Config::default();
        let outcome = Agent::new(&config).respond(
            "harga kopi?",
            &[],
            answering(r#"{"intent":"question","answer":"Rp18.000 Kak","can_answer":true}"#),
        );
        assert_eq!(
            outcome.steps(Language::Indonesian),
            vec![Step::Reply {
                text: "Rp18.000 Kak".to_owned(),
                matched: "ai-reply:question".to_owned()
            }]
        );
    }

    #[test]
    fn the_prompt_reaches_the_model() {
        let config = Config {
            history_window: 5,
            ..Config::default()
        };
        let history = [Turn::business("Halo Kak!")];
        let mut seen = None;
        Agent::new(&config).respond("harga?", &history, |prompt| {
            seen = Some(prompt.clone());
            Ok("Rp18.000".to_owned())
        });
        let prompt = seen.unwrap_or_else(|| panic!("model not asked"));
        assert_eq!(
            prompt.messages,
            vec![Turn::business("Halo Kak!"), Turn::customer("harga?")]
        );
        assert_eq!(prompt.system, crate::prompt::system_prompt(&config));
    }

    #[test]
    fn model_intents_escalate() {
        let config = Config::default();
        let agent = Agent::new(&config);
        let human = agent.respond(
            "bisa telpon?",
            &[],
            answering(r#"{"intent":"human","answer":"","can_answer":false}"#),
        );
        assert!(
            matches!(
                human,
                Outcome::Handoff {
                    reason: HandoffReason::Requested,
                    ..
                }
            ),
            "{human:?}"
        );

        let complaint = r#"{"intent":"complaint","answer":"Maaf Kak","can_answer":true}"#;
        let handed = agent.respond("pesanan saya rusak", &[], answering(complaint));
        assert!(
            matches!(
                handed,
                Outcome::Handoff {
                    reason: HandoffReason::Complaint,
                    ..
                }
            ),
            "{handed:?}"
        );

        let keep = Config {
            handoff_on_complaint: false,
            ..Config::default()
        };
        let answered = Agent::new(&keep).respond("pesanan saya rusak", &[], answering(complaint));
        assert_eq!(
            answered,
            Outcome::Answer {
                text: "Maaf Kak".to_owned(),
                intent: Intent::Complaint
            }
        );

        let unknown = agent.respond(
            "ada promo?",
            &[],
            answering(r#"{"intent":"question","answer":"Belum tahu","can_answer":false}"#),
        );
        assert!(
            matches!(
                unknown,
                Outcome::Handoff {
                    reason: HandoffReason::CannotAnswer,
                    ..
                }
            ),
            "{unknown:?}"
        );
    }

    #[test]
    fn errors_and_unreadable_answers_fall_back() {
        let config = Config {
            fallback_text: Some("Nanti dibalas ya".to_owned()),
            ..Config::default()
        };
        let agent = Agent::new(&config);
        let refused = agent.respond("halo", &[], |_| Err("limit-exceeded".to_owned()));
        assert_eq!(
            refused,
            Outcome::Fallback {
                text: "Nanti dibalas ya".to_owned(),
                cause: "limit-exceeded".to_owned()
            }
        );
        assert_eq!(
            refused.steps(Language::Indonesian),
            vec![Step::Reply {
                text: "Nanti dibalas ya".to_owned(),
                matched: "ai-reply:fallback".to_owned()
            }]
        );
        let cut = agent.respond("halo", &[], answering(r#"{"intent":"other","answer":"Hal"#));
        assert!(matches!(cut, Outcome::Fallback { .. }), "{cut:?}");
        assert_eq!(agent.respond("   ", &[], never), Outcome::Nothing);
        assert!(Outcome::Nothing.steps(Language::English).is_empty());
    }

    #[test]
    fn default_texts_follow_the_language() {
        let english = Config {
            language: Language::English,
            ..Config::default()
        };
        let outcome = Agent::new(&english).respond("talk to a human", &[], never);
        let steps = outcome.steps(Language::English);
        assert_eq!(
            steps[0],
            Step::Reply {
                text: Language::English.default_handoff().to_owned(),
                matched: "ai-reply:handoff".to_owned()
            }
        );
        assert_eq!(
            steps[1],
            Step::Handoff("The customer asked for a person (keyword \"human\").".to_owned())
        );
        assert!(
            Config::default()
                .fallback_text()
                .starts_with("Mohon maaf Kak")
        );
    }
}
