//! The OpenAI-compatible chat completions API (OpenAI, DeepSeek, Groq,
//! Ollama's `/v1`, and the many gateways that copy it).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use url::Url;

use super::key::ApiKey;
use super::provider::{
    self, ChatProvider, HttpOptions, ProviderError, RetryPolicy, malformed, send_with_retry,
};
use super::{ChatRequest, ChatResponse, Role, Usage};

/// Which request field carries the token limit.
///
/// The classic field is `max_tokens`; OpenAI's reasoning models only accept
/// `max_completion_tokens`. DeepSeek, Groq and Ollama accept `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenLimitField {
    /// `max_tokens` (default).
    #[default]
    MaxTokens,
    /// `max_completion_tokens`.
    MaxCompletionTokens,
}

/// A provider speaking the OpenAI chat completions API:
/// `POST {base}/chat/completions` with `Authorization: Bearer {key}`.
///
/// ```
/// use bot_core::llm::{ApiKey, OpenAiCompatible};
///
/// let groq = OpenAiCompatible::groq(ApiKey::new("gsk-..."), "llama-3.1-8b-instant");
/// let local = OpenAiCompatible::ollama("llama3.2".to_owned());
/// # let _ = (groq, local);
/// ```
#[derive(Debug, Clone)]
pub struct OpenAiCompatible {
    name: String,
    endpoint: String,
    model: String,
    key: Option<ApiKey>,
    options: HttpOptions,
    token_field: TokenLimitField,
    client: reqwest::Client,
}

impl OpenAiCompatible {
    /// A provider named `name` at `base_url` (the part before
    /// `/chat/completions`, for example `https://api.openai.com/v1`).
    pub fn new(name: impl Into<String>, base_url: &Url, model: impl Into<String>) -> Self {
        Self::build(
            name.into(),
            base_url.as_str().trim_end_matches('/'),
            None,
            model.into(),
        )
    }

    fn build(name: String, base: &str, key: Option<ApiKey>, model: String) -> Self {
        Self {
            name,
            endpoint: format!("{base}/chat/completions"),
            model,
            key,
            options: HttpOptions::default(),
            token_field: TokenLimitField::default(),
            client: provider::default_client(),
        }
    }

    /// OpenAI (`https://api.openai.com/v1`), named `openai`.
    pub fn openai(key: ApiKey, model: impl Into<String>) -> Self {
        Self::build(
            "openai".to_owned(),
            "https://api.openai.com/v1",
            Some(key),
            model.into(),
        )
    }

    /// DeepSeek (`https://api.deepseek.com/v1`), named `deepseek`.
    pub fn deepseek(key: ApiKey, model: impl Into<String>) -> Self {
        Self::build(
            "deepseek".to_owned(),
            "https://api.deepseek.com/v1",
            Some(key),
            model.into(),
        )
    }

    /// Groq (`https://api.groq.com/openai/v1`), named `groq`.
    pub fn groq(key: ApiKey, model: impl Into<String>) -> Self {
        Self::build(
            "groq".to_owned(),
            "https://api.groq.com/openai/v1",
            Some(key),
            model.into(),
        )
    }

    /// A local Ollama (`http://127.0.0.1:11434/v1`, no key), named `ollama`.
    /// Use [`OpenAiCompatible::new`] for another address.
    pub fn ollama(model: impl Into<String>) -> Self {
        Self::build(
            "ollama".to_owned(),
            "http://127.0.0.1:11434/v1",
            None,
            model.into(),
        )
    }

    /// Sets the API key sent as `Authorization: Bearer ...`.
    #[must_use]
    pub fn with_api_key(mut self, key: ApiKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Renames the provider (the name reported in responses and usage).
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the timeout of one attempt (default [`crate::llm::DEFAULT_ATTEMPT_TIMEOUT`], 10 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// Sets the retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.options.retry = retry;
        self
    }

    /// Chooses the field that carries the token limit.
    #[must_use]
    pub fn with_token_limit_field(mut self, field: TokenLimitField) -> Self {
        self.token_field = field;
        self
    }

    /// Uses a shared `reqwest` client (connection pool, proxy settings).
    #[must_use]
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    /// The full chat completions URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn body<'a>(&'a self, request: &'a ChatRequest) -> WireRequest<'a> {
        let mut messages = Vec::with_capacity(request.messages.len() + 1);
        if let Some(system) = request.system.as_deref().filter(|s| !s.trim().is_empty()) {
            messages.push(WireMessage {
                role: "system",
                content: system,
            });
        }
        messages.extend(request.messages.iter().map(|m| WireMessage {
            role: match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            },
            content: &m.content,
        }));
        let (max_tokens, max_completion_tokens) = match self.token_field {
            TokenLimitField::MaxTokens => (Some(request.max_tokens), None),
            TokenLimitField::MaxCompletionTokens => (None, Some(request.max_tokens)),
        };
        WireRequest {
            model: &self.model,
            messages,
            max_tokens,
            max_completion_tokens,
            temperature: provider::temperature(request, 2.0),
            stream: false,
        }
    }
}

#[async_trait]
impl ChatProvider for OpenAiCompatible {
    fn name(&self) -> &str {
        &self.name
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        provider::validate(request)?;
        let body = self.body(request);
        let text = send_with_retry(&self.options, self.key.as_ref(), || {
            let builder = self.client.post(&self.endpoint).json(&body);
            match &self.key {
                Some(key) => builder.bearer_auth(key.expose()),
                None => builder,
            }
        })
        .await?;
        let parsed: WireResponse = serde_json::from_str(&text).map_err(|e| {
            malformed(
                format!("not a chat completion: {e}"),
                &text,
                self.key.as_ref(),
            )
        })?;
        let choice = parsed
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| malformed("no choices in the answer", &text, self.key.as_ref()))?;
        let answer = choice
            .message
            .content
            .ok_or_else(|| malformed("the answer has no text content", &text, self.key.as_ref()))?;
        let usage = parsed.usage.unwrap_or_default();
        Ok(ChatResponse {
            text: answer,
            usage: Usage {
                input_tokens: usage.prompt_tokens,
                output_tokens: usage.completion_tokens,
            },
            provider: self.name.clone(),
            model: parsed.model.unwrap_or_else(|| self.model.clone()),
        })
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    stream: bool,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    model: Option<String>,
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice {
    message: WireAnswer,
}

#[derive(Deserialize)]
struct WireAnswer {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}
