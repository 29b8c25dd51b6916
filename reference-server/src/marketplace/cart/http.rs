//! The buyer's cart (`/api/v1/marketplace/cart...`).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{
    CartLine, CartView, MAX_LINES, MAX_QUANTITY, SetQuantity, VendorCart, line_problem,
};
use super::store;
use crate::AppState;
use crate::domain::{TenantId, VariantId};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, ok};
use crate::marketplace::buyers::CurrentBuyer;
use crate::marketplace::catalog::store as catalog;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_cart, clear_cart))
        .routes(routes!(set_item, remove_item))
}

/// The buyer's cart grouped by vendor.
pub(crate) async fn view(state: &AppState, buyer: &CurrentBuyer) -> Result<CartView, AppError> {
    let items = store::items(&state.pool, &buyer.buyer_id).await?;
    let ids: Vec<VariantId> = items.iter().map(|i| i.variant_id.clone()).collect();
    let sales = catalog::for_sale(&state.pool, &ids).await?;
    let mut vendors: Vec<VendorCart> = Vec::new();
    let mut names: HashMap<TenantId, String> = HashMap::new();
    let (mut total, mut count, mut ready) = (0, 0, !items.is_empty());
    for item in &items {
        let Some(sale) = sales.iter().find(|s| s.variant_id == item.variant_id) else {
            ready = false;
            continue;
        };
        let problem = line_problem(item, Some(sale));
        ready &= problem.is_none();
        let line_total = sale.price_idr * item.quantity;
        total += line_total;
        count += item.quantity;
        if !names.contains_key(&sale.tenant_id) {
            let name = crate::tenants::store::get(&state.pool, &sale.tenant_id)
                .await?
                .map(|t| t.name)
                .unwrap_or_default();
            names.insert(sale.tenant_id.clone(), name);
        }
        let line = CartLine {
            variant_id: item.variant_id.clone(),
            product_id: sale.product_id.clone(),
            product_name: sale.product_name.clone(),
            variant_name: sale.variant_name.clone(),
            sku: sale.sku.clone(),
            quantity: item.quantity,
            unit_price_idr: sale.price_idr,
            seen_price_idr: item.seen_price_idr,
            line_total_idr: line_total,
            stock: sale.stock,
            problem: problem.map(|p| p.to_string()),
        };
        match vendors.iter_mut().find(|v| v.vendor_id == sale.tenant_id) {
            Some(v) => {
                v.subtotal_idr += line_total;
                v.items.push(line);
            }
            None => vendors.push(VendorCart {
                vendor_id: sale.tenant_id.clone(),
                vendor_name: names.get(&sale.tenant_id).cloned().unwrap_or_default(),
                subtotal_idr: line_total,
                items: vec![line],
            }),
        }
    }
    Ok(CartView {
        vendors,
        total_idr: total,
        item_count: count,
        ready,
    })
}

/// The cart, grouped by vendor, with what changed since the buyer last
/// looked.
#[utoipa::path(get, path = "/api/v1/marketplace/cart", tag = "marketplace",
    security(("buyer_session" = [])),
    responses((status = 200, description = "The cart", body = inline(crate::http::Data<CartView>)),
        (status = 401, description = "Not signed in", body = crate::http::ErrorBody)))]
async fn get_cart(State(state): State<AppState>, buyer: CurrentBuyer) -> ApiResult<CartView> {
    Ok(ok(view(&state, &buyer).await?))
}

/// Empty the cart.
#[utoipa::path(delete, path = "/api/v1/marketplace/cart", tag = "marketplace",
    security(("buyer_session" = [])),
    responses((status = 204, description = "Emptied")))]
async fn clear_cart(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
) -> Result<StatusCode, AppError> {
    store::clear(&state.pool, &buyer.buyer_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Put a variant in the cart with this quantity (replacing the quantity
/// of a line already there) at its current price.
#[utoipa::path(put, path = "/api/v1/marketplace/cart/items/{variant_id}", tag = "marketplace",
    security(("buyer_session" = [])),
    params(("variant_id" = String, Path, description = "Variant id")),
    request_body = SetQuantity,
    responses((status = 200, description = "The cart", body = inline(crate::http::Data<CartView>)),
        (status = 400, description = "Quantity out of range", body = crate::http::ErrorBody),
        (status = 404, description = "No such variant on sale", body = crate::http::ErrorBody),
        (status = 409, description = "Not enough stock, or the cart is full", body = crate::http::ErrorBody)))]
async fn set_item(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    Path(variant_id): Path<VariantId>,
    ApiJson(req): ApiJson<SetQuantity>,
) -> ApiResult<CartView> {
    if !(1..=MAX_QUANTITY).contains(&req.quantity) {
        return Err(AppError::bad_request(
            "invalid_quantity",
            tr!(
                "quantity: antara 1 dan {MAX_QUANTITY}",
                "quantity: between 1 and {MAX_QUANTITY}"
            ),
        ));
    }
    let sale = catalog::for_sale(&state.pool, std::slice::from_ref(&variant_id))
        .await?
        .pop()
        .filter(|s| s.available == 1)
        .ok_or(AppError::NotFound("variant"))?;
    if sale.stock < req.quantity {
        let have = sale.stock;
        return Err(AppError::conflict(
            "insufficient_stock",
            tr!("stok tinggal {have}", "only {have} left in stock"),
        ));
    }
    let lines = store::items(&state.pool, &buyer.buyer_id).await?;
    let is_new = !lines.iter().any(|l| l.variant_id == variant_id);
    if is_new && store::count(&state.pool, &buyer.buyer_id).await? >= MAX_LINES {
        return Err(AppError::conflict(
            "cart_full",
            Text::new(
                format!("keranjang paling banyak {MAX_LINES} barang"),
                format!("a cart holds at most {MAX_LINES} items"),
            ),
        ));
    }
    store::upsert(
        &state.pool,
        &buyer.buyer_id,
        &variant_id,
        req.quantity,
        sale.price_idr,
    )
    .await?;
    Ok(ok(view(&state, &buyer).await?))
}

/// Take a variant out of the cart.
#[utoipa::path(delete, path = "/api/v1/marketplace/cart/items/{variant_id}", tag = "marketplace",
    security(("buyer_session" = [])),
    params(("variant_id" = String, Path, description = "Variant id")),
    responses((status = 200, description = "The cart", body = inline(crate::http::Data<CartView>)),
        (status = 404, description = "Not in the cart", body = crate::http::ErrorBody)))]
async fn remove_item(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    Path(variant_id): Path<VariantId>,
) -> ApiResult<CartView> {
    if !store::remove(&state.pool, &buyer.buyer_id, &variant_id).await? {
        return Err(AppError::NotFound("cart item"));
    }
    Ok(ok(view(&state, &buyer).await?))
}
