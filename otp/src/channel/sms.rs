//! SMS delivery over any SMS provider.

use async_trait::async_trait;

use super::{Channel, Delivery, DeliveryError};
use crate::destination::Destination;

/// Sends one SMS. Implemented by [`TwilioSms`](super::TwilioSms) (feature
/// `twilio`); implement it for a local SMS aggregator.
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// The provider's name, for logs and errors.
    fn name(&self) -> &'static str;

    /// Sends `body` to `to_e164` (`+6281...`).
    async fn send_sms(&self, to_e164: &str, body: &str) -> Result<(), DeliveryError>;
}

/// Delivers the rendered message text by SMS to phone destinations.
#[derive(Debug)]
pub struct SmsChannel<S> {
    sender: S,
}

impl<S: SmsSender> SmsChannel<S> {
    /// An SMS channel over `sender`.
    pub fn new(sender: S) -> Self {
        Self { sender }
    }

    /// The SMS sender.
    pub fn sender(&self) -> &S {
        &self.sender
    }
}

#[async_trait]
impl<S: SmsSender> Channel for SmsChannel<S> {
    fn name(&self) -> &'static str {
        "sms"
    }

    fn supports(&self, destination: &Destination) -> bool {
        destination.as_phone_e164().is_some()
    }

    async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), DeliveryError> {
        let to = delivery
            .destination()
            .as_phone_e164()
            .ok_or(DeliveryError::Unsupported { channel: "sms" })?;
        self.sender.send_sms(to, delivery.text()).await
    }
}
