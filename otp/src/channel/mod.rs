//! How a code reaches the user.
//!
//! A [`Channel`] delivers one rendered message. This crate ships a WhatsApp
//! channel over `whatsapp-client` (feature `whatsapp`), an SMS channel over
//! any [`SmsSender`] with a Twilio implementation (feature `twilio`), and
//! [`Fallback`] to try one channel after another.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::destination::Destination;
use crate::messages::Locale;
use crate::purpose::Purpose;

mod sms;
#[cfg(feature = "twilio")]
mod twilio;
#[cfg(feature = "whatsapp")]
mod whatsapp;

pub use sms::{SmsChannel, SmsSender};
#[cfg(feature = "twilio")]
pub use twilio::{TwilioSender, TwilioSms};
#[cfg(feature = "whatsapp")]
pub use whatsapp::WhatsAppChannel;

/// One code to deliver. Its `Debug` output hides the code and the text.
pub struct Delivery<'a> {
    pub(crate) challenge_id: &'a str,
    pub(crate) destination: &'a Destination,
    pub(crate) purpose: &'a Purpose,
    pub(crate) locale: Locale,
    pub(crate) code: &'a str,
    pub(crate) text: &'a str,
    pub(crate) ttl: Duration,
}

impl<'a> Delivery<'a> {
    /// Builds a delivery (for tests of custom channels).
    pub fn new(
        challenge_id: &'a str,
        destination: &'a Destination,
        purpose: &'a Purpose,
        locale: Locale,
        code: &'a str,
        text: &'a str,
        ttl: Duration,
    ) -> Self {
        Self {
            challenge_id,
            destination,
            purpose,
            locale,
            code,
            text,
            ttl,
        }
    }

    /// The challenge the code belongs to.
    pub fn challenge_id(&self) -> &str {
        self.challenge_id
    }

    /// Where to send it.
    pub fn destination(&self) -> &Destination {
        self.destination
    }

    /// What the code is for.
    pub fn purpose(&self) -> &Purpose {
        self.purpose
    }

    /// The user's language.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The code itself, for channels that send it as a template parameter.
    pub fn code(&self) -> &str {
        self.code
    }

    /// The full message text in the user's language.
    pub fn text(&self) -> &str {
        self.text
    }

    /// How long the code stays valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

impl fmt::Debug for Delivery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("challenge_id", &self.challenge_id)
            .field("destination", self.destination)
            .field("purpose", self.purpose)
            .field("locale", &self.locale)
            .field("code", &"[redacted]")
            .field("text", &"[redacted]")
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// A delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// The channel cannot send to this kind of destination.
    #[error("the {channel} channel cannot deliver to this destination")]
    Unsupported {
        /// The channel's name.
        channel: &'static str,
    },
    /// The provider refused the message.
    #[error("{provider} rejected the message (HTTP {status:?}, code {code:?}): {message}")]
    Rejected {
        /// The provider's name.
        provider: &'static str,
        /// The HTTP status, when there was one.
        status: Option<u16>,
        /// The provider's error code.
        code: Option<String>,
        /// The provider's explanation.
        message: String,
        /// Whether trying again later may succeed.
        retryable: bool,
        /// The provider's hint for when to try again.
        retry_after: Option<Duration>,
    },
    /// The provider could not be reached, or answered something unreadable.
    #[error("{provider} could not be reached: {message}")]
    Transport {
        /// The provider's name.
        provider: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl DeliveryError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unsupported { .. } => false,
            Self::Rejected { retryable, .. } => *retryable,
            Self::Transport { .. } => true,
        }
    }

    /// The provider's hint for when to try again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Rejected { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Delivers codes. Implement it for another provider or medium (email,
/// push, ...).
#[async_trait]
pub trait Channel: Send + Sync {
    /// A short name for logs and errors, e.g. `"whatsapp"`.
    fn name(&self) -> &'static str;

    /// Whether this channel can deliver to `destination`. Checked before
    /// anything is stored or counted.
    fn supports(&self, destination: &Destination) -> bool;

    /// Sends the message. Must not log the code or the text.
    async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), DeliveryError>;
}

#[async_trait]
impl<C: Channel + ?Sized> Channel for Arc<C> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn supports(&self, destination: &Destination) -> bool {
        (**self).supports(destination)
    }
    async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), DeliveryError> {
        (**self).deliver(delivery).await
    }
}

/// Tries `primary`, and when it cannot deliver (it does not support the
/// destination, or it failed) tries `secondary`: for example WhatsApp first,
/// SMS when the number has no WhatsApp account or the gateway is down.
#[derive(Debug)]
pub struct Fallback<A, B> {
    primary: A,
    secondary: B,
}

impl<A: Channel, B: Channel> Fallback<A, B> {
    /// Combines two channels.
    pub fn new(primary: A, secondary: B) -> Self {
        Self { primary, secondary }
    }
}

#[async_trait]
impl<A: Channel, B: Channel> Channel for Fallback<A, B> {
    fn name(&self) -> &'static str {
        "fallback"
    }

    fn supports(&self, destination: &Destination) -> bool {
        self.primary.supports(destination) || self.secondary.supports(destination)
    }

    async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), DeliveryError> {
        let first = if self.primary.supports(delivery.destination) {
            match self.primary.deliver(delivery).await {
                Ok(()) => return Ok(()),
                Err(e) => Some(e),
            }
        } else {
            None
        };
        if self.secondary.supports(delivery.destination) {
            if let Some(e) = &first {
                tracing::warn!(
                    primary = self.primary.name(),
                    secondary = self.secondary.name(),
                    error = %e,
                    "otp: primary channel failed, trying the secondary"
                );
            }
            return self.secondary.deliver(delivery).await;
        }
        Err(first.unwrap_or(DeliveryError::Unsupported {
            channel: self.name(),
        }))
    }
}
