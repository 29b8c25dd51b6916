//! Platform administration: admin accounts (seeded on first start) and
//! their login, vendor management (approve, ban, unban), orders and
//! payments of every vendor, the platform sender's simulator outbox, and
//! XLSX exports. Plans are managed in `billing::plans`.
//!
//! Tables: none of its own. Admin accounts and sessions are stored by
//! `auth`, vendors by `tenants`, subscriptions and payments by `billing`
//! (its cross-vendor listings).
//!
//! Depends on `auth`, `tenants`, `billing` and `simulator`; nothing
//! depends on it except the binary (seeding and the `admin` command).

mod accounts;
pub mod export;
mod http;
pub mod model;
mod vendors;

pub(crate) use accounts::log_in;
pub use accounts::{SEED_ADMIN_EMAIL, create_admin, reset_password, seed_if_empty};
pub use model::{PaymentView, SeededAdmin, VendorView};
pub(crate) use vendors::{all_vendors, approve, ban, load as vendor, unban};

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The admin routes (`/api/v1/admin/...`).
pub fn router() -> OpenApiRouter<AppState> {
    accounts::router()
        .merge(vendors::router())
        .merge(http::router())
        .merge(export::router())
}
