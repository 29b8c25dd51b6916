//! Messaging for a vendor's own apps (`POST /api/v1/messages`) and the
//! simulator endpoints that show the whole loop locally: inject an inbound
//! message into a simulator device, read what the bot answered.

use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use whatsapp_client::webhook::{InboundMessage, MessageContent};
use whatsapp_client::{OutgoingMessage, PhoneNumber, Recipient};

use crate::AppState;
use crate::auth::CurrentMember;
use crate::billing::limits::{self, Limit};
use crate::bots::engine::{self, Outcome};
use crate::db::{new_id, now_ms};
use crate::devices::DeviceKind;
use crate::devices::registry;
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, ok};
use crate::inbox::MessageView;
use crate::inbox::store as inbox;
use crate::simulator::SimMessage;

/// The messaging routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_message))
        .routes(routes!(simulator_inbound))
        .routes(routes!(simulator_outbox))
}

/// Body of `POST /api/v1/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// The device (vendor number) to send from.
    pub device_id: String,
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
    pub conversation_id: String,
    /// The stored message, with the provider id and status (`sent` or `failed`).
    pub message: MessageView,
}

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
async fn send_message(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(body): ApiJson<SendMessage>,
) -> ApiResult<SentMessage> {
    let to = PhoneNumber::parse(&body.to).map_err(|e| crate::phone::invalid("to", &e))?;
    let msg = crate::inbox::message_from(body.text, body.message)?;
    let (rt, _) = registry::get_for_tenant(&state, &member.tenant_id, &body.device_id).await?;
    limits::consume(&state.pool, &member.tenant_id, Limit::MessagesPerMonth, 1).await?;
    let mut tx = state.begin_write().await?;
    let conv =
        inbox::upsert_conversation(&mut tx, &rt.tenant_id, &rt.id, to.as_ref(), now_ms()).await?;
    tx.commit().await?;
    let stored =
        engine::send_and_store(&state, &rt, &conv.id, &Recipient::from(&to), &msg, "api").await?;
    let message = inbox::get_message(&state.pool, &member.tenant_id, &stored.message_id)
        .await?
        .ok_or_else(|| AppError::internal("stored message vanished"))?;
    if !stored.accepted {
        return Err(AppError::Upstream(
            message.error.unwrap_or_else(|| "send failed".to_owned()),
        ));
    }
    Ok(ok(SentMessage {
        conversation_id: conv.id,
        message,
    }))
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

async fn simulator_device(
    state: &AppState,
    member: &CurrentMember,
    device: &str,
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
async fn simulator_inbound(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(device): Path<String>,
    ApiJson(body): ApiJson<SimulatedInbound>,
) -> ApiResult<SimulatedResult> {
    let found = simulator_device(&state, &member, &device).await?;
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
    let outcome = engine::handle_message(&state, &found, m.into()).await?;
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
    Ok(ok(SimulatedResult {
        id,
        duplicate,
        replies,
        outbox,
    }))
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
async fn simulator_outbox(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(device): Path<String>,
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
