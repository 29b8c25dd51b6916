//! The provider trait every sender implements.

use std::sync::Arc;

use crate::error::Error;
use crate::message::OutgoingMessage;
use crate::phone::PhoneNumber;

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
}
