//! The inbox: conversations per device and customer, their history, and
//! the human handoff (an agent takes a conversation over, the bot pauses;
//! the agent replies through the device; the agent hands it back).

pub(crate) mod conversations;
pub(crate) mod store;

use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use whatsapp_client::{OutgoingMessage, Recipient};

use crate::AppState;
use crate::auth::CurrentMember;
use crate::billing::limits::{self, Limit};
use crate::bots::engine;
use crate::devices::registry;
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, ok};

pub use store::{ConversationView, MessageView};

/// The inbox routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation))
        .routes(routes!(list_messages, reply))
        .routes(routes!(take_over))
        .routes(routes!(hand_back))
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

/// List conversations, most recent first.
#[utoipa::path(
    get, path = "/api/v1/conversations", tag = "inbox",
    security(("session" = []), ("api_key" = [])),
    params(ConversationQuery),
    responses((status = 200, description = "Conversations", body = inline(crate::http::Data<Vec<ConversationView>>)))
)]
#[allow(unused_qualifications)] // utoipa's expansion of `Query<T>`
async fn list_conversations(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<ConversationQuery>,
) -> ApiResult<Vec<ConversationView>> {
    if let Some(o) = &q.owner
        && o != store::OWNER_BOT
        && o != store::OWNER_AGENT
    {
        return Err(AppError::bad_request(
            "invalid_query",
            Text::new(
                "owner: harus `bot` atau `agent`",
                "owner: must be `bot` or `agent`",
            ),
        ));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let v = store::list_conversations(
        &state.pool,
        &member.tenant_id,
        q.device_id.as_deref(),
        q.owner.as_deref(),
        q.before,
        limit,
    )
    .await?;
    Ok(ok(v))
}

/// One conversation.
#[utoipa::path(
    get, path = "/api/v1/conversations/{id}", tag = "inbox",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation", body = inline(crate::http::Data<ConversationView>)),
        (status = 404, description = "No such conversation", body = crate::http::ErrorBody),
    )
)]
async fn get_conversation(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> ApiResult<ConversationView> {
    let c = store::get_conversation(&state.pool, &member.tenant_id, &id)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    Ok(ok(c))
}

/// The message history of a conversation (newest N, oldest first), with
/// delivery statuses.
#[utoipa::path(
    get, path = "/api/v1/conversations/{id}/messages", tag = "inbox",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Conversation id"), HistoryQuery),
    responses(
        (status = 200, description = "Messages", body = inline(crate::http::Data<Vec<MessageView>>)),
        (status = 404, description = "No such conversation", body = crate::http::ErrorBody),
    )
)]
#[allow(unused_qualifications)] // utoipa's expansion of `Query<T>`
async fn list_messages(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Vec<MessageView>> {
    store::get_conversation(&state.pool, &member.tenant_id, &id)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    Ok(ok(store::list_messages(
        &state.pool,
        &member.tenant_id,
        &id,
        limit,
    )
    .await?))
}

/// Take a conversation over: the bot stops answering it until it is handed back.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/takeover", tag = "inbox",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "Now owned by the calling agent", body = inline(crate::http::Data<ConversationView>)),
        (status = 404, description = "No such conversation", body = crate::http::ErrorBody),
    )
)]
async fn take_over(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> ApiResult<ConversationView> {
    let c = store::set_owner(
        &state.pool,
        &member.tenant_id,
        &id,
        store::OWNER_AGENT,
        Some(&member.member_id),
    )
    .await?
    .ok_or(AppError::NotFound("conversation"))?;
    Ok(ok(c))
}

/// Hand a conversation back to the bot.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/handback", tag = "inbox",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "Now owned by the bot", body = inline(crate::http::Data<ConversationView>)),
        (status = 404, description = "No such conversation", body = crate::http::ErrorBody),
    )
)]
async fn hand_back(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> ApiResult<ConversationView> {
    let c = store::set_owner(&state.pool, &member.tenant_id, &id, store::OWNER_BOT, None)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    Ok(ok(c))
}

/// Reply as an agent, through the conversation's device. A conversation
/// the bot owns is taken over first (a human writing pauses the bot).
/// Counts against the plan's monthly message quota.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/messages", tag = "inbox",
    security(("session" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    request_body = AgentReply,
    responses(
        (status = 200, description = "The stored message (status `sent` or `failed`)", body = inline(crate::http::Data<MessageView>)),
        (status = 400, description = "Invalid message", body = crate::http::ErrorBody),
        (status = 402, description = "Message quota used up", body = crate::http::ErrorBody),
        (status = 404, description = "No such conversation or its device is gone", body = crate::http::ErrorBody),
    )
)]
async fn reply(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AgentReply>,
) -> ApiResult<MessageView> {
    let msg = message_from(body.text, body.message)?;
    let conv = store::get_conversation(&state.pool, &member.tenant_id, &id)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    let (rt, _) = registry::get_for_tenant(&state, &member.tenant_id, &conv.device_id).await?;
    // The number when known, else the business-scoped user id (only a
    // Cloud API or simulator device can send to it; another device's
    // refusal is stored as a failed message).
    let stored_contact = conv
        .contact_number
        .as_ref()
        .or(conv.contact_user_id.as_ref());
    let to = stored_contact
        .map(|c| Recipient::parse(c))
        .transpose()
        .map_err(|e| AppError::internal(format!("stored contact unusable: {e}")))?
        .ok_or_else(|| AppError::internal("conversation without a contact"))?;
    if conv.owner != store::OWNER_AGENT {
        store::set_owner(
            &state.pool,
            &member.tenant_id,
            &id,
            store::OWNER_AGENT,
            Some(&member.member_id),
        )
        .await?;
    }
    limits::consume(&state.pool, &member.tenant_id, Limit::MessagesPerMonth, 1).await?;
    let stored = engine::send_and_store(&state, &rt, &conv.id, &to, &msg, "agent").await?;
    let m = store::get_message(&state.pool, &member.tenant_id, &stored.message_id)
        .await?
        .ok_or_else(|| AppError::internal("stored reply vanished"))?;
    Ok(ok(m))
}
