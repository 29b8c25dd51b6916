//! A device's connection state as its provider reports it, and the
//! vendor's alert when the number disconnects or comes back.
//!
//! Fonnte posts a webhook when a device connects or disconnects; the state
//! is stored on the device (shown as `connection` in the devices API) and
//! a change reaches the vendor over the platform's WhatsApp number, in the
//! vendor's language. A repeated or older report changes nothing and sends
//! nothing.

use whatsapp_client::webhook::{DeviceState, DeviceStatus};
use whatsapp_client::{OutgoingMessage, PhoneNumber, Provider};

use super::model::ConnectionState;
use super::registry::DeviceRuntime;
use super::store;
use crate::AppState;
use crate::db::now_ms;
use crate::domain::TenantId;
use crate::http::AppError;

/// What a connection report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The device's state changed to this one.
    Changed(ConnectionState),
    /// Same state as stored, or older than the stored one.
    Unchanged,
}

/// Stores a provider's connection report for `device` and tells the vendor
/// when the state changed.
pub async fn record(
    state: &AppState,
    device: &DeviceRuntime,
    status: &DeviceStatus,
) -> Result<Recorded, AppError> {
    let (new_state, reason) = match &status.state {
        DeviceState::Connected => (ConnectionState::Connected, status.reason.clone()),
        DeviceState::Disconnected => (ConnectionState::Disconnected, status.reason.clone()),
        DeviceState::Unknown(word) => (ConnectionState::Unknown, Some(word.clone())),
        other => (ConnectionState::Unknown, Some(format!("{other:?}"))),
    };
    let at = status
        .timestamp
        .map_or_else(now_ms, |t| t.timestamp_millis());
    let device_id = &device.id;
    let Some(previous) =
        store::set_connection(&state.pool, device_id, new_state, reason.as_deref(), at).await?
    else {
        return Ok(Recorded::Unchanged);
    };
    tracing::info!(device = %device_id, state = %new_state, "device connection changed");
    // The first report of a connected device is no news to the vendor.
    let worth_telling = new_state == ConnectionState::Disconnected
        || previous == Some(ConnectionState::Disconnected);
    // The state is stored; a failed alert must not make the provider
    // redeliver the webhook.
    if worth_telling
        && let Err(e) = alert(
            state,
            &device.tenant_id,
            &device.name,
            new_state,
            reason.as_deref(),
        )
        .await
    {
        tracing::warn!(device = %device_id, error = %e.chain(), "device connection alert not sent");
    }
    Ok(Recorded::Changed(new_state))
}

async fn alert(
    state: &AppState,
    tenant: &TenantId,
    device_name: &str,
    new_state: ConnectionState,
    reason: Option<&str>,
) -> Result<(), AppError> {
    let Some(crate::tenants::model::VendorReach { whatsapp, locale }) =
        crate::tenants::store::reach_of(&state.pool, tenant).await?
    else {
        return Ok(());
    };
    let to = PhoneNumber::parse(&whatsapp)
        .map_err(|e| AppError::internal_from("the vendor's stored WhatsApp number", e))?;
    let text = alert_text(&locale, device_name, new_state, reason);
    state
        .services
        .platform_sender
        .send(&to, &OutgoingMessage::text(text))
        .await
        .map_err(|e| AppError::Upstream(e.to_string()))?;
    Ok(())
}

/// The alert's text in the vendor's language (`id` by default).
pub fn alert_text(
    locale: &str,
    device_name: &str,
    new_state: ConnectionState,
    reason: Option<&str>,
) -> String {
    let english = locale == "en";
    let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    match (new_state, english) {
        (ConnectionState::Disconnected, false) => format!(
            "Perangkat WhatsApp \"{device_name}\" terputus{why}. Pesan bot dan kampanye tidak \
             terkirim sampai nomor ini tersambung lagi: pindai ulang kode QR di dasbor penyedia."
        ),
        (ConnectionState::Disconnected, true) => format!(
            "WhatsApp device \"{device_name}\" disconnected{why}. Bot replies and campaigns \
             will not go out until this number is connected again: scan the QR code again at \
             your provider's dashboard."
        ),
        (ConnectionState::Connected, false) => {
            format!("Perangkat WhatsApp \"{device_name}\" tersambung kembali.")
        }
        (ConnectionState::Connected, true) => {
            format!("WhatsApp device \"{device_name}\" is connected again.")
        }
        (ConnectionState::Unknown, false) => format!(
            "Penyedia melaporkan status yang tidak dikenal untuk perangkat WhatsApp \
             \"{device_name}\"{why}."
        ),
        (ConnectionState::Unknown, true) => format!(
            "The provider reported an unknown state for WhatsApp device \"{device_name}\"{why}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_in_both_languages() {
        let id = alert_text(
            "id",
            "Toko",
            ConnectionState::Disconnected,
            Some("device logged out"),
        );
        assert!(
            id.starts_with("Perangkat WhatsApp \"Toko\" terputus (device logged out)."),
            "{id}"
        );
        let en = alert_text("en", "Toko", ConnectionState::Connected, None);
        assert_eq!(en, "WhatsApp device \"Toko\" is connected again.");
    }
}
