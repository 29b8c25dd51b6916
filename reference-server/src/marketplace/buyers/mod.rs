//! Marketplace buyers: one account per WhatsApp number, signed in with a
//! one-time code sent over WhatsApp (the `otp` crate with the rules of
//! vendor sign-up: code length, expiry, attempts, resend cooldown and send
//! limits), a name, a language and shipping addresses.
//!
//! Buyer sessions (`wsb_...` tokens, stored only as SHA-256) live in their
//! own table: [`CurrentBuyer`] reads only that table and the vendor
//! extractor only the vendor sessions, so a buyer token never passes a
//! vendor route and a vendor token never passes a buyer route.
//!
//! Tables: `mkt_buyers`, `mkt_buyer_sessions`, `mkt_addresses`.

mod extract;
mod http;
pub mod model;
pub mod store;

pub use model::{Address, CurrentBuyer};

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Name of the buyer-session security scheme in the OpenAPI document.
pub const SECURITY_BUYER: &str = "buyer_session";

/// The buyer routes.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}
