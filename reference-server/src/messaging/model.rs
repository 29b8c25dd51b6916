//! Request and answer bodies of the sends, and building the message of a
//! text-or-message body.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use whatsapp_client::OutgoingMessage;

use crate::domain::DeviceId;
use crate::http::AppError;
use crate::http::i18n::{Text, tr};
use crate::inbox::MessageView;
use crate::simulator::SimMessage;

/// Body of `POST /api/v1/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// The device (vendor number) to send from.
    pub device_id: DeviceId,
    /// Recipient, any common format (`0812...`, `+62 812...`).
    pub to: String,
    /// Plain text to send.
    #[serde(default)]
    pub text: Option<String>,
    /// A full message (`{"type": "image", ...}`), instead of `text`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub message: Option<OutgoingMessage>,
}

/// Result of a send.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentMessage {
    /// The conversation the message was stored in.
    pub conversation_id: crate::domain::ConversationId,
    /// The stored message, with the provider id and status (`sent` or `failed`).
    pub message: MessageView,
}

/// Body of an agent reply: a text, or a full message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentReply {
    /// Plain text to send.
    #[serde(default)]
    pub text: Option<String>,
    /// A full message (`{"type": "image", ...}`), instead of `text`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub message: Option<OutgoingMessage>,
}

/// Builds the message of a text-or-message body; 400 names the field.
pub(crate) fn message_from(
    text: Option<String>,
    message: Option<OutgoingMessage>,
) -> Result<OutgoingMessage, AppError> {
    let msg = match (text, message) {
        (Some(t), None) => OutgoingMessage::text(t),
        (None, Some(m)) => m,
        _ => {
            return Err(AppError::bad_request(
                "invalid_message",
                Text::new(
                    "isi tepat satu dari `text` atau `message`",
                    "give exactly one of `text` or `message`",
                ),
            ));
        }
    };
    msg.validate().map_err(|e| {
        AppError::bad_request(
            "invalid_message",
            tr!("message: tidak valid: {e}", "message: {e}"),
        )
    })?;
    Ok(msg)
}

/// Body of `POST /api/v1/simulator/{device}/inbound`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatedInbound {
    /// The customer's number, any common format.
    pub from: String,
    /// The customer's profile name.
    #[serde(default)]
    pub name: Option<String>,
    /// What the customer writes.
    pub text: String,
    /// Provider message id; a new one is made when absent. Sending the
    /// same id twice shows the de-duplication (no second reply).
    #[serde(default)]
    pub id: Option<String>,
}

/// What an injected message produced.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimulatedResult {
    /// The provider message id used.
    pub id: String,
    /// True when that id was already seen (nothing happened).
    pub duplicate: bool,
    /// How many replies the bot sent.
    pub replies: u32,
    /// The replies, newest first, as the simulator stored them.
    pub outbox: Vec<SimMessage>,
}

/// Filters of the simulator outbox.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only messages to this number.
    pub to: Option<String>,
    /// At most this many, newest first (1..=500, default 50).
    pub limit: Option<i64>,
}
