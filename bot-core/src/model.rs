//! Host-side data types shared by native handlers and WASM plugins.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use whatsapp_client::webhook::{InboundMessage, MessageContent};
use whatsapp_client::{OutgoingMessage, PhoneNumber, UserId};

/// Kinds of inbound events a handler can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A text message.
    Text,
    /// Image, video, audio, document or sticker.
    Media,
    /// A tapped reply button, list row or template button.
    Interactive,
    /// A shared location.
    Location,
    /// Anything else.
    Other,
}

impl EventKind {
    /// The kind of an inbound message.
    #[must_use]
    pub fn of<S>(message: &InboundMessage<S>) -> Self {
        match &message.content {
            MessageContent::Text { .. } => Self::Text,
            MessageContent::Media(_) => Self::Media,
            MessageContent::ButtonReply { .. }
            | MessageContent::ListReply { .. }
            | MessageContent::TemplateButton { .. } => Self::Interactive,
            MessageContent::Location { .. } => Self::Location,
            _ => Self::Other,
        }
    }
}

/// Who answers a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    /// The bot pipeline answers.
    #[default]
    Bot,
    /// A human agent answers; no plugin runs.
    Human,
}

impl Owner {
    /// `bot` or `human`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Human => "human",
        }
    }

    /// Parses `bot` / `human`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bot" => Some(Self::Bot),
            "human" => Some(Self::Human),
            _ => None,
        }
    }
}

/// Who wrote a history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    /// The customer (inbound).
    Customer,
    /// The bot (a plugin's reply).
    Bot,
    /// A human agent.
    Agent,
}

impl Author {
    /// `customer`, `bot` or `agent`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Bot => "bot",
            Self::Agent => "agent",
        }
    }

    /// Parses the names of [`Author::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "customer" => Some(Self::Customer),
            "bot" => Some(Self::Bot),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }

    /// Whether the message came from the customer.
    #[must_use]
    pub fn is_inbound(self) -> bool {
        self == Self::Customer
    }
}

/// One stored message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Who wrote it.
    pub author: Author,
    /// The text (for non-text messages a short description such as `[image]`).
    pub text: String,
    /// Provider message id, when known.
    pub provider_message_id: Option<String>,
    /// Unix milliseconds.
    pub at_ms: i64,
}

/// A conversation between a vendor and one contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The store's key for the conversation: the app's conversation id, or
    /// [`Conversation::contact`] in [`crate::MemoryStore`] and
    /// [`crate::SqlStore`].
    pub id: String,
    /// The tenant (vendor).
    pub tenant: String,
    /// Who the conversation is with: the contact's number in E.164
    /// (`+6281234567890`), or their business-scoped user id
    /// (`US.13491208655302741918`) while no number is known. Parse it with
    /// [`whatsapp_client::Recipient::parse`] to reply.
    pub contact: String,
    /// The contact's business-scoped user id, when known (also for a
    /// contact with a number).
    pub user_id: Option<String>,
    /// The contact's name, if known.
    pub name: Option<String>,
    /// Who answers.
    pub owner: Owner,
    /// When a human last took the conversation over (or, where the store
    /// tracks it, last wrote in it), unix ms: the handoff timeout counts
    /// from here.
    pub owner_since_ms: Option<i64>,
    /// Why the conversation was handed to a human.
    pub handoff_reason: Option<String>,
    /// Plugin-visible state (set by the `set-state` action).
    pub state: Option<String>,
    /// The contact's tags, sorted.
    pub tags: Vec<String>,
    /// Custom fields (`{key}` variables in replies).
    pub fields: BTreeMap<String, String>,
    /// Last activity (unix ms).
    pub updated_ms: i64,
}

impl Conversation {
    /// A new bot-owned conversation with `contact` (an E.164 number or a
    /// business-scoped user id).
    #[must_use]
    pub fn new(tenant: &str, contact: &str, at_ms: i64) -> Self {
        Self {
            id: contact.to_owned(),
            tenant: tenant.to_owned(),
            contact: contact.to_owned(),
            user_id: None,
            name: None,
            owner: Owner::Bot,
            owner_since_ms: None,
            handoff_reason: None,
            state: None,
            tags: Vec::new(),
            fields: BTreeMap::new(),
            updated_ms: at_ms,
        }
    }
}

/// The contact a handler is talking to. At least one of `phone` and
/// `user_id` is set: a customer who hides their number behind a WhatsApp
/// username is known only by a business-scoped user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The number, when WhatsApp shares it.
    pub phone: Option<PhoneNumber>,
    /// The business-scoped user id, when the provider gives one.
    pub user_id: Option<UserId>,
    /// The name, if known.
    pub name: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom fields.
    pub fields: BTreeMap<String, String>,
}

/// Everything a handler knows when it handles a message.
#[derive(Debug, Clone)]
pub struct HandlerContext {
    /// The tenant (vendor).
    pub tenant: String,
    /// The contact.
    pub contact: Contact,
    /// The plugin-visible conversation state.
    pub state: Option<String>,
    /// Recent messages, oldest first, without the current one.
    pub history: Vec<HistoryEntry>,
    /// The current time in the vendor's time zone.
    pub now: DateTime<Tz>,
}

impl HandlerContext {
    /// The local date as `YYYY-MM-DD`.
    #[must_use]
    pub fn local_date(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.now.year(),
            self.now.month(),
            self.now.day()
        )
    }

    /// Minutes since local midnight.
    #[must_use]
    pub fn minute_of_day(&self) -> u16 {
        // hour < 24 and minute < 60, so this fits.
        (self.now.hour() * 60 + self.now.minute()) as u16
    }

    /// ISO weekday, 1 = Monday .. 7 = Sunday.
    #[must_use]
    pub fn weekday(&self) -> u8 {
        self.now.weekday().number_from_monday() as u8
    }
}

/// Something the host does for a handler.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Action {
    /// Send a message to the contact.
    Reply {
        /// The message.
        message: OutgoingMessage,
        /// What produced it (e.g. a keyword rule id), for analytics.
        matched: Option<String>,
    },
    /// Replace the conversation state (`None` clears it).
    SetState(Option<String>),
    /// Add a tag to the contact.
    Tag(String),
    /// Remove a tag from the contact.
    Untag(String),
    /// Hand the conversation to a human agent.
    Handoff(Option<String>),
    /// Do not run later handlers for this event.
    Stop,
}

impl Action {
    /// A text reply.
    #[must_use]
    pub fn reply_text(text: impl Into<String>) -> Self {
        Self::Reply {
            message: OutgoingMessage::text(text),
            matched: None,
        }
    }
}

/// What a handler declares about itself (a WASM plugin's manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// Stable name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Wanted event kinds.
    pub events: Vec<EventKind>,
    /// JSON Schema of the configuration.
    pub config_schema: String,
    /// Debounce window in milliseconds.
    pub debounce_ms: Option<u32>,
    /// How many history entries the plugin reads (`None`: the host's
    /// default). Declared from contract 0.3.0 on; `None` for older plugins.
    pub history_depth: Option<u32>,
}

/// A short text for the history of a non-text message.
#[must_use]
pub fn describe(content: &MessageContent) -> String {
    match content.text() {
        Some(t) => t.to_owned(),
        None => format!("[{}]", content.kind()),
    }
}
