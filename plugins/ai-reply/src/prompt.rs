//! Building the model request from persona, knowledge and recent history.

use crate::config::Config;

/// Longest history message sent to the model, in characters.
pub const MAX_HISTORY_MESSAGE_CHARS: usize = 1_000;
/// Longest customer message sent to the model, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// Who wrote a conversation message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    /// The customer.
    Customer,
    /// The business: the bot or a human agent.
    Business,
}

/// One message of the conversation, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Who wrote it.
    pub speaker: Speaker,
    /// What was written.
    pub text: String,
}

impl Turn {
    /// A customer message.
    pub fn customer(text: impl Into<String>) -> Self {
        Self {
            speaker: Speaker::Customer,
            text: text.into(),
        }
    }

    /// A message of the business (bot or human agent).
    pub fn business(text: impl Into<String>) -> Self {
        Self {
            speaker: Speaker::Business,
            text: text.into(),
        }
    }
}

/// A provider-neutral chat request, as sent through the host's `llm` import.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// The system prompt.
    pub system: String,
    /// Recent history plus the current message, oldest first; the last one
    /// is always the customer's current message.
    pub messages: Vec<Turn>,
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// Sampling temperature.
    pub temperature: Option<f32>,
}

/// The instruction that makes the model answer in the JSON shape
/// [`parse_output`](crate::parse_output) reads.
const OUTPUT_FORMAT: &str = r#"Reply with exactly one JSON object and nothing else:
{"intent": "question" | "order" | "complaint" | "human" | "other", "answer": "<your reply to the customer>", "can_answer": true | false}
intent: "question" = asks for information; "order" = wants to buy or order; "complaint" = unhappy about a product, a delivery or the service; "human" = asks to talk to a person, an admin or customer service; "other" = greetings, thanks and anything else.
can_answer: false when the knowledge and the conversation do not contain the answer, or when only a person can help (refunds, checking a specific order or payment)."#;

/// Builds the system prompt: persona, shop, language and honesty rules,
/// knowledge, output format.
pub fn system_prompt(config: &Config) -> String {
    let mut out = String::with_capacity(1024 + config.persona.len());
    let persona = config.persona.trim();
    if !persona.is_empty() {
        out.push_str(persona);
        out.push_str("\n\n");
    }
    if let Some(name) = config
        .business_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        out.push_str("You answer WhatsApp messages on behalf of ");
        out.push_str(name);
        out.push_str(".\n");
    }
    out.push_str("Write the answer in ");
    out.push_str(config.language.instruction_name());
    out.push_str(
        ". Keep it short, like a WhatsApp chat message. Use only the facts in KNOWLEDGE and \
         in the conversation; never invent prices, stock, promotions, links or policies.\n\n",
    );
    out.push_str("KNOWLEDGE:\n");
    if config.knowledge.is_empty() {
        out.push_str("(none)\n");
    }
    for snippet in &config.knowledge {
        out.push_str("- ");
        if let Some(title) = snippet
            .title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            out.push_str(title);
            out.push_str(": ");
        }
        // One line per snippet keeps the list readable for the model.
        out.push_str(
            &snippet
                .text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        );
        out.push('\n');
    }
    out.push('\n');
    out.push_str(OUTPUT_FORMAT);
    out
}

/// Builds the request for the customer's `message` with the last
/// `history_window` entries of `history` (oldest first).
pub fn build_prompt(config: &Config, history: &[Turn], message: &str) -> Prompt {
    let window = usize::try_from(config.history_window).unwrap_or(usize::MAX);
    let start = history.len().saturating_sub(window);
    let mut messages: Vec<Turn> = history[start..]
        .iter()
        .filter(|t| !t.text.trim().is_empty())
        .map(|t| Turn {
            speaker: t.speaker,
            text: clip(t.text.trim(), MAX_HISTORY_MESSAGE_CHARS),
        })
        .collect();
    messages.push(Turn::customer(clip(message.trim(), MAX_MESSAGE_CHARS)));
    Prompt {
        system: system_prompt(config),
        messages,
        max_tokens: config.max_tokens,
        temperature: config.temperature,
    }
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Language, Snippet};

    fn config() -> Config {
        Config {
            persona: "Kamu Sari, CS Kopi Senja yang ceria.".to_owned(),
            business_name: Some("Kopi Senja".to_owned()),
            knowledge: vec![
                Snippet {
                    title: Some("Harga".to_owned()),
                    text: "Kopi susu Rp18.000\n  Americano Rp15.000".to_owned(),
                },
                Snippet {
                    title: None,
                    text: "Buka setiap hari 08.00-22.00 WIB".to_owned(),
                },
            ],
            history_window: 2,
            ..Config::default()
        }
    }

    #[test]
    fn system_prompt_has_persona_knowledge_language_and_format() {
        let system = system_prompt(&config());
        assert!(
            system.starts_with("Kamu Sari, CS Kopi Senja yang ceria.\n\n"),
            "{system}"
        );
        assert!(system.contains("on behalf of Kopi Senja."));
        assert!(system.contains("Indonesian (Bahasa Indonesia"));
        assert!(system.contains("- Harga: Kopi susu Rp18.000 Americano Rp15.000\n"));
        assert!(system.contains("- Buka setiap hari 08.00-22.00 WIB\n"));
        assert!(system.contains(r#""can_answer": true | false"#));
        let english = system_prompt(&Config {
            language: Language::English,
            ..config()
        });
        assert!(english.contains("Write the answer in English"));
        assert!(system_prompt(&Config::default()).contains("KNOWLEDGE:\n(none)"));
    }

    #[test]
    fn prompt_keeps_the_last_window_of_history_then_the_message() {
        let history = vec![
            Turn::customer("pesan lama sekali"),
            Turn::business("Halo Kak!"),
            Turn::customer("  "),
            Turn::customer("mau tanya"),
        ];
        let prompt = build_prompt(&config(), &history, "  harga kopi susu? ");
        // Window 2 = the last two entries, the blank one is dropped.
        assert_eq!(
            prompt.messages,
            vec![
                Turn::customer("mau tanya"),
                Turn::customer("harga kopi susu?")
            ]
        );
        assert_eq!(prompt.max_tokens, 400);
        assert_eq!(prompt.temperature, Some(0.3));

        let none = build_prompt(
            &Config {
                history_window: 0,
                ..config()
            },
            &history,
            "x",
        );
        assert_eq!(none.messages, vec![Turn::customer("x")]);
    }

    #[test]
    fn long_messages_are_clipped() {
        let long = "a".repeat(MAX_MESSAGE_CHARS + 10);
        let prompt = build_prompt(&config(), &[Turn::business("b".repeat(5000))], &long);
        assert_eq!(
            prompt.messages[0].text.chars().count(),
            MAX_HISTORY_MESSAGE_CHARS + 3
        );
        assert_eq!(
            prompt.messages[1].text.chars().count(),
            MAX_MESSAGE_CHARS + 3
        );
    }
}
