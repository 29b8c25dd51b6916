//! The inbound path: one customer message on one device, from webhook (or
//! simulator injection) to the bot's replies.
//!
//! 1. In one write job of the group-committing [`crate::db::Writer`] (a
//!    [`crate::db::BatchJob`]: on SQLite the messages arriving together
//!    share its statements): find or create the conversation and insert
//!    the inbound message keyed by
//!    (device, direction, provider message id) — a provider retry inserts
//!    nothing and stops here, so it never gets a second reply (an opt-out
//!    it carries is still recorded, in case the first delivery's process
//!    stopped in between). Then the campaigns area hears of the reply, and
//!    an opt-out (STOP / BERHENTI) is recorded in the contacts area.
//! 2. If the vendor is active, the device's bots are on, no human agent
//!    owns the conversation (or the device's handoff timeout passed) and
//!    the vendor's plan is active with messages left this month: run the
//!    device's plugin pipeline, with "now" in the vendor's time zone.
//! 3. Send each reply through the device's (paced) provider, then store in
//!    one write job the replies with their provider message ids and
//!    statuses (`sent` or `failed`; a simulator device's sends are its
//!    outbox inserts in that same job), the usage, the keyword hits and the
//!    pipeline's conversation state / handoff.

use std::sync::Arc;

use serde_json::json;
use whatsapp_client::webhook::{DeliveryStatus, InboundMessage, MessageContent, StatusUpdate};
use whatsapp_client::{OutgoingMessage, PhoneNumber};

use crate::AppState;
use crate::db::now_ms;
use crate::db::{BatchJob, JobFuture};
use crate::devices::DeviceKind;
use crate::devices::registry::{DeviceRuntime, Lookup};
use crate::http::AppError;
use crate::inbox::store::{
    self as inbox, BotOutcome, ConversationKey, NewMessage, OWNER_AGENT, Touch,
};
use crate::simulator::SimSend;

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

    let ingest = Arc::new(Ingest {
        tenant_id: rt.tenant_id.clone(),
        device_id: rt.id.clone(),
        contact: contact.clone(),
        provider_message_id: m.id.clone(),
        kind,
        body: body.clone(),
        payload,
        from_name: m.from_name.clone(),
        now,
    });
    let conv = state.services.writer.run_batched(ingest).await?;
    let Some(conv) = conv else {
        if opt_out {
            // The first delivery may have been stored by a process that
            // stopped before recording the opt-out; the provider's retry
            // records it (idempotent).
            crate::contacts::mark_opted_out(&state.pool, &rt.tenant_id, &contact).await?;
        }
        return Ok(Outcome::Duplicate);
    };
    // Any message from the number counts as a reply to the vendor's recent
    // campaign messages (and stops its queued follow-ups). Only a number
    // with campaign messages can change anything there; checking that with
    // a read keeps SQLite's write lock free in the common case.
    let stored = pipeline::contact_snapshot(&state.pool, &rt.tenant_id, &contact).await?;
    if stored.in_campaigns {
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
    if !stored.plan_has_room(1) {
        // No active plan, or this month's messages are used up: the message
        // is stored for the inbox, the bot stays quiet.
        tracing::info!(
            tenant = %rt.tenant_id,
            device = %rt.id,
            "plan_limit_exceeded: no active plan or no messages left this month; the bot does not answer"
        );
        metrics::counter!("bot_turns_refused_total", "reason" => "plan_limit").increment(1);
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
        stored: &stored,
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
    let mut outgoing = Vec::with_capacity(sent.len());
    for (message, result) in sent {
        // A simulator's "send" is the insert in the job below; what a
        // provider would refuse is refused here.
        let result = match result {
            Some(r) => Some(r),
            None => match message.validate() {
                Ok(()) => None,
                Err(e) => Some(Err(e.into())),
            },
        };
        outgoing.push(Outgoing::new(&message, result, "bot"));
    }
    let record = Arc::new(TurnRecord {
        tenant_id: rt.tenant_id.clone(),
        device_id: rt.id.clone(),
        conversation_id: conv.id.clone(),
        to: m.from.e164().to_owned(),
        outgoing,
        day: chrono::Utc::now()
            .with_timezone(&found.time_zone)
            .format("%Y-%m-%d")
            .to_string(),
        matched,
        count_usage: true,
        save_outcome: new_state.is_some() || handoff,
        // `None` inside means "clear" (the empty string); `None` keeps it.
        state_text: new_state.map(Option::unwrap_or_default),
        handoff,
    });
    let (_, replies) = state.services.writer.run_batched(record).await?;
    Ok(Outcome::Handled { replies })
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
/// `bot_keyword_hits`: `(tenant, day, keyword)` per match, `day` being
/// today in the vendor's time zone; one upsert per chunk of distinct keys.
async fn record_keyword_hits(
    c: &mut sqlx::AnyConnection,
    matched: &[(&str, &str, &str)],
) -> Result<(), sqlx::Error> {
    let mut counts: std::collections::BTreeMap<(&str, &str, &str), i64> =
        std::collections::BTreeMap::new();
    for m in matched {
        *counts.entry(*m).or_default() += 1;
    }
    let counts: Vec<((&str, &str, &str), i64)> = counts.into_iter().collect();
    crate::db::execute_rows(
        c,
        &counts,
        4,
        |values| {
            format!(
                "INSERT INTO bot_keyword_hits (tenant_id, day, keyword, hits) VALUES {values} \
                 ON CONFLICT (tenant_id, day, keyword) DO UPDATE \
                 SET hits = bot_keyword_hits.hits + excluded.hits"
            )
        },
        |q, ((tenant, day, keyword), n)| q.bind(*tenant).bind(*day).bind(*keyword).bind(*n),
    )
    .await?;
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
    let accepted = result.is_ok();
    let record = Arc::new(TurnRecord {
        tenant_id: rt.tenant_id.clone(),
        device_id: rt.id.clone(),
        conversation_id: conversation_id.to_owned(),
        to: to.e164().to_owned(),
        outgoing: vec![Outgoing::new(msg, Some(result), sender)],
        day: String::new(),
        matched: Vec::new(),
        count_usage: false,
        save_outcome: false,
        state_text: None,
        handoff: false,
    });
    let (ids, _) = state.services.writer.run_batched(record).await?;
    let message_id = ids
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal("stored message vanished"))?;
    Ok(Stored {
        message_id,
        accepted,
    })
}

/// One inbound message to store (a [`crate::db::BatchJob`]; owned, so the
/// job can run again).
struct Ingest {
    tenant_id: String,
    device_id: String,
    contact: String,
    provider_message_id: String,
    kind: String,
    body: Option<String>,
    payload: String,
    from_name: Option<String>,
    now: i64,
}

impl BatchJob for Ingest {
    /// The conversation; `None` when the message was stored before (a
    /// provider retry: nothing else happens).
    type Output = Option<inbox::ConversationRef>;

    /// Finds or creates the conversations and inserts the messages keyed
    /// by (device, direction, provider message id), then moves the
    /// conversations of the new messages forward.
    fn run_many<'c>(
        c: &'c mut sqlx::AnyConnection,
        items: &'c [Arc<Self>],
    ) -> JobFuture<'c, Vec<Self::Output>> {
        Box::pin(async move {
            let keys: Vec<ConversationKey<'_>> = items
                .iter()
                .map(|i| ConversationKey {
                    tenant_id: &i.tenant_id,
                    device_id: &i.device_id,
                    contact: &i.contact,
                })
                .collect();
            let first = items.iter().map(|i| i.now).min().unwrap_or_else(now_ms);
            let convs = inbox::upsert_conversations(&mut *c, &keys, first).await?;
            let ids: Vec<String> = items.iter().map(|_| crate::db::new_id()).collect();
            let rows: Vec<(&str, NewMessage<'_>, i64)> = items
                .iter()
                .zip(&convs)
                .zip(&ids)
                .map(|((i, conv), id)| {
                    let m = NewMessage {
                        tenant_id: &i.tenant_id,
                        conversation_id: &conv.id,
                        device_id: &i.device_id,
                        direction: "in",
                        sender: "contact",
                        provider_message_id: Some(&i.provider_message_id),
                        kind: &i.kind,
                        body: i.body.as_deref(),
                        payload: &i.payload,
                        status: "received",
                        error: None,
                    };
                    (id.as_str(), m, i.now)
                })
                .collect();
            let inserted = inbox::insert_messages(&mut *c, &rows).await?;
            let touches: Vec<Touch<'_>> = items
                .iter()
                .zip(&convs)
                .zip(&ids)
                .filter(|(_, id)| inserted.contains(*id))
                .map(|((i, conv), _)| Touch {
                    tenant_id: &i.tenant_id,
                    conversation_id: &conv.id,
                    preview: i.body.as_deref(),
                    contact_name: i.from_name.as_deref(),
                    at: i.now,
                })
                .collect();
            inbox::touch_conversations(&mut *c, &touches).await?;
            drop((rows, touches));
            Ok(convs
                .into_iter()
                .zip(&ids)
                .map(|(conv, id)| inserted.contains(id).then_some(conv))
                .collect())
        })
    }
}

/// A message sent (or attempted) through a device, ready to store.
struct Outgoing {
    kind: String,
    body: Option<String>,
    payload: String,
    /// JSON wire form, for the simulator outbox.
    json: serde_json::Value,
    sender: String,
    /// The provider's answer; `None`: a simulator device, whose send is
    /// the outbox insert in the same job.
    result: Option<Result<Option<String>, String>>,
}

impl Outgoing {
    fn new(
        msg: &OutgoingMessage,
        result: Option<Result<whatsapp_client::SendReceipt, whatsapp_client::Error>>,
        sender: &str,
    ) -> Self {
        let (kind, body) = describe_outgoing(msg);
        let json = serde_json::to_value(msg).unwrap_or_else(|_| json!({}));
        Self {
            kind,
            body,
            payload: json.to_string(),
            json,
            sender: sender.to_owned(),
            result: result.map(|r| {
                r.map(|receipt| receipt.message_id)
                    .map_err(|e| e.to_string())
            }),
        }
    }
}

/// What one bot turn (or one agent / API send) stores (a
/// [`crate::db::BatchJob`]).
struct TurnRecord {
    tenant_id: String,
    device_id: String,
    conversation_id: String,
    /// The customer, E.164.
    to: String,
    outgoing: Vec<Outgoing>,
    /// Today in the vendor's time zone (keyword hits).
    day: String,
    matched: Vec<String>,
    /// Bot replies count against the plan's messages (agent and API sends
    /// were counted when they were accepted).
    count_usage: bool,
    save_outcome: bool,
    state_text: Option<String>,
    handoff: bool,
}

impl TurnRecord {
    /// Replies the provider accepted (or the simulator will store).
    fn replies(&self) -> u32 {
        let n = self
            .outgoing
            .iter()
            .filter(|o| !matches!(o.result, Some(Err(_))))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

impl BatchJob for TurnRecord {
    /// The stored message ids, in order, and how many replies were sent.
    type Output = (Vec<String>, u32);

    /// Stores the turns: the messages (a simulator device's sends into its
    /// outbox first), each conversation's last message, the usage, the
    /// keyword hits and the conversation states / handoffs.
    fn run_many<'c>(
        c: &'c mut sqlx::AnyConnection,
        items: &'c [Arc<Self>],
    ) -> JobFuture<'c, Vec<Self::Output>> {
        Box::pin(async move {
            let now = now_ms();
            let sims: Vec<SimSend<'_>> = items
                .iter()
                .flat_map(|i| {
                    i.outgoing
                        .iter()
                        .filter(|o| o.result.is_none())
                        .map(|o| SimSend {
                            tenant_id: Some(&i.tenant_id),
                            device_id: Some(&i.device_id),
                            to: &i.to,
                            message: &o.json,
                        })
                })
                .collect();
            let mut sim_ids = crate::simulator::record_many(&mut *c, &sims)
                .await?
                .into_iter();
            drop(sims);
            // Each reply's provider answer; a simulator's is its outbox id.
            let results: Vec<Vec<Result<Option<String>, String>>> = items
                .iter()
                .map(|i| {
                    i.outgoing
                        .iter()
                        .map(|o| match &o.result {
                            Some(r) => r.clone(),
                            None => Ok(sim_ids.next()),
                        })
                        .collect()
                })
                .collect();
            let mut messages: Vec<(NewMessage<'_>, i64)> = Vec::new();
            for (i, item_results) in items.iter().zip(&results) {
                for (o, result) in i.outgoing.iter().zip(item_results) {
                    let (status, provider_message_id, error) = match result {
                        Ok(id) => ("sent", id.as_deref(), None),
                        Err(e) => {
                            tracing::warn!(tenant = %i.tenant_id, device = %i.device_id, error = %e, "sending a reply failed");
                            ("failed", None, Some(e.as_str()))
                        }
                    };
                    let m = NewMessage {
                        tenant_id: &i.tenant_id,
                        conversation_id: &i.conversation_id,
                        device_id: &i.device_id,
                        direction: "out",
                        sender: &o.sender,
                        provider_message_id,
                        kind: &o.kind,
                        body: o.body.as_deref(),
                        payload: &o.payload,
                        status,
                        error,
                    };
                    messages.push((m, now));
                }
            }
            let mut ids = inbox::insert_outbound(&mut *c, &messages)
                .await?
                .into_iter();
            let ids: Vec<Vec<String>> = items
                .iter()
                .map(|i| ids.by_ref().take(i.outgoing.len()).collect())
                .collect();
            let touches: Vec<Touch<'_>> = items
                .iter()
                .filter_map(|i| {
                    i.outgoing.last().map(|o| Touch {
                        tenant_id: &i.tenant_id,
                        conversation_id: &i.conversation_id,
                        preview: o.body.as_deref(),
                        contact_name: None,
                        at: now,
                    })
                })
                .collect();
            inbox::touch_conversations(&mut *c, &touches).await?;
            // Bot replies answer a customer; they are counted, not refused.
            let usage: Vec<(&str, i64)> = items
                .iter()
                .filter(|i| i.count_usage && i.replies() > 0)
                .map(|i| (i.tenant_id.as_str(), i64::from(i.replies())))
                .collect();
            crate::billing::limits::record_many(
                &mut *c,
                crate::billing::limits::Limit::MessagesPerMonth,
                &usage,
            )
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            let hits: Vec<(&str, &str, &str)> = items
                .iter()
                .flat_map(|i| {
                    i.matched
                        .iter()
                        .map(|m| (i.tenant_id.as_str(), i.day.as_str(), m.as_str()))
                })
                .collect();
            record_keyword_hits(&mut *c, &hits).await?;
            let outcomes: Vec<BotOutcome<'_>> = items
                .iter()
                .filter(|i| i.save_outcome)
                .map(|i| BotOutcome {
                    tenant_id: &i.tenant_id,
                    conversation_id: &i.conversation_id,
                    state: i.state_text.as_deref(),
                    handoff: i.handoff,
                })
                .collect();
            inbox::save_bot_outcomes(&mut *c, &outcomes, now).await?;
            Ok(items
                .iter()
                .zip(ids)
                .map(|(i, ids)| (ids, i.replies()))
                .collect())
        })
    }
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
