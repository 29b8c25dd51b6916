//! The LLM host service: chat completions through OpenAI-compatible and
//! Anthropic providers, exposed to plugins through the `llm` host import.
//!
//! API keys live here, on the host; plugins only ever see [`ChatRequest`] and
//! [`ChatResponse`].

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

mod anthropic;
mod key;
mod openai;
mod provider;
mod router;
mod scripted;
mod usage;

pub use anthropic::{ANTHROPIC_VERSION, Anthropic};
pub use key::ApiKey;
pub use openai::{OpenAiCompatible, TokenLimitField};
pub use provider::{
    ChatProvider, DEFAULT_ATTEMPT_TIMEOUT, HttpOptions, ProviderError, RetryPolicy,
};
pub use router::{DEFAULT_REQUEST_BUDGET, LlmRouter, USAGE_STORE_PROVIDER};
pub use scripted::ScriptedLlm;
pub use usage::{
    InMemoryUsageStore, LimitCheck, TenantUsage, UsageLimit, UsageRecord, UsageStore,
    UsageStoreError, UsageTotals,
};

/// Who said a message in a chat request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The customer (or the app speaking for them).
    User,
    /// The model (earlier answers).
    Assistant,
}

/// One message of a chat request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

/// A provider-neutral chat completion request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// System prompt (persona, knowledge, instructions), if any.
    pub system: Option<String>,
    /// The conversation so far, oldest first.
    pub messages: Vec<ChatMessage>,
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// Sampling temperature; provider default when `None`.
    pub temperature: Option<f32>,
}

/// Token counts reported by a provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Completion tokens.
    pub output_tokens: u32,
}

/// A provider-neutral chat completion answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The generated text.
    pub text: String,
    /// Tokens used.
    pub usage: Usage,
    /// Which provider answered (its configured name).
    pub provider: String,
    /// Which model answered.
    pub model: String,
}

/// Why a chat completion failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// No LLM provider is configured for this tenant.
    #[error("no LLM provider is configured for this tenant")]
    NotConfigured,
    /// The tenant has used up its AI allowance.
    #[error("AI usage limit reached for this tenant")]
    LimitExceeded,
    /// Every configured provider failed; the last error is kept.
    #[error("LLM provider `{provider}` failed: {message}")]
    Provider {
        /// Provider name.
        provider: String,
        /// What went wrong (never contains credentials).
        message: String,
        /// Whether trying again later may succeed.
        retryable: bool,
    },
}

/// The host-side LLM service used by the `llm` host import.
///
/// Implementations route a tenant's request to that tenant's providers,
/// account usage and enforce limits.
#[async_trait]
pub trait LlmService: Send + Sync {
    /// Runs one chat completion for `tenant`.
    async fn complete(&self, tenant: &str, request: ChatRequest) -> Result<ChatResponse, LlmError>;
}
