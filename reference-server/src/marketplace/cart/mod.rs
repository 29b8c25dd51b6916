//! A buyer's cart: variants of any vendors with quantities, shown grouped
//! by vendor with subtotals. Each line remembers the price the buyer last
//! saw; the cart view and checkout say clearly what changed since (price,
//! stock, a product taken off sale).
//!
//! Table: `mkt_cart_items`.

mod http;
pub mod model;
pub mod store;

pub use model::{CartLine, CartView, check_lines};

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The cart routes.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}
