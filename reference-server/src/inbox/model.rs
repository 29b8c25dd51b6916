//! The inbox's types: conversations and messages as the API shows them,
//! and the list filters.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A conversation as the inbox lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationView {
    /// Conversation id.
    pub id: String,
    /// The device (vendor number) it runs on.
    pub device_id: String,
    /// The customer's number, E.164; `null` for a customer WhatsApp names
    /// only by a business-scoped user id (a WhatsApp username hides the
    /// number).
    pub contact_number: Option<String>,
    /// The customer's business-scoped user id (`US.13491208655302741918`),
    /// when WhatsApp gave one.
    pub contact_user_id: Option<String>,
    /// The customer's WhatsApp profile name, if known.
    pub contact_name: Option<String>,
    /// `bot` or `agent`.
    pub owner: String,
    /// The member who took it over, while an agent owns it.
    pub agent_member_id: Option<String>,
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
}

/// One stored message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    /// Message id (ours).
    pub id: String,
    /// `in` (from the customer) or `out`.
    pub direction: String,
    /// `contact`, `bot`, `agent`, `api` or `system`.
    pub sender: String,
    /// The provider's message id, when known.
    pub provider_message_id: Option<String>,
    /// Message kind (`text`, `image`, `interactive_buttons`, ...).
    pub kind: String,
    /// Text body or caption, if any.
    pub body: Option<String>,
    /// The whole message as JSON.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// `received`; or `pending`, `sent`, `delivered`, `read`, `failed`.
    pub status: String,
    /// Why sending failed (status `failed`).
    pub error: Option<String>,
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
    pub device_id: Option<String>,
    /// Only `bot` or only `agent` owned conversations.
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
