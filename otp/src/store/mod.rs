//! Where challenges and send counters live.
//!
//! The engine keeps the rules; a store only has to make a few operations
//! atomic. [`MemoryStore`] serves one process; `SqlStore` (feature `sql`)
//! keeps the counters correct across any number of server replicas sharing
//! a SQLite or PostgreSQL database.

use std::sync::Arc;

use async_trait::async_trait;

mod memory;
#[cfg(feature = "sql")]
mod sql;

pub use memory::MemoryStore;
#[cfg(feature = "sql")]
pub use sql::SqlStore;

/// A store failed. The message never contains codes or hashes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database answered with an error or could not be reached.
    #[error("database error: {0}")]
    Database(String),
    /// A stored row could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// A challenge as the engine creates it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewChallenge {
    /// Random id, 32 hex characters.
    pub id: String,
    /// The purpose's name.
    pub purpose: String,
    /// The destination's key ([`Destination::to_key`](crate::Destination::to_key)).
    pub destination: String,
    /// HMAC of the code; never the code itself.
    pub code_hash: [u8; 32],
    /// Creation time, unix milliseconds.
    pub created_at_ms: i64,
    /// Expiry time, unix milliseconds.
    pub expires_at_ms: i64,
    /// Attempts allowed.
    pub max_attempts: u32,
}

impl NewChallenge {
    /// Builds a record (used by the engine and by store tests).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: impl Into<String>,
        purpose: impl Into<String>,
        destination: impl Into<String>,
        code_hash: [u8; 32],
        created_at_ms: i64,
        expires_at_ms: i64,
        max_attempts: u32,
    ) -> Self {
        Self {
            id: id.into(),
            purpose: purpose.into(),
            destination: destination.into(),
            code_hash,
            created_at_ms,
            expires_at_ms,
            max_attempts,
        }
    }
}

impl std::fmt::Debug for NewChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewChallenge")
            .field("id", &self.id)
            .field("purpose", &self.purpose)
            .field("code_hash", &"[redacted]")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// The state of a challenge right after [`Store::begin_attempt`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptState {
    /// True when this call took one of the allowed attempts, so the engine
    /// may compare the code. False when the challenge was closed, expired or
    /// locked before the call; nothing was counted then.
    pub reserved: bool,
    /// Attempts used, including this one when `reserved`.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Expiry time, unix milliseconds.
    pub expires_at_ms: i64,
    /// The challenge was already verified.
    pub consumed: bool,
    /// A newer challenge replaced this one.
    pub superseded: bool,
    /// The stored code hash.
    pub code_hash: [u8; 32],
    /// The destination's key.
    pub destination: String,
}

impl AttemptState {
    /// Builds a state (for store implementations).
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    pub fn new(
        reserved: bool,
        attempts: u32,
        max_attempts: u32,
        expires_at_ms: i64,
        consumed: bool,
        superseded: bool,
        code_hash: [u8; 32],
        destination: String,
    ) -> Self {
        Self {
            reserved,
            attempts,
            max_attempts,
            expires_at_ms,
            consumed,
            superseded,
            code_hash,
            destination,
        }
    }
}

impl std::fmt::Debug for AttemptState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttemptState")
            .field("reserved", &self.reserved)
            .field("attempts", &self.attempts)
            .field("max_attempts", &self.max_attempts)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("consumed", &self.consumed)
            .field("superseded", &self.superseded)
            .field("code_hash", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Recent send times for one counter key, with a version for
/// compare-and-swap.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SendLog {
    /// Send times, unix milliseconds, oldest first.
    pub stamps: Vec<i64>,
    /// Bumped by every successful save.
    pub version: i64,
}

impl SendLog {
    /// Builds a log (for store implementations).
    pub fn new(stamps: Vec<i64>, version: i64) -> Self {
        Self { stamps, version }
    }
}

/// Persistence for challenges and send counters.
///
/// Every method must be atomic on its own; that is all the engine needs to
/// keep its limits across replicas. Implementations must never log codes or
/// hashes.
#[async_trait]
pub trait Store: Send + Sync {
    /// Stores a new challenge.
    async fn insert_challenge(&self, challenge: &NewChallenge) -> Result<(), StoreError>;

    /// Marks every open challenge with the same purpose and destination,
    /// except `keep_id`, as superseded. Returns how many were closed.
    async fn supersede_others(
        &self,
        purpose: &str,
        destination: &str,
        keep_id: &str,
        now_ms: i64,
    ) -> Result<u64, StoreError>;

    /// Deletes a challenge (used when its code could not be delivered).
    async fn delete_challenge(&self, id: &str) -> Result<(), StoreError>;

    /// In one atomic step: if challenge `id` exists for `purpose`, is open
    /// (not consumed, not superseded), not expired at `now_ms` and has
    /// attempts left, count one attempt and report `reserved = true`.
    /// Otherwise change nothing and report its state with `reserved = false`.
    /// `None` when there is no such challenge for this purpose.
    async fn begin_attempt(
        &self,
        id: &str,
        purpose: &str,
        now_ms: i64,
    ) -> Result<Option<AttemptState>, StoreError>;

    /// Marks the challenge verified, if it is still open. Returns whether
    /// this call closed it (so a code verifies at most once).
    async fn consume(&self, id: &str, now_ms: i64) -> Result<bool, StoreError>;

    /// Reads the send log of a counter key.
    async fn load_send_log(&self, key: &str) -> Result<Option<SendLog>, StoreError>;

    /// Writes the send log of a counter key if its version is still
    /// `expected_version` (`None`: the key must not exist yet). Returns
    /// false, changing nothing, when another writer got there first.
    /// `expires_at_ms` is when the log may be deleted.
    async fn save_send_log(
        &self,
        key: &str,
        expected_version: Option<i64>,
        stamps: &[i64],
        expires_at_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes challenges that expired before `challenges_before_ms` and
    /// send logs whose expiry is before `now_ms`. Returns the rows deleted.
    async fn purge(&self, challenges_before_ms: i64, now_ms: i64) -> Result<u64, StoreError>;
}

#[async_trait]
impl<S: Store + ?Sized> Store for Arc<S> {
    async fn insert_challenge(&self, challenge: &NewChallenge) -> Result<(), StoreError> {
        (**self).insert_challenge(challenge).await
    }
    async fn supersede_others(
        &self,
        purpose: &str,
        destination: &str,
        keep_id: &str,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        (**self)
            .supersede_others(purpose, destination, keep_id, now_ms)
            .await
    }
    async fn delete_challenge(&self, id: &str) -> Result<(), StoreError> {
        (**self).delete_challenge(id).await
    }
    async fn begin_attempt(
        &self,
        id: &str,
        purpose: &str,
        now_ms: i64,
    ) -> Result<Option<AttemptState>, StoreError> {
        (**self).begin_attempt(id, purpose, now_ms).await
    }
    async fn consume(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        (**self).consume(id, now_ms).await
    }
    async fn load_send_log(&self, key: &str) -> Result<Option<SendLog>, StoreError> {
        (**self).load_send_log(key).await
    }
    async fn save_send_log(
        &self,
        key: &str,
        expected_version: Option<i64>,
        stamps: &[i64],
        expires_at_ms: i64,
    ) -> Result<bool, StoreError> {
        (**self)
            .save_send_log(key, expected_version, stamps, expires_at_ms)
            .await
    }
    async fn purge(&self, challenges_before_ms: i64, now_ms: i64) -> Result<u64, StoreError> {
        (**self).purge(challenges_before_ms, now_ms).await
    }
}
