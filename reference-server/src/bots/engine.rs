//! The inbound path: one customer message on one device, from webhook (or
//! simulator injection) to the bot's replies.
//!
//! 1. In one write transaction: find or create the conversation, insert the
//!    inbound message keyed by (device, direction, provider message id) —
//!    a provider retry inserts nothing and stops here, so it never gets a
//!    second reply — and record an opt-out (STOP / BERHENTI).
//! 2. If the vendor is active, the device's bots are on and no human agent
//!    owns the conversation: run the device's plugin pipeline.
//! 3. Send each reply through the device's (paced) provider and store it
//!    with its provider message id and status (`sent` or `failed`), and
//!    store the pipeline's conversation state / handoff.

use std::sync::Arc;

use serde_json::json;
use whatsapp_client::webhook::{DeliveryStatus, InboundMessage, MessageContent, StatusUpdate};
use whatsapp_client::{OutgoingMessage, PhoneNumber};

use crate::AppState;
use crate::db::now_ms;
use crate::devices::registry::DeviceRuntime;
use crate::http::AppError;
use crate::inbox::store::{self as inbox, NewMessage, OWNER_AGENT};

use super::pipeline::{self, BotAction, Turn};

/// What happened to one inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Already seen (same provider message id on this device): ignored.
    Duplicate,
    /// Stored (and answered when the bot is on).
    Handled {
        /// Replies sent.
        replies: u32,
    },
}

fn opt_out_confirmation(text: &str) -> &'static str {
    let t = text.trim().to_lowercase();
    if t.starts_with("stop") || t.starts_with("unsubscribe") {
        "You will no longer receive broadcast messages from us. You can still chat with us here at any time."
    } else {
        "Anda tidak akan menerima pesan siaran dari kami lagi. Anda tetap bisa menghubungi kami di sini kapan saja."
    }
}

/// Kind, text body and JSON payload of an inbound message, for storage.
pub(crate) fn describe_inbound(m: &InboundMessage) -> (String, Option<String>, serde_json::Value) {
    let kind = m.content.kind().to_owned();
    let body = m.text().map(str::to_owned);
    let content = match &m.content {
        MessageContent::Text { body } => json!({ "text": body }),
        MessageContent::Media(media) => json!({
            "media": {
                "kind": media.kind.as_str(), "id": media.id, "url": media.url,
                "mime_type": media.mime_type, "caption": media.caption, "filename": media.filename,
                "voice": media.voice,
            }
        }),
        MessageContent::Location {
            latitude,
            longitude,
            name,
            address,
        } => json!({
            "location": { "latitude": latitude, "longitude": longitude, "name": name, "address": address }
        }),
        MessageContent::ButtonReply { id, title } => {
            json!({ "button_reply": { "id": id, "title": title } })
        }
        MessageContent::ListReply {
            id,
            title,
            description,
        } => {
            json!({ "list_reply": { "id": id, "title": title, "description": description } })
        }
        MessageContent::TemplateButton { payload, text } => {
            json!({ "template_button": { "payload": payload, "text": text } })
        }
        MessageContent::Reaction { message_id, emoji } => {
            json!({ "reaction": { "message_id": message_id, "emoji": emoji } })
        }
        MessageContent::Contacts(c) => json!({ "contacts": c.len() }),
        MessageContent::Unknown { kind, raw } => json!({ "unknown": { "kind": kind, "raw": raw } }),
        _ => json!({}),
    };
    let payload = json!({
        "from": m.from.to_string(),
        "from_name": m.from_name,
        "provider": m.provider,
        "reply_to": m.reply_to,
        "content": content,
    });
    (kind, body, payload)
}

/// Kind and text body of an outgoing message, for storage.
pub(crate) fn describe_outgoing(m: &OutgoingMessage) -> (String, Option<String>) {
    let body = match m {
        OutgoingMessage::Text(t) => Some(t.body.clone()),
        OutgoingMessage::Media(media) => media.caption.clone(),
        OutgoingMessage::Interactive(i) => Some(i.body.clone()),
        OutgoingMessage::Template(t) => Some(format!("[template {}]", t.name)),
        _ => None,
    };
    (m.kind().to_owned(), body)
}

/// Handles one inbound customer message on `rt` (see the module docs).
pub async fn handle_message(
    state: &AppState,
    rt: &Arc<DeviceRuntime>,
    tenant_active: bool,
    m: InboundMessage,
) -> Result<Outcome, AppError> {
    let now = now_ms();
    let contact = m.from.to_string();
    let (kind, body, payload) = describe_inbound(&m);
    let payload = payload.to_string();
    let opt_out = body
        .as_deref()
        .is_some_and(super::contacts::is_opt_out_keyword);

    let mut tx = state.begin_write().await?;
    let conv = inbox::upsert_conversation(&mut tx, &rt.tenant_id, &rt.id, &contact, now).await?;
    let inserted = inbox::insert_message(
        &mut *tx,
        &NewMessage {
            tenant_id: &rt.tenant_id,
            conversation_id: &conv.id,
            device_id: &rt.id,
            direction: "in",
            sender: "contact",
            provider_message_id: Some(&m.id),
            kind: &kind,
            body: body.as_deref(),
            payload: &payload,
            status: "received",
            error: None,
        },
        now,
    )
    .await?;
    if inserted.is_none() {
        tx.rollback().await?;
        return Ok(Outcome::Duplicate);
    }
    inbox::touch_conversation(
        &mut *tx,
        &rt.tenant_id,
        &conv.id,
        body.as_deref(),
        m.from_name.as_deref(),
        now,
    )
    .await?;
    tx.commit().await?;
    if opt_out {
        super::contacts::mark_opted_out(&state.pool, &rt.tenant_id, &contact).await?;
    }

    if !tenant_active {
        tracing::debug!(tenant = %rt.tenant_id, device = %rt.id, "vendor not active: message stored, no bot reply");
        return Ok(Outcome::Handled { replies: 0 });
    }
    if opt_out {
        tracing::info!(tenant = %rt.tenant_id, device = %rt.id, "contact opted out");
        let text = opt_out_confirmation(body.as_deref().unwrap_or_default());
        let sent = send_and_store(
            state,
            rt,
            &conv.id,
            &m.from,
            &OutgoingMessage::text(text),
            "system",
        )
        .await?;
        return Ok(Outcome::Handled {
            replies: u32::from(sent.accepted),
        });
    }
    if !rt.bot_enabled || conv.owner == OWNER_AGENT {
        return Ok(Outcome::Handled { replies: 0 });
    }

    let turn = Turn {
        device: rt,
        conversation_id: &conv.id,
        contact: &contact,
        contact_name: m.from_name.as_deref(),
        state: conv.bot_state.as_deref(),
        message: &m,
    };
    let actions = pipeline::run(state, &turn).await?;
    let mut replies = 0u32;
    let mut new_state: Option<Option<String>> = None;
    let mut handoff = false;
    for action in actions {
        match action {
            BotAction::Reply(msg) => {
                if send_and_store(state, rt, &conv.id, &m.from, &msg, "bot")
                    .await?
                    .accepted
                {
                    replies += 1;
                }
            }
            BotAction::SetState(s) => new_state = Some(s),
            BotAction::Handoff(reason) => {
                tracing::info!(tenant = %rt.tenant_id, conversation = %conv.id, reason = reason.as_deref().unwrap_or(""), "bot handed the conversation to a human");
                handoff = true;
            }
        }
    }
    if replies > 0 {
        // Bot replies answer a customer; they are counted, not refused.
        crate::billing::limits::record(
            &state.pool,
            &rt.tenant_id,
            crate::billing::limits::Limit::MessagesPerMonth,
            i64::from(replies),
        )
        .await?;
    }
    if new_state.is_some() || handoff {
        // `None` inside means "clear"; store the empty string's absence as NULL.
        let state_text = new_state.as_ref().map(|s| s.clone().unwrap_or_default());
        inbox::save_bot_outcome(
            &state.pool,
            &rt.tenant_id,
            &conv.id,
            state_text.as_deref(),
            handoff,
        )
        .await?;
    }
    Ok(Outcome::Handled { replies })
}

/// A message sent (or attempted) and stored.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// Our message id.
    pub(crate) message_id: String,
    /// Whether the provider accepted it.
    pub(crate) accepted: bool,
}

/// Sends `msg` to `to` through the device and stores it in the
/// conversation (`sent` with the provider id, or `failed` with the error).
pub(crate) async fn send_and_store(
    state: &AppState,
    rt: &DeviceRuntime,
    conversation_id: &str,
    to: &PhoneNumber,
    msg: &OutgoingMessage,
    sender: &str,
) -> Result<Stored, AppError> {
    let result = rt.provider.send(to, msg).await;
    let (kind, body) = describe_outgoing(msg);
    let payload = serde_json::to_string(msg).unwrap_or_else(|_| "{}".to_owned());
    let now = now_ms();
    let (status, provider_id, error) = match &result {
        Ok(receipt) => ("sent", receipt.message_id.clone(), None),
        Err(e) => {
            tracing::warn!(tenant = %rt.tenant_id, device = %rt.id, error = %e, "sending a reply failed");
            ("failed", None, Some(e.to_string()))
        }
    };
    let mut tx = state.begin_write().await?;
    let message_id = inbox::insert_message(
        &mut *tx,
        &NewMessage {
            tenant_id: &rt.tenant_id,
            conversation_id,
            device_id: &rt.id,
            direction: "out",
            sender,
            provider_message_id: provider_id.as_deref(),
            kind: &kind,
            body: body.as_deref(),
            payload: &payload,
            status,
            error: error.as_deref(),
        },
        now,
    )
    .await?
    .ok_or_else(|| AppError::internal("provider returned a message id already stored"))?;
    inbox::touch_conversation(
        &mut *tx,
        &rt.tenant_id,
        conversation_id,
        body.as_deref(),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Stored {
        message_id,
        accepted: result.is_ok(),
    })
}

/// Applies a provider status webhook to the stored outbound message.
pub async fn handle_status(
    state: &AppState,
    rt: &DeviceRuntime,
    s: &StatusUpdate,
) -> Result<bool, AppError> {
    let status = match &s.status {
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Read => "read",
        DeliveryStatus::Failed => "failed",
        _ => return Ok(false),
    };
    let error = s.errors.first().map(|e| {
        let mut text = String::new();
        if let Some(c) = e.code {
            text.push_str(&format!("{c} "));
        }
        text.push_str(
            e.title
                .as_deref()
                .or(e.message.as_deref())
                .unwrap_or("failed"),
        );
        text
    });
    Ok(inbox::apply_status(&state.pool, &rt.id, &s.message_id, status, error.as_deref()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opt_out_confirmation_language() {
        assert!(opt_out_confirmation("berhenti").starts_with("Anda"));
        assert!(opt_out_confirmation("STOP").starts_with("You"));
    }
}
