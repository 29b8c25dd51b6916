//! Plans, orders, subscriptions and Midtrans payments.
//!
//! * [`limits`]: plan limits and usage counters other areas call.
//! * `plans`: public plan list and admin CRUD.

pub mod limits;
pub mod plans;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The billing routes (vendor, admin and webhook).
pub fn router() -> OpenApiRouter<AppState> {
    plans::router()
}
