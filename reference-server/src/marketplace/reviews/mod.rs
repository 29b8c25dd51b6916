//! Product reviews: a buyer whose order with a product was delivered may
//! rate it (1-5) with a text, once per product; anyone may read a
//! product's reviews. The product's rating count, sum and average
//! (`mkt_products.rating_*`, the `rating` sort and `min_rating` filter of
//! search) change in the same transaction as the review.
//!
//! Table: `mkt_reviews`. Reads delivered orders through
//! `orders::store::delivered_order_with` and keeps the product's figures
//! through `catalog::store::add_rating`.

mod http;
pub mod model;
pub mod store;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The review routes (buyer and public).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}
