//! Errors: one enum for every operation in this crate.
//!
//! Provider errors are data ([`ApiError`]): HTTP status, provider code,
//! message, and whether retrying can help.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::message::InvalidMessage;
use crate::phone::PhoneError;

/// Everything that can go wrong sending or calling a provider.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider cannot send this kind of message. Nothing was sent.
    #[error("provider {provider} cannot send {kind} messages")]
    Unsupported {
        /// The provider kind, e.g. `fonnte`.
        provider: &'static str,
        /// The message kind, e.g. `template` (see [`crate::OutgoingMessage::kind`]).
        kind: &'static str,
    },
    /// The provider cannot address this kind of recipient: Fonnte and
    /// generic gateways send to phone numbers only, not to a
    /// business-scoped user id. Nothing was sent.
    #[error("provider {provider} cannot send to a {recipient} recipient")]
    UnsupportedRecipient {
        /// The provider kind, e.g. `fonnte`.
        provider: &'static str,
        /// The recipient kind, e.g. `user_id` (see [`crate::Recipient::kind`]).
        recipient: &'static str,
    },
    /// The provider answered with an error.
    #[error(transparent)]
    Api(ApiError),
    /// The request did not complete (connection, TLS, timeout).
    #[error(transparent)]
    Transport(TransportError),
    /// The provider answered, but not with a body we understand.
    #[error("could not decode {provider} response (HTTP {status}): {message}")]
    Decode {
        /// The provider kind.
        provider: &'static str,
        /// HTTP status of the response.
        status: u16,
        /// What did not match.
        message: String,
        /// The raw response body, kept for debugging (lossy UTF-8).
        body: String,
    },
    /// The message breaks a documented limit. Nothing was sent.
    #[error("invalid message: {0}")]
    InvalidMessage(#[from] InvalidMessage),
    /// A phone number could not be parsed.
    #[error("invalid phone number: {0}")]
    InvalidPhone(#[from] PhoneError),
    /// Some other argument or configuration value is unusable (bad base
    /// URL, empty token, ...). Nothing was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl Error {
    /// Whether sending the same request again later can succeed: rate
    /// limits, temporary provider failures and connection failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(e) => e.is_retryable(),
            Self::Transport(t) => t.is_retryable(),
            _ => false,
        }
    }

    /// How long the provider asked us to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api(e) => e.retry_after(),
            _ => None,
        }
    }

    /// The provider error, if this is one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Self::Transport(e)
    }
}

/// What a provider error means, independent of the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// Too many requests for the sender / app (Cloud API 4, 80007, 130429).
    RateLimited,
    /// Too many messages to the same recipient in a short time (131056).
    PairRateLimited,
    /// Temporary provider failure (1, 2, 131000, 131016, 131057, 133004, 5xx).
    Temporary,
    /// Token expired or invalid (190), or not permitted (10, 200..=299).
    Unauthorized,
    /// Outside the 24-hour customer service window: send a template
    /// instead (131047).
    NeedsTemplate,
    /// The recipient cannot receive this message (131026: not on WhatsApp,
    /// old app version, blocked the business...).
    Undeliverable,
    /// Account blocked or spam-limited (368, 131048).
    Blocked,
    /// The request itself is wrong (100, 131008, 131009, 132xxx ...).
    InvalidRequest,
    /// Anything else.
    Other,
}

/// An error reported by a provider.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The provider kind (`cloud_api`, `fonnte`, `gateway`).
    pub provider: &'static str,
    /// HTTP status of the response (Fonnte often reports errors with 200).
    pub status: u16,
    /// Provider error code (Cloud API `error.code`), if any.
    pub code: Option<i32>,
    /// Provider error subcode, if any.
    pub subcode: Option<i32>,
    /// Human-readable message from the provider (`error.message`, Fonnte
    /// `reason`).
    pub message: String,
    /// Extra detail (`error.error_data.details`, Fonnte `detail`).
    pub details: Option<String>,
    /// What the error means.
    pub kind: ApiErrorKind,
    /// Wait this long before retrying (from `Retry-After` or a documented
    /// pacing rule).
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with the given provider, HTTP status and message, classified
    /// as [`ApiErrorKind::Other`] (or [`ApiErrorKind::RateLimited`] /
    /// [`ApiErrorKind::Temporary`] for HTTP 429 / 5xx).
    pub fn new(provider: &'static str, status: u16, message: impl Into<String>) -> Self {
        Self {
            provider,
            status,
            code: None,
            subcode: None,
            message: message.into(),
            details: None,
            kind: kind_from_status(status),
            retry_after: None,
        }
    }

    /// Sets the classification.
    #[must_use]
    pub fn with_kind(mut self, kind: ApiErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// Sets the provider code and reclassifies by it (Cloud API codes).
    #[must_use]
    pub fn with_cloud_code(mut self, code: i32, subcode: Option<i32>) -> Self {
        self.code = Some(code);
        self.subcode = subcode;
        self.kind = classify_cloud_code(code).unwrap_or(kind_from_status(self.status));
        if self.kind == ApiErrorKind::PairRateLimited && self.retry_after.is_none() {
            self.retry_after = Some(crate::pacing::CLOUD_PAIR_INTERVAL);
        }
        self
    }

    /// Sets the retry hint.
    #[must_use]
    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        if after.is_some() {
            self.retry_after = after;
        }
        self
    }

    /// Sets the details.
    #[must_use]
    pub fn with_details(mut self, details: Option<String>) -> Self {
        self.details = details;
        self
    }

    /// Whether retrying later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ApiErrorKind::RateLimited | ApiErrorKind::PairRateLimited | ApiErrorKind::Temporary
        )
    }

    /// How long to wait before retrying, if known.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error (HTTP {}", self.provider, self.status)?;
        if let Some(code) = self.code {
            write!(f, ", code {code}")?;
        }
        write!(f, "): {}", self.message)?;
        if let Some(d) = &self.details {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

fn kind_from_status(status: u16) -> ApiErrorKind {
    match status {
        429 => ApiErrorKind::RateLimited,
        401 | 403 => ApiErrorKind::Unauthorized,
        500..=599 => ApiErrorKind::Temporary,
        400 | 404 | 422 => ApiErrorKind::InvalidRequest,
        _ => ApiErrorKind::Other,
    }
}

/// Classifies a Cloud API error code; `None` for codes we do not know.
pub(crate) fn classify_cloud_code(code: i32) -> Option<ApiErrorKind> {
    Some(match code {
        4 | 80007 | 130429 => ApiErrorKind::RateLimited,
        131056 => ApiErrorKind::PairRateLimited,
        1 | 2 | 131000 | 131016 | 131057 | 133004 => ApiErrorKind::Temporary,
        190 | 0 | 3 | 10 | 200..=299 => ApiErrorKind::Unauthorized,
        131047 => ApiErrorKind::NeedsTemplate,
        131026 | 131049 => ApiErrorKind::Undeliverable,
        368 | 131031 | 131048 => ApiErrorKind::Blocked,
        100
        | 33
        | 131008
        | 131009
        | 131021
        | 131051
        | 131052
        | 131053
        | 132000..=132999
        | 133010
        | 135000 => ApiErrorKind::InvalidRequest,
        _ => return None,
    })
}

/// A request that did not complete.
#[derive(Clone)]
pub struct TransportError {
    message: String,
    connect: bool,
    timeout: bool,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport error with a description. `connect` means the request
    /// never reached the provider (safe to retry); a timeout may mean it
    /// did, so it is not retried automatically.
    pub fn new(message: impl Into<String>, connect: bool, timeout: bool) -> Self {
        Self {
            message: message.into(),
            connect,
            timeout,
            source: None,
        }
    }

    /// True when the connection could not be established.
    pub fn is_connect(&self) -> bool {
        self.connect
    }

    /// True when the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.timeout
    }

    /// Only connection failures are retryable: after a timeout the
    /// provider may already have sent the message, and a retry would
    /// deliver it twice.
    pub fn is_retryable(&self) -> bool {
        self.connect
    }
}

impl TransportError {
    /// The underlying error (a `reqwest::Error` for requests this crate
    /// made), for callers that want to inspect it; its whole chain of
    /// causes is already part of the message.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

impl From<reqwest::Error> for TransportError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's Display includes the URL; our URLs never carry secrets
        // (tokens travel in headers), but strip it anyway to keep logs small.
        let e = e.without_url();
        Self {
            message: chain(&e),
            connect: e.is_connect(),
            timeout: e.is_timeout(),
            source: Some(Arc::new(e)),
        }
    }
}

/// `e` and its causes joined with `: ` (`error sending request: client
/// error (Connect): tcp connect error: Connection refused (os error 111)`):
/// reqwest's own message alone says only "error sending request". A cause
/// whose text the previous one already ends with is not repeated.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("message", &self.message)
            .field("connect", &self.connect)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl fmt::Display for TransportError {
    /// `transport error: ` and the whole chain of causes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transport error: {}", self.message)
    }
}

// No `source()`: the causes are in the message already, and reporters that
// walk the chain (anyhow, tracing-error) would print them twice. Use
// `TransportError::cause` for the underlying error.
impl std::error::Error for TransportError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_codes() {
        let retryable = [130429, 131056, 131057, 4, 80007, 1, 2];
        for code in retryable {
            let e = ApiError::new("cloud_api", 400, "x").with_cloud_code(code, None);
            assert!(e.is_retryable(), "{code}");
        }
        let terminal = [100, 368, 131026, 131047, 131048, 190];
        for code in terminal {
            let e = ApiError::new("cloud_api", 400, "x").with_cloud_code(code, None);
            assert!(!e.is_retryable(), "{code}");
        }
        let e = ApiError::new("cloud_api", 400, "x").with_cloud_code(131047, None);
        assert_eq!(e.kind, ApiErrorKind::NeedsTemplate);
        let pair = ApiError::new("cloud_api", 400, "x").with_cloud_code(131056, None);
        assert_eq!(pair.retry_after(), Some(crate::pacing::CLOUD_PAIR_INTERVAL));
        // Unknown codes fall back to the HTTP status.
        let unknown = ApiError::new("cloud_api", 503, "x").with_cloud_code(999_999, None);
        assert!(unknown.is_retryable());
    }

    #[test]
    fn error_stays_small() {
        // Keep `Result<_, Error>` cheap to return (clippy::result_large_err).
        assert!(size_of::<Error>() <= 120, "{}", size_of::<Error>());
    }

    #[test]
    fn transport_retry_policy() {
        assert!(Error::from(TransportError::new("refused", true, false)).is_retryable());
        assert!(!Error::from(TransportError::new("timeout", false, true)).is_retryable());
    }
}
