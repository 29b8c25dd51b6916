//! Platform administration: admin accounts (seeded on first start), login,
//! vendor management (approve, ban, unban), plans (in `billing::plans`),
//! orders and payments, XLSX exports.

mod accounts;
pub mod export;
pub mod vendors;

pub use accounts::{SEED_ADMIN_EMAIL, SeededAdmin, create_admin, reset_password, seed_if_empty};

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The admin routes (`/api/v1/admin/...`).
pub fn router() -> OpenApiRouter<AppState> {
    accounts::router()
        .merge(vendors::router())
        .merge(export::router())
}
