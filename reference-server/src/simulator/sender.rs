//! The simulator as a [`whatsapp_client::Provider`].

use std::sync::Arc;

use super::store::record_on;

/// The simulator as a [`whatsapp_client::Provider`]: the message is stored in `sim_outbox`
/// in its JSON wire form and gets a `sim.<uuid>` provider id. The insert
/// is a job of the group-committing [`crate::db::Writer`].
pub(crate) struct SimSender {
    tenant_id: Option<Arc<str>>,
    device_id: Option<Arc<str>>,
    writer: crate::db::Writer,
}

impl SimSender {
    /// The simulator sender of a tenant's device, or of the platform
    /// (both `None`).
    pub(crate) fn new(
        tenant_id: Option<&str>,
        device_id: Option<&str>,
        writer: crate::db::Writer,
    ) -> Self {
        Self {
            tenant_id: tenant_id.map(Arc::from),
            device_id: device_id.map(Arc::from),
            writer,
        }
    }
}

#[async_trait::async_trait]
impl whatsapp_client::Provider for SimSender {
    fn kind(&self) -> &'static str {
        "simulator"
    }

    async fn send(
        &self,
        to: &whatsapp_client::PhoneNumber,
        message: &whatsapp_client::OutgoingMessage,
    ) -> Result<whatsapp_client::SendReceipt, whatsapp_client::Error> {
        self.send_to(&whatsapp_client::Recipient::from(to), message)
            .await
    }

    /// Like the Cloud API it stands in for, the simulator sends to numbers
    /// and business-scoped user ids alike (`to` in the outbox is the
    /// number or the id).
    async fn send_to(
        &self,
        to: &whatsapp_client::Recipient,
        message: &whatsapp_client::OutgoingMessage,
    ) -> Result<whatsapp_client::SendReceipt, whatsapp_client::Error> {
        message.validate()?;
        let json = Arc::new(serde_json::to_value(message).map_err(|e| {
            whatsapp_client::Error::InvalidInput(format!("message not serializable: {e}"))
        })?);
        let (tenant, device, to) = (
            self.tenant_id.clone(),
            self.device_id.clone(),
            Arc::<str>::from(to.to_string()),
        );
        let recorded = self
            .writer
            .run(move |c| {
                let (tenant, device, to, json) = (
                    tenant.clone(),
                    device.clone(),
                    Arc::clone(&to),
                    Arc::clone(&json),
                );
                Box::pin(async move {
                    record_on(c, tenant.as_deref(), device.as_deref(), &to, &json).await
                })
            })
            .await;
        let id = recorded.map_err(|e| {
            whatsapp_client::Error::Transport(whatsapp_client::TransportError::new(
                format!("simulator outbox: {e}"),
                false,
                false,
            ))
        })?;
        Ok(whatsapp_client::SendReceipt::new(Some(id)))
    }
}
