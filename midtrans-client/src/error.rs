//! The crate's error type.

use std::time::Duration;

use serde::Deserialize;

use crate::money::Idr;
use crate::order_id::InvalidOrderId;

/// Everything that can go wrong talking to Midtrans.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request was rejected on the client side before anything was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// An order id did not pass validation.
    #[error(transparent)]
    InvalidOrderId(#[from] InvalidOrderId),

    /// The item details do not add up to `gross_amount`. Midtrans would
    /// reject this too; it is caught here so that nothing is sent and the
    /// amount is never silently rewritten.
    #[error("item details add up to {items_sum}, but gross_amount is {gross_amount}")]
    AmountMismatch {
        /// The `gross_amount` of the request.
        gross_amount: Idr,
        /// The sum of `price * quantity` over the items.
        items_sum: Idr,
    },

    /// Midtrans answered with an error.
    #[error(transparent)]
    Api(Box<ApiError>),

    /// The request did not complete in time.
    #[error("request to Midtrans timed out")]
    Timeout,

    /// The request could not be sent or the answer not read (DNS, TLS,
    /// connection reset ...).
    #[error("transport error talking to Midtrans: {0}")]
    Transport(#[source] reqwest::Error),

    /// Midtrans answered, but the body was not what the documentation
    /// describes. The raw body is kept for debugging.
    #[error("could not decode Midtrans response (HTTP {http_status}): {source}")]
    Decode {
        /// The HTTP status of the answer.
        http_status: u16,
        /// The raw body.
        body: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },

    /// A notification's signature did not verify.
    #[error(transparent)]
    Signature(#[from] SignatureError),

    /// A notification could not be parsed.
    #[error("invalid notification body: {0}")]
    InvalidNotification(#[source] serde_json::Error),

    /// The transaction returned by GET status does not match the
    /// notification it was meant to confirm.
    #[error("confirmation mismatch: {0}")]
    ConfirmationMismatch(String),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl Error {
    /// Whether trying the same call again may succeed: timeouts, transport
    /// errors, HTTP 429 and 5xx, and Midtrans `status_code` 5xx.
    ///
    /// Whether it is *safe* to try again is another matter: see
    /// [`RetryPolicy`](crate::RetryPolicy).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout | Error::Transport(_) => true,
            Error::Api(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// The delay Midtrans asked for with `Retry-After`, if any.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            _ => None,
        }
    }

    /// The API error, if this is one.
    #[must_use]
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }
}

/// An error answer from Midtrans, kept as data.
///
/// Midtrans' Core API puts its own `status_code` in the body as a string,
/// and it does not always match the HTTP status (a `"404"` may arrive with
/// HTTP 200). Both are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// The body's `status_code` (Core API), e.g. `"406"`.
    pub status_code: Option<String>,
    /// The body's `status_message` (Core API, Subscription API) or
    /// `error_message` (Iris).
    pub status_message: Option<String>,
    /// The body's `error_messages` (Snap, some Core API errors).
    pub error_messages: Vec<String>,
    /// The body's `validation_messages` (Core API, Subscription API).
    pub validation_messages: Vec<String>,
    /// The body's `id` (some Core API errors carry a request id).
    pub id: Option<String>,
    /// The raw body as received.
    pub body: String,
    /// `Retry-After`, when the answer had one.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Whether the failure is on Midtrans' side or a rate limit.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        if self.http_status == 429 || self.http_status >= 500 {
            return true;
        }
        matches!(
            self.status_code.as_deref(),
            Some("500" | "502" | "503" | "504" | "505")
        )
    }

    /// The code that best describes the error: the body's `status_code`
    /// when present, else the HTTP status.
    #[must_use]
    pub fn code(&self) -> String {
        self.status_code
            .clone()
            .unwrap_or_else(|| self.http_status.to_string())
    }

    pub(crate) fn from_body(http_status: u16, body: &str, retry_after: Option<Duration>) -> Self {
        #[derive(Deserialize, Default)]
        struct Raw {
            #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
            status_code: Option<String>,
            #[serde(default)]
            status_message: Option<String>,
            #[serde(default)]
            error_message: Option<String>,
            #[serde(default, deserialize_with = "crate::de::string_list")]
            error_messages: Vec<String>,
            #[serde(default, deserialize_with = "crate::de::string_list")]
            validation_messages: Vec<String>,
            #[serde(default, deserialize_with = "crate::de::string_list")]
            errors: Vec<String>,
            #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
            id: Option<String>,
        }
        let raw: Raw = serde_json::from_str(body).unwrap_or_default();
        let mut error_messages = raw.error_messages;
        error_messages.extend(raw.errors);
        ApiError {
            http_status,
            status_code: raw.status_code,
            status_message: raw.status_message.or(raw.error_message),
            error_messages,
            validation_messages: raw.validation_messages,
            id: raw.id,
            body: body.to_owned(),
            retry_after,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Midtrans error (HTTP {}", self.http_status)?;
        if let Some(code) = &self.status_code {
            write!(f, ", status_code {code}")?;
        }
        f.write_str(")")?;
        if let Some(m) = &self.status_message {
            write!(f, ": {m}")?;
        }
        for m in self.error_messages.iter().chain(&self.validation_messages) {
            write!(f, "; {m}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Why a notification signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The notification has no signature field (or header) at all.
    #[error("notification has no signature")]
    Missing,
    /// The signature is not 128 hex digits.
    #[error("notification signature is not a SHA-512 hex digest")]
    Malformed,
    /// The signature does not match.
    #[error("notification signature does not match")]
    Mismatch,
}
