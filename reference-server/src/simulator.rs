//! The built-in simulator WhatsApp provider.
//!
//! It "sends" by storing every message in the `sim_outbox` table (tenant,
//! device, recipient, message JSON, a `sim.<uuid>` provider message id), so
//! the whole product runs locally with no WhatsApp account: the platform's
//! own OTP device uses it by default, and so do vendor devices of kind
//! `simulator`. The inserts are jobs of the group-committing
//! [`crate::db::Writer`] ([`SimSender`]); a bot turn on a simulator device
//! makes them inside its own job ([`record_on`]). Messages are also logged at info level, because seeing them
//! is the point of a simulator (it never carries real traffic).

use std::sync::Arc;

use serde::Serialize;
use sqlx::AnyPool;
use utoipa::ToSchema;

use crate::db::{new_id, now_ms};

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

/// Stores one simulated send in the caller's write job and returns its
/// `sim.<uuid>` provider message id.
pub(crate) async fn record_on(
    c: &mut sqlx::AnyConnection,
    tenant_id: Option<&str>,
    device_id: Option<&str>,
    to: &str,
    message: &serde_json::Value,
) -> Result<String, sqlx::Error> {
    let send = SimSend {
        tenant_id,
        device_id,
        to,
        message,
    };
    record_many(c, std::slice::from_ref(&send))
        .await?
        .pop()
        .ok_or(sqlx::Error::RowNotFound)
}

/// One simulated send ([`record_many`]).
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

/// Stores simulated sends in the caller's write job (so the bots store a
/// reply and its "sending" together), with one multi-row insert per chunk,
/// and returns their `sim.<uuid>` provider message ids, in order.
pub(crate) async fn record_many(
    c: &mut sqlx::AnyConnection,
    sends: &[SimSend<'_>],
) -> Result<Vec<String>, sqlx::Error> {
    let now = now_ms();
    let ids: Vec<String> = sends
        .iter()
        .map(|_| format!("sim.{}", uuid::Uuid::now_v7().simple()))
        .collect();
    let rows: Vec<(&SimSend<'_>, &String)> = sends.iter().zip(&ids).collect();
    crate::db::execute_rows(
        c,
        &rows,
        7,
        |values| {
            format!(
                "INSERT INTO sim_outbox (id, tenant_id, device_id, to_number, message_json, \
                 provider_message_id, created_at) VALUES {values}"
            )
        },
        |q, (send, provider_message_id)| {
            q.bind(new_id())
                .bind(send.tenant_id)
                .bind(send.device_id)
                .bind(send.to)
                .bind(send.message.to_string())
                .bind(provider_message_id.as_str())
                .bind(now)
        },
    )
    .await?;
    for send in sends {
        tracing::info!(
            sender = send.device_id.unwrap_or("platform"),
            to = %send.to,
            message = %send.message,
            "simulator: message sent"
        );
    }
    Ok(ids)
}

/// Lists outbox rows of one sender (`tenant_id`/`device_id` `None` = the
/// platform sender), optionally to one recipient, newest first.
pub async fn list(
    pool: &AnyPool,
    tenant_id: Option<&str>,
    device_id: Option<&str>,
    to: Option<&str>,
    limit: i64,
) -> Result<Vec<SimMessage>, sqlx::Error> {
    // `IS NOT DISTINCT FROM` is not SQLite; spell the NULL match out.
    let rows: Vec<(
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        String,
        i64,
    )> = sqlx::query_as(
        "SELECT id, tenant_id, device_id, to_number, message_json, provider_message_id, created_at \
             FROM sim_outbox \
             WHERE ((tenant_id IS NULL AND $1 IS NULL) OR tenant_id = $1) \
               AND ((device_id IS NULL AND $2 IS NULL) OR device_id = $2) \
               AND ($3 IS NULL OR to_number = $3) \
             ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(tenant_id.map(str::to_owned))
    .bind(device_id.map(str::to_owned))
    .bind(to.map(str::to_owned))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, tenant_id, device_id, to, json, provider_message_id, created_at)| SimMessage {
                id,
                tenant_id,
                device_id,
                to,
                message: serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json)),
                provider_message_id,
                created_at,
            },
        )
        .collect())
}

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
