//! SQL for conversations and messages (tables `conversations`, `messages`).
//!
//! Every statement names `tenant_id` in its WHERE clause, except the status
//! update, which is keyed by the device (whose tenant was resolved when the
//! webhook's device was loaded) and the provider's message id.

use sqlx::AnyPool;

use std::collections::{HashMap, HashSet};

use super::model::{
    BotReason, ConversationOwner, ConversationView, Direction, MessageStatus, MessageView, Sender,
};
use crate::db::{self, now_ms};
use crate::domain::{ConversationId, DeviceId, MemberId, MessageId, TenantId};

pub(crate) const CONVERSATION_COLUMNS: &str = "id, device_id, contact_number, contact_user_id, \
     contact_name, owner, agent_member_id, last_message_at, last_message_preview, created_at";

/// A `conversations` row as [`ConversationView`] reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ConversationRow {
    id: ConversationId,
    device_id: DeviceId,
    /// A number (E.164, `+...`) or, while no number is known, the user id.
    contact_number: String,
    contact_user_id: Option<String>,
    contact_name: Option<String>,
    owner: ConversationOwner,
    agent_member_id: Option<MemberId>,
    last_message_at: i64,
    last_message_preview: Option<String>,
    created_at: i64,
}

impl From<ConversationRow> for ConversationView {
    fn from(r: ConversationRow) -> Self {
        let (contact_number, contact_user_id) = if r.contact_number.starts_with('+') {
            (Some(r.contact_number), r.contact_user_id)
        } else {
            (None, r.contact_user_id.or(Some(r.contact_number)))
        };
        Self {
            id: r.id,
            device_id: r.device_id,
            contact_number,
            contact_user_id,
            contact_name: r.contact_name,
            owner: r.owner,
            agent_member_id: r.agent_member_id,
            last_message_at: r.last_message_at,
            last_message_preview: r.last_message_preview,
            created_at: r.created_at,
        }
    }
}

const MESSAGE_COLUMNS: &str = "id, direction, sender, provider_message_id, kind, body, payload, \
     status, error, bot_reason, created_at, updated_at";

/// A `messages` row as [`MessageView`] reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct MessageRow {
    id: MessageId,
    direction: Direction,
    sender: Sender,
    provider_message_id: Option<String>,
    kind: String,
    body: Option<String>,
    /// JSON text.
    payload: String,
    status: MessageStatus,
    error: Option<String>,
    /// [`BotReason`] as JSON text.
    bot_reason: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<MessageRow> for MessageView {
    fn from(r: MessageRow) -> Self {
        Self {
            id: r.id,
            direction: r.direction,
            sender: r.sender,
            provider_message_id: r.provider_message_id,
            kind: r.kind,
            body: r.body,
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            status: r.status,
            error: r.error,
            // Written by this module from a `BotReason`; a text that no
            // longer reads as one is shown as no reason.
            reason: r
                .bot_reason
                .as_deref()
                .and_then(|t| serde_json::from_str::<BotReason>(t).ok()),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The bits of a conversation the inbound path needs.
#[derive(Debug, Clone)]
pub(crate) struct ConversationRef {
    pub(crate) id: ConversationId,
    /// The contact it is kept under: a number (E.164) or a user id.
    pub(crate) contact: String,
    pub(crate) owner: ConversationOwner,
    pub(crate) owner_changed_at: Option<i64>,
    pub(crate) bot_state: Option<String>,
}

/// A conversation as [`upsert_conversations`] reads it back.
#[derive(Debug, Clone, sqlx::FromRow)]
struct UpsertedRow {
    id: ConversationId,
    tenant_id: TenantId,
    device_id: String,
    contact_number: String,
    owner: ConversationOwner,
    owner_changed_at: Option<i64>,
    bot_state: Option<String>,
}

/// Finds or creates the conversation of `contact` on `device`.
pub(crate) async fn upsert_conversation(
    tx: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    device_id: &str,
    contact: &str,
    now: i64,
) -> Result<ConversationRef, sqlx::Error> {
    let key = ConversationKey {
        tenant_id,
        device_id,
        contact,
    };
    upsert_conversations(tx, std::slice::from_ref(&key), now)
        .await?
        .pop()
        .ok_or(sqlx::Error::RowNotFound)
}

/// The conversation of `contact` on `device`, as [`upsert_conversations`]
/// finds or creates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ConversationKey<'a> {
    pub(crate) tenant_id: &'a TenantId,
    pub(crate) device_id: &'a str,
    pub(crate) contact: &'a str,
}

/// Finds or creates the conversations of `keys` (a key may repeat) with
/// one multi-row insert of the missing ones and one read per chunk;
/// returns one per key, in order. Existing conversations are read, not
/// written or locked (the callers move their "last message" afterwards,
/// in id order); new ones are inserted in key order, so concurrent writers
/// creating the same conversations wait for each other in one order.
pub(crate) async fn upsert_conversations(
    tx: &mut sqlx::AnyConnection,
    keys: &[ConversationKey<'_>],
    now: i64,
) -> Result<Vec<ConversationRef>, sqlx::Error> {
    let mut distinct: Vec<ConversationKey<'_>> = Vec::with_capacity(keys.len());
    for k in keys {
        if !distinct.contains(k) {
            distinct.push(*k);
        }
    }
    distinct.sort_by_key(|k| (k.device_id, k.contact));
    let mut found: HashMap<(String, String), (TenantId, ConversationRef)> =
        HashMap::with_capacity(distinct.len());
    for chunk in db::chunks(&distinct) {
        let sql = format!(
            "INSERT INTO conversations (id, tenant_id, device_id, contact_number, owner, \
             last_message_at, created_at) VALUES {} \
             ON CONFLICT (device_id, contact_number) DO NOTHING",
            db::values_placeholders(chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q
                .bind(ConversationId::new())
                .bind(k.tenant_id)
                .bind(k.device_id)
                .bind(k.contact)
                .bind(ConversationOwner::Bot)
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
        let sql = format!(
            "WITH v (device_id, contact_number) AS (VALUES {}) \
             SELECT c.id, c.tenant_id, c.device_id, c.contact_number, c.owner, \
             c.owner_changed_at, c.bot_state FROM conversations c \
             JOIN v ON c.device_id = v.device_id AND c.contact_number = v.contact_number",
            db::values_placeholders(chunk.len(), 2)
        );
        let mut q = sqlx::query_as::<_, UpsertedRow>(&sql);
        for k in chunk {
            q = q.bind(k.device_id).bind(k.contact);
        }
        for row in q.fetch_all(&mut *tx).await? {
            let conv = ConversationRef {
                id: row.id,
                contact: row.contact_number.clone(),
                owner: row.owner,
                owner_changed_at: row.owner_changed_at,
                bot_state: row.bot_state,
            };
            found.insert((row.device_id, row.contact_number), (row.tenant_id, conv));
        }
    }
    keys.iter()
        .map(|k| {
            match found.get(&(k.device_id.to_owned(), k.contact.to_owned())) {
                Some((owner_tenant, conv)) if owner_tenant == k.tenant_id => Ok(conv.clone()),
                // Device ids are unique across tenants, so another tenant
                // cannot own it unless the data was edited by hand; refuse
                // rather than mix tenants.
                _ => Err(sqlx::Error::RowNotFound),
            }
        })
        .collect()
}

/// The contact (the `contact_number` key) of the conversation with a
/// customer who named a business-scoped user id on `device`, with or
/// without a number; call it before [`upsert_conversations`], then
/// [`remember_user_id`] after.
///
/// The rule: a customer with a number is kept under the number, one
/// without under the user id. When both arrive together they are one
/// customer: a conversation begun under the user id alone moves to the
/// number (same conversation id, so its messages stay with it), unless the
/// number has a conversation of its own already (then the two stay apart
/// and the number's is used). A message with only the user id goes to the
/// conversation that remembers it.
pub(crate) async fn contact_of_user(
    tx: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    device_id: &str,
    phone: Option<&str>,
    user_id: &str,
) -> Result<String, sqlx::Error> {
    let Some(phone) = phone else {
        let found: Option<(String,)> = sqlx::query_as(
            "SELECT contact_number FROM conversations \
             WHERE tenant_id = $1 AND device_id = $2 AND contact_user_id = $3",
        )
        .bind(tenant_id)
        .bind(device_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        return Ok(found.map_or_else(|| user_id.to_owned(), |(c,)| c));
    };
    sqlx::query(
        "UPDATE conversations SET contact_number = $3 \
         WHERE tenant_id = $1 AND device_id = $2 AND contact_number = $4 \
         AND NOT EXISTS (SELECT 1 FROM conversations o \
           WHERE o.device_id = $2 AND o.contact_number = $3)",
    )
    .bind(tenant_id)
    .bind(device_id)
    .bind(phone)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    Ok(phone.to_owned())
}

/// Records `user_id` on the conversation `conversation_id` unless it has
/// one or another conversation of the device holds this one.
pub(crate) async fn remember_user_id(
    tx: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    device_id: &str,
    conversation_id: &ConversationId,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE conversations SET contact_user_id = $4 \
         WHERE tenant_id = $1 AND device_id = $2 AND id = $3 AND contact_user_id IS NULL \
         AND NOT EXISTS (SELECT 1 FROM conversations o \
           WHERE o.device_id = $2 AND o.contact_user_id = $4)",
    )
    .bind(tenant_id)
    .bind(device_id)
    .bind(conversation_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A message to store.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage<'a> {
    pub(crate) tenant_id: &'a TenantId,
    pub(crate) conversation_id: &'a ConversationId,
    pub(crate) device_id: &'a str,
    pub(crate) direction: Direction,
    pub(crate) sender: Sender,
    pub(crate) provider_message_id: Option<&'a str>,
    pub(crate) kind: &'a str,
    pub(crate) body: Option<&'a str>,
    pub(crate) payload: &'a str,
    pub(crate) status: MessageStatus,
    pub(crate) error: Option<&'a str>,
    /// Why the bot sent it ([`BotReason`] as JSON text).
    pub(crate) reason: Option<&'a str>,
}

/// Inserts a message; returns its id, or `None` when a message with the
/// same (device, direction, provider id) already exists: the
/// de-duplication of provider retries.
pub(crate) async fn insert_message(
    tx: &mut sqlx::AnyConnection,
    m: &NewMessage<'_>,
    now: i64,
) -> Result<Option<MessageId>, sqlx::Error> {
    let id = MessageId::new();
    let inserted = insert_messages(tx, &[(&id, m.clone(), now)]).await?;
    Ok(inserted.contains(&id).then_some(id))
}

/// Inserts messages `(id, message, time)` with one multi-row statement
/// per chunk and returns the ids of those inserted: a message whose
/// (device, direction, provider id) is already stored, or earlier in
/// `rows`, is skipped (the de-duplication of provider retries).
pub(crate) async fn insert_messages(
    tx: &mut sqlx::AnyConnection,
    rows: &[(&MessageId, NewMessage<'_>, i64)],
) -> Result<HashSet<MessageId>, sqlx::Error> {
    // In key order, so concurrent writers of the same provider ids wait
    // for each other in one order.
    let mut rows: Vec<&(&MessageId, NewMessage<'_>, i64)> = rows.iter().collect();
    rows.sort_by_key(|(_, m, _)| (m.device_id, m.direction.as_str(), m.provider_message_id));
    let mut inserted = HashSet::with_capacity(rows.len());
    for chunk in db::chunks(&rows) {
        let sql = format!(
            "INSERT INTO messages (id, tenant_id, conversation_id, device_id, direction, sender, \
             provider_message_id, kind, body, payload, status, error, bot_reason, created_at, \
             updated_at) \
             VALUES {} ON CONFLICT (device_id, direction, provider_message_id) DO NOTHING \
             RETURNING id",
            db::values_placeholders(chunk.len(), 15)
        );
        let mut q = sqlx::query_scalar::<_, MessageId>(&sql);
        for &&(id, ref m, at) in chunk {
            q = q
                .bind(id)
                .bind(m.tenant_id)
                .bind(m.conversation_id)
                .bind(m.device_id)
                .bind(m.direction)
                .bind(m.sender)
                .bind(m.provider_message_id)
                .bind(m.kind)
                .bind(m.body)
                .bind(m.payload)
                .bind(m.status)
                .bind(m.error)
                .bind(m.reason)
                .bind(at)
                .bind(at);
        }
        inserted.extend(q.fetch_all(&mut *tx).await?);
    }
    Ok(inserted)
}

/// Stores outbound messages `(message, time)` (sent, or failed without a
/// provider id) and returns their ids, in order. Never fails on the
/// (device, direction, provider id) key:
///
/// - the provider id is already stored for the same message (same kind and
///   payload: a provider that de-duplicated a retried send): that row's id
///   is returned and nothing is added;
/// - it is stored for a different message (a gateway that reuses ids): the
///   new message is still stored, without the provider id, so the inbox
///   keeps everything that was sent and status webhooks for that id keep
///   updating the first message.
pub(crate) async fn insert_outbound(
    tx: &mut sqlx::AnyConnection,
    messages: &[(NewMessage<'_>, i64)],
) -> Result<Vec<MessageId>, sqlx::Error> {
    let ids: Vec<MessageId> = messages.iter().map(|_| MessageId::new()).collect();
    let rows: Vec<(&MessageId, NewMessage<'_>, i64)> = ids
        .iter()
        .zip(messages)
        .map(|(id, (m, at))| (id, m.clone(), *at))
        .collect();
    let inserted = insert_messages(&mut *tx, &rows).await?;
    let mut out = Vec::with_capacity(ids.len());
    for (id, (m, at)) in ids.into_iter().zip(messages) {
        if inserted.contains(&id) {
            out.push(id);
        } else {
            out.push(outbound_with_known_id(&mut *tx, m, *at).await?);
        }
    }
    Ok(out)
}

/// [`insert_outbound`] for a message whose provider id is already stored.
async fn outbound_with_known_id(
    tx: &mut sqlx::AnyConnection,
    m: &NewMessage<'_>,
    now: i64,
) -> Result<MessageId, sqlx::Error> {
    let existing: Option<(MessageId, String, String)> = sqlx::query_as(
        "SELECT id, kind, payload FROM messages WHERE device_id = $1 AND direction = $2 \
         AND provider_message_id = $3 AND tenant_id = $4",
    )
    .bind(m.device_id)
    .bind(m.direction)
    .bind(m.provider_message_id)
    .bind(m.tenant_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, kind, payload)) = existing
        && kind == m.kind
        && payload == m.payload
    {
        return Ok(id);
    }
    tracing::warn!(
        tenant = %m.tenant_id,
        device = m.device_id,
        "the provider returned a message id it already gave another message; stored without it"
    );
    let without_id = NewMessage {
        provider_message_id: None,
        ..m.clone()
    };
    insert_message(&mut *tx, &without_id, now)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// A conversation's new "last message" ([`touch_conversations`]).
#[derive(Debug, Clone)]
pub(crate) struct Touch<'a> {
    pub(crate) tenant_id: &'a TenantId,
    pub(crate) conversation_id: &'a ConversationId,
    /// The message's text (shortened to 120 characters for the preview).
    pub(crate) preview: Option<&'a str>,
    /// The customer's profile name, when the message carried one.
    pub(crate) contact_name: Option<&'a str>,
    pub(crate) at: i64,
}

/// Moves the conversations' "last message" forward, with one statement
/// per chunk; of several touches of one conversation the last wins.
pub(crate) async fn touch_conversations(
    tx: &mut sqlx::AnyConnection,
    touches: &[Touch<'_>],
) -> Result<(), sqlx::Error> {
    let mut last: Vec<&Touch<'_>> = Vec::with_capacity(touches.len());
    for t in touches {
        match last
            .iter_mut()
            .find(|l| l.conversation_id == t.conversation_id)
        {
            Some(l) => *l = t,
            None => last.push(t),
        }
    }
    // In id order, so concurrent writers lock shared rows in one order.
    last.sort_by_key(|t| t.conversation_id);
    db::execute_rows(
        tx,
        &last,
        5,
        |values| {
            format!(
                "WITH v (id, tenant_id, at, preview, name) AS (VALUES {values}) \
                 UPDATE conversations SET last_message_at = v.at, \
                 last_message_preview = v.preview, \
                 contact_name = COALESCE(v.name, conversations.contact_name) \
                 FROM v WHERE conversations.id = v.id AND conversations.tenant_id = v.tenant_id"
            )
        },
        |q, t| {
            q.bind(t.conversation_id)
                .bind(t.tenant_id)
                .bind(t.at)
                .bind(t.preview.map(|p| p.chars().take(120).collect::<String>()))
                .bind(t.contact_name)
        },
    )
    .await?;
    Ok(())
}

/// Applies a provider status to the outbound message with that provider
/// id on `device_id`. Returns whether a row changed. `failed` wins over
/// everything but `read`; other states only move forward.
pub(crate) async fn apply_status(
    pool: &AnyPool,
    device_id: &str,
    provider_message_id: &str,
    status: MessageStatus,
    error: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let Some(rank) = status.rank() else {
        return Ok(false);
    };
    // The stored status's rank, as `MessageStatus::rank` gives it.
    let ranks: String = MessageStatus::ALL
        .iter()
        .filter_map(|s| s.rank().map(|r| format!("WHEN '{s}' THEN {r} ")))
        .collect();
    let sql = format!(
        "UPDATE messages SET status = $1, error = COALESCE($2, error), updated_at = $3 \
         WHERE device_id = $4 AND direction = $7 AND provider_message_id = $5 \
         AND (CASE status {ranks}ELSE -1 END) < $6 \
         AND NOT (status = $8 AND $1 = $9)"
    );
    let done = sqlx::query(&sql)
        .bind(status)
        .bind(error)
        .bind(now_ms())
        .bind(device_id)
        .bind(provider_message_id)
        .bind(rank)
        .bind(Direction::Out)
        .bind(MessageStatus::Read)
        .bind(MessageStatus::Failed)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Lists a tenant's conversations, most recent first.
pub(crate) async fn list_conversations(
    pool: &AnyPool,
    tenant_id: &TenantId,
    device_id: Option<&DeviceId>,
    owner: Option<ConversationOwner>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ConversationView>, sqlx::Error> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 \
         AND ($2 IS NULL OR device_id = $2) AND ($3 IS NULL OR owner = $3) \
         AND ($4 IS NULL OR last_message_at < $4) \
         ORDER BY last_message_at DESC, id DESC LIMIT $5"
    );
    let rows: Vec<ConversationRow> = sqlx::query_as(&sql)
        .bind(tenant_id)
        .bind(device_id)
        .bind(owner)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(ConversationView::from).collect())
}

/// One conversation of a tenant.
pub(crate) async fn get_conversation(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &ConversationId,
) -> Result<Option<ConversationView>, sqlx::Error> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND id = $2"
    );
    let row: Option<ConversationRow> = sqlx::query_as(&sql)
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(ConversationView::from))
}

/// Messages of one conversation, oldest first, after `after` (ms) if given.
pub(crate) async fn list_messages(
    pool: &AnyPool,
    tenant_id: &TenantId,
    conversation_id: &ConversationId,
    limit: i64,
) -> Result<Vec<MessageView>, sqlx::Error> {
    // The newest `limit` messages, returned oldest first.
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = $1 AND conversation_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    let rows: Vec<MessageRow> = sqlx::query_as(&sql)
        .bind(tenant_id)
        .bind(conversation_id)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().rev().map(MessageView::from).collect())
}

/// One message of a tenant by id.
pub(crate) async fn get_message(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &MessageId,
) -> Result<Option<MessageView>, sqlx::Error> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = $1 AND id = $2");
    let row: Option<MessageRow> = sqlx::query_as(&sql)
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(MessageView::from))
}

/// Messages of a vendor since `since` (unix ms) per day number of
/// `(created_at + offset_ms) / 1 day`, direction and sender.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct DailyTraffic {
    /// The day number.
    #[sqlx(rename = "d")]
    pub(crate) day: i64,
    /// Which way.
    pub(crate) direction: Direction,
    /// Who wrote them.
    pub(crate) sender: Sender,
    /// Messages.
    pub(crate) n: i64,
}

/// The vendor's messages since `since` (unix ms) counted per day (of
/// `created_at + offset_ms`), direction and sender.
pub(crate) async fn traffic_per_day(
    pool: &AnyPool,
    tenant_id: &TenantId,
    offset_ms: i64,
    since: i64,
) -> Result<Vec<DailyTraffic>, sqlx::Error> {
    sqlx::query_as(
        "SELECT (created_at + $2) / 86400000 AS d, direction, sender, COUNT(*) AS n FROM messages \
         WHERE tenant_id = $1 AND created_at >= $3 GROUP BY d, direction, sender",
    )
    .bind(tenant_id)
    .bind(offset_ms)
    .bind(since)
    .fetch_all(pool)
    .await
}

/// An inbound text (lowercase) and how often it came.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TextCount {
    /// The text, lowercase.
    #[sqlx(rename = "t")]
    pub(crate) text: String,
    /// Occurrences.
    pub(crate) n: i64,
}

/// The `limit` most frequent inbound texts since `since` (unix ms), most
/// frequent first (ties by text).
pub(crate) async fn top_inbound_texts(
    pool: &AnyPool,
    tenant_id: &TenantId,
    since: i64,
    limit: i64,
) -> Result<Vec<TextCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT LOWER(body) AS t, COUNT(*) AS n FROM messages \
         WHERE tenant_id = $1 AND direction = $4 AND created_at >= $2 AND body IS NOT NULL AND body <> '' \
         GROUP BY LOWER(body) ORDER BY n DESC, t LIMIT $3",
    )
    .bind(tenant_id)
    .bind(since)
    .bind(limit)
    .bind(Direction::In)
    .fetch_all(pool)
    .await
}

/// When an agent last wrote in the conversation (unix ms), if ever.
pub(crate) async fn last_agent_message_at(
    pool: &AnyPool,
    tenant_id: &TenantId,
    conversation_id: &ConversationId,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT created_at FROM messages WHERE tenant_id = $1 AND conversation_id = $2 \
         AND sender = $3 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(tenant_id)
    .bind(conversation_id)
    .bind(Sender::Agent)
    .fetch_optional(pool)
    .await
}

/// Sets the owner of a conversation; returns the updated row, or `None`
/// when the tenant has no such conversation.
pub(crate) async fn set_owner(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &ConversationId,
    owner: ConversationOwner,
    agent_member_id: Option<&MemberId>,
) -> Result<Option<ConversationView>, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE conversations SET owner = $1, agent_member_id = $2, owner_changed_at = $3 \
         WHERE tenant_id = $4 AND id = $5",
    )
    .bind(owner)
    .bind(agent_member_id)
    .bind(now_ms())
    .bind(tenant_id)
    .bind(id)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    get_conversation(pool, tenant_id, id).await
}

/// What a bot turn leaves on its conversation ([`save_bot_outcomes`]).
#[derive(Debug, Clone)]
pub(crate) struct BotOutcome<'a> {
    pub(crate) tenant_id: &'a TenantId,
    pub(crate) conversation_id: &'a ConversationId,
    /// The new state (JSON text; empty clears it); `None` keeps it.
    pub(crate) state: Option<&'a str>,
    /// The bot asked for a human: the conversation goes to an agent.
    pub(crate) handoff: bool,
}

/// Stores the bots' conversation states and hands the conversations whose
/// bot asked for a human to an agent, with one statement per chunk. Of
/// several outcomes for one conversation the last state wins and any
/// handoff holds.
pub(crate) async fn save_bot_outcomes(
    tx: &mut sqlx::AnyConnection,
    outcomes: &[BotOutcome<'_>],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut merged: Vec<BotOutcome<'_>> = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        match merged
            .iter_mut()
            .find(|m| m.conversation_id == o.conversation_id)
        {
            Some(m) => {
                m.state = o.state.or(m.state);
                m.handoff |= o.handoff;
            }
            None => merged.push(o.clone()),
        }
    }
    // In id order, so concurrent writers lock shared rows in one order.
    merged.sort_by_key(|o| o.conversation_id);
    let agent = ConversationOwner::Agent.as_str();
    db::execute_rows(
        tx,
        &merged,
        5,
        |values| {
            format!(
                "WITH v (id, tenant_id, state, handoff, at) AS (VALUES {values}) \
                 UPDATE conversations SET bot_state = COALESCE(v.state, conversations.bot_state), \
                 owner = CASE WHEN v.handoff = 1 THEN '{agent}' ELSE conversations.owner END, \
                 owner_changed_at = CASE WHEN v.handoff = 1 THEN v.at \
                 ELSE conversations.owner_changed_at END \
                 FROM v WHERE conversations.id = v.id AND conversations.tenant_id = v.tenant_id"
            )
        },
        |q, o| {
            q.bind(o.conversation_id)
                .bind(o.tenant_id)
                .bind(o.state)
                .bind(i64::from(o.handoff))
                .bind(now)
        },
    )
    .await?;
    Ok(())
}

/// One stored message as the bot runtime reads history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct HistoryRow {
    pub(crate) direction: Direction,
    pub(crate) sender: Sender,
    pub(crate) kind: String,
    pub(crate) body: Option<String>,
    pub(crate) provider_message_id: Option<String>,
    pub(crate) created_at: i64,
}

/// The `limit` most recent messages of a conversation, newest first.
pub(crate) async fn recent_messages(
    pool: &AnyPool,
    tenant_id: &TenantId,
    conversation_id: &ConversationId,
    limit: i64,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT direction, sender, kind, body, provider_message_id, created_at FROM messages \
         WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(tenant_id)
    .bind(conversation_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The owner of a conversation and the provider id of its newest inbound
/// message (`None` for an unknown conversation).
pub(crate) async fn owner_and_newest_inbound(
    pool: &AnyPool,
    tenant_id: &TenantId,
    conversation_id: &ConversationId,
) -> Result<Option<(ConversationOwner, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.owner, (SELECT m.provider_message_id FROM messages m \
           WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND m.direction = $3 \
           ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS newest \
         FROM conversations c WHERE c.tenant_id = $1 AND c.id = $2",
    )
    .bind(tenant_id)
    .bind(conversation_id)
    .bind(Direction::In)
    .fetch_optional(pool)
    .await
}

/// The tenant's conversations with the customer `number` (E.164) on any
/// of its devices, oldest first.
pub(crate) async fn conversations_with(
    pool: &AnyPool,
    tenant_id: &TenantId,
    number: &str,
) -> Result<Vec<ConversationView>, sqlx::Error> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations \
         WHERE tenant_id = $1 AND contact_number = $2 ORDER BY created_at, id"
    );
    let rows: Vec<ConversationRow> = sqlx::query_as(&sql)
        .bind(tenant_id)
        .bind(number)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(ConversationView::from).collect())
}

/// Deletes the tenant's conversations with the customer `number` and
/// their messages; answers how many of each.
pub(crate) async fn erase_number(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    number: &str,
) -> Result<(u64, u64), sqlx::Error> {
    let messages = sqlx::query(
        "DELETE FROM messages WHERE tenant_id = $1 AND conversation_id IN \
         (SELECT id FROM conversations WHERE tenant_id = $1 AND contact_number = $2)",
    )
    .bind(tenant_id)
    .bind(number)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let conversations =
        sqlx::query("DELETE FROM conversations WHERE tenant_id = $1 AND contact_number = $2")
            .bind(tenant_id)
            .bind(number)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    Ok((conversations, messages))
}

/// Deletes up to `limit` of the tenant's oldest messages created before
/// `cutoff` (unix ms), and the previews of conversations quiet since
/// then; answers how many messages went.
pub(crate) async fn delete_messages_before(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    cutoff: i64,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query(
        "DELETE FROM messages WHERE id IN (SELECT id FROM messages \
         WHERE tenant_id = $1 AND created_at < $2 ORDER BY created_at LIMIT $3)",
    )
    .bind(tenant_id)
    .bind(cutoff)
    .bind(limit)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE conversations SET last_message_preview = NULL \
         WHERE tenant_id = $1 AND last_message_at < $2 AND last_message_preview IS NOT NULL",
    )
    .bind(tenant_id)
    .bind(cutoff)
    .execute(&mut *conn)
    .await?;
    Ok(deleted)
}

/// Deletes every conversation and message of a tenant.
pub(crate) async fn purge_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM messages WHERE tenant_id = $1",
        "DELETE FROM conversations WHERE tenant_id = $1",
    ] {
        sqlx::query(sql).bind(tenant_id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records on a customer's message (found by its device and provider id)
/// why the bot did not answer it.
pub(crate) async fn set_inbound_reason(
    pool: &AnyPool,
    tenant_id: &TenantId,
    device_id: &str,
    provider_message_id: &str,
    reason: &BotReason,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE messages SET bot_reason = $1 WHERE tenant_id = $2 AND device_id = $3 \
         AND direction = $4 AND provider_message_id = $5",
    )
    .bind(reason.to_json())
    .bind(tenant_id)
    .bind(device_id)
    .bind(Direction::In)
    .bind(provider_message_id)
    .execute(pool)
    .await?;
    Ok(())
}
