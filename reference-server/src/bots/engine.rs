//! The inbound path: one customer message on one device, from webhook (or
//! simulator injection) to the bot's replies.
//!
//! 1. In one write transaction: find or create the conversation and insert
//!    the inbound message keyed by (device, direction, provider message
//!    id) — a provider retry inserts nothing and stops here, so it never
//!    gets a second reply. Then the campaigns area hears of the reply, and
//!    an opt-out (STOP / BERHENTI) is recorded in the contacts area.
//! 2. If the vendor is active, the device's bots are on and no human agent
//!    owns the conversation (or the device's handoff timeout passed): run
//!    the device's plugin pipeline, with "now" in the vendor's time zone.
//! 3. Send each reply through the device's (paced) provider, then store in
//!    one write transaction the replies with their provider message ids and
//!    statuses (`sent` or `failed`), the usage, the keyword hits and the
//!    pipeline's conversation state / handoff.

use std::sync::Arc;

use serde_json::json;
use whatsapp_client::webhook::{DeliveryStatus, InboundMessage, MessageContent, StatusUpdate};
use whatsapp_client::{OutgoingMessage, PhoneNumber};

use crate::AppState;
use crate::db::now_ms;
use crate::devices::DeviceKind;
use crate::devices::registry::{DeviceRuntime, Lookup};
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

/// Handles one inbound customer message on the looked-up device (see the
/// module docs).
pub async fn handle_message(
    state: &AppState,
    found: &Lookup,
    m: InboundMessage,
) -> Result<Outcome, AppError> {
    let rt: &Arc<DeviceRuntime> = &found.device;
    let tenant_active = found.tenant_active;
    let now = now_ms();
    let contact = m.from.to_string();
    let (kind, body, payload) = describe_inbound(&m);
    let payload = payload.to_string();
    let opt_out = body
        .as_deref()
        .is_some_and(crate::contacts::is_opt_out_keyword);

    let mut w = super::begin_write(state).await?;
    let conv = inbox::upsert_conversation(&mut w.tx, &rt.tenant_id, &rt.id, &contact, now).await?;
    let inserted = inbox::insert_message(
        &mut *w.tx,
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
        w.rollback().await?;
        return Ok(Outcome::Duplicate);
    }
    inbox::touch_conversation(
        &mut *w.tx,
        &rt.tenant_id,
        &conv.id,
        body.as_deref(),
        m.from_name.as_deref(),
        now,
    )
    .await?;
    w.commit().await?;
    // Any message from the number counts as a reply to the vendor's recent
    // campaign messages (and stops its queued follow-ups). Only a number
    // with campaign messages can change anything there; checking that with
    // a read keeps SQLite's write lock free in the common case.
    if has_campaign_messages(&state.pool, &rt.tenant_id, &contact).await? {
        crate::campaigns::on_reply(&state.pool, &rt.tenant_id, &contact).await?;
    }
    if opt_out {
        // Also cancels the contact's queued campaign messages.
        crate::contacts::mark_opted_out(&state.pool, &rt.tenant_id, &contact).await?;
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
    if !rt.bot_enabled {
        return Ok(Outcome::Handled { replies: 0 });
    }
    if conv.owner == OWNER_AGENT && !handoff_expired(state, rt, &conv, now).await? {
        return Ok(Outcome::Handled { replies: 0 });
    }

    let turn = Turn {
        device: rt,
        conversation_id: &conv.id,
        contact: &contact,
        contact_name: m.from_name.as_deref(),
        state: conv.bot_state.as_deref(),
        message: &m,
        time_zone: found.time_zone,
    };
    let actions = pipeline::run(state, &turn).await?;
    // Send every reply first, then store them and the turn's bookkeeping
    // (usage, keyword hits, state, handoff) in one write transaction.
    let mut sent = Vec::new();
    let mut new_state: Option<Option<String>> = None;
    let mut handoff = false;
    let mut matched: Vec<String> = Vec::new();
    for action in actions {
        match action {
            BotAction::Reply {
                message,
                matched: what,
            } => {
                matched.extend(what);
                // A simulator's "send" is an insert: it joins the write
                // transaction below instead of taking a turn of its own.
                let result = if rt.kind == DeviceKind::Simulator {
                    None
                } else {
                    Some(rt.provider.send(&m.from, &message).await)
                };
                sent.push((message, result));
            }
            BotAction::SetState(s) => new_state = Some(s),
            BotAction::Handoff(reason) => {
                tracing::info!(tenant = %rt.tenant_id, conversation = %conv.id, reason = reason.as_deref().unwrap_or(""), "bot handed the conversation to a human");
                handoff = true;
            }
        }
    }
    if sent.is_empty() && matched.is_empty() && new_state.is_none() && !handoff {
        return Ok(Outcome::Handled { replies: 0 });
    }
    let mut w = super::begin_write(state).await?;
    let mut replies = 0u32;
    for (message, result) in sent {
        let result = match result {
            Some(r) => r,
            None => simulate_send(&mut w.tx, rt, &m.from, &message).await?,
        };
        if result.is_ok() {
            replies += 1;
        }
        store_outgoing(&mut w.tx, rt, &conv.id, &message, &result, "bot").await?;
    }
    if replies > 0 {
        // Bot replies answer a customer; they are counted, not refused.
        crate::billing::limits::record(
            &mut *w.tx,
            &rt.tenant_id,
            crate::billing::limits::Limit::MessagesPerMonth,
            i64::from(replies),
        )
        .await?;
    }
    if !matched.is_empty() {
        record_keyword_hits(&mut w.tx, &rt.tenant_id, found.time_zone, &matched).await?;
    }
    if new_state.is_some() || handoff {
        // `None` inside means "clear"; store the empty string's absence as NULL.
        let state_text = new_state.as_ref().map(|s| s.clone().unwrap_or_default());
        inbox::save_bot_outcome(
            &mut *w.tx,
            &rt.tenant_id,
            &conv.id,
            state_text.as_deref(),
            handoff,
        )
        .await?;
    }
    w.commit().await?;
    Ok(Outcome::Handled { replies })
}

/// The simulator device's send inside the caller's transaction: the
/// message is validated like a provider would, then stored in the
/// simulator outbox.
async fn simulate_send(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    rt: &DeviceRuntime,
    to: &PhoneNumber,
    message: &OutgoingMessage,
) -> Result<Result<whatsapp_client::SendReceipt, whatsapp_client::Error>, sqlx::Error> {
    if let Err(e) = message.validate() {
        return Ok(Err(e.into()));
    }
    let json = match serde_json::to_value(message) {
        Ok(j) => j,
        Err(e) => {
            return Ok(Err(whatsapp_client::Error::InvalidInput(format!(
                "message not serializable: {e}"
            ))));
        }
    };
    let id = crate::simulator::record_on(
        &mut **tx,
        Some(&rt.tenant_id),
        Some(&rt.id),
        to.as_ref(),
        &json,
    )
    .await?;
    Ok(Ok(whatsapp_client::SendReceipt::new(Some(id))))
}

/// Whether the vendor ever queued or sent a campaign message to `phone`.
async fn has_campaign_messages(
    pool: &sqlx::AnyPool,
    tenant_id: &str,
    phone: &str,
) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM campaign_recipients WHERE tenant_id = $1 AND phone = $2 LIMIT 1",
    )
    .bind(tenant_id)
    .bind(phone)
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some())
}

/// Whether an agent-owned conversation goes back to the bot: the device's
/// handoff timeout passed since the takeover and since the last agent
/// reply. When it did, the conversation is handed back here.
async fn handoff_expired(
    state: &AppState,
    rt: &DeviceRuntime,
    conv: &inbox::ConversationRef,
    now: i64,
) -> Result<bool, AppError> {
    let Some(timeout) = rt.settings.handoff_timeout() else {
        return Ok(false);
    };
    let last_agent = inbox::last_agent_message_at(&state.pool, &rt.tenant_id, &conv.id).await?;
    let since = conv.owner_changed_at.max(last_agent).unwrap_or(0);
    let timeout_ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
    if now.saturating_sub(since) < timeout_ms {
        return Ok(false);
    }
    tracing::info!(tenant = %rt.tenant_id, conversation = %conv.id, "no agent reply within the handoff timeout; the bot answers again");
    inbox::set_owner(&state.pool, &rt.tenant_id, &conv.id, inbox::OWNER_BOT, None).await?;
    Ok(true)
}

/// Counts what the plugins' replies matched (keyword rule ids ...) in
/// `bot_keyword_hits`, under today's date in the vendor's time zone.
async fn record_keyword_hits(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant_id: &str,
    time_zone: chrono_tz::Tz,
    matched: &[String],
) -> Result<(), sqlx::Error> {
    let day = chrono::Utc::now()
        .with_timezone(&time_zone)
        .format("%Y-%m-%d")
        .to_string();
    let mut counts: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for m in matched {
        *counts.entry(m.as_str()).or_default() += 1;
    }
    for (keyword, n) in counts {
        sqlx::query(
            "INSERT INTO bot_keyword_hits (tenant_id, day, keyword, hits) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, day, keyword) DO UPDATE SET hits = bot_keyword_hits.hits + $4",
        )
        .bind(tenant_id)
        .bind(&day)
        .bind(keyword)
        .bind(n)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
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
    let mut w = super::begin_write(state).await?;
    let message_id = store_outgoing(&mut w.tx, rt, conversation_id, msg, &result, sender).await?;
    w.commit().await?;
    Ok(Stored {
        message_id,
        accepted: result.is_ok(),
    })
}

/// Stores a message sent (or attempted) through the device in the
/// conversation and moves the conversation's last message forward.
/// Returns the stored message's id.
async fn store_outgoing(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    rt: &DeviceRuntime,
    conversation_id: &str,
    msg: &OutgoingMessage,
    result: &Result<whatsapp_client::SendReceipt, whatsapp_client::Error>,
    sender: &str,
) -> Result<String, AppError> {
    let (kind, body) = describe_outgoing(msg);
    let payload = serde_json::to_string(msg).unwrap_or_else(|_| "{}".to_owned());
    let now = now_ms();
    let (status, provider_id, error) = match result {
        Ok(receipt) => ("sent", receipt.message_id.clone(), None),
        Err(e) => {
            tracing::warn!(tenant = %rt.tenant_id, device = %rt.id, error = %e, "sending a reply failed");
            ("failed", None, Some(e.to_string()))
        }
    };
    let message_id = inbox::insert_outbound(
        tx,
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
    .await?;
    inbox::touch_conversation(
        &mut **tx,
        &rt.tenant_id,
        conversation_id,
        body.as_deref(),
        None,
        now,
    )
    .await?;
    Ok(message_id)
}

/// Applies a provider status webhook to the stored outbound message and to
/// the campaign message with that provider id. Returns whether either changed.
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
    let inbox_changed =
        inbox::apply_status(&state.pool, &rt.id, &s.message_id, status, error.as_deref()).await?;
    // Campaign messages are tracked in the campaigns area's own table; a
    // closed 24-hour window reported here sends the mapped template instead.
    let needs_template = s.errors.iter().any(|e| e.needs_template());
    let campaign_rows = crate::campaigns::on_device_status(
        state,
        &rt.tenant_id,
        &s.message_id,
        status,
        error.as_deref(),
        needs_template,
    )
    .await?;
    Ok(inbox_changed || campaign_rows > 0)
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
