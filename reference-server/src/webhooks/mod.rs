//! `GET|POST /webhooks/whatsapp/{device}`: the URL a vendor pastes at its
//! WhatsApp provider.
//!
//! - **Cloud API** devices: `GET` answers Meta's subscription handshake
//!   with the device's verify token; every `POST` must carry a valid
//!   `X-Hub-Signature-256` (HMAC-SHA256 of the raw body under the device's
//!   app secret), checked before anything is parsed.
//! - **Fonnte** devices (and **gateway** devices that post Fonnte-shaped
//!   webhooks): Fonnte does not sign webhooks, so the call must prove it
//!   knows the device's token: `?token=<device token>` in the URL pasted at
//!   Fonnte, or an `X-Webhook-Token: <device token>` header. Compared in
//!   constant time.
//! - **Simulator** devices accept Cloud-API-shaped posts signed with the
//!   simulator's optional app secret (for trying webhooks and load tests).
//!
//! Tables: none of its own.
//!
//! Accepted events are handled by [`crate::bots::engine`]: messages are
//! de-duplicated by provider message id in the database, answered by the
//! vendor's bot pipeline and stored; status events update stored messages.
//! A banned vendor's webhooks are accepted (200, so the provider does not
//! retry forever) but its bots do not answer.

mod http;
pub mod model;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub use model::{TOKEN_HEADER, WebhookSummary};

/// The webhook routes (outside the API prefix).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(http::verify_webhook, http::receive_webhook))
}
