//! The provider trait, its error type and the HTTP plumbing (timeouts,
//! retries) shared by the OpenAI-compatible and Anthropic providers.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;

use super::key::ApiKey;
use super::{ChatRequest, ChatResponse};

/// Longest piece of a provider's response body kept in an error.
const BODY_SNIPPET_CHARS: usize = 600;

/// One LLM backend: a provider API with one model and its credentials.
///
/// [`LlmRouter`](super::LlmRouter) holds an ordered list of these per tenant
/// and falls back from one to the next.
#[async_trait]
pub trait ChatProvider: Send + Sync + fmt::Debug {
    /// The configured name of this provider (for example `openai` or
    /// `groq-backup`); it is reported in [`ChatResponse::provider`] and in
    /// usage accounting.
    fn name(&self) -> &str;

    /// The model this provider asks for.
    fn model(&self) -> &str;

    /// Runs one chat completion, retrying transient failures according to
    /// the provider's retry policy.
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError>;
}

/// Why one provider failed to answer.
///
/// No variant ever contains an API key: texts quoted from a provider are
/// scrubbed of the key first.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The request cannot be sent as it is (for example no messages or
    /// `max_tokens` of zero); nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The provider rejected the credentials (HTTP 401 or 403).
    #[error("authentication failed (HTTP {status}): {message}")]
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// The provider's explanation.
        message: String,
    },
    /// The provider is rate limiting us (HTTP 429) and retries ran out or the
    /// requested wait was longer than the policy allows.
    #[error("rate limited (HTTP 429): {message}")]
    RateLimited {
        /// How long the provider asked us to wait, when it said so.
        retry_after: Option<Duration>,
        /// The provider's explanation.
        message: String,
    },
    /// Any other non-success HTTP status.
    #[error("HTTP {status}: {message}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The provider's explanation, or the start of the body.
        message: String,
    },
    /// No complete answer within the configured timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The provider could not be reached (DNS, connection, TLS ...).
    #[error("could not reach the provider: {0}")]
    Transport(String),
    /// The provider answered 2xx with a body we cannot use.
    #[error("malformed response ({reason}); body: {body}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
        /// The start of the raw body.
        body: String,
    },
}

impl ProviderError {
    /// Whether the same request may succeed later (rate limits, server
    /// errors, timeouts, unreachable provider).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout(_) | Self::Transport(_) => true,
            Self::Http { status, .. } => is_retryable_status(*status),
            Self::InvalidRequest(_) | Self::Unauthorized { .. } | Self::Malformed { .. } => false,
        }
    }

    /// How long the provider asked us to wait, when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status the provider answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { status, .. } | Self::Http { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
}

fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// When and how often a provider request is retried.
///
/// Rate limits (429), request timeouts reported by the server (408), server
/// errors (5xx, including Anthropic's 529 "overloaded") and connection
/// failures are retried. A request that ran into our own timeout is not:
/// the caller already waited the whole timeout, and the next provider in the
/// fallback list is the better bet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Wait before the first retry; doubles with every further retry.
    pub initial_backoff: Duration,
    /// Upper bound of the exponential backoff.
    pub max_backoff: Duration,
    /// The longest `retry-after` we are willing to wait; a provider asking
    /// for more is given up on (the router then tries the next provider).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// A policy with `max_retries` retries and the given initial backoff.
    pub fn new(max_retries: u32, initial_backoff: Duration) -> Self {
        Self {
            max_retries,
            initial_backoff,
            ..Self::default()
        }
    }

    /// Sets the longest `retry-after` honoured.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Sets the upper bound of the exponential backoff.
    pub fn with_max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = max;
        self
    }

    /// How long to wait before retry number `retry` (0-based), or `None`
    /// when no retry should happen. A provider's `retry-after` wins over the
    /// computed backoff.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        if let Some(wait) = retry_after {
            return (wait <= self.max_retry_after).then_some(wait);
        }
        let factor = 2u32.saturating_pow(retry);
        Some(
            self.initial_backoff
                .saturating_mul(factor)
                .min(self.max_backoff),
        )
    }
}

/// The default time allowed for one provider attempt: 10 s. Well below the
/// router's budget ([`super::DEFAULT_REQUEST_BUDGET`], 20 s) so that a
/// provider that hangs still leaves the next provider of the fallback list
/// its turn, and both below the plugin host's wall timeout (30 s), so the
/// plugin is never stopped while it waits for a model.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Timeout and retry settings of one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Time allowed for one attempt, from connecting until the whole
    /// response body has arrived.
    pub timeout: Duration,
    /// Retry policy.
    pub retry: RetryPolicy,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_ATTEMPT_TIMEOUT,
            retry: RetryPolicy::default(),
        }
    }
}

pub(crate) fn default_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

/// Sends a request built by `build` (called again for every attempt) and
/// returns the body of the first 2xx answer, retrying per `options.retry`.
pub(crate) async fn send_with_retry(
    options: &HttpOptions,
    key: Option<&ApiKey>,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<String, ProviderError> {
    let mut retry = 0u32;
    loop {
        let error = match attempt(options, key, build()).await {
            Ok(body) => return Ok(body),
            Err(error) => error,
        };
        let retryable = match &error {
            // Our own timeout: move on rather than wait that long again.
            ProviderError::Timeout(_) => false,
            other => other.is_retryable(),
        };
        if !retryable {
            return Err(error);
        }
        let Some(wait) = options.retry.delay(retry, error.retry_after()) else {
            return Err(error);
        };
        tracing::debug!(retry, wait_ms = wait.as_millis() as u64, %error, "retrying LLM request");
        tokio::time::sleep(wait).await;
        retry += 1;
    }
}

async fn attempt(
    options: &HttpOptions,
    key: Option<&ApiKey>,
    request: reqwest::RequestBuilder,
) -> Result<String, ProviderError> {
    let response = request
        .timeout(options.timeout)
        .send()
        .await
        .map_err(|e| transport_error(e, options.timeout, key))?;
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = response
        .text()
        .await
        .map_err(|e| transport_error(e, options.timeout, key))?;
    if status.is_success() {
        return Ok(body);
    }
    Err(status_error(status, retry_after, &body, key))
}

fn transport_error(
    error: reqwest::Error,
    timeout: Duration,
    key: Option<&ApiKey>,
) -> ProviderError {
    if error.is_timeout() {
        return ProviderError::Timeout(timeout);
    }
    // The URL never holds a key, but drop it anyway: errors stay short and
    // free of anything configuration-specific.
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    ProviderError::Transport(scrub(&text, key))
}

fn status_error(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &str,
    key: Option<&ApiKey>,
) -> ProviderError {
    let message = scrub(&error_message(body), key);
    match status.as_u16() {
        401 | 403 => ProviderError::Unauthorized {
            status: status.as_u16(),
            message,
        },
        429 => ProviderError::RateLimited {
            retry_after,
            message,
        },
        code => ProviderError::Http {
            status: code,
            message,
        },
    }
}

/// Both API families answer errors as `{"error": {"message": ...}}`
/// (Anthropic adds `"type": "error"` around it); anything else is quoted.
fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        let error = v.get("error")?;
        error
            .get("message")
            .and_then(|m| m.as_str())
            .or_else(|| error.as_str())
    });
    match message {
        Some(m) => snippet(m),
        None if body.trim().is_empty() => "(empty body)".to_owned(),
        None => snippet(body),
    }
}

/// Reads `retry-after-ms` (OpenAI) or `retry-after` in seconds. The HTTP-date
/// form is not used by the LLM APIs and is ignored (plain backoff applies).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let read = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(ms) = read("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let secs = read("retry-after")?.parse::<f64>().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

pub(crate) fn scrub(text: &str, key: Option<&ApiKey>) -> String {
    match key {
        Some(key) => key.scrub(text),
        None => text.to_owned(),
    }
}

/// The first [`BODY_SNIPPET_CHARS`] characters of `text`.
pub(crate) fn snippet(text: &str) -> String {
    match text.char_indices().nth(BODY_SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A `Malformed` error for a 2xx body we could not use.
pub(crate) fn malformed(
    reason: impl Into<String>,
    body: &str,
    key: Option<&ApiKey>,
) -> ProviderError {
    ProviderError::Malformed {
        reason: reason.into(),
        body: scrub(&snippet(body), key),
    }
}

/// Rejects requests no provider can answer, before anything is sent.
pub(crate) fn validate(request: &ChatRequest) -> Result<(), ProviderError> {
    if request.messages.is_empty() {
        return Err(ProviderError::InvalidRequest(
            "the request has no messages".to_owned(),
        ));
    }
    if request.max_tokens == 0 {
        return Err(ProviderError::InvalidRequest(
            "max_tokens must be at least 1".to_owned(),
        ));
    }
    Ok(())
}

/// A usable temperature: finite and not negative, else the provider default.
pub(crate) fn temperature(request: &ChatRequest, max: f32) -> Option<f32> {
    request
        .temperature
        .filter(|t| t.is_finite() && *t >= 0.0)
        .map(|t| t.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy::new(5, Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(300));
        assert_eq!(policy.delay(0, None), Some(Duration::from_millis(100)));
        assert_eq!(policy.delay(1, None), Some(Duration::from_millis(200)));
        assert_eq!(policy.delay(2, None), Some(Duration::from_millis(300)));
        assert_eq!(policy.delay(5, None), None);
    }

    #[test]
    fn retry_after_wins_unless_too_long() {
        let policy = RetryPolicy::new(2, Duration::from_millis(100))
            .with_max_retry_after(Duration::from_secs(5));
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(policy.delay(0, Some(Duration::from_secs(6))), None);
        assert_eq!(RetryPolicy::none().delay(0, None), None);
    }

    #[test]
    fn retry_after_headers_are_read() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(
            "retry-after",
            "7".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            "retry-after-ms",
            "250".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        let mut dated = reqwest::header::HeaderMap::new();
        dated.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(retry_after(&dated), None);
    }

    #[test]
    fn error_messages_are_extracted() {
        assert_eq!(
            error_message(r#"{"error":{"message":"bad key","type":"invalid_request_error"}}"#),
            "bad key"
        );
        assert_eq!(
            error_message(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            "Overloaded"
        );
        assert_eq!(error_message("<html>502</html>"), "<html>502</html>");
        assert_eq!(error_message(""), "(empty body)");
        let long = "x".repeat(2000);
        assert_eq!(error_message(&long).chars().count(), BODY_SNIPPET_CHARS + 3);
    }

    #[test]
    fn retryable_classification() {
        let http = |status| ProviderError::Http {
            status,
            message: String::new(),
        };
        assert!(http(500).is_retryable());
        assert!(http(529).is_retryable());
        assert!(http(408).is_retryable());
        assert!(!http(400).is_retryable());
        assert!(
            !ProviderError::Unauthorized {
                status: 401,
                message: String::new()
            }
            .is_retryable()
        );
        assert!(
            ProviderError::RateLimited {
                retry_after: None,
                message: String::new()
            }
            .is_retryable()
        );
    }
}
