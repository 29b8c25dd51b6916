//! The inbox handlers: list and read conversations, take one over and
//! hand it back. Agents reply through `messaging`.

use axum::extract::{Path, Query, State};

use super::model::{
    ConversationOwner, ConversationQuery, ConversationView, HistoryQuery, MessageView,
};
use super::store;
use crate::AppState;
use crate::auth::CurrentMember;
use crate::domain::ConversationId;
use crate::http::i18n::Text;
use crate::http::{ApiResult, AppError, ok};

/// List conversations, most recent first.
#[utoipa::path(
    get, path = "/api/v1/conversations", tag = "inbox",
    security(("session" = []), ("api_key" = [])),
    params(ConversationQuery),
    responses((status = 200, description = "Conversations", body = inline(crate::http::Data<Vec<ConversationView>>)))
)]
#[allow(unused_qualifications)] // utoipa's expansion of `Query<T>`
pub(super) async fn list_conversations(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<ConversationQuery>,
) -> ApiResult<Vec<ConversationView>> {
    let owner = match q.owner.as_deref() {
        None => None,
        Some(o) => Some(ConversationOwner::parse(o).ok_or_else(|| {
            AppError::bad_request(
                "invalid_query",
                Text::new(
                    "owner: harus `bot` atau `agent`",
                    "owner: must be `bot` or `agent`",
                ),
            )
        })?),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let v = store::list_conversations(
        &state.pool,
        &member.tenant_id,
        q.device_id.as_ref(),
        owner,
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
pub(super) async fn get_conversation(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ConversationId>,
) -> ApiResult<ConversationView> {
    Ok(ok(conversation(&state, &member, &id).await?))
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
pub(super) async fn list_messages(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ConversationId>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Vec<MessageView>> {
    Ok(ok(
        messages(&state, &member, &id, q.limit.unwrap_or(100)).await?
    ))
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
pub(super) async fn take_over(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ConversationId>,
) -> ApiResult<ConversationView> {
    Ok(ok(take_over_conversation(&state, &member, &id).await?))
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
pub(super) async fn hand_back(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ConversationId>,
) -> ApiResult<ConversationView> {
    Ok(ok(hand_back_conversation(&state, &member, &id).await?))
}

// The rules behind the handlers, shared with the console.

/// One of the vendor's conversations; another vendor's is "not found".
pub(crate) async fn conversation(
    state: &AppState,
    member: &CurrentMember,
    id: &ConversationId,
) -> Result<ConversationView, AppError> {
    store::get_conversation(&state.pool, &member.tenant_id, id)
        .await?
        .ok_or(AppError::NotFound("conversation"))
}

/// The newest `limit` (1..=500) messages of one of the vendor's
/// conversations, oldest first.
pub(crate) async fn messages(
    state: &AppState,
    member: &CurrentMember,
    id: &ConversationId,
    limit: i64,
) -> Result<Vec<MessageView>, AppError> {
    conversation(state, member, id).await?;
    Ok(store::list_messages(&state.pool, &member.tenant_id, id, limit.clamp(1, 500)).await?)
}

/// The vendor's newest `limit` (1..=200) conversations, most recent first.
pub(crate) async fn conversations(
    state: &AppState,
    member: &CurrentMember,
    limit: i64,
) -> Result<Vec<ConversationView>, AppError> {
    Ok(store::list_conversations(
        &state.pool,
        &member.tenant_id,
        None,
        None,
        None,
        limit.clamp(1, 200),
    )
    .await?)
}

/// The calling member takes the conversation over: the bot pauses on it.
pub(crate) async fn take_over_conversation(
    state: &AppState,
    member: &CurrentMember,
    id: &ConversationId,
) -> Result<ConversationView, AppError> {
    store::set_owner(
        &state.pool,
        &member.tenant_id,
        id,
        ConversationOwner::Agent,
        Some(&member.member_id),
    )
    .await?
    .ok_or(AppError::NotFound("conversation"))
}

/// The conversation goes back to the bot.
pub(crate) async fn hand_back_conversation(
    state: &AppState,
    member: &CurrentMember,
    id: &ConversationId,
) -> Result<ConversationView, AppError> {
    store::set_owner(
        &state.pool,
        &member.tenant_id,
        id,
        ConversationOwner::Bot,
        None,
    )
    .await?
    .ok_or(AppError::NotFound("conversation"))
}
