//! Platform administration: admin accounts (seeded on first start), login,
//! vendor management, plans, orders and payments, XLSX exports.

mod accounts;

pub use accounts::{SEED_ADMIN_EMAIL, SeededAdmin, create_admin, reset_password, seed_if_empty};

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The admin routes (`/api/v1/admin/...`).
pub fn router() -> OpenApiRouter<AppState> {
    accounts::router()
}
