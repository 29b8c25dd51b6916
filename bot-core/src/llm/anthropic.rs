//! Anthropic's Messages API.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use url::Url;

use super::key::ApiKey;
use super::provider::{
    self, ChatProvider, HttpOptions, ProviderError, RetryPolicy, malformed, send_with_retry,
};
use super::{ChatRequest, ChatResponse, Role, Usage};

/// The `anthropic-version` header value sent with every request.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Anthropic's Messages API: `POST {base}/v1/messages` with `x-api-key`,
/// `anthropic-version: 2023-06-01`, the system prompt as the top-level
/// `system` field and the required `max_tokens`.
///
/// ```
/// use bot_core::llm::{Anthropic, ApiKey};
///
/// let claude = Anthropic::new(ApiKey::new("sk-ant-..."), "claude-3-5-haiku-latest");
/// # let _ = claude;
/// ```
#[derive(Debug, Clone)]
pub struct Anthropic {
    name: String,
    endpoint: String,
    model: String,
    key: ApiKey,
    options: HttpOptions,
    client: reqwest::Client,
}

impl Anthropic {
    /// Anthropic at `https://api.anthropic.com`, named `anthropic`.
    pub fn new(key: ApiKey, model: impl Into<String>) -> Self {
        Self {
            name: "anthropic".to_owned(),
            endpoint: "https://api.anthropic.com/v1/messages".to_owned(),
            model: model.into(),
            key,
            options: HttpOptions::default(),
            client: provider::default_client(),
        }
    }

    /// Uses another base URL (the part before `/v1/messages`), for a proxy
    /// or a mock server.
    #[must_use]
    pub fn with_base_url(mut self, base_url: &Url) -> Self {
        let base = base_url.as_str().trim_end_matches('/');
        self.endpoint = format!("{base}/v1/messages");
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

    /// Uses a shared `reqwest` client (connection pool, proxy settings).
    #[must_use]
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    /// The full Messages API URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn body<'a>(&'a self, request: &'a ChatRequest) -> WireRequest<'a> {
        WireRequest {
            model: &self.model,
            max_tokens: request.max_tokens,
            system: request.system.as_deref().filter(|s| !s.trim().is_empty()),
            messages: turns(request),
            // Anthropic accepts 0.0 to 1.0.
            temperature: provider::temperature(request, 1.0),
        }
    }
}

/// Messages as Anthropic wants them: consecutive messages of one role merged
/// into one turn, and a user turn first (a chat history often starts with the
/// bot's greeting).
fn turns(request: &ChatRequest) -> Vec<WireMessage> {
    let mut turns: Vec<WireMessage> = Vec::with_capacity(request.messages.len() + 1);
    for message in &request.messages {
        let role = match message.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        match turns.last_mut() {
            Some(last) if last.role == role => {
                last.content.push_str("\n\n");
                last.content.push_str(&message.content);
            }
            _ => turns.push(WireMessage {
                role,
                content: message.content.clone(),
            }),
        }
    }
    if turns.first().is_some_and(|t| t.role == "assistant") {
        turns.insert(
            0,
            WireMessage {
                role: "user",
                content: "(conversation start)".to_owned(),
            },
        );
    }
    turns
}

#[async_trait]
impl ChatProvider for Anthropic {
    fn name(&self) -> &str {
        &self.name
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        provider::validate(request)?;
        let body = self.body(request);
        let key = Some(&self.key);
        let text = send_with_retry(&self.options, key, || {
            self.client
                .post(&self.endpoint)
                .header("x-api-key", self.key.expose())
                .header("anthropic-version", ANTHROPIC_VERSION)
                .json(&body)
        })
        .await?;
        let parsed: WireResponse = serde_json::from_str(&text)
            .map_err(|e| malformed(format!("not a Messages API answer: {e}"), &text, key))?;
        let answer: String = parsed
            .content
            .iter()
            .filter(|block| block.kind == "text")
            .filter_map(|block| block.text.as_deref())
            .collect::<Vec<_>>()
            .join("");
        if !parsed
            .content
            .iter()
            .any(|block| block.kind == "text" && block.text.is_some())
        {
            return Err(malformed("the answer has no text block", &text, key));
        }
        Ok(ChatResponse {
            text: answer,
            usage: Usage {
                input_tokens: parsed.usage.input_tokens,
                output_tokens: parsed.usage.output_tokens,
            },
            provider: self.name.clone(),
            model: parsed.model.unwrap_or_else(|| self.model.clone()),
        })
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    messages: Vec<WireMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
}

#[derive(Serialize)]
struct WireMessage {
    role: &'static str,
    content: String,
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    model: Option<String>,
    content: Vec<WireBlock>,
    #[serde(default)]
    usage: WireUsage,
}

#[derive(Deserialize)]
struct WireBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: u32,
    #[serde(default)]
    output_tokens: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ChatMessage;

    fn msg(role: Role, content: &str) -> ChatMessage {
        ChatMessage {
            role,
            content: content.to_owned(),
        }
    }

    #[test]
    fn turns_merge_same_role_and_start_with_user() {
        let request = ChatRequest {
            system: None,
            messages: vec![
                msg(Role::Assistant, "Halo!"),
                msg(Role::User, "mau tanya"),
                msg(Role::User, "harga kopi?"),
                msg(Role::Assistant, "Rp25.000"),
            ],
            max_tokens: 10,
            temperature: None,
        };
        let turns = turns(&request);
        let shape: Vec<(&str, &str)> = turns.iter().map(|t| (t.role, t.content.as_str())).collect();
        assert_eq!(
            shape,
            vec![
                ("user", "(conversation start)"),
                ("assistant", "Halo!"),
                ("user", "mau tanya\n\nharga kopi?"),
                ("assistant", "Rp25.000"),
            ]
        );
    }
}
