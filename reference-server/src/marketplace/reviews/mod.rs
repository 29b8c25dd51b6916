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

use self::model::Review;
use crate::AppState;
use crate::domain::ProductId;
use crate::http::AppError;

/// The review routes (buyer and public).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// The reviews of one of the vendor's products (drafts too), newest
/// first, up to `limit`; another vendor's product is not found.
pub(crate) async fn of_vendor_product(
    state: &AppState,
    tenant: &crate::domain::TenantId,
    product: &ProductId,
    limit: i64,
) -> Result<Vec<Review>, AppError> {
    crate::marketplace::catalog::store::product(&state.pool, tenant, product)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    Ok(store::of_product(&state.pool, product, None, limit).await?)
}
