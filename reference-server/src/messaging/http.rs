//! The send handlers: the vendor's apps, agents in the inbox, and the
//! simulator.

use axum::extract::{Path, Query, State};
use whatsapp_client::webhook::{InboundMessage, MessageContent};
use whatsapp_client::{PhoneNumber, Recipient};

use super::model::{
    AgentReply, OutboxQuery, SendMessage, SentMessage, SimulatedInbound, SimulatedResult,
    message_from,
};
use crate::AppState;
use crate::auth::CurrentMember;
use crate::billing::limits::{self, Limit};
use crate::bots::engine::{self, Outcome};
use crate::db::{new_id, now_ms};
use crate::devices::DeviceKind;
use crate::devices::registry;
use crate::domain::{ConversationId, DeviceId};
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, ok};
use crate::inbox::store as inbox;
use crate::inbox::{ConversationOwner, MessageView, Sender};
use crate::simulator::SimMessage;

/// Send a message from one of the vendor's devices (for the vendor's own
/// apps; API key or session). Counts against the plan's monthly quota; a
/// provider failure is stored as status `failed` and answered 502.
#[utoipa::path(
    post, path = "/api/v1/messages", tag = "messaging",
    security(("session" = []), ("api_key" = [])),
    request_body = SendMessage,
    responses(
        (status = 200, description = "Sent", body = inline(crate::http::Data<SentMessage>)),
        (status = 400, description = "Invalid recipient or message", body = crate::http::ErrorBody),
        (status = 402, description = "Message quota used up", body = crate::http::ErrorBody),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
        (status = 502, description = "The provider refused the message (stored as failed)", body = crate::http::ErrorBody),
    )
)]
pub(super) async fn send_message(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(body): ApiJson<SendMessage>,
) -> ApiResult<SentMessage> {
    Ok(ok(send(&state, &member, body).await?))
}

/// Sends a message from one of the vendor's devices through its provider,
/// stored in the inbox, within the plan's message quota: the rules of
/// `POST /api/v1/messages`, shared with the console's test message.
pub(crate) async fn send(
    state: &AppState,
    member: &CurrentMember,
    body: SendMessage,
) -> Result<SentMessage, AppError> {
    let to = PhoneNumber::parse(&body.to).map_err(|e| crate::phone::invalid("to", &e))?;
    let msg = message_from(body.text, body.message)?;
    let (rt, _) = registry::get_for_tenant(state, &member.tenant_id, &body.device_id).await?;
    limits::consume(&state.pool, &member.tenant_id, Limit::MessagesPerMonth, 1).await?;
    let mut tx = state.begin_write().await?;
    let conv =
        inbox::upsert_conversation(&mut tx, &member.tenant_id, &rt.id, to.as_ref(), now_ms())
            .await?;
    tx.commit().await?;
    let stored = engine::send_and_store(
        state,
        &rt,
        &conv.id,
        &Recipient::from(&to),
        &msg,
        Sender::Api,
        None,
    )
    .await?;
    let message = inbox::get_message(&state.pool, &member.tenant_id, &stored.message_id)
        .await?
        .ok_or_else(|| AppError::internal("stored message vanished"))?;
    if !stored.accepted {
        return Err(AppError::Upstream(
            message.error.unwrap_or_else(|| "send failed".to_owned()),
        ));
    }
    Ok(SentMessage {
        conversation_id: conv.id,
        message,
    })
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
pub(super) async fn reply(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<AgentReply>,
) -> ApiResult<MessageView> {
    Ok(ok(send_reply(&state, &member, &id, body).await?))
}

/// Sends an agent's reply through the conversation's device, taking the
/// conversation over first, within the plan's message quota: the rules of
/// `POST /api/v1/conversations/{id}/messages`, shared with the console.
pub(crate) async fn send_reply(
    state: &AppState,
    member: &CurrentMember,
    id: &ConversationId,
    body: AgentReply,
) -> Result<MessageView, AppError> {
    let msg = message_from(body.text, body.message)?;
    let conv = inbox::get_conversation(&state.pool, &member.tenant_id, id)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    let device = DeviceId::from(conv.device_id.as_str());
    let (rt, _) = registry::get_for_tenant(state, &member.tenant_id, &device).await?;
    // The number when known, else the business-scoped user id (only a
    // Cloud API or simulator device can send to it; another device's
    // refusal is stored as a failed message).
    let to = conv
        .contact_number
        .as_ref()
        .or(conv.contact_user_id.as_ref())
        .ok_or_else(|| AppError::internal("conversation without a contact"))?;
    let to =
        Recipient::parse(to).map_err(|e| AppError::internal_from("stored contact unusable", e))?;
    if conv.owner != ConversationOwner::Agent {
        inbox::set_owner(
            &state.pool,
            &member.tenant_id,
            id,
            ConversationOwner::Agent,
            Some(&member.member_id),
        )
        .await?;
    }
    limits::consume(&state.pool, &member.tenant_id, Limit::MessagesPerMonth, 1).await?;
    let stored =
        engine::send_and_store(state, &rt, &conv.id, &to, &msg, Sender::Agent, None).await?;
    inbox::get_message(&state.pool, &member.tenant_id, &stored.message_id)
        .await?
        .ok_or_else(|| AppError::internal("stored reply vanished"))
}

async fn simulator_device(
    state: &AppState,
    member: &CurrentMember,
    device: &DeviceId,
) -> Result<registry::Lookup, AppError> {
    let found = registry::lookup_for_tenant(state, &member.tenant_id, device).await?;
    if found.device.kind != DeviceKind::Simulator {
        return Err(AppError::bad_request(
            "not_a_simulator",
            Text::new(
                "endpoint ini hanya untuk perangkat jenis `simulator`",
                "this endpoint works on devices of kind `simulator` only",
            ),
        ));
    }
    Ok(found)
}

/// Inject a customer message into a simulator device: it goes through the
/// same path as a provider webhook (de-duplication, the device's bots,
/// replies stored in the inbox and the simulator outbox).
#[utoipa::path(
    post, path = "/api/v1/simulator/{device}/inbound", tag = "messaging",
    security(("session" = []), ("api_key" = [])),
    params(("device" = String, Path, description = "Simulator device id")),
    request_body = SimulatedInbound,
    responses(
        (status = 200, description = "Handled", body = inline(crate::http::Data<SimulatedResult>)),
        (status = 400, description = "Not a simulator device, or bad number", body = crate::http::ErrorBody),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
pub(super) async fn simulator_inbound(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(device): Path<DeviceId>,
    ApiJson(body): ApiJson<SimulatedInbound>,
) -> ApiResult<SimulatedResult> {
    Ok(ok(simulate_inbound(&state, &member, &device, body).await?))
}

/// Runs a customer message through a simulator device as a webhook would:
/// the rules of `POST /api/v1/simulator/{device}/inbound`, shared with the
/// console.
pub(crate) async fn simulate_inbound(
    state: &AppState,
    member: &CurrentMember,
    device: &DeviceId,
    body: SimulatedInbound,
) -> Result<SimulatedResult, AppError> {
    let found = simulator_device(state, member, device).await?;
    let rt = &found.device;
    let from = PhoneNumber::parse(&body.from).map_err(|e| crate::phone::invalid("from", &e))?;
    if body.text.trim().is_empty() {
        return Err(AppError::bad_request(
            "invalid_message",
            Text::new("text: tidak boleh kosong", "text: must not be empty"),
        ));
    }
    let id = body
        .id
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| format!("sim-in.{}", new_id()));
    let mut m = InboundMessage::new(
        "simulator",
        id.clone(),
        from.clone(),
        MessageContent::text_body(body.text),
    );
    if let Some(name) = body.name {
        m = m.with_from_name(name);
    }
    let outcome = engine::handle_message(state, &found, m.into()).await?;
    let (duplicate, replies) = match outcome {
        Outcome::Duplicate => (true, 0),
        Outcome::Handled { replies } => (false, replies),
    };
    let outbox = if replies == 0 {
        Vec::new()
    } else {
        crate::simulator::list(
            &state.pool,
            Some(&rt.tenant_id),
            Some(&rt.id),
            Some(from.as_ref()),
            i64::from(replies),
        )
        .await?
    };
    Ok(SimulatedResult {
        id,
        duplicate,
        replies,
        outbox,
    })
}

/// What a simulator device sent (bot replies, agent replies, API sends),
/// newest first.
#[utoipa::path(
    get, path = "/api/v1/simulator/{device}/outbox", tag = "messaging",
    security(("session" = []), ("api_key" = [])),
    params(("device" = String, Path, description = "Simulator device id"), OutboxQuery),
    responses(
        (status = 200, description = "Sent messages", body = inline(crate::http::Data<Vec<SimMessage>>)),
        (status = 400, description = "Not a simulator device", body = crate::http::ErrorBody),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
#[allow(unused_qualifications)] // utoipa's expansion of `Query<T>`
pub(super) async fn simulator_outbox(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(device): Path<DeviceId>,
    Query(q): Query<OutboxQuery>,
) -> ApiResult<Vec<SimMessage>> {
    let rt = simulator_device(&state, &member, &device).await?.device;
    let to = match q.to.as_deref() {
        Some(raw) => Some(
            PhoneNumber::parse(raw)
                .map_err(|e| crate::phone::invalid("to", &e))?
                .to_string(),
        ),
        None => None,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    Ok(ok(crate::simulator::list(
        &state.pool,
        Some(&rt.tenant_id),
        Some(&rt.id),
        to.as_deref(),
        limit,
    )
    .await?))
}
