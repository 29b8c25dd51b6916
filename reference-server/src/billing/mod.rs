//! Billing: plans, orders, subscriptions, usage and Midtrans payments.
//!
//! Owns the tables `plans`, `orders`, `payments`, `subscriptions`,
//! `subscription_periods` and `usage_counters`; all SQL on them is in
//! [`store`].
//!
//! * [`limits`]: plan limits and usage counters other features call.
//! * [`plans`]: public plan list and admin CRUD (handlers).
//! * [`http`]: a vendor buys or renews a plan (Snap), its orders, its
//!   subscription and usage.
//! * [`webhook`]: `POST /webhooks/midtrans`, idempotent transitions.
//! * [`subscriptions`]: trial, extension exactly once, the expiry job.
//! * [`receipt`]: WhatsApp receipts.
//! * [`reminders`]: expiry reminders and the grace period.
//! * [`invoices`]: the invoice issued with each paid order (numbered per
//!   year without gaps), the vendor's billing details, HTML and PDF.
//! * `loadtest` (feature `loadtest`): setup of the Midtrans load generator.

pub mod config;
pub mod http;
pub mod invoices;
pub mod limits;
#[cfg(feature = "loadtest")]
pub mod loadtest;
pub mod model;
mod pdf;
pub mod plans;
pub mod receipt;
pub mod reminders;
pub mod store;
pub mod webhook;

pub use config::BillingConfig;
pub use http::subscription;
pub use model::{OrderStatus, OrderView, Plan, SubscriptionState, SubscriptionView};
pub use store::subscriptions;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::config::MidtransConfig;

/// The billing routes (vendor, admin and webhook).
pub fn router() -> OpenApiRouter<AppState> {
    plans::router()
        .merge(http::router())
        .merge(invoices::router())
        .merge(webhook::router())
}

/// The configured Midtrans client, or 503 `not_configured` without a
/// server key.
pub(crate) fn configured(
    state: &AppState,
) -> Result<&midtrans_client::MidtransClient, crate::http::AppError> {
    state.services.midtrans.as_ref().ok_or_else(|| {
        crate::http::AppError::NotConfigured(crate::http::i18n::Text::new(
            "pembayaran belum dikonfigurasi (MIDTRANS_SERVER_KEY)",
            "payments are not configured (MIDTRANS_SERVER_KEY)",
        ))
    })
}

/// The platform's Midtrans client, `None` without a server key.
pub fn midtrans_client(
    config: &MidtransConfig,
) -> Result<Option<midtrans_client::MidtransClient>, String> {
    use secrecy::ExposeSecret as _;
    let Some(key) = &config.server_key else {
        return Ok(None);
    };
    let env = if config.production {
        midtrans_client::Environment::Production
    } else {
        midtrans_client::Environment::Sandbox
    };
    let mut client = midtrans_client::MidtransClient::new(key.expose_secret(), env);
    if config.api_base_url.is_some() || config.snap_base_url.is_some() {
        let mut urls = midtrans_client::BaseUrls::for_environment(env);
        if let Some(u) = &config.api_base_url {
            urls.core = url::Url::parse(u).map_err(|e| format!("MIDTRANS_API_BASE_URL: {e}"))?;
        }
        if let Some(u) = &config.snap_base_url {
            urls.snap = url::Url::parse(u).map_err(|e| format!("MIDTRANS_SNAP_BASE_URL: {e}"))?;
        }
        client = client.with_base_urls(urls);
    }
    Ok(Some(client))
}
