//! The public catalog: search and product pages (no sign-in).

use axum::extract::{Path, Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::Product;
use super::search::{self, SearchPage, SearchQuery};
use super::{images, load_products, store};
use crate::AppState;
use crate::domain::ProductId;
use crate::http::{ApiResult, AppError, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_products))
        .routes(routes!(product_page))
        .routes(routes!(images::public_image))
}

/// Search the published catalog.
#[utoipa::path(get, path = "/api/v1/marketplace/products", tag = "marketplace",
    params(SearchQuery),
    responses((status = 200, description = "One page", body = inline(crate::http::Data<SearchPage>)),
        (status = 400, description = "Invalid filter or cursor", body = crate::http::ErrorBody)))]
async fn search_products(
    State(state): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> ApiResult<SearchPage> {
    Ok(ok(search::search(&state.pool, state.db, &q).await?))
}

/// A published product with its active variants and images.
#[utoipa::path(get, path = "/api/v1/marketplace/products/{product_id}", tag = "marketplace",
    params(("product_id" = String, Path, description = "Product id")),
    responses((status = 200, description = "The product", body = inline(crate::http::Data<Product>)),
        (status = 404, description = "No such published product", body = crate::http::ErrorBody)))]
async fn product_page(
    State(state): State<AppState>,
    Path(product_id): Path<ProductId>,
) -> ApiResult<Product> {
    let row = store::published_product(&state.pool, &product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    Ok(ok(load_products(&state.pool, vec![row], true)
        .await?
        .pop()
        .ok_or(AppError::NotFound("product"))?))
}
