//! The simulator's outbox rows.

use serde::Serialize;
use utoipa::ToSchema;

/// One stored outgoing message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SimMessage {
    /// Row id.
    pub id: String,
    /// Tenant that sent it (`None`: the platform itself).
    pub tenant_id: Option<String>,
    /// Device that sent it (`None`: the platform device).
    pub device_id: Option<String>,
    /// Recipient, E.164.
    pub to: String,
    /// The message as JSON (the `whatsapp_client::OutgoingMessage` wire form).
    pub message: serde_json::Value,
    /// The provider message id returned to the sender.
    pub provider_message_id: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// One simulated send ([`super::record_many`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SimSend<'a> {
    /// The sending tenant (`None`: the platform itself).
    pub(crate) tenant_id: Option<&'a str>,
    /// The sending device (`None`: the platform device).
    pub(crate) device_id: Option<&'a str>,
    /// Recipient, E.164.
    pub(crate) to: &'a str,
    /// The `whatsapp_client::OutgoingMessage` wire form.
    pub(crate) message: &'a serde_json::Value,
}

/// A `sim_outbox` row as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct OutboxRow {
    pub(crate) id: String,
    pub(crate) tenant_id: Option<String>,
    pub(crate) device_id: Option<String>,
    pub(crate) to_number: String,
    pub(crate) message_json: String,
    pub(crate) provider_message_id: String,
    pub(crate) created_at: i64,
}

impl From<OutboxRow> for SimMessage {
    fn from(r: OutboxRow) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            device_id: r.device_id,
            to: r.to_number,
            message: serde_json::from_str(&r.message_json)
                .unwrap_or(serde_json::Value::String(r.message_json)),
            provider_message_id: r.provider_message_id,
            created_at: r.created_at,
        }
    }
}
