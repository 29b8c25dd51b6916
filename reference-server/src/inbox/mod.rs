//! The inbox: conversations per device and customer, their history, and
//! the human handoff (an agent takes a conversation over, the bot pauses;
//! the agent hands it back). An agent's reply goes out through
//! `messaging` (`POST /api/v1/conversations/{id}/messages`).
//!
//! Owns the tables `conversations` and `messages`; all SQL on them is in
//! [`store`]. [`conversations`] is the inbox as `bot-core`'s conversation
//! store, which the bots' inbound path runs on.

pub(crate) mod conversations;
mod http;
pub mod model;
pub(crate) mod store;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub(crate) use http::{
    conversation, conversations, hand_back_conversation, messages, take_over_conversation,
};
pub use model::{
    BotReason, ConversationOwner, ConversationQuery, ConversationView, Direction, HistoryQuery,
    MessageStatus, MessageView, ReasonKind, Sender,
};

/// The inbox routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::list_conversations))
        .routes(routes!(http::get_conversation))
        .routes(routes!(http::list_messages))
        .routes(routes!(http::take_over))
        .routes(routes!(http::hand_back))
}
