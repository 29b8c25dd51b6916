//! The [`LlmService`] that routes each tenant to its ordered providers.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;

use super::provider::ChatProvider;
use super::usage::{LimitCheck, UsageRecord, UsageStore};
use super::{ChatRequest, ChatResponse, LlmError, LlmService};

/// The provider name reported when the usage store (not a model provider)
/// fails: no request is sent then, because it could not be accounted.
pub const USAGE_STORE_PROVIDER: &str = "usage-store";

type Route = Arc<[Arc<dyn ChatProvider>]>;

/// The default total time one request may spend across all providers of
/// the fallback list: 20 s. It is below the plugin host's default wall
/// timeout minus its LLM reserve (30 s - 5 s, see
/// [`crate::HostConfig::llm_reserve`]), and twice the default per-attempt
/// timeout ([`super::DEFAULT_ATTEMPT_TIMEOUT`], 10 s), so a provider that hangs leaves
/// the next one 10 s and the plugin still has time for its fallback text.
pub const DEFAULT_REQUEST_BUDGET: Duration = Duration::from_secs(20);

/// Routes a tenant's request through that tenant's providers in order,
/// falling back to the next one when a provider fails, and accounts usage.
///
/// For every request the router
/// 1. picks the tenant's provider list (or the default list), else answers
///    [`LlmError::NotConfigured`];
/// 2. asks the [`UsageStore`] whether the tenant is within its allowance,
///    else answers [`LlmError::LimitExceeded`] without calling a provider
///    (a failing store refuses too, with provider [`USAGE_STORE_PROVIDER`]);
/// 3. tries the providers in order (each retries transient failures itself)
///    and returns the first answer, whose [`ChatResponse::provider`] names the
///    provider that answered; all of it within the router's budget
///    ([`DEFAULT_REQUEST_BUDGET`], [`LlmRouter::with_budget`]): a provider still
///    running when the budget ends is abandoned and no further one is tried;
/// 4. records the answer's usage for the tenant and that provider.
///
/// When every provider fails, the last provider's error is returned as
/// [`LlmError::Provider`].
///
/// ```
/// use std::sync::Arc;
/// use bot_core::llm::{ApiKey, InMemoryUsageStore, LlmRouter, OpenAiCompatible, UsageLimit};
///
/// let usage = Arc::new(InMemoryUsageStore::new());
/// usage.set_limit("toko-budi", UsageLimit::requests(1_000));
/// let router = LlmRouter::new(usage.clone());
/// router.set_providers(
///     "toko-budi",
///     vec![
///         Arc::new(OpenAiCompatible::deepseek(ApiKey::new("sk-..."), "deepseek-chat")),
///         Arc::new(OpenAiCompatible::groq(ApiKey::new("gsk-..."), "llama-3.1-8b-instant")),
///     ],
/// );
/// ```
pub struct LlmRouter {
    routes: RwLock<HashMap<String, Route>>,
    default_route: RwLock<Option<Route>>,
    usage: Arc<dyn UsageStore>,
    budget: Duration,
}

impl std::fmt::Debug for LlmRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenants = self.routes.read().map(|r| r.len()).unwrap_or_default();
        f.debug_struct("LlmRouter")
            .field("tenants", &tenants)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl LlmRouter {
    /// A router with no providers, accounting usage in `usage`.
    pub fn new(usage: Arc<dyn UsageStore>) -> Self {
        Self {
            routes: RwLock::default(),
            default_route: RwLock::default(),
            usage,
            budget: DEFAULT_REQUEST_BUDGET,
        }
    }

    /// Sets the total time one request may take across all providers
    /// (default [`DEFAULT_REQUEST_BUDGET`]). Keep it below the plugin host's
    /// `wall_timeout - llm_reserve`, or the host cuts the call first and the
    /// later providers of the list never get their turn.
    #[must_use]
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// The total time one request may take across all providers.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// Sets the ordered fallback list of `tenant` (replacing any earlier
    /// one). An empty list removes the tenant's own list.
    pub fn set_providers(&self, tenant: &str, providers: Vec<Arc<dyn ChatProvider>>) {
        let mut routes = self
            .routes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if providers.is_empty() {
            routes.remove(tenant);
        } else {
            routes.insert(tenant.to_owned(), providers.into());
        }
    }

    /// Removes the list of `tenant`; the default list applies again.
    pub fn remove_tenant(&self, tenant: &str) {
        self.set_providers(tenant, Vec::new());
    }

    /// Sets the list used for tenants without their own (for example the
    /// platform's own key); an empty list removes it.
    pub fn set_default_providers(&self, providers: Vec<Arc<dyn ChatProvider>>) {
        let mut default = self
            .default_route
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *default = (!providers.is_empty()).then(|| providers.into());
    }

    /// The names of the providers `tenant` would use, in order.
    pub fn provider_names(&self, tenant: &str) -> Vec<String> {
        self.route(tenant)
            .map(|route| route.iter().map(|p| p.name().to_owned()).collect())
            .unwrap_or_default()
    }

    fn route(&self, tenant: &str) -> Option<Route> {
        let routes = self
            .routes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(route) = routes.get(tenant) {
            return Some(route.clone());
        }
        drop(routes);
        self.default_route
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl LlmService for LlmRouter {
    async fn complete(&self, tenant: &str, request: ChatRequest) -> Result<ChatResponse, LlmError> {
        let Some(route) = self.route(tenant) else {
            return Err(LlmError::NotConfigured);
        };
        match self.usage.check(tenant).await {
            Ok(LimitCheck::Allowed) => {}
            Ok(LimitCheck::Exceeded) => {
                tracing::info!(tenant, "AI request refused: usage limit reached");
                return Err(LlmError::LimitExceeded);
            }
            Err(error) => {
                tracing::error!(tenant, %error, "AI request refused: usage store failed");
                return Err(LlmError::Provider {
                    provider: USAGE_STORE_PROVIDER.to_owned(),
                    message: error.to_string(),
                    retryable: true,
                });
            }
        }
        let deadline = tokio::time::Instant::now() + self.budget;
        let mut last = None;
        for provider in route.iter() {
            let Ok(outcome) = tokio::time::timeout_at(deadline, provider.chat(&request)).await
            else {
                tracing::warn!(
                    tenant,
                    provider = provider.name(),
                    budget_ms = self.budget.as_millis() as u64,
                    "LLM request budget used up; no further provider is tried"
                );
                return Err(LlmError::Provider {
                    provider: provider.name().to_owned(),
                    message: format!(
                        "no answer within the request budget of {} ms",
                        self.budget.as_millis()
                    ),
                    retryable: true,
                });
            };
            match outcome {
                Ok(mut response) => {
                    // The router, not the provider, decides the reported name.
                    provider.name().clone_into(&mut response.provider);
                    let record = UsageRecord {
                        provider: response.provider.clone(),
                        model: response.model.clone(),
                        usage: response.usage,
                    };
                    if let Err(error) = self.usage.record(tenant, &record).await {
                        // The answer exists and was paid for; losing the count
                        // is bad, dropping the answer would be worse.
                        tracing::error!(tenant, %error, "could not record AI usage");
                    }
                    return Ok(response);
                }
                Err(error) => {
                    tracing::warn!(
                        tenant,
                        provider = provider.name(),
                        %error,
                        "LLM provider failed; trying the next one"
                    );
                    last = Some(LlmError::Provider {
                        provider: provider.name().to_owned(),
                        retryable: error.is_retryable(),
                        message: error.to_string(),
                    });
                }
            }
        }
        Err(last.unwrap_or(LlmError::NotConfigured))
    }
}
