//! Per-tenant AI usage accounting and limits.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::Usage;

/// Whether a tenant may make another AI request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitCheck {
    /// Within its allowance.
    Allowed,
    /// Over its allowance; the request is refused with
    /// [`LlmError::LimitExceeded`](super::LlmError::LimitExceeded).
    Exceeded,
}

/// One answered request, as recorded for billing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// The provider that answered (its configured name).
    pub provider: String,
    /// The model that answered.
    pub model: String,
    /// Tokens used.
    pub usage: Usage,
}

/// The usage store failed (for example its database is unreachable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("usage store failed: {0}")]
pub struct UsageStoreError(pub String);

/// Where AI usage is counted and limits are decided.
///
/// [`InMemoryUsageStore`] keeps everything in the process; a server
/// implements this over its database (plans, billing periods). The router
/// calls [`check`](UsageStore::check) before a request and
/// [`record`](UsageStore::record) after each answered one. Two concurrent
/// requests may both pass the check, so a limit can be overshot by the
/// number of requests in flight.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Whether `tenant` may make another request.
    async fn check(&self, tenant: &str) -> Result<LimitCheck, UsageStoreError>;

    /// Counts one answered request of `tenant`.
    async fn record(&self, tenant: &str, record: &UsageRecord) -> Result<(), UsageStoreError>;
}

/// Counters of one provider (or of all providers together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotals {
    /// Answered requests.
    pub requests: u64,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
}

impl UsageTotals {
    fn add(&mut self, usage: Usage) {
        self.requests += 1;
        self.input_tokens += u64::from(usage.input_tokens);
        self.output_tokens += u64::from(usage.output_tokens);
    }

    /// Input plus output tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// A tenant's AI usage so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantUsage {
    /// All providers together.
    pub total: UsageTotals,
    /// Per provider name.
    pub by_provider: BTreeMap<String, UsageTotals>,
}

/// A tenant's AI allowance; `None` fields are unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageLimit {
    /// Most answered requests.
    pub max_requests: Option<u64>,
    /// Most input plus output tokens.
    pub max_tokens: Option<u64>,
}

impl UsageLimit {
    /// A limit on the number of requests only.
    pub fn requests(max: u64) -> Self {
        Self {
            max_requests: Some(max),
            max_tokens: None,
        }
    }

    /// A limit on tokens only.
    pub fn tokens(max: u64) -> Self {
        Self {
            max_requests: None,
            max_tokens: Some(max),
        }
    }

    /// Whether `usage` has reached this limit.
    pub fn is_reached_by(&self, usage: &UsageTotals) -> bool {
        self.max_requests.is_some_and(|max| usage.requests >= max)
            || self
                .max_tokens
                .is_some_and(|max| usage.total_tokens() >= max)
    }
}

#[derive(Debug, Default)]
struct TenantState {
    usage: TenantUsage,
    limit: Option<UsageLimit>,
}

/// A [`UsageStore`] in process memory: counters since start (or the last
/// [`reset`](InMemoryUsageStore::reset)) and a limit per tenant.
#[derive(Debug, Default)]
pub struct InMemoryUsageStore {
    tenants: Mutex<HashMap<String, TenantState>>,
    default_limit: Option<UsageLimit>,
}

impl InMemoryUsageStore {
    /// A store with no limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store applying `limit` to tenants without a limit of their own.
    pub fn with_default_limit(limit: UsageLimit) -> Self {
        Self {
            tenants: Mutex::default(),
            default_limit: Some(limit),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, TenantState>> {
        // A panic elsewhere while holding the lock leaves plain counters
        // behind, which are still valid.
        self.tenants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets the limit of `tenant`.
    pub fn set_limit(&self, tenant: &str, limit: UsageLimit) {
        self.lock().entry(tenant.to_owned()).or_default().limit = Some(limit);
    }

    /// Removes the limit of `tenant` (the default limit applies again).
    pub fn clear_limit(&self, tenant: &str) {
        if let Some(state) = self.lock().get_mut(tenant) {
            state.limit = None;
        }
    }

    /// The usage of `tenant` so far.
    pub fn usage(&self, tenant: &str) -> TenantUsage {
        self.lock()
            .get(tenant)
            .map(|s| s.usage.clone())
            .unwrap_or_default()
    }

    /// Starts counting `tenant` from zero (a new billing period).
    pub fn reset(&self, tenant: &str) {
        if let Some(state) = self.lock().get_mut(tenant) {
            state.usage = TenantUsage::default();
        }
    }
}

#[async_trait]
impl UsageStore for InMemoryUsageStore {
    async fn check(&self, tenant: &str) -> Result<LimitCheck, UsageStoreError> {
        let tenants = self.lock();
        let state = tenants.get(tenant);
        let limit = state.and_then(|s| s.limit).or(self.default_limit);
        let usage = state.map(|s| s.usage.total).unwrap_or_default();
        Ok(match limit {
            Some(limit) if limit.is_reached_by(&usage) => LimitCheck::Exceeded,
            _ => LimitCheck::Allowed,
        })
    }

    async fn record(&self, tenant: &str, record: &UsageRecord) -> Result<(), UsageStoreError> {
        let mut tenants = self.lock();
        let state = tenants.entry(tenant.to_owned()).or_default();
        state.usage.total.add(record.usage);
        state
            .usage
            .by_provider
            .entry(record.provider.clone())
            .or_default()
            .add(record.usage);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(provider: &str, input: u32, output: u32) -> UsageRecord {
        UsageRecord {
            provider: provider.to_owned(),
            model: "m".to_owned(),
            usage: Usage {
                input_tokens: input,
                output_tokens: output,
            },
        }
    }

    #[tokio::test]
    async fn counts_per_tenant_and_provider() {
        let store = InMemoryUsageStore::new();
        store
            .record("a", &record("openai", 10, 5))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .record("a", &record("groq", 3, 2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .record("b", &record("openai", 1, 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let a = store.usage("a");
        assert_eq!(
            a.total,
            UsageTotals {
                requests: 2,
                input_tokens: 13,
                output_tokens: 7
            }
        );
        assert_eq!(a.by_provider["openai"].requests, 1);
        assert_eq!(a.by_provider["groq"].output_tokens, 2);
        assert_eq!(store.usage("b").total.requests, 1);
        store.reset("a");
        assert_eq!(store.usage("a"), TenantUsage::default());
    }

    #[tokio::test]
    async fn limits_by_requests_and_tokens() {
        let store = InMemoryUsageStore::with_default_limit(UsageLimit::tokens(20));
        store.set_limit("small", UsageLimit::requests(1));
        let check = |t: &'static str| {
            let store = &store;
            async move { store.check(t).await.unwrap_or_else(|e| panic!("{e}")) }
        };
        assert_eq!(check("small").await, LimitCheck::Allowed);
        store
            .record("small", &record("x", 1, 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(check("small").await, LimitCheck::Exceeded);
        store.clear_limit("small");
        assert_eq!(check("small").await, LimitCheck::Allowed);

        store
            .record("big", &record("x", 15, 4))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(check("big").await, LimitCheck::Allowed);
        store
            .record("big", &record("x", 0, 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(check("big").await, LimitCheck::Exceeded);
    }
}
