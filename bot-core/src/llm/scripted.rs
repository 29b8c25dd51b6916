//! A scripted [`LlmService`] for tests, benchmarks and demos.

use std::sync::Mutex;

use async_trait::async_trait;

use super::{ChatRequest, ChatResponse, LlmError, LlmService, Role, Usage};

#[derive(Debug, Clone)]
enum Reply {
    Text(String),
    Fail(LlmError),
}

/// An [`LlmService`] that answers from a script instead of a model.
///
/// Rules are tried in the order added: the first whose needle occurs in the
/// latest user message (case-insensitive) answers; otherwise the default
/// answer is used. Token usage is estimated as whitespace-separated words.
/// Every request is kept for assertions ([`ScriptedLlm::requests`]).
///
/// ```
/// # tokio_test_block_on(async {
/// use bot_core::llm::{ChatMessage, ChatRequest, LlmError, LlmService, Role, ScriptedLlm};
///
/// let llm = ScriptedLlm::new("Maaf, saya belum tahu.")
///     .when_contains("harga", "Kopi susu Rp18.000.")
///     .fail_when_contains("error", LlmError::LimitExceeded);
/// let ask = |text: &str| ChatRequest {
///     system: None,
///     messages: vec![ChatMessage { role: Role::User, content: text.to_owned() }],
///     max_tokens: 100,
///     temperature: None,
/// };
/// let answer = llm.complete("t", ask("Berapa HARGA kopi?")).await.unwrap();
/// assert_eq!(answer.text, "Kopi susu Rp18.000.");
/// assert_eq!(llm.complete("t", ask("error")).await, Err(LlmError::LimitExceeded));
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug)]
pub struct ScriptedLlm {
    name: String,
    model: String,
    rules: Vec<(String, Reply)>,
    default: Reply,
    requests: Mutex<Vec<(String, ChatRequest)>>,
}

impl ScriptedLlm {
    /// A script answering `default` to everything (until rules are added).
    pub fn new(default: impl Into<String>) -> Self {
        Self {
            name: "scripted".to_owned(),
            model: "script".to_owned(),
            rules: Vec::new(),
            default: Reply::Text(default.into()),
            requests: Mutex::default(),
        }
    }

    /// A script failing every request with `error` (until rules are added).
    pub fn failing(error: LlmError) -> Self {
        Self {
            default: Reply::Fail(error),
            ..Self::new("")
        }
    }

    /// Answers `text` when the latest user message contains `needle`.
    #[must_use]
    pub fn when_contains(mut self, needle: impl Into<String>, text: impl Into<String>) -> Self {
        self.rules
            .push((needle.into().to_lowercase(), Reply::Text(text.into())));
        self
    }

    /// Fails with `error` when the latest user message contains `needle`.
    #[must_use]
    pub fn fail_when_contains(mut self, needle: impl Into<String>, error: LlmError) -> Self {
        self.rules
            .push((needle.into().to_lowercase(), Reply::Fail(error)));
        self
    }

    /// Sets the provider and model names reported in responses.
    #[must_use]
    pub fn with_names(mut self, provider: impl Into<String>, model: impl Into<String>) -> Self {
        self.name = provider.into();
        self.model = model.into();
        self
    }

    /// Every request received so far, with its tenant, oldest first.
    pub fn requests(&self) -> Vec<(String, ChatRequest)> {
        self.requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn reply_for(&self, request: &ChatRequest) -> &Reply {
        let last_user = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.content.to_lowercase())
            .unwrap_or_default();
        self.rules
            .iter()
            .find(|(needle, _)| last_user.contains(needle.as_str()))
            .map_or(&self.default, |(_, reply)| reply)
    }
}

fn words(text: &str) -> u32 {
    u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX)
}

#[async_trait]
impl LlmService for ScriptedLlm {
    async fn complete(&self, tenant: &str, request: ChatRequest) -> Result<ChatResponse, LlmError> {
        let reply = self.reply_for(&request).clone();
        let input = request.system.as_deref().map_or(0, words)
            + request
                .messages
                .iter()
                .map(|m| words(&m.content))
                .sum::<u32>();
        self.requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((tenant.to_owned(), request));
        match reply {
            Reply::Text(text) => Ok(ChatResponse {
                usage: Usage {
                    input_tokens: input,
                    output_tokens: words(&text),
                },
                text,
                provider: self.name.clone(),
                model: self.model.clone(),
            }),
            Reply::Fail(error) => Err(error),
        }
    }
}
