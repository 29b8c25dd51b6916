//! The vendor's marketplace catalog: products (list, create, edit with
//! category, description and specifications), variants with SKU, price
//! and stock, images uploaded through a multipart form, publishing, each
//! variant's stock with its ledger and manual adjustment, and a product's
//! reviews. Every change runs the catalog's own functions, the ones the
//! JSON API calls (`marketplace::catalog::{create, update, add, ...}`).

mod form;
mod images;
mod list;
mod product;
mod stock;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;
use crate::http::i18n::Lang;
use crate::marketplace::catalog::model::ProductStatus;
use images::{delete_image, image, upload};
use list::{create, list, new};
use product::{add_variant, change_variant, publish, show, unpublish, update};
use stock::{adjust, stock};

/// Room for the multipart envelope around the largest image.
const IMAGE_FORM_SLACK: usize = 64 * 1024;

/// The catalog pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/products", get(list).post(create))
        .route("/console/products/new", get(new))
        .route("/console/products/{product_id}", get(show).post(update))
        .route("/console/products/{product_id}/publish", post(publish))
        .route("/console/products/{product_id}/unpublish", post(unpublish))
        .route("/console/products/{product_id}/variants", post(add_variant))
        .route(
            "/console/products/{product_id}/images",
            post(upload).layer(DefaultBodyLimit::max(image_form_cap())),
        )
        .route(
            "/console/products/{product_id}/images/{image_id}/delete",
            post(delete_image),
        )
        .route("/console/variants/{variant_id}", post(change_variant))
        .route(
            "/console/variants/{variant_id}/stock",
            get(stock).post(adjust),
        )
        .route("/console/images/{image_id}", get(image))
}

/// The largest image form body any configuration accepts (the catalog
/// still applies the configured limit and answers 413 above it).
pub(super) fn image_form_cap() -> usize {
    crate::marketplace::IMAGE_MAX_BYTES_CAP + IMAGE_FORM_SLACK
}

/// A product status's name on the pages.
pub(super) fn status_name(s: ProductStatus, lang: Lang) -> &'static str {
    match s {
        ProductStatus::Draft => lang.t("draf", "draft"),
        ProductStatus::Published => lang.t("tayang", "published"),
    }
}
