//! The inbound path: one customer message on one device, from webhook (or
//! simulator injection) to the bot's replies, through `bot-core`'s
//! pipeline (the same code a library user runs with `bot_core::Runtime`).
//!
//! The customer is a phone number or, for a customer WhatsApp names only
//! by a business-scoped user id, that id: such a message is stored and
//! answered the same way (to the id, through a provider that can address
//! it), except for what needs a number (campaign replies, opt-outs, contact
//! tags), which is skipped until the number is known.
//!
//! 1. When the vendor is active and the device's bots are on, the device's
//!    plugin pipeline is taken from the cache or built first, so a build
//!    that fails fails the webhook before anything is stored. Then the
//!    pipeline's [`Conversations::receive`] stores the message in the
//!    inbox ([`DeviceInbox`]: one job of the group-committing
//!    [`crate::db::Writer`]), keyed by (device, direction, provider message
//!    id): a provider retry stores nothing and stops here, so it never gets
//!    a second reply (an opt-out it carries is still recorded, in case the
//!    first delivery's process stopped in between). Then the campaigns
//!    feature hears of the reply, and an opt-out (STOP / BERHENTI) is
//!    recorded by the contacts feature.
//! 2. If the vendor is active, the device's bots are on and the vendor's
//!    plan is active with messages left this month,
//!    [`bot_core::pipeline::answer`] runs the device's plugins: it gives a
//!    conversation whose handoff timed out back to the bot (or stops when
//!    an agent owns it), waits out debounce windows, reads the history each
//!    plugin declares and calls the plugins with the stored contact and
//!    "now" in the vendor's time zone.
//! 3. [`ServerTurn`] performs the plugins' actions: each reply is sent
//!    through the device's (paced) provider, tags go to the contact; then
//!    one write job stores the replies with their provider message ids and
//!    statuses (`sent` or `failed`; a simulator device's sends are its
//!    outbox inserts in that same job) and why each was sent (the plugin
//!    and what it matched, [`super::reason`]), the usage, the keyword hits
//!    and the conversation state / handoff. A message the bot leaves
//!    unanswered for lack of plan messages records that as its reason.

use std::sync::Arc;

use bot_core::{
    Action, Conversations, Outcome as BotOutcome, Perform, StoreError, SystemClock, Turn,
};
use serde_json::json;
use whatsapp_client::webhook::{DeliveryStatus, InboundMessage, StatusUpdate};
use whatsapp_client::{OutgoingMessage, Recipient};

use crate::AppState;
use crate::db::now_ms;
use crate::db::{BatchJob, JobFuture};
use crate::devices::DeviceKind;
use crate::devices::registry::{DeviceRuntime, Lookup};
use crate::domain::{ConversationId, MessageId, TenantId};
use crate::http::AppError;
use crate::inbox::conversations::DeviceInbox;
use crate::inbox::store::{self as inbox, BotOutcome as SavedOutcome, NewMessage, Touch};
use crate::inbox::{BotReason, Direction, MessageStatus, ReasonKind, Sender};
use crate::simulator::SimSend;

use super::pipeline;
use super::reason::{self, KeywordIndex};

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
    m: InboundMessage<Recipient>,
) -> Result<Outcome, AppError> {
    let rt: &Arc<DeviceRuntime> = &found.device;
    let tenant = &rt.tenant_id;
    // Opt-outs concern broadcasts, which need a number.
    let opt_out =
        m.from.phone().is_some() && m.text().is_some_and(crate::contacts::is_opt_out_keyword);
    // Built before the message is stored: when it cannot be built the
    // webhook fails with nothing stored, so the provider's retry is a new
    // message and gets its reply (after the store it would be a duplicate).
    let handlers = if found.tenant_active && rt.bot_enabled {
        Some(super::runtime(state).plugins.pipeline(rt).await?)
    } else {
        None
    };
    let inbox = DeviceInbox { state, device: rt };
    let received = inbox
        .receive(tenant, &m, now_ms())
        .await
        .map_err(store_error)?;
    let tenant_id = tenant.clone();
    let Some(mut conv) = received else {
        if let (true, Some(phone)) = (opt_out, m.from.phone()) {
            // The first delivery may have been stored by a process that
            // stopped before recording the opt-out; the provider's retry
            // records it (idempotent).
            crate::contacts::mark_opted_out(state, &tenant_id, phone.e164()).await?;
        }
        return Ok(Outcome::Duplicate);
    };
    // The conversation's contact: the number when known (also for a
    // message that named only the user id of a customer whose number the
    // conversation learnt before), else the user id. Replies go there.
    let to = match Recipient::parse(&conv.contact) {
        Ok(phone @ Recipient::Phone(_)) => phone,
        _ => m.from.clone(),
    };
    let contact = conv.contact.clone();
    // Any message from the number counts as a reply to the vendor's recent
    // campaign messages (and stops its queued follow-ups). Only a number
    // with campaign messages can change anything there; checking that with
    // a read keeps SQLite's write lock free in the common case.
    let stored = pipeline::contact_snapshot(&state.pool, tenant, &contact).await?;
    if stored.in_campaigns {
        crate::campaigns::on_reply(&state.pool, tenant, &contact).await?;
    }
    if opt_out {
        // Also cancels the contact's queued campaign messages.
        crate::contacts::mark_opted_out(state, &tenant_id, &contact).await?;
    }

    if !found.tenant_active {
        tracing::debug!(%tenant, device = %rt.id, "vendor not active: message stored, no bot reply");
        return Ok(Outcome::Handled { replies: 0 });
    }
    if opt_out {
        tracing::info!(%tenant, device = %rt.id, "contact opted out");
        let text = opt_out_confirmation(m.text().unwrap_or_default());
        let sent = send_and_store(
            state,
            rt,
            &ConversationId::from(conv.id.as_str()),
            &to,
            &OutgoingMessage::text(text),
            Sender::System,
            Some(BotReason::of(ReasonKind::OptOut)),
        )
        .await?;
        return Ok(Outcome::Handled {
            replies: u32::from(sent.accepted),
        });
    }
    let Some(handlers) = handlers else {
        // The bots are off on this device.
        return Ok(Outcome::Handled { replies: 0 });
    };
    if !stored.plan_has_room(1) {
        // No active plan, or this month's messages are used up: the message
        // is stored for the inbox, the bot stays quiet.
        tracing::info!(
            %tenant,
            device = %rt.id,
            "plan_limit_exceeded: no active plan or no messages left this month; the bot does not answer"
        );
        metrics::counter!("bot_turns_refused_total", "reason" => "plan_limit").increment(1);
        let why = BotReason::of(ReasonKind::PlanLimit);
        inbox::set_inbound_reason(&state.pool, &tenant_id, &rt.id, &m.id, &why).await?;
        return Ok(Outcome::Handled { replies: 0 });
    }

    // The plugins see the stored contact; the profile name of the message
    // stands in when the contact has none.
    conv.name = stored.name;
    conv.tags = stored.tags;
    conv.fields = stored.fields;
    let turn = Turn {
        tenant,
        handlers: &handlers.handlers,
        time_zone: found.time_zone,
        handoff_timeout: rt.settings.handoff_timeout(),
        history_limit: pipeline::DEFAULT_HISTORY,
        clock: &SystemClock,
    };
    let mut performer = ServerTurn {
        state,
        rt,
        to: &to,
        text: m.text(),
        keywords: &handlers.keywords,
        sent: Vec::new(),
        matched: Vec::new(),
        new_state: None,
        handoff: false,
    };
    let answer = bot_core::pipeline::answer(&inbox, &turn, &conv, &m, &mut performer)
        .await
        .map_err(store_error)?;
    if answer.outcome == BotOutcome::HumanOwned {
        return Ok(Outcome::Handled { replies: 0 });
    }
    let ServerTurn {
        sent,
        matched,
        new_state,
        handoff,
        ..
    } = performer;
    if sent.is_empty() && matched.is_empty() && new_state.is_none() && !handoff {
        return Ok(Outcome::Handled { replies: 0 });
    }
    let mut outgoing = Vec::with_capacity(sent.len());
    for (message, result, why) in sent {
        // A simulator's "send" is the insert in the job below; what a
        // provider would refuse is refused here.
        let result = match result {
            Some(r) => Some(r),
            None => match message.validate() {
                Ok(()) => None,
                Err(e) => Some(Err(e.into())),
            },
        };
        outgoing.push(Outgoing::new(&message, result, Sender::Bot, Some(&why)));
    }
    let record = Arc::new(TurnRecord {
        tenant_id: rt.tenant_id.clone(),
        device_id: rt.id.to_string(),
        conversation_id: ConversationId::from(conv.id.as_str()),
        to: to.to_string(),
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

/// A store failure of the bot pipeline as the server's error.
fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::Database(e) => e.into(),
        other => AppError::internal(other),
    }
}

/// Performs the plugins' actions of one turn: a reply is sent through the
/// device's provider at once (a simulator's send waits for the turn's
/// write job), tags go to the contact at once, and the replies with why
/// they were sent, keyword matches, state and handoff are kept for the
/// turn's one write job.
struct ServerTurn<'a> {
    state: &'a AppState,
    rt: &'a DeviceRuntime,
    to: &'a Recipient,
    /// The customer's text, which a keyword rule matched.
    text: Option<&'a str>,
    keywords: &'a KeywordIndex,
    sent: Vec<(OutgoingMessage, Option<SendResult>, BotReason)>,
    matched: Vec<String>,
    new_state: Option<Option<String>>,
    handoff: bool,
}

type SendResult = Result<whatsapp_client::SendReceipt, whatsapp_client::Error>;

#[async_trait::async_trait]
impl Perform for ServerTurn<'_> {
    type Error = StoreError;

    async fn perform(&mut self, plugin: &str, actions: &[Action]) -> Result<(), StoreError> {
        let tenant = &self.rt.tenant_id;
        let hands_off = actions.iter().any(|a| matches!(a, Action::Handoff(_)));
        for action in actions {
            match action {
                Action::Reply { message, matched } => {
                    let why = reason::explain(
                        plugin,
                        matched.as_deref(),
                        hands_off,
                        self.text,
                        self.keywords,
                    );
                    self.matched.extend(matched.iter().cloned());
                    // A simulator's "send" is an insert: it joins the write
                    // job of the turn instead of taking a turn of its own.
                    let result = if self.rt.kind == DeviceKind::Simulator {
                        None
                    } else {
                        Some(self.rt.provider.send_to(self.to, message).await)
                    };
                    self.sent.push((message.clone(), result, why));
                }
                Action::SetState(s) => self.new_state = Some(s.clone()),
                Action::Handoff(reason) => {
                    tracing::info!(%tenant, device = %self.rt.id, plugin, reason = reason.as_deref().unwrap_or(""), "bot handed the conversation to a human");
                    self.handoff = true;
                }
                // Contacts are kept by number; a customer known only by a
                // user id gets no tags until the number is known.
                Action::Tag(tag) | Action::Untag(tag) => match self.to.phone() {
                    Some(phone) => {
                        let add = matches!(action, Action::Tag(_));
                        pipeline::apply_tag(self.state, tenant, phone.e164(), tag, add).await;
                    }
                    None => {
                        tracing::debug!(
                            %tenant,
                            plugin,
                            "no number for the contact: tag action skipped"
                        );
                    }
                },
                Action::Stop => {}
                other => {
                    tracing::debug!(action = ?other, "action not supported by the server; ignored");
                }
            }
        }
        Ok(())
    }
}

/// A message sent (or attempted) and stored.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// Our message id.
    pub(crate) message_id: MessageId,
    /// Whether the provider accepted it.
    pub(crate) accepted: bool,
}

/// Sends `msg` to `to` (a number, or a business-scoped user id, which only
/// Cloud API and simulator devices can address) through the device and
/// stores it in the conversation (`sent` with the provider id, or `failed`
/// with the error), with why it was sent when the platform sent it.
pub(crate) async fn send_and_store(
    state: &AppState,
    rt: &DeviceRuntime,
    conversation_id: &ConversationId,
    to: &Recipient,
    msg: &OutgoingMessage,
    sender: Sender,
    why: Option<BotReason>,
) -> Result<Stored, AppError> {
    let result = rt.provider.send_to(to, msg).await;
    let accepted = result.is_ok();
    let record = Arc::new(TurnRecord {
        tenant_id: rt.tenant_id.clone(),
        device_id: rt.id.to_string(),
        conversation_id: conversation_id.clone(),
        to: to.to_string(),
        outgoing: vec![Outgoing::new(msg, Some(result), sender, why.as_ref())],
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

/// A message sent (or attempted) through a device, ready to store.
struct Outgoing {
    kind: String,
    body: Option<String>,
    payload: String,
    /// JSON wire form, for the simulator outbox.
    json: serde_json::Value,
    sender: Sender,
    /// Why the platform sent it ([`BotReason`] as JSON text).
    reason: Option<String>,
    /// The provider's answer; `None`: a simulator device, whose send is
    /// the outbox insert in the same job.
    result: Option<Result<Option<String>, String>>,
}

impl Outgoing {
    fn new(
        msg: &OutgoingMessage,
        result: Option<Result<whatsapp_client::SendReceipt, whatsapp_client::Error>>,
        sender: Sender,
        why: Option<&BotReason>,
    ) -> Self {
        let (kind, body) = describe_outgoing(msg);
        let json = serde_json::to_value(msg).unwrap_or_else(|_| json!({}));
        Self {
            kind,
            body,
            payload: json.to_string(),
            json,
            sender,
            reason: why.map(BotReason::to_json),
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
    tenant_id: TenantId,
    device_id: String,
    conversation_id: ConversationId,
    /// The customer: E.164, or a business-scoped user id.
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
    type Output = (Vec<MessageId>, u32);

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
                            tenant_id: Some(i.tenant_id.as_str()),
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
                        Ok(id) => (MessageStatus::Sent, id.as_deref(), None),
                        Err(e) => {
                            tracing::warn!(tenant = %i.tenant_id, device = %i.device_id, error = %e, "sending a reply failed");
                            (MessageStatus::Failed, None, Some(e.as_str()))
                        }
                    };
                    let m = NewMessage {
                        tenant_id: &i.tenant_id,
                        conversation_id: &i.conversation_id,
                        device_id: &i.device_id,
                        direction: Direction::Out,
                        sender: o.sender,
                        provider_message_id,
                        kind: &o.kind,
                        body: o.body.as_deref(),
                        payload: &o.payload,
                        status,
                        error,
                        reason: o.reason.as_deref(),
                    };
                    messages.push((m, now));
                }
            }
            let mut ids = inbox::insert_outbound(&mut *c, &messages)
                .await?
                .into_iter();
            let ids: Vec<Vec<MessageId>> = items
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
            super::store::record_keyword_hits(&mut *c, &hits).await?;
            let outcomes: Vec<SavedOutcome<'_>> = items
                .iter()
                .filter(|i| i.save_outcome)
                .map(|i| SavedOutcome {
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
        DeliveryStatus::Sent => MessageStatus::Sent,
        DeliveryStatus::Delivered => MessageStatus::Delivered,
        DeliveryStatus::Read => MessageStatus::Read,
        DeliveryStatus::Failed => MessageStatus::Failed,
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
    // Campaign messages are tracked in the campaigns feature's own table; a
    // closed 24-hour window reported here sends the mapped template instead.
    let needs_template = s.errors.iter().any(|e| e.needs_template());
    let campaign_rows = crate::campaigns::on_device_status(
        state,
        &rt.tenant_id,
        &s.message_id,
        status.as_str(),
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
