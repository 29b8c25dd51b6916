//! The platform's own WhatsApp number.
//!
//! Sign-up, login and password-reset codes and payment receipts are sent
//! from the platform's number, not from a vendor's device. By default it is
//! the built-in simulator (messages land in `sim_outbox`, readable at
//! `GET /api/v1/admin/simulator/outbox`), so a fresh machine needs no
//! account; in production an operator points it at a Cloud API number,
//! a Fonnte device or a gateway with `[platform_whatsapp]` /
//! `PLATFORM_WA_*` (see the operator's guide). The settings are checked at
//! start-up: a missing token fails the start with the setting's name
//! instead of failing every sign-up later.

use std::sync::Arc;
use std::time::Duration;

use whatsapp_client::{OutgoingMessage, PhoneNumber, Provider, Retrying, SendReceipt};

use crate::config::{PlatformProvider, PlatformWhatsAppConfig};
use crate::db::Writer;
use crate::devices::model::{DeviceKind, DeviceSecrets, DeviceSettings};
use crate::devices::registry::remote_provider;
use crate::http::AppError;
use crate::simulator::SimSender;

/// The platform's sender: paced, retried on transient provider errors,
/// cheap to clone.
#[derive(Clone)]
pub struct PlatformSender {
    inner: Arc<dyn Provider>,
    provider: PlatformProvider,
}

impl std::fmt::Debug for PlatformSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformSender")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Builds the platform's sender from the configuration.
///
/// # Errors
/// A setting the chosen provider needs is missing or unusable; the message
/// names it (never its value).
pub fn sender(
    config: &PlatformWhatsAppConfig,
    writer: Writer,
    http: reqwest::Client,
) -> Result<PlatformSender, AppError> {
    let kind = match config.provider {
        PlatformProvider::CloudApi => DeviceKind::CloudApi,
        PlatformProvider::Fonnte => DeviceKind::Fonnte,
        PlatformProvider::Gateway => DeviceKind::Gateway,
        _ => DeviceKind::Simulator,
    };
    let settings = DeviceSettings {
        phone_number_id: config.phone_number_id.clone(),
        api_version: config.api_version.clone(),
        base_url: config.base_url.clone(),
        gateway_url: config.gateway_url.clone(),
        header_name: config.header_name.clone(),
        handoff_timeout_minutes: None,
    };
    let secrets = DeviceSecrets {
        access_token: config.access_token.clone(),
        token: config.token.clone(),
        ..DeviceSecrets::default()
    };
    let inner: Arc<dyn Provider> = match remote_provider(
        kind,
        &settings,
        &secrets,
        http,
        "platform WhatsApp",
        &kind.pacing(),
    )? {
        // A code that does not arrive locks a vendor out of sign-up:
        // transient provider errors get a few quick retries.
        Some(remote) => Arc::new(Retrying::new(
            remote,
            whatsapp_client::RetryPolicy::default()
                .max_retries(2)
                .base_delay(Duration::from_millis(300))
                .max_delay(Duration::from_secs(5)),
        )),
        None => Arc::new(SimSender::new(None, None, writer)),
    };
    Ok(PlatformSender {
        inner,
        provider: config.provider,
    })
}

impl PlatformSender {
    /// Which provider the platform's number uses.
    pub fn provider(&self) -> PlatformProvider {
        self.provider
    }
}

#[async_trait::async_trait]
impl Provider for PlatformSender {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, whatsapp_client::Error> {
        self.inner.send(to, message).await
    }
}
