use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{ConversationStore, StoreError};
use crate::model::{Conversation, HistoryEntry, Owner};

type Key = (String, String);

#[derive(Debug, Default)]
struct Inner {
    /// Claimed inbound ids with the time they were claimed.
    inbound: HashMap<Key, i64>,
    /// The same claims in claim order, for pruning from the front.
    inbound_order: VecDeque<(i64, Key)>,
    conversations: HashMap<Key, Conversation>,
    /// (tenant, business-scoped user id) -> the conversation's contact.
    user_ids: HashMap<Key, String>,
    history: HashMap<Key, Vec<HistoryEntry>>,
    kv: HashMap<(String, String, String), Vec<u8>>,
}

/// An in-memory [`ConversationStore`] for tests and single-process apps.
///
/// History is capped per conversation (`history_cap`, default 200 entries);
/// inbound message ids are remembered for `dedupe_window` (default 7 days,
/// the longest Meta retries a webhook) and then dropped as new ones arrive;
/// everything else grows with use and is lost on restart.
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    history_cap: usize,
    dedupe_window_ms: i64,
}

/// How long [`MemoryStore`] remembers inbound ids by default: 7 days.
pub const DEFAULT_DEDUPE_WINDOW: std::time::Duration =
    std::time::Duration::from_secs(7 * 24 * 3600);

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: Mutex::default(),
            history_cap: 200,
            dedupe_window_ms: millis(DEFAULT_DEDUPE_WINDOW),
        }
    }

    /// Remembers inbound message ids for `window` after they were claimed.
    #[must_use]
    pub fn with_dedupe_window(mut self, window: std::time::Duration) -> Self {
        self.dedupe_window_ms = millis(window);
        self
    }

    /// How many inbound ids are remembered right now.
    #[must_use]
    pub fn remembered_inbound(&self) -> usize {
        self.lock().inbound.len()
    }

    /// Keeps at most `cap` history entries per conversation.
    #[must_use]
    pub fn with_history_cap(mut self, cap: usize) -> Self {
        self.history_cap = cap.max(1);
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn with_conv<R>(&self, tenant: &str, phone: &str, f: impl FnOnce(&mut Conversation) -> R) -> R {
        let mut g = self.lock();
        let c = g
            .conversations
            .entry((tenant.to_owned(), phone.to_owned()))
            .or_insert_with(|| Conversation::new(tenant, phone, 0));
        f(c)
    }
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Drops claims older than `before_ms` from the front of the claim order.
/// Claims arrive in roughly increasing time; one that arrived out of order
/// is dropped when the entries before it are, which only shortens its stay.
fn prune(g: &mut Inner, before_ms: i64) -> u64 {
    let mut n = 0;
    while let Some((at, _)) = g.inbound_order.front() {
        if *at >= before_ms {
            break;
        }
        if let Some((_, key)) = g.inbound_order.pop_front() {
            g.inbound.remove(&key);
            n += 1;
        }
    }
    n
}

#[async_trait]
impl ConversationStore for MemoryStore {
    async fn claim_inbound(
        &self,
        tenant: &str,
        message_id: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut g = self.lock();
        prune(&mut g, at_ms.saturating_sub(self.dedupe_window_ms));
        let key = (tenant.to_owned(), message_id.to_owned());
        if g.inbound.contains_key(&key) {
            return Ok(false);
        }
        g.inbound.insert(key.clone(), at_ms);
        g.inbound_order.push_back((at_ms, key));
        Ok(true)
    }

    async fn forget_inbound_before(&self, before_ms: i64) -> Result<u64, StoreError> {
        Ok(prune(&mut self.lock(), before_ms))
    }

    async fn contact_key(
        &self,
        tenant: &str,
        phone: Option<&str>,
        user_id: Option<&str>,
        at_ms: i64,
    ) -> Result<String, StoreError> {
        let mut g = self.lock();
        let (Some(u), tenant) = (user_id, tenant.to_owned()) else {
            return Ok(phone.unwrap_or_default().to_owned());
        };
        let uk = (tenant.clone(), u.to_owned());
        let Some(p) = phone else {
            return Ok(g.user_ids.get(&uk).cloned().unwrap_or_else(|| u.to_owned()));
        };
        let pk = (tenant.clone(), p.to_owned());
        if !g.conversations.contains_key(&pk) {
            // A conversation begun under the user id alone continues under
            // the number.
            match g.conversations.remove(&uk) {
                Some(mut c) => {
                    c.id = p.to_owned();
                    c.contact = p.to_owned();
                    g.conversations.insert(pk.clone(), c);
                    if let Some(h) = g.history.remove(&uk) {
                        g.history.insert(pk.clone(), h);
                    }
                }
                None => {
                    g.conversations
                        .insert(pk.clone(), Conversation::new(&tenant, p, at_ms));
                }
            }
        }
        // Remember the user id, unless another conversation already does.
        if !g.user_ids.contains_key(&uk)
            && let Some(c) = g.conversations.get_mut(&pk)
            && c.user_id.is_none()
        {
            c.user_id = Some(u.to_owned());
            g.user_ids.insert(uk, p.to_owned());
        }
        Ok(p.to_owned())
    }

    async fn touch(
        &self,
        tenant: &str,
        phone: &str,
        name: Option<&str>,
        at_ms: i64,
    ) -> Result<Conversation, StoreError> {
        Ok(self.with_conv(tenant, phone, |c| {
            if let Some(n) = name {
                c.name = Some(n.to_owned());
            }
            c.updated_ms = c.updated_ms.max(at_ms);
            c.clone()
        }))
    }

    async fn conversation(
        &self,
        tenant: &str,
        phone: &str,
    ) -> Result<Option<Conversation>, StoreError> {
        Ok(self
            .lock()
            .conversations
            .get(&(tenant.to_owned(), phone.to_owned()))
            .cloned())
    }

    async fn conversations(
        &self,
        tenant: &str,
        limit: u32,
    ) -> Result<Vec<Conversation>, StoreError> {
        let g = self.lock();
        let mut all: Vec<Conversation> = g
            .conversations
            .values()
            .filter(|c| c.tenant == tenant)
            .cloned()
            .collect();
        all.sort_by(|a, b| {
            b.updated_ms
                .cmp(&a.updated_ms)
                .then_with(|| a.contact.cmp(&b.contact))
        });
        all.truncate(limit as usize);
        Ok(all)
    }

    async fn set_owner(
        &self,
        tenant: &str,
        phone: &str,
        owner: Owner,
        reason: Option<&str>,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        self.with_conv(tenant, phone, |c| {
            c.owner = owner;
            c.owner_since_ms = Some(at_ms);
            c.handoff_reason = reason.map(str::to_owned);
        });
        Ok(())
    }

    async fn set_state(
        &self,
        tenant: &str,
        phone: &str,
        state: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with_conv(tenant, phone, |c| c.state = state.map(str::to_owned));
        Ok(())
    }

    async fn add_tag(&self, tenant: &str, phone: &str, tag: &str) -> Result<(), StoreError> {
        self.with_conv(tenant, phone, |c| {
            if let Err(i) = c.tags.binary_search_by(|t| t.as_str().cmp(tag)) {
                c.tags.insert(i, tag.to_owned());
            }
        });
        Ok(())
    }

    async fn remove_tag(&self, tenant: &str, phone: &str, tag: &str) -> Result<(), StoreError> {
        self.with_conv(tenant, phone, |c| c.tags.retain(|t| t != tag));
        Ok(())
    }

    async fn set_field(
        &self,
        tenant: &str,
        phone: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with_conv(tenant, phone, |c| match value {
            Some(v) => {
                c.fields.insert(key.to_owned(), v.to_owned());
            }
            None => {
                c.fields.remove(key);
            }
        });
        Ok(())
    }

    async fn append(
        &self,
        tenant: &str,
        phone: &str,
        entry: &HistoryEntry,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let h = g
            .history
            .entry((tenant.to_owned(), phone.to_owned()))
            .or_default();
        h.push(entry.clone());
        if h.len() > self.history_cap {
            let extra = h.len() - self.history_cap;
            h.drain(..extra);
        }
        if let Some(c) = g
            .conversations
            .get_mut(&(tenant.to_owned(), phone.to_owned()))
        {
            c.updated_ms = c.updated_ms.max(entry.at_ms);
        }
        Ok(())
    }

    async fn history(
        &self,
        tenant: &str,
        phone: &str,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let g = self.lock();
        let h = g.history.get(&(tenant.to_owned(), phone.to_owned()));
        Ok(
            h.map(|h| h[h.len().saturating_sub(limit as usize)..].to_vec())
                .unwrap_or_default(),
        )
    }

    async fn kv_get(
        &self,
        tenant: &str,
        plugin: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()
            .kv
            .get(&(tenant.to_owned(), plugin.to_owned(), key.to_owned()))
            .cloned())
    }

    async fn kv_set(
        &self,
        tenant: &str,
        plugin: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), StoreError> {
        self.lock().kv.insert(
            (tenant.to_owned(), plugin.to_owned(), key.to_owned()),
            value.to_vec(),
        );
        Ok(())
    }

    async fn kv_delete(&self, tenant: &str, plugin: &str, key: &str) -> Result<(), StoreError> {
        self.lock()
            .kv
            .remove(&(tenant.to_owned(), plugin.to_owned(), key.to_owned()));
        Ok(())
    }
}
