//! The vendor's catalog (`/api/v1/marketplace/vendor/...`): products,
//! variants, publishing and stock. Members with the admin role or higher
//! change the catalog; every member may read it.

use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::manage::{
    add, adjust, change_variant, create, ledger, list, load_one, set_status, update,
};
use super::model::{
    LedgerEntry, NewProduct, NewVariant, Product, ProductStatus, StockAdjustment, UpdateProduct,
    UpdateVariant, Variant,
};
use crate::AppState;
use crate::auth::CurrentMember;
use crate::domain::{ProductId, VariantId};
use crate::http::{ApiJson, ApiResult, Created, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_product, list_products))
        .routes(routes!(get_product, update_product))
        .routes(routes!(publish))
        .routes(routes!(unpublish))
        .routes(routes!(add_variant))
        .routes(routes!(update_variant))
        .routes(routes!(adjust_stock, stock_ledger))
}

/// Create a product (as a draft) with its variants.
#[utoipa::path(post, path = "/api/v1/marketplace/vendor/products", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    request_body = NewProduct,
    responses(
        (status = 201, description = "Created", body = inline(crate::http::Data<Product>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody),
        (status = 402, description = "Plan limit on products", body = crate::http::ErrorBody),
        (status = 409, description = "SKU taken", body = crate::http::ErrorBody)))]
async fn create_product(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<NewProduct>,
) -> Created<Product> {
    Ok(created(create(&state, &member, &req).await?))
}

/// Filter of the vendor's product list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only products in this status.
    status: Option<ProductStatus>,
}

/// The vendor's products, newest first (up to 500).
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/products", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(ListQuery),
    responses((status = 200, description = "Products", body = inline(crate::http::Data<Vec<Product>>))))]
async fn list_products(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<ListQuery>,
) -> ApiResult<Vec<Product>> {
    Ok(ok(list(&state, &member, q.status).await?))
}

/// One of the vendor's products.
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/products/{product_id}", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("product_id" = String, Path, description = "Product id")),
    responses((status = 200, description = "The product", body = inline(crate::http::Data<Product>)),
        (status = 404, description = "No such product of this vendor", body = crate::http::ErrorBody)))]
async fn get_product(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(product_id): Path<ProductId>,
) -> ApiResult<Product> {
    Ok(ok(load_one(&state, member.tenant(), &product_id).await?))
}

/// Change a product's texts, specifications or low-stock threshold.
#[utoipa::path(patch, path = "/api/v1/marketplace/vendor/products/{product_id}", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("product_id" = String, Path, description = "Product id")),
    request_body = UpdateProduct,
    responses((status = 200, description = "Updated", body = inline(crate::http::Data<Product>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody),
        (status = 404, description = "No such product of this vendor", body = crate::http::ErrorBody)))]
async fn update_product(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(product_id): Path<ProductId>,
    ApiJson(req): ApiJson<UpdateProduct>,
) -> ApiResult<Product> {
    Ok(ok(update(&state, &member, &product_id, &req).await?))
}

/// Publish a product: buyers can find and buy it.
#[utoipa::path(post, path = "/api/v1/marketplace/vendor/products/{product_id}/publish", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("product_id" = String, Path, description = "Product id")),
    responses((status = 200, description = "Published", body = inline(crate::http::Data<Product>)),
        (status = 404, description = "No such product of this vendor", body = crate::http::ErrorBody),
        (status = 409, description = "No active variant", body = crate::http::ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(product_id): Path<ProductId>,
) -> ApiResult<Product> {
    Ok(ok(set_status(
        &state,
        &member,
        &product_id,
        ProductStatus::Published,
    )
    .await?))
}

/// Unpublish a product: it leaves the catalog; carts holding it cannot
/// check it out.
#[utoipa::path(post, path = "/api/v1/marketplace/vendor/products/{product_id}/unpublish", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("product_id" = String, Path, description = "Product id")),
    responses((status = 200, description = "Unpublished", body = inline(crate::http::Data<Product>)),
        (status = 404, description = "No such product of this vendor", body = crate::http::ErrorBody)))]
async fn unpublish(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(product_id): Path<ProductId>,
) -> ApiResult<Product> {
    Ok(ok(set_status(
        &state,
        &member,
        &product_id,
        ProductStatus::Draft,
    )
    .await?))
}

/// Add a variant to a product.
#[utoipa::path(post, path = "/api/v1/marketplace/vendor/products/{product_id}/variants", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("product_id" = String, Path, description = "Product id")),
    request_body = NewVariant,
    responses((status = 201, description = "Added; the product", body = inline(crate::http::Data<Product>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody),
        (status = 404, description = "No such product of this vendor", body = crate::http::ErrorBody),
        (status = 409, description = "SKU taken or too many variants", body = crate::http::ErrorBody)))]
async fn add_variant(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(product_id): Path<ProductId>,
    ApiJson(req): ApiJson<NewVariant>,
) -> Created<Product> {
    Ok(created(add(&state, &member, &product_id, &req).await?))
}

/// Change a variant's name, price or whether it is sold.
#[utoipa::path(patch, path = "/api/v1/marketplace/vendor/variants/{variant_id}", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("variant_id" = String, Path, description = "Variant id")),
    request_body = UpdateVariant,
    responses((status = 200, description = "Updated", body = inline(crate::http::Data<Variant>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody),
        (status = 404, description = "No such variant of this vendor", body = crate::http::ErrorBody)))]
async fn update_variant(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(variant_id): Path<VariantId>,
    ApiJson(req): ApiJson<UpdateVariant>,
) -> ApiResult<Variant> {
    Ok(ok(change_variant(&state, &member, &variant_id, &req).await?))
}

/// Add or remove stock by hand; the change and its reason go in the
/// ledger. Stock never falls below zero.
#[utoipa::path(post, path = "/api/v1/marketplace/vendor/variants/{variant_id}/stock", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("variant_id" = String, Path, description = "Variant id")),
    request_body = StockAdjustment,
    responses((status = 200, description = "Adjusted", body = inline(crate::http::Data<Variant>)),
        (status = 400, description = "Invalid field", body = crate::http::ErrorBody),
        (status = 404, description = "No such variant of this vendor", body = crate::http::ErrorBody),
        (status = 409, description = "Stock would fall below zero", body = crate::http::ErrorBody)))]
async fn adjust_stock(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(variant_id): Path<VariantId>,
    ApiJson(req): ApiJson<StockAdjustment>,
) -> ApiResult<Variant> {
    Ok(ok(adjust(&state, &member, &variant_id, &req).await?))
}

/// The stock ledger of a variant, newest first (up to 500 lines).
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/variants/{variant_id}/stock", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("variant_id" = String, Path, description = "Variant id")),
    responses((status = 200, description = "Ledger", body = inline(crate::http::Data<Vec<LedgerEntry>>)),
        (status = 404, description = "No such variant of this vendor", body = crate::http::ErrorBody)))]
async fn stock_ledger(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(variant_id): Path<VariantId>,
) -> ApiResult<Vec<LedgerEntry>> {
    Ok(ok(ledger(&state, &member, &variant_id).await?.1))
}
