//! Devices: the WhatsApp numbers a vendor connects (Cloud API, Fonnte, a
//! generic gateway, or the built-in simulator).
//!
//! Provider secrets are encrypted at rest with [`crate::crypto::Crypto`]
//! (bound to the tenant and device id) and never returned by the API: a
//! device shows which secrets are set, and the webhook URL to paste at the
//! provider. Senders are built per device by [`registry`] and cached.
//!
//! Owns the tables `devices`, `device_plugins` (each device's bot
//! pipeline, edited through the `bots` routes) and `device_send_slots`;
//! their SQL is in `store` and [`send_slots`]. The registry's webhook
//! lookup reads the vendor's status and time zone with the device in one
//! joined query, on the hot path of every inbound message.

pub mod connection;
mod http;
pub mod model;
pub mod registry;
pub(crate) mod send_slots;
pub(crate) mod store;

use secrecy::ExposeSecret;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::{DeviceId, TenantId};
use crate::http::{AppError, ResultExt};

pub use model::{
    Connection, ConnectionState, CreateDevice, DeviceKind, DeviceSecrets, DeviceSettings,
    DeviceView, UpdateDevice,
};
use store::DeviceRow;

pub(crate) use http::{create, get, list};

/// The device routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::list_devices, http::create_device))
        .routes(routes!(
            http::get_device,
            http::update_device,
            http::delete_device
        ))
}

/// The associated data binding a device's encrypted secrets to it.
pub(crate) fn secrets_aad(tenant_id: &str, device_id: &str) -> String {
    format!("device:{tenant_id}:{device_id}")
}

/// Decrypts a device's secrets.
pub(crate) fn decrypt_secrets(
    state: &AppState,
    row: &DeviceRow,
) -> Result<DeviceSecrets, AppError> {
    let plain = state
        .services
        .crypto
        .decrypt(
            &row.secrets_ciphertext,
            &secrets_aad(&row.tenant_id, &row.id),
        )
        .context("decrypting a device's secrets")?;
    DeviceSecrets::from_plaintext(plain.expose_secret()).ok_or_else(|| {
        AppError::internal(format!("device {}: secrets document unreadable", row.id))
    })
}

pub(crate) fn encrypt_secrets(
    state: &AppState,
    tenant_id: &TenantId,
    device_id: &DeviceId,
    s: &DeviceSecrets,
) -> String {
    state
        .services
        .crypto
        .encrypt(&s.to_plaintext(), &secrets_aad(tenant_id, device_id))
}

/// The webhook URL of a device: `{public_base_url}/webhooks/whatsapp/{id}`.
pub fn webhook_url(public_base_url: &str, device_id: &DeviceId) -> String {
    format!(
        "{}/webhooks/whatsapp/{device_id}",
        public_base_url.trim_end_matches('/')
    )
}
