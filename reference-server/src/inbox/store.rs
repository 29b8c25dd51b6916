//! SQL for conversations and messages (tables `conversations`, `messages`).
//!
//! Every statement names `tenant_id` in its WHERE clause, except the status
//! update, which is keyed by the device (whose tenant was resolved when the
//! webhook's device was loaded) and the provider's message id.

use sqlx::{AnyPool, Row, any::AnyRow};

use std::collections::{HashMap, HashSet};

use super::model::{ConversationView, MessageView};
use crate::db::{self, new_id, now_ms};
use crate::domain::TenantId;

/// Who owns a conversation.
pub(crate) const OWNER_BOT: &str = "bot";
/// A human agent owns it; the bot stays quiet.
pub(crate) const OWNER_AGENT: &str = "agent";

pub(crate) const CONVERSATION_COLUMNS: &str = "id, device_id, contact_number, contact_user_id, \
     contact_name, owner, agent_member_id, last_message_at, last_message_preview, created_at";

pub(crate) fn conversation_from_row(row: &AnyRow) -> Result<ConversationView, sqlx::Error> {
    // The stored contact is a number (E.164, `+...`) or, while no number is
    // known, the user id.
    let contact: String = row.try_get("contact_number")?;
    let user_id: Option<String> = row.try_get("contact_user_id")?;
    let (contact_number, contact_user_id) = if contact.starts_with('+') {
        (Some(contact), user_id)
    } else {
        (None, user_id.or(Some(contact)))
    };
    Ok(ConversationView {
        id: row.try_get("id")?,
        device_id: row.try_get("device_id")?,
        contact_number,
        contact_user_id,
        contact_name: row.try_get("contact_name")?,
        owner: row.try_get("owner")?,
        agent_member_id: row.try_get("agent_member_id")?,
        last_message_at: row.try_get("last_message_at")?,
        last_message_preview: row.try_get("last_message_preview")?,
        created_at: row.try_get("created_at")?,
    })
}

const MESSAGE_COLUMNS: &str = "id, direction, sender, provider_message_id, kind, body, payload, \
     status, error, created_at, updated_at";

fn message_from_row(row: &AnyRow) -> Result<MessageView, sqlx::Error> {
    let payload: String = row.try_get("payload")?;
    Ok(MessageView {
        id: row.try_get("id")?,
        direction: row.try_get("direction")?,
        sender: row.try_get("sender")?,
        provider_message_id: row.try_get("provider_message_id")?,
        kind: row.try_get("kind")?,
        body: row.try_get("body")?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        status: row.try_get("status")?,
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The bits of a conversation the inbound path needs.
#[derive(Debug, Clone)]
pub(crate) struct ConversationRef {
    pub(crate) id: String,
    /// The contact it is kept under: a number (E.164) or a user id.
    pub(crate) contact: String,
    pub(crate) owner: String,
    pub(crate) owner_changed_at: Option<i64>,
    pub(crate) bot_state: Option<String>,
}

/// Finds or creates the conversation of `contact` on `device`.
pub(crate) async fn upsert_conversation(
    tx: &mut sqlx::AnyConnection,
    tenant_id: &str,
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
    pub(crate) tenant_id: &'a str,
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
    let mut found: HashMap<(String, String), (String, ConversationRef)> =
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
                .bind(new_id())
                .bind(k.tenant_id)
                .bind(k.device_id)
                .bind(k.contact)
                .bind(OWNER_BOT)
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
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(k.device_id).bind(k.contact);
        }
        for row in q.fetch_all(&mut *tx).await? {
            let key = (row.try_get("device_id")?, row.try_get("contact_number")?);
            let conv = ConversationRef {
                id: row.try_get("id")?,
                contact: row.try_get("contact_number")?,
                owner: row.try_get("owner")?,
                owner_changed_at: row.try_get("owner_changed_at")?,
                bot_state: row.try_get("bot_state")?,
            };
            found.insert(key, (row.try_get("tenant_id")?, conv));
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
    tenant_id: &str,
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
    tenant_id: &str,
    device_id: &str,
    conversation_id: &str,
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
    pub(crate) tenant_id: &'a str,
    pub(crate) conversation_id: &'a str,
    pub(crate) device_id: &'a str,
    pub(crate) direction: &'a str,
    pub(crate) sender: &'a str,
    pub(crate) provider_message_id: Option<&'a str>,
    pub(crate) kind: &'a str,
    pub(crate) body: Option<&'a str>,
    pub(crate) payload: &'a str,
    pub(crate) status: &'a str,
    pub(crate) error: Option<&'a str>,
}

/// Inserts a message; returns its id, or `None` when a message with the
/// same (device, direction, provider id) already exists: the
/// de-duplication of provider retries.
pub(crate) async fn insert_message(
    tx: &mut sqlx::AnyConnection,
    m: &NewMessage<'_>,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let id = new_id();
    let inserted = insert_messages(tx, &[(id.as_str(), m.clone(), now)]).await?;
    Ok(inserted.contains(&id).then_some(id))
}

/// Inserts messages `(id, message, time)` with one multi-row statement
/// per chunk and returns the ids of those inserted: a message whose
/// (device, direction, provider id) is already stored, or earlier in
/// `rows`, is skipped (the de-duplication of provider retries).
pub(crate) async fn insert_messages(
    tx: &mut sqlx::AnyConnection,
    rows: &[(&str, NewMessage<'_>, i64)],
) -> Result<HashSet<String>, sqlx::Error> {
    // In key order, so concurrent writers of the same provider ids wait
    // for each other in one order.
    let mut rows: Vec<&(&str, NewMessage<'_>, i64)> = rows.iter().collect();
    rows.sort_by_key(|(_, m, _)| (m.device_id, m.direction, m.provider_message_id));
    let mut inserted = HashSet::with_capacity(rows.len());
    for chunk in db::chunks(&rows) {
        let sql = format!(
            "INSERT INTO messages (id, tenant_id, conversation_id, device_id, direction, sender, \
             provider_message_id, kind, body, payload, status, error, created_at, updated_at) \
             VALUES {} ON CONFLICT (device_id, direction, provider_message_id) DO NOTHING \
             RETURNING id",
            db::values_placeholders(chunk.len(), 14)
        );
        let mut q = sqlx::query(&sql);
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
                .bind(at)
                .bind(at);
        }
        for row in q.fetch_all(&mut *tx).await? {
            inserted.insert(row.try_get("id")?);
        }
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
) -> Result<Vec<String>, sqlx::Error> {
    let ids: Vec<String> = messages.iter().map(|_| new_id()).collect();
    let rows: Vec<(&str, NewMessage<'_>, i64)> = ids
        .iter()
        .zip(messages)
        .map(|(id, (m, at))| (id.as_str(), m.clone(), *at))
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
) -> Result<String, sqlx::Error> {
    let existing: Option<(String, String, String)> = sqlx::query_as(
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
        tenant = m.tenant_id,
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
    pub(crate) tenant_id: &'a str,
    pub(crate) conversation_id: &'a str,
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

/// Order of delivery states; a status webhook never moves a message back
/// (Meta may deliver `delivered` after `read`).
pub(crate) fn status_rank(status: &str) -> i64 {
    match status {
        "pending" => 0,
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        "failed" => 4,
        _ => -1,
    }
}

/// Applies a provider status to the outbound message with that provider
/// id on `device_id`. Returns whether a row changed. `failed` wins over
/// everything but `read`; other states only move forward.
pub(crate) async fn apply_status(
    pool: &AnyPool,
    device_id: &str,
    provider_message_id: &str,
    status: &str,
    error: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let rank = status_rank(status);
    if rank < 0 {
        return Ok(false);
    }
    let done = sqlx::query(
        "UPDATE messages SET status = $1, error = COALESCE($2, error), updated_at = $3 \
         WHERE device_id = $4 AND direction = 'out' AND provider_message_id = $5 \
         AND (CASE status WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 \
              WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE -1 END) < $6 \
         AND NOT (status = 'read' AND $1 = 'failed')",
    )
    .bind(status)
    .bind(error)
    .bind(now_ms())
    .bind(device_id)
    .bind(provider_message_id)
    .bind(rank)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Lists a tenant's conversations, most recent first.
pub(crate) async fn list_conversations(
    pool: &AnyPool,
    tenant_id: &str,
    device_id: Option<&str>,
    owner: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ConversationView>, sqlx::Error> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 \
         AND ($2 IS NULL OR device_id = $2) AND ($3 IS NULL OR owner = $3) \
         AND ($4 IS NULL OR last_message_at < $4) \
         ORDER BY last_message_at DESC, id DESC LIMIT $5"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(device_id)
        .bind(owner)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter().map(conversation_from_row).collect()
}

/// One conversation of a tenant.
pub(crate) async fn get_conversation(
    pool: &AnyPool,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ConversationView>, sqlx::Error> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(conversation_from_row).transpose()
}

/// Messages of one conversation, oldest first, after `after` (ms) if given.
pub(crate) async fn list_messages(
    pool: &AnyPool,
    tenant_id: &str,
    conversation_id: &str,
    limit: i64,
) -> Result<Vec<MessageView>, sqlx::Error> {
    // The newest `limit` messages, returned oldest first.
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = $1 AND conversation_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(conversation_id)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    let mut v = rows
        .iter()
        .map(message_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    v.reverse();
    Ok(v)
}

/// One message of a tenant by id.
pub(crate) async fn get_message(
    pool: &AnyPool,
    tenant_id: &str,
    id: &str,
) -> Result<Option<MessageView>, sqlx::Error> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(message_from_row).transpose()
}

/// Messages of a vendor since `since` (unix ms) per day number of
/// `(created_at + offset_ms) / 1 day`, direction and sender.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct DailyTraffic {
    /// The day number.
    #[sqlx(rename = "d")]
    pub(crate) day: i64,
    /// `in` or `out`.
    pub(crate) direction: String,
    /// `contact`, `bot`, `agent`, `api` or `system`.
    pub(crate) sender: String,
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
         WHERE tenant_id = $1 AND direction = 'in' AND created_at >= $2 AND body IS NOT NULL AND body <> '' \
         GROUP BY LOWER(body) ORDER BY n DESC, t LIMIT $3",
    )
    .bind(tenant_id)
    .bind(since)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// When an agent last wrote in the conversation (unix ms), if ever.
pub(crate) async fn last_agent_message_at(
    pool: &AnyPool,
    tenant_id: &str,
    conversation_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT created_at FROM messages WHERE tenant_id = $1 AND conversation_id = $2 \
         AND sender = 'agent' ORDER BY created_at DESC LIMIT 1",
    )
    .bind(tenant_id)
    .bind(conversation_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(t,)| t))
}

/// Sets the owner of a conversation; returns the updated row, or `None`
/// when the tenant has no such conversation.
pub(crate) async fn set_owner(
    pool: &AnyPool,
    tenant_id: &str,
    id: &str,
    owner: &str,
    agent_member_id: Option<&str>,
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
    pub(crate) tenant_id: &'a str,
    pub(crate) conversation_id: &'a str,
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
    db::execute_rows(
        tx,
        &merged,
        5,
        |values| {
            format!(
                "WITH v (id, tenant_id, state, handoff, at) AS (VALUES {values}) \
                 UPDATE conversations SET bot_state = COALESCE(v.state, conversations.bot_state), \
                 owner = CASE WHEN v.handoff = 1 THEN 'agent' ELSE conversations.owner END, \
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
    pub(crate) direction: String,
    pub(crate) sender: String,
    pub(crate) kind: String,
    pub(crate) body: Option<String>,
    pub(crate) provider_message_id: Option<String>,
    pub(crate) created_at: i64,
}

/// The `limit` most recent messages of a conversation, newest first.
pub(crate) async fn recent_messages(
    pool: &AnyPool,
    tenant_id: &str,
    conversation_id: &str,
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
    tenant_id: &str,
    conversation_id: &str,
) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.owner, (SELECT m.provider_message_id FROM messages m \
           WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND m.direction = 'in' \
           ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS newest \
         FROM conversations c WHERE c.tenant_id = $1 AND c.id = $2",
    )
    .bind(tenant_id)
    .bind(conversation_id)
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
    let rows = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(number)
        .fetch_all(pool)
        .await?;
    rows.iter().map(conversation_from_row).collect()
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
