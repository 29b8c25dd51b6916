//! The inbox as `bot-core`'s [`Conversations`]: the bot pipeline stores
//! and reads a device's conversations in the inbox tables (`conversations`,
//! `messages`), so the inbox shows what the bot saw and answered.
//!
//! Receiving is one job of the group-committing [`crate::db::Writer`] (a
//! [`BatchJob`]: on SQLite the messages arriving together share its
//! statements): find or create the conversation and insert the message
//! keyed by (device, direction, provider message id), which is the
//! de-duplication of provider retries. A customer is kept under their
//! number, or under their business-scoped user id while WhatsApp does not
//! share the number (see [`store::contact_of_user`] for how the two meet).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use bot_core::{Author, Conversation, Conversations, HistoryEntry, Newest, Owner, StoreError};
use serde_json::json;
use whatsapp_client::Recipient;
use whatsapp_client::webhook::{InboundMessage, MessageContent};

use super::model::{ConversationOwner, Direction, MessageStatus, Sender};
use super::store::{self, ConversationKey, NewMessage, Touch};
use crate::AppState;
use crate::db::{BatchJob, JobFuture, now_ms};
use crate::devices::registry::DeviceRuntime;
use crate::domain::{ConversationId, MessageId, TenantId};

/// One device's conversations, for one inbound message's turn.
pub(crate) struct DeviceInbox<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) device: &'a DeviceRuntime,
}

#[async_trait]
impl Conversations for DeviceInbox<'_> {
    async fn receive(
        &self,
        tenant: &str,
        message: &InboundMessage<Recipient>,
        at_ms: i64,
    ) -> Result<Option<Conversation>, StoreError> {
        let (kind, body, payload) = describe_inbound(message);
        let user_id = message.from.user_id().or(message.user_id.as_ref());
        let tenant_id = TenantId::from(tenant);
        let ingest = Arc::new(Ingest {
            tenant_id: tenant_id.clone(),
            device_id: self.device.id.to_string(),
            phone: message.from.phone().map(|p| p.e164().to_owned()),
            user_id: user_id.map(|u| u.as_str().to_owned()),
            provider_message_id: message.id.clone(),
            kind,
            body,
            payload: payload.to_string(),
            from_name: message.from_name.clone(),
            now: at_ms,
        });
        let Some(conv) = self.state.services.writer.run_batched(ingest).await? else {
            return Ok(None);
        };
        let owner = bot_owner(conv.owner);
        // The handoff timeout counts from the takeover or the agent's last
        // reply, whichever is later.
        let owner_since_ms = if owner == Owner::Human {
            let last_agent =
                store::last_agent_message_at(&self.state.pool, &tenant_id, &conv.id).await?;
            conv.owner_changed_at.max(last_agent)
        } else {
            conv.owner_changed_at
        };
        Ok(Some(Conversation {
            id: conv.id.into_string(),
            tenant: tenant.to_owned(),
            contact: conv.contact,
            user_id: user_id.map(|u| u.as_str().to_owned()),
            name: None,
            owner,
            owner_since_ms,
            handoff_reason: None,
            state: conv.bot_state,
            tags: Vec::new(),
            fields: BTreeMap::new(),
            updated_ms: at_ms,
        }))
    }

    async fn history(
        &self,
        conversation: &Conversation,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let (tenant, id) = ids(conversation);
        let rows = store::recent_messages(&self.state.pool, &tenant, &id, i64::from(limit)).await?;
        Ok(rows
            .into_iter()
            .rev()
            .map(|r| HistoryEntry {
                author: match (r.direction, r.sender) {
                    (Direction::In, _) => Author::Customer,
                    (_, Sender::Bot) => Author::Bot,
                    _ => Author::Agent,
                },
                text: r.body.unwrap_or_else(|| format!("[{}]", r.kind)),
                provider_message_id: r.provider_message_id,
                at_ms: r.created_at,
            })
            .collect())
    }

    async fn newest(&self, conversation: &Conversation) -> Result<Newest, StoreError> {
        let (tenant, id) = ids(conversation);
        let found = store::owner_and_newest_inbound(&self.state.pool, &tenant, &id).await?;
        let (owner, inbound_id) = found.unwrap_or((ConversationOwner::Bot, None));
        Ok(Newest {
            owner: bot_owner(owner),
            inbound_id,
        })
    }

    async fn hand_back(&self, conversation: &Conversation, _at_ms: i64) -> Result<(), StoreError> {
        let (tenant, id) = ids(conversation);
        store::set_owner(&self.state.pool, &tenant, &id, ConversationOwner::Bot, None).await?;
        Ok(())
    }
}

/// The vendor and the id of a `bot-core` conversation, typed.
fn ids(conversation: &Conversation) -> (TenantId, ConversationId) {
    (
        TenantId::from(conversation.tenant.as_str()),
        ConversationId::from(conversation.id.as_str()),
    )
}

/// The owner as `bot-core` names it.
fn bot_owner(owner: ConversationOwner) -> Owner {
    match owner {
        ConversationOwner::Agent => Owner::Human,
        ConversationOwner::Bot => Owner::Bot,
    }
}

/// Kind, text body and JSON payload of an inbound message, for storage.
fn describe_inbound(m: &InboundMessage<Recipient>) -> (String, Option<String>, serde_json::Value) {
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
        "from_user_id": m.user_id.as_ref().map(|u| u.as_str()),
        "from_name": m.from_name,
        "provider": m.provider,
        "reply_to": m.reply_to,
        "content": content,
    });
    (kind, body, payload)
}

/// One inbound message to store (a [`BatchJob`]; owned, so the job can
/// run again).
struct Ingest {
    tenant_id: TenantId,
    device_id: String,
    /// The sender's number, E.164, when WhatsApp shares it.
    phone: Option<String>,
    /// The sender's business-scoped user id, when given.
    user_id: Option<String>,
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
    type Output = Option<store::ConversationRef>;

    /// Finds or creates the conversations and inserts the messages keyed
    /// by (device, direction, provider message id), then moves the
    /// conversations of the new messages forward.
    fn run_many<'c>(
        c: &'c mut sqlx::AnyConnection,
        items: &'c [Arc<Self>],
    ) -> JobFuture<'c, Vec<Self::Output>> {
        Box::pin(async move {
            let mut contacts: Vec<String> = Vec::with_capacity(items.len());
            for i in items {
                contacts.push(match (&i.phone, &i.user_id) {
                    (phone, Some(u)) => {
                        store::contact_of_user(
                            &mut *c,
                            &i.tenant_id,
                            &i.device_id,
                            phone.as_deref(),
                            u,
                        )
                        .await?
                    }
                    (Some(phone), None) => phone.clone(),
                    (None, None) => return Err(sqlx::Error::RowNotFound),
                });
            }
            let keys: Vec<ConversationKey<'_>> = items
                .iter()
                .zip(&contacts)
                .map(|(i, contact)| ConversationKey {
                    tenant_id: &i.tenant_id,
                    device_id: &i.device_id,
                    contact,
                })
                .collect();
            let first = items.iter().map(|i| i.now).min().unwrap_or_else(now_ms);
            let mut convs = store::upsert_conversations(&mut *c, &keys, first).await?;
            drop(keys);
            for ((i, conv), contact) in items.iter().zip(&mut convs).zip(contacts) {
                if let Some(u) = &i.user_id {
                    store::remember_user_id(&mut *c, &i.tenant_id, &i.device_id, &conv.id, u)
                        .await?;
                }
                conv.contact = contact;
            }
            let ids: Vec<MessageId> = items.iter().map(|_| MessageId::new()).collect();
            let rows: Vec<(&MessageId, NewMessage<'_>, i64)> = items
                .iter()
                .zip(&convs)
                .zip(&ids)
                .map(|((i, conv), id)| {
                    let m = NewMessage {
                        tenant_id: &i.tenant_id,
                        conversation_id: &conv.id,
                        device_id: &i.device_id,
                        direction: Direction::In,
                        sender: Sender::Contact,
                        provider_message_id: Some(&i.provider_message_id),
                        kind: &i.kind,
                        body: i.body.as_deref(),
                        payload: &i.payload,
                        status: MessageStatus::Received,
                        error: None,
                        reason: None,
                    };
                    (id, m, i.now)
                })
                .collect();
            let inserted = store::insert_messages(&mut *c, &rows).await?;
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
            store::touch_conversations(&mut *c, &touches).await?;
            drop((rows, touches));
            Ok(convs
                .into_iter()
                .zip(&ids)
                .map(|(conv, id)| inserted.contains(id).then_some(conv))
                .collect())
        })
    }
}
