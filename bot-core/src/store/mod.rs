//! Conversation state, history, inbound de-duplication and the plugin
//! key-value store, behind one trait with an in-memory and a SQL backend.

mod memory;
mod sql;

use async_trait::async_trait;

pub use memory::{DEFAULT_DEDUPE_WINDOW, MemoryStore};
pub use sql::SqlStore;

use crate::model::{Conversation, HistoryEntry, Owner};

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
