//! The catalog: products per vendor (category, description,
//! specifications, images), variants with their own SKU, price in rupiah
//! and stock, publishing, the per-plan product limit
//! (`plans.max_products`, checked through `billing::limits`), the stock
//! ledger with low-stock alerts ([`stock`]) and search ([`search`]).
//!
//! Tables: `mkt_products`, `mkt_variants`, `mkt_product_images`,
//! `mkt_stock_ledger`, and the engine's search index (`mkt_products_fts`
//! on SQLite, the `search` column on PostgreSQL). Other sub-features read
//! variants through [`store::for_sale`] and change stock only through
//! [`stock::apply`].

mod browse;
mod http;
pub mod images;
mod manage;
pub mod model;
pub mod search;
pub mod stock;
pub mod store;

use std::collections::HashMap;

use axum::extract::DefaultBodyLimit;
use sqlx::AnyPool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) use self::manage::{
    add, adjust, change_variant, create, ledger, list, one, set_status, update,
};
use self::model::{Image, Product, ProductRow, Variant};
use crate::AppState;
use crate::domain::ProductId;

/// The catalog routes (vendor and public).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
        .merge(browse::router())
        .merge(
            OpenApiRouter::new()
                .routes(routes!(images::upload_image))
                .layer(DefaultBodyLimit::max(super::config::IMAGE_MAX_BYTES_CAP)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(images::delete_image))
                .routes(routes!(images::vendor_image)),
        )
}

/// Products with their images and variants (only active variants when
/// `public`).
pub(crate) async fn load_products(
    pool: &AnyPool,
    rows: Vec<ProductRow>,
    public: bool,
) -> Result<Vec<Product>, sqlx::Error> {
    let ids: Vec<ProductId> = rows.iter().map(|r| r.id.clone()).collect();
    let mut variants: HashMap<ProductId, Vec<Variant>> = HashMap::new();
    for v in store::variants_of(pool, &ids).await? {
        if public && v.active == 0 {
            continue;
        }
        variants
            .entry(v.product_id.clone())
            .or_default()
            .push(v.into());
    }
    let mut images: HashMap<ProductId, Vec<Image>> = HashMap::new();
    for (product, mut image) in store::images_of(pool, &ids).await? {
        image.url = images::url(&image.id);
        images.entry(product).or_default().push(image);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let v = variants.remove(&r.id).unwrap_or_default();
            let i = images.remove(&r.id).unwrap_or_default();
            r.into_product(i, v)
        })
        .collect())
}
