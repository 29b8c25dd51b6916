//! Conversation state, history, inbound de-duplication and the plugin
//! key-value store, behind one trait with an in-memory and a SQL backend.

mod memory;
mod sql;

use async_trait::async_trait;

pub use memory::{DEFAULT_DEDUPE_WINDOW, MemoryStore};
pub use sql::{SqlStore, conversations_migrator, kv_migrator};

use whatsapp_client::Recipient;
use whatsapp_client::webhook::InboundMessage;

use crate::model::{Author, Conversation, HistoryEntry, Owner, describe};
use crate::pipeline::{Conversations, Newest};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A stored value could not be read back.
    #[error("corrupt stored value in {what}: {detail}")]
    Corrupt {
        /// Which column.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// Where the runtime keeps conversations.
///
/// Every method is scoped by tenant; a tenant never sees another's data.
/// A conversation is keyed by its contact (the `contact` argument): the
/// E.164 number (`+6281234567890`), or the business-scoped user id
/// (`US.13491208655302741918`) of a customer whose number WhatsApp does
/// not share. [`ConversationStore::contact_key`] finds the key of a sender.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Records an inbound provider message id. Returns `true` the first
    /// time and `false` for a repeat: the claim is atomic (a unique key), so
    /// of two concurrent deliveries of one id exactly one gets `true`.
    async fn claim_inbound(
        &self,
        tenant: &str,
        message_id: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Forgets inbound claims recorded before `before_ms` and returns how
    /// many were removed. Providers stop retrying a delivery after a while
    /// (Meta: up to 7 days), so claims older than that only take space;
    /// [`crate::Runtime::forget_inbound_older_than`] calls this.
    async fn forget_inbound_before(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// The key of the conversation with a customer known by `phone` (E.164),
    /// `user_id` (business-scoped user id) or both; at least one is given.
    ///
    /// The rule: a customer with a number is keyed by the number, one
    /// without by the user id; when both arrive together they name the
    /// same customer, so a conversation begun under the user id alone
    /// continues under the number (it is re-keyed, history included), and
    /// the number's conversation remembers the user id, so that a later
    /// message with only the user id finds it. The default implementation
    /// only applies the first part (no memory of user ids); [`MemoryStore`]
    /// and [`SqlStore`] implement all of it.
    async fn contact_key(
        &self,
        tenant: &str,
        phone: Option<&str>,
        user_id: Option<&str>,
        at_ms: i64,
    ) -> Result<String, StoreError> {
        let _ = (tenant, at_ms);
        Ok(phone.or(user_id).unwrap_or_default().to_owned())
    }

    /// Creates the conversation if needed, records the contact's name when
    /// given, bumps `updated_ms` and returns the conversation.
    async fn touch(
        &self,
        tenant: &str,
        phone: &str,
        name: Option<&str>,
        at_ms: i64,
    ) -> Result<Conversation, StoreError>;

    /// One conversation.
    async fn conversation(
        &self,
        tenant: &str,
        phone: &str,
    ) -> Result<Option<Conversation>, StoreError>;

    /// The tenant's conversations, most recently active first.
    async fn conversations(
        &self,
        tenant: &str,
        limit: u32,
    ) -> Result<Vec<Conversation>, StoreError>;

    /// Sets who answers the conversation.
    async fn set_owner(
        &self,
        tenant: &str,
        phone: &str,
        owner: Owner,
        reason: Option<&str>,
        at_ms: i64,
    ) -> Result<(), StoreError>;

    /// Replaces the plugin-visible state.
    async fn set_state(
        &self,
        tenant: &str,
        phone: &str,
        state: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Adds a tag (no-op when present).
    async fn add_tag(&self, tenant: &str, phone: &str, tag: &str) -> Result<(), StoreError>;

    /// Removes a tag (no-op when absent).
    async fn remove_tag(&self, tenant: &str, phone: &str, tag: &str) -> Result<(), StoreError>;

    /// Sets a custom field (`None` removes it).
    async fn set_field(
        &self,
        tenant: &str,
        phone: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Appends a message to the history.
    async fn append(
        &self,
        tenant: &str,
        phone: &str,
        entry: &HistoryEntry,
    ) -> Result<(), StoreError>;

    /// The last `limit` messages, oldest first.
    async fn history(
        &self,
        tenant: &str,
        phone: &str,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError>;

    /// A plugin's value under `key`.
    async fn kv_get(
        &self,
        tenant: &str,
        plugin: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores a plugin's value.
    async fn kv_set(
        &self,
        tenant: &str,
        plugin: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), StoreError>;

    /// Removes a plugin's value.
    async fn kv_delete(&self, tenant: &str, plugin: &str, key: &str) -> Result<(), StoreError>;
}

/// How many recent entries [`Conversations::newest`] searches for the newest
/// inbound message (replies sent during a debounce window are few).
const NEWEST_SCAN: u32 = 32;

/// The key of `sender`'s conversation ([`ConversationStore::contact_key`]);
/// `user_id` is the sender's user id when the message also names one.
pub(crate) async fn key_of(
    store: &dyn ConversationStore,
    tenant: &str,
    sender: &Recipient,
    user_id: Option<&str>,
    at_ms: i64,
) -> Result<String, StoreError> {
    let phone = sender.phone().map(|p| p.e164());
    let user_id = sender.user_id().map(|u| u.as_str()).or(user_id);
    store.contact_key(tenant, phone, user_id, at_ms).await
}

/// A [`ConversationStore`] keeps conversations by tenant and contact, so
/// it is the pipeline's [`Conversations`] as it is.
#[async_trait]
impl Conversations for dyn ConversationStore {
    async fn receive(
        &self,
        tenant: &str,
        message: &InboundMessage<Recipient>,
        at_ms: i64,
    ) -> Result<Option<Conversation>, StoreError> {
        if !self.claim_inbound(tenant, &message.id, at_ms).await? {
            return Ok(None);
        }
        let user_id = message.user_id.as_ref().map(|u| u.as_str());
        let key = key_of(self, tenant, &message.from, user_id, at_ms).await?;
        let conversation = self
            .touch(tenant, &key, message.from_name.as_deref(), at_ms)
            .await?;
        self.append(
            tenant,
            &key,
            &HistoryEntry {
                author: Author::Customer,
                text: describe(&message.content),
                provider_message_id: Some(message.id.clone()),
                at_ms,
            },
        )
        .await?;
        Ok(Some(conversation))
    }

    async fn history(
        &self,
        conversation: &Conversation,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        ConversationStore::history(self, &conversation.tenant, &conversation.contact, limit).await
    }

    async fn newest(&self, conversation: &Conversation) -> Result<Newest, StoreError> {
        let (tenant, phone) = (&conversation.tenant, &conversation.contact);
        let owner = self
            .conversation(tenant, phone)
            .await?
            .map_or(Owner::Bot, |c| c.owner);
        let recent = ConversationStore::history(self, tenant, phone, NEWEST_SCAN).await?;
        let inbound_id = recent
            .into_iter()
            .rev()
            .find(|h| h.author.is_inbound())
            .and_then(|h| h.provider_message_id);
        Ok(Newest { owner, inbound_id })
    }

    async fn hand_back(&self, conversation: &Conversation, at_ms: i64) -> Result<(), StoreError> {
        self.set_owner(
            &conversation.tenant,
            &conversation.contact,
            Owner::Bot,
            None,
            at_ms,
        )
        .await
    }
}
