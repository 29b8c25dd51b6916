//! In-process store.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::{AttemptState, NewChallenge, SendLog, Store, StoreError};

/// A store in this process's memory. Right for one server process and for
/// tests; with several replicas use `SqlStore`, or each replica would count
/// sends and attempts on its own.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    challenges: HashMap<String, Row>,
    logs: HashMap<String, (SendLog, i64)>,
}

#[derive(Debug)]
struct Row {
    purpose: String,
    destination: String,
    code_hash: [u8; 32],
    expires_at_ms: i64,
    attempts: u32,
    max_attempts: u32,
    consumed: bool,
    superseded: bool,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Number of challenges held, open or not.
    pub fn challenge_count(&self) -> usize {
        self.lock().challenges.len()
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn insert_challenge(&self, c: &NewChallenge) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.challenges.contains_key(&c.id) {
            return Err(StoreError::Database(format!(
                "duplicate challenge id {}",
                c.id
            )));
        }
        state.challenges.insert(
            c.id.clone(),
            Row {
                purpose: c.purpose.clone(),
                destination: c.destination.clone(),
                code_hash: c.code_hash,
                expires_at_ms: c.expires_at_ms,
                attempts: 0,
                max_attempts: c.max_attempts,
                consumed: false,
                superseded: false,
            },
        );
        Ok(())
    }

    async fn supersede_others(
        &self,
        purpose: &str,
        destination: &str,
        keep_id: &str,
        _now_ms: i64,
    ) -> Result<u64, StoreError> {
        let mut closed = 0;
        for (id, row) in &mut self.lock().challenges {
            if id != keep_id
                && row.purpose == purpose
                && row.destination == destination
                && !row.consumed
                && !row.superseded
            {
                row.superseded = true;
                closed += 1;
            }
        }
        Ok(closed)
    }

    async fn delete_challenge(&self, id: &str) -> Result<(), StoreError> {
        self.lock().challenges.remove(id);
        Ok(())
    }

    async fn begin_attempt(
        &self,
        id: &str,
        purpose: &str,
        now_ms: i64,
    ) -> Result<Option<AttemptState>, StoreError> {
        let mut state = self.lock();
        let Some(row) = state.challenges.get_mut(id) else {
            return Ok(None);
        };
        if row.purpose != purpose {
            return Ok(None);
        }
        let reserved = !row.consumed
            && !row.superseded
            && row.expires_at_ms > now_ms
            && row.attempts < row.max_attempts;
        if reserved {
            row.attempts += 1;
        }
        Ok(Some(AttemptState {
            reserved,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            expires_at_ms: row.expires_at_ms,
            consumed: row.consumed,
            superseded: row.superseded,
            code_hash: row.code_hash,
            destination: row.destination.clone(),
        }))
    }

    async fn consume(&self, id: &str, _now_ms: i64) -> Result<bool, StoreError> {
        let mut state = self.lock();
        match state.challenges.get_mut(id) {
            Some(row) if !row.consumed && !row.superseded => {
                row.consumed = true;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn load_send_log(&self, key: &str) -> Result<Option<SendLog>, StoreError> {
        Ok(self.lock().logs.get(key).map(|(log, _)| log.clone()))
    }

    async fn save_send_log(
        &self,
        key: &str,
        expected_version: Option<i64>,
        stamps: &[i64],
        expires_at_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let current = state.logs.get(key).map(|(log, _)| log.version);
        if current != expected_version {
            return Ok(false);
        }
        let version = current.unwrap_or(0) + 1;
        state.logs.insert(
            key.to_owned(),
            (SendLog::new(stamps.to_vec(), version), expires_at_ms),
        );
        Ok(true)
    }

    async fn purge(&self, challenges_before_ms: i64, now_ms: i64) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let before = state.challenges.len() + state.logs.len();
        state
            .challenges
            .retain(|_, row| row.expires_at_ms >= challenges_before_ms);
        state.logs.retain(|_, (_, expires)| *expires >= now_ms);
        let after = state.challenges.len() + state.logs.len();
        Ok((before - after) as u64)
    }
}
