//! The inbox's types: conversations and messages as the API shows them,
//! who owns a conversation, a message's direction, sender and status, why
//! the bot answered, and the list filters.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{ConversationId, DeviceId, MemberId, MessageId};
use crate::http::i18n::Lang;

crate::text_enum! {
    /// Who answers a conversation.
    pub enum ConversationOwner {
        /// The bot pipeline answers.
        Bot = "bot",
        /// A human agent took it over; the bot stays quiet.
        Agent = "agent",
    }
}

crate::text_enum! {
    /// Which way a message went.
    pub enum Direction {
        /// From the customer.
        In = "in",
        /// To the customer.
        Out = "out",
    }
}

crate::text_enum! {
    /// Who wrote a message.
    pub enum Sender {
        /// The customer.
        Contact = "contact",
        /// The bot pipeline.
        Bot = "bot",
        /// A member of the vendor, from the inbox.
        Agent = "agent",
        /// An API client (`POST /api/v1/messages`).
        Api = "api",
        /// The platform itself (an opt-out confirmation).
        System = "system",
    }
}

crate::text_enum! {
    /// Where a message is: `received` for inbound ones, the delivery state
    /// for outbound ones.
    pub enum MessageStatus {
        /// An inbound message, stored.
        Received = "received",
        /// Not handed to the provider yet.
        Pending = "pending",
        /// The provider accepted it.
        Sent = "sent",
        /// On the customer's phone.
        Delivered = "delivered",
        /// The customer read it.
        Read = "read",
        /// Sending failed (see `error`).
        Failed = "failed",
    }
}

impl MessageStatus {
    /// Order of delivery states; a status webhook never moves a message
    /// back (Meta may deliver `delivered` after `read`). `received` is not
    /// a delivery state.
    pub fn rank(self) -> Option<i64> {
        match self {
            Self::Received => None,
            Self::Pending => Some(0),
            Self::Sent => Some(1),
            Self::Delivered => Some(2),
            Self::Read => Some(3),
            Self::Failed => Some(4),
        }
    }
}

crate::text_enum! {
    /// What made the bot answer (or stay quiet on) a message.
    pub enum ReasonKind {
        /// A keyword rule matched.
        KeywordRule = "keyword_rule",
        /// No rule matched; the default reply was sent.
        DefaultReply = "default_reply",
        /// The vendor is closed: the out-of-hours reply.
        OutOfHours = "out_of_hours",
        /// The AI answered.
        AiReply = "ai_reply",
        /// The AI could not answer and sent its fallback text.
        AiFallback = "ai_fallback",
        /// Another plugin answered (`plugin`, `rule` say which and what).
        Plugin = "plugin",
        /// The customer opted out of broadcasts; the platform confirmed it.
        OptOut = "opt_out",
        /// The plan has no messages left this month (or no active plan):
        /// the bot did not answer this message.
        PlanLimit = "plan_limit",
    }
}

/// Why the bot sent a message (on a bot or system reply), or why it did
/// not answer one (on a customer's message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BotReason {
    /// What kind of answer it was.
    pub kind: ReasonKind,
    /// The plugin that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// What the plugin reported as matched: a keyword rule's id, an AI
    /// intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The keyword of the rule found in the customer's message (or the
    /// rule's keywords, when none is found as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    /// How the rule compares keywords (`exact`, `contains`, `starts-with`,
    /// `whole-word`, `regex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_kind: Option<String>,
    /// The same plugin handed the conversation to a human agent.
    #[serde(default)]
    pub handoff: bool,
}

impl BotReason {
    /// A reason of `kind` with nothing else to say.
    pub fn of(kind: ReasonKind) -> Self {
        Self {
            kind,
            plugin: None,
            rule: None,
            keyword: None,
            match_kind: None,
            handoff: false,
        }
    }

    /// The stored text (JSON).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The reason in a sentence, in `lang`.
    pub fn describe(&self, lang: Lang) -> String {
        let rule = self.rule.as_deref().unwrap_or_default();
        let plugin = self.plugin.as_deref().unwrap_or_default();
        let mut text = match self.kind {
            ReasonKind::KeywordRule => {
                let how = self.match_kind.as_deref().map(|m| match_kind_text(m, lang));
                match (&self.keyword, how) {
                    (Some(k), Some(how)) => lang.pick(
                        &format!("Aturan kata kunci cocok: \"{k}\" ({how}) · aturan {rule}"),
                        &format!("Keyword rule matched \"{k}\" ({how}) · rule {rule}"),
                    ),
                    _ => lang.pick(
                        &format!("Aturan kata kunci {rule} cocok"),
                        &format!("Keyword rule {rule} matched"),
                    ),
                }
            }
            ReasonKind::DefaultReply => lang.pick(
                "Tidak ada aturan yang cocok: balasan bawaan",
                "No rule matched: default reply",
            ),
            ReasonKind::OutOfHours => lang.pick(
                "Di luar jam buka: balasan di luar jam kerja",
                "Outside business hours: out-of-hours reply",
            ),
            ReasonKind::AiReply if rule.is_empty() => lang.pick("Balasan AI", "AI reply"),
            ReasonKind::AiReply => lang.pick(
                &format!("Balasan AI (maksud: {rule})"),
                &format!("AI reply (intent: {rule})"),
            ),
            ReasonKind::AiFallback => lang.pick(
                "AI tidak bisa menjawab: balasan cadangan",
                "The AI could not answer: fallback reply",
            ),
            ReasonKind::Plugin if rule.is_empty() => lang.pick(
                &format!("Dijawab oleh plugin {plugin}"),
                &format!("Answered by plugin {plugin}"),
            ),
            ReasonKind::Plugin => lang.pick(
                &format!("Dijawab oleh plugin {plugin} ({rule})"),
                &format!("Answered by plugin {plugin} ({rule})"),
            ),
            ReasonKind::OptOut => lang.pick(
                "Pelanggan berhenti berlangganan siaran: konfirmasi otomatis",
                "The customer opted out of broadcasts: automatic confirmation",
            ),
            ReasonKind::PlanLimit => lang.pick(
                "Bot tidak menjawab: kuota pesan paket habis atau paket tidak aktif",
                "The bot did not answer: the plan's message quota is used up or no plan is active",
            ),
        };
        if self.handoff {
            text.push_str(lang.t(
                "; percakapan diserahkan ke agen",
                "; the conversation was handed to an agent",
            ));
        }
        text
    }
}

fn match_kind_text(kind: &str, lang: Lang) -> &'static str {
    match kind {
        "exact" => lang.t("sama persis", "exact"),
        "starts-with" => lang.t("diawali", "starts with"),
        "whole-word" => lang.t("kata utuh", "whole word"),
        "regex" => lang.t("pola regex", "regex"),
        _ => lang.t("mengandung", "contains"),
    }
}

/// A conversation as the inbox lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationView {
    /// Conversation id.
    pub id: ConversationId,
    /// The device (vendor number) it runs on.
    pub device_id: DeviceId,
    /// The customer's number, E.164; `null` for a customer WhatsApp names
    /// only by a business-scoped user id (a WhatsApp username hides the
    /// number).
    pub contact_number: Option<String>,
    /// The customer's business-scoped user id (`US.13491208655302741918`),
    /// when WhatsApp gave one.
    pub contact_user_id: Option<String>,
    /// The customer's WhatsApp profile name, if known.
    pub contact_name: Option<String>,
    /// Who answers it.
    pub owner: ConversationOwner,
    /// The member who took it over, while an agent owns it.
    #[schema(value_type = Option<String>)]
    pub agent_member_id: Option<MemberId>,
    /// Last message time, unix milliseconds.
    pub last_message_at: i64,
    /// Start of the last message.
    pub last_message_preview: Option<String>,
    /// Created, unix milliseconds.
    pub created_at: i64,
}

impl ConversationView {
    /// Who the customer is, for people: the number, else the user id.
    pub fn contact(&self) -> &str {
        self.contact_number
            .as_deref()
            .or(self.contact_user_id.as_deref())
            .unwrap_or_default()
    }

    /// Whether a human agent owns it.
    pub fn agent_owned(&self) -> bool {
        self.owner == ConversationOwner::Agent
    }
}

/// One stored message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    /// Message id (ours).
    pub id: MessageId,
    /// From the customer (`in`) or to them (`out`).
    pub direction: Direction,
    /// Who wrote it.
    pub sender: Sender,
    /// The provider's message id, when known.
    pub provider_message_id: Option<String>,
    /// Message kind (`text`, `image`, `interactive_buttons`, ...).
    pub kind: String,
    /// Text body or caption, if any.
    pub body: Option<String>,
    /// The whole message as JSON.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// `received` for inbound messages, else the delivery state.
    pub status: MessageStatus,
    /// Why sending failed (status `failed`).
    pub error: Option<String>,
    /// Why the bot sent it (a bot or system reply), or why the bot did not
    /// answer it (a customer's message); `null` otherwise.
    pub reason: Option<BotReason>,
    /// Created, unix milliseconds.
    pub created_at: i64,
    /// Last status change, unix milliseconds.
    pub updated_at: i64,
}

/// Filters of the conversation list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// Only this device.
    #[param(value_type = Option<String>)]
    pub device_id: Option<DeviceId>,
    /// Only `bot` or only `agent` owned conversations.
    #[param(value_type = Option<ConversationOwner>)]
    pub owner: Option<String>,
    /// Page: conversations whose last message is older than this (ms).
    pub before: Option<i64>,
    /// Page size, 1..=200 (default 50).
    pub limit: Option<i64>,
}

/// Page size of the message history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The newest N messages, 1..=500 (default 100), returned oldest first.
    pub limit: Option<i64>,
}
