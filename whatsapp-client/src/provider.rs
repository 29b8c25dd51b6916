//! The provider trait every sender implements.

use std::sync::Arc;

use crate::error::Error;
use crate::message::OutgoingMessage;
use crate::phone::PhoneNumber;
use crate::recipient::Recipient;

/// Something that can send a WhatsApp message: the Cloud API, Fonnte, a
/// generic HTTP gateway, a test double, or a wrapper such as
/// [`crate::Paced`] or [`crate::Retrying`].
///
/// Object safe: hold one as `Arc<dyn Provider>` and switch provider by
/// configuration.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Short stable name of the provider kind, e.g. "cloud_api", "fonnte", "gateway".
    fn kind(&self) -> &'static str;

    /// Sends `message` to `to`. A message kind the provider cannot send
    /// fails with [`Error::Unsupported`] before any request is made.
    async fn send(&self, to: &PhoneNumber, message: &OutgoingMessage)
    -> Result<SendReceipt, Error>;

    /// Sends `message` to a phone number or a business-scoped user id
    /// (the sender of an inbound message, [`crate::webhook::Sender`]).
    ///
    /// The default sends to a phone number with [`Provider::send`] and
    /// refuses a user id with [`Error::UnsupportedRecipient`] before any
    /// request is made: right for providers that address phone numbers
    /// only (Fonnte, generic gateways). Providers that can address user
    /// ids ([`crate::cloud::CloudApi`]) and wrappers override it.
    async fn send_to(
        &self,
        to: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        match to {
            Recipient::Phone(phone) => self.send(phone, message).await,
            Recipient::UserId(_) => Err(unsupported_recipient(self.kind(), to)),
        }
    }
}

/// The [`Error::UnsupportedRecipient`] a phone-only provider answers for `to`.
pub(crate) fn unsupported_recipient(provider: &'static str, to: &Recipient) -> Error {
    Error::UnsupportedRecipient {
        provider,
        recipient: to.kind(),
    }
}

/// What a provider returns for an accepted message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SendReceipt {
    /// The provider's id of the sent message (Cloud API `wamid...`, Fonnte
    /// id), used to match later status webhooks. Some gateways return none.
    pub message_id: Option<String>,
}

impl SendReceipt {
    /// A receipt with the given id.
    pub fn new(message_id: Option<String>) -> Self {
        Self { message_id }
    }
}

#[async_trait::async_trait]
impl<P: Provider + ?Sized> Provider for Arc<P> {
    fn kind(&self) -> &'static str {
        (**self).kind()
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        (**self).send(to, message).await
    }

    async fn send_to(
        &self,
        to: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        (**self).send_to(to, message).await
    }
}

#[async_trait::async_trait]
impl<P: Provider + ?Sized> Provider for Box<P> {
    fn kind(&self) -> &'static str {
        (**self).kind()
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        (**self).send(to, message).await
    }

    async fn send_to(
        &self,
        to: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        (**self).send_to(to, message).await
    }
}

#[async_trait::async_trait]
impl<P: Provider + ?Sized> Provider for &P {
    fn kind(&self) -> &'static str {
        (**self).kind()
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        (**self).send(to, message).await
    }

    async fn send_to(
        &self,
        to: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        (**self).send_to(to, message).await
    }
}
