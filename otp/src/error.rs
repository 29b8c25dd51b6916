//! Error types. Verification results that are part of the normal flow
//! (wrong code, expired, locked ...) are not errors: see
//! [`VerifyOutcome`](crate::VerifyOutcome).

use std::time::Duration;

use crate::channel::DeliveryError;
use crate::messages::Locale;
use crate::store::StoreError;

/// A configuration value was refused when building the engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A numeric setting is outside its allowed range.
    #[error("otp config: {field} must be {allowed}")]
    OutOfRange {
        /// The field of [`OtpConfig`](crate::OtpConfig).
        field: &'static str,
        /// The allowed range, in words.
        allowed: &'static str,
    },
    /// The server secret is too short to key the code hashes.
    #[error("otp config: the secret must be at least {min} bytes")]
    SecretTooShort {
        /// The minimum length in bytes.
        min: usize,
    },
    /// A message template is unusable.
    #[error("otp config: message template {0}")]
    Template(&'static str),
}

/// Why a request was refused before anything was stored or sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// The purpose is not a short lowercase identifier.
    #[error("purpose must be 1 to 64 characters of a-z, 0-9, '_', '-' or '.'")]
    Purpose,
    /// The destination could not be parsed.
    #[error("invalid destination: {0}")]
    Destination(&'static str),
    /// The configured channel cannot deliver to this kind of destination.
    #[error("the {channel} channel cannot deliver to this kind of destination")]
    UnsupportedDestination {
        /// The channel's name.
        channel: &'static str,
    },
    /// The client key is empty or longer than 256 bytes.
    #[error("client key must be 1 to 256 bytes")]
    ClientKey,
}

/// Everything [`Otp::issue`](crate::Otp::issue) and
/// [`Otp::verify`](crate::Otp::verify) can fail with.
///
/// Map it to HTTP with [`OtpError::http_status`] and show the user
/// [`OtpError::user_message`]; neither reveals whether an account exists.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtpError {
    /// The request itself is malformed; nothing was stored or sent.
    #[error(transparent)]
    InvalidRequest(#[from] InvalidRequest),
    /// A send limit or the resend cooldown applies.
    #[error("too many requests; retry after {} s", retry_after.as_secs())]
    TooManyRequests {
        /// How long until a send would be allowed again.
        retry_after: Duration,
    },
    /// The channel could not deliver the code. The challenge was discarded;
    /// the send still counts against the limits.
    #[error("delivery failed: {0}")]
    Delivery(#[from] DeliveryError),
    /// The store failed.
    #[error("store failed: {0}")]
    Store(#[from] StoreError),
}

impl OtpError {
    /// The HTTP status an API would answer with: 400, 429, 502/503 or 500.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::InvalidRequest(_) => 400,
            Self::TooManyRequests { .. } => 429,
            Self::Delivery(e) if e.is_retryable() => 503,
            Self::Delivery(_) => 502,
            Self::Store(_) => 500,
        }
    }

    /// For `TooManyRequests`, how long to wait (also the value of a
    /// `Retry-After` header). For a retryable delivery failure, the
    /// provider's hint when it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::TooManyRequests { retry_after } => Some(*retry_after),
            Self::Delivery(e) => e.retry_after(),
            _ => None,
        }
    }

    /// A short text for the end user, in Indonesian or English. It names no
    /// internal detail.
    pub fn user_message(&self, locale: Locale) -> String {
        let english = locale == Locale::English;
        match self {
            Self::InvalidRequest(InvalidRequest::Destination(_))
            | Self::InvalidRequest(InvalidRequest::UnsupportedDestination { .. }) => {
                if english {
                    "This number or address cannot receive codes.".to_owned()
                } else {
                    "Nomor atau alamat ini tidak dapat menerima kode.".to_owned()
                }
            }
            Self::InvalidRequest(_) => {
                if english {
                    "The request is not valid.".to_owned()
                } else {
                    "Permintaan tidak valid.".to_owned()
                }
            }
            Self::TooManyRequests { retry_after } => {
                let wait = crate::messages::wait_text(*retry_after, locale);
                if english {
                    format!("Too many requests. Please try again in {wait}.")
                } else {
                    format!("Terlalu banyak permintaan. Silakan coba lagi dalam {wait}.")
                }
            }
            Self::Delivery(_) => {
                if english {
                    "The code could not be sent right now. Please try again later.".to_owned()
                } else {
                    "Kode tidak dapat dikirim saat ini. Silakan coba lagi nanti.".to_owned()
                }
            }
            Self::Store(_) => {
                if english {
                    "Something went wrong. Please try again later.".to_owned()
                } else {
                    "Terjadi kesalahan. Silakan coba lagi nanti.".to_owned()
                }
            }
        }
    }
}
