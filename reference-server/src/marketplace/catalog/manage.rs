//! The vendor's catalog changes and reads with their rules (roles, the
//! plan's product limit, SKUs unique in the shop, stock never below zero),
//! shared by the JSON API and the console.

use super::model::{
    Actor, ActorKind, LedgerEntry, NewProduct, NewVariant, Product, ProductStatus, StockAdjustment,
    StockReason, UpdateProduct, UpdateVariant, Variant, category, description, price, specs,
    threshold,
};
use super::stock::{self, Move};
use super::{load_products, store};
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::billing::limits::{self, Limit};
use crate::domain::{ProductId, TenantId, VariantId};
use crate::http::i18n::{Text, tr};
use crate::http::{AppError, ConstraintExt};
use crate::marketplace::buyers::model::text_field;

fn member_actor(member: &CurrentMember) -> Actor {
    Actor {
        kind: ActorKind::Member,
        id: Some(member.member_id.to_string()),
    }
}

fn sku_taken() -> Text {
    Text::new(
        "SKU ini sudah dipakai produk lain milik Anda",
        "this SKU is already used by another of your products",
    )
}

pub(super) async fn load_one(
    state: &AppState,
    tenant: &TenantId,
    id: &ProductId,
) -> Result<Product, AppError> {
    let row = store::product(&state.pool, tenant, id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    load_products(&state.pool, vec![row], false)
        .await?
        .pop()
        .ok_or(AppError::NotFound("product"))
}

/// Inserts a variant with its initial stock in the ledger.
async fn insert_variant(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    product: &ProductId,
    tenant: &TenantId,
    v: &NewVariant,
    actor: &Actor,
) -> Result<(), AppError> {
    let id = VariantId::new();
    store::insert_variant(
        conn,
        &id,
        product,
        tenant,
        &NewVariant {
            stock: 0,
            ..v.clone()
        },
    )
    .await
    .on_unique("sku_taken", sku_taken())?;
    if v.stock > 0 {
        stock::apply(
            conn,
            state.config.marketplace.low_stock_threshold,
            &Move {
                variant: &id,
                tenant,
                delta: v.stock,
                reason: StockReason::Initial,
                actor,
                note: None,
                order_id: None,
            },
        )
        .await?;
    } else {
        store::sync_low_stock_flag(conn, &id, state.config.marketplace.low_stock_threshold).await?;
    }
    Ok(())
}

/// Creates a product (as a draft) with its variants: the rules of
/// `POST /vendor/products` (admin role, the plan's product limit, SKUs
/// unique in the shop), shared by the console.
pub(crate) async fn create(
    state: &AppState,
    member: &CurrentMember,
    req: &NewProduct,
) -> Result<Product, AppError> {
    member.require(Role::Admin)?;
    let (product, variants) = req.validate()?;
    let tenant = member.tenant();
    let stored = store::count_products(&state.pool, tenant).await?;
    limits::check_with_current(&state.pool, tenant, Limit::Products, stored, 1).await?;
    let id = ProductId::new();
    let actor = member_actor(member);
    let mut tx = state.begin_write().await?;
    store::insert_product(&mut tx, &id, tenant, &product).await?;
    for v in &variants {
        insert_variant(&mut tx, state, &id, tenant, v, &actor).await?;
    }
    store::refresh_min_price(&mut tx, &id).await?;
    tx.commit().await?;
    load_one(state, tenant, &id).await
}

/// The vendor's products, newest first (up to 500), optionally in one
/// status.
pub(crate) async fn list(
    state: &AppState,
    member: &CurrentMember,
    status: Option<ProductStatus>,
) -> Result<Vec<Product>, AppError> {
    let rows = store::vendor_products(&state.pool, member.tenant(), status, 500).await?;
    Ok(load_products(&state.pool, rows, false).await?)
}

/// One of the vendor's products (404 for another vendor's).
pub(crate) async fn one(
    state: &AppState,
    member: &CurrentMember,
    id: &ProductId,
) -> Result<Product, AppError> {
    load_one(state, member.tenant(), id).await
}

/// Changes a product's texts, specifications or low-stock threshold
/// (admin role).
pub(crate) async fn update(
    state: &AppState,
    member: &CurrentMember,
    product_id: &ProductId,
    req: &UpdateProduct,
) -> Result<Product, AppError> {
    member.require(Role::Admin)?;
    let name = req
        .name
        .as_deref()
        .map(|n| text_field("name", n, 200))
        .transpose()?;
    let desc = req.description.as_deref().map(description).transpose()?;
    let cat = req.category.as_deref().map(category).transpose()?;
    let lines = req.specs.as_deref().map(specs).transpose()?;
    let limit = if req.reset_low_stock_threshold {
        Some(None)
    } else {
        req.low_stock_threshold
            .map(threshold)
            .transpose()?
            .map(Some)
    };
    let tenant = member.tenant();
    let mut tx = state.begin_write().await?;
    let found = store::update_product(
        &mut tx,
        tenant,
        product_id,
        name.as_deref(),
        desc.as_deref(),
        cat.as_deref(),
        lines.as_deref(),
        limit,
    )
    .await?;
    if !found {
        return Err(AppError::NotFound("product"));
    }
    tx.commit().await?;
    load_one(state, tenant, product_id).await
}

/// Publishes (`Published`) or unpublishes (`Draft`) a product (admin
/// role; publishing needs an active variant).
pub(crate) async fn set_status(
    state: &AppState,
    member: &CurrentMember,
    product_id: &ProductId,
    status: ProductStatus,
) -> Result<Product, AppError> {
    member.require(Role::Admin)?;
    let tenant = member.tenant();
    if status == ProductStatus::Published {
        let product = load_one(state, tenant, product_id).await?;
        if !product.variants.iter().any(|v| v.active) {
            return Err(AppError::conflict(
                "no_active_variant",
                Text::new(
                    "produk perlu setidaknya satu varian aktif sebelum ditayangkan",
                    "a product needs an active variant before it is published",
                ),
            ));
        }
    }
    if !store::set_status(&state.pool, tenant, product_id, status).await? {
        return Err(AppError::NotFound("product"));
    }
    load_one(state, tenant, product_id).await
}

/// Adds a variant to a product (admin role; SKU unique in the shop, at
/// most [`super::model::MAX_VARIANTS`]).
pub(crate) async fn add(
    state: &AppState,
    member: &CurrentMember,
    product_id: &ProductId,
    req: &NewVariant,
) -> Result<Product, AppError> {
    member.require(Role::Admin)?;
    let variant = req.validate()?;
    let tenant = member.tenant();
    let mut tx = state.begin_write().await?;
    store::product(&mut *tx, tenant, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    let max = super::model::MAX_VARIANTS;
    if store::variant_count(&mut tx, product_id).await? >= i64::try_from(max).unwrap_or(i64::MAX) {
        return Err(AppError::conflict(
            "too_many_variants",
            tr!("paling banyak {max} varian", "at most {max} variants"),
        ));
    }
    insert_variant(
        &mut tx,
        state,
        product_id,
        tenant,
        &variant,
        &member_actor(member),
    )
    .await?;
    store::refresh_min_price(&mut tx, product_id).await?;
    tx.commit().await?;
    load_one(state, tenant, product_id).await
}

/// Changes a variant's name, price or whether it is sold (admin role).
pub(crate) async fn change_variant(
    state: &AppState,
    member: &CurrentMember,
    variant_id: &VariantId,
    req: &UpdateVariant,
) -> Result<Variant, AppError> {
    member.require(Role::Admin)?;
    let name = req
        .name
        .as_deref()
        .map(|n| text_field("name", n, 120))
        .transpose()?;
    let new_price = req.price_idr.map(price).transpose()?;
    let tenant = member.tenant();
    let mut tx = state.begin_write().await?;
    let existing = store::variant(&mut *tx, tenant, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    store::update_variant(
        &mut tx,
        tenant,
        variant_id,
        name.as_deref(),
        new_price,
        req.active,
    )
    .await?;
    store::refresh_min_price(&mut tx, &existing.product_id).await?;
    let updated = store::variant(&mut *tx, tenant, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    tx.commit().await?;
    Ok(updated.into())
}

/// Adds or removes stock by hand with a reason, into the ledger (admin
/// role; never below zero), and sends a low-stock alert when it falls to
/// the threshold.
pub(crate) async fn adjust(
    state: &AppState,
    member: &CurrentMember,
    variant_id: &VariantId,
    req: &StockAdjustment,
) -> Result<Variant, AppError> {
    member.require(Role::Admin)?;
    let reason = text_field("reason", &req.reason, 200)?;
    let max = super::model::MAX_STOCK;
    if req.delta == 0 || req.delta.abs() > max {
        return Err(AppError::bad_request(
            "invalid_delta",
            tr!(
                "delta: bukan 0, paling besar {max} (plus atau minus)",
                "delta: not 0, at most {max} either way"
            ),
        ));
    }
    let tenant = member.tenant();
    let actor = member_actor(member);
    let mut tx = state.begin_write().await?;
    let existing = store::variant(&mut *tx, tenant, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    if existing.stock + req.delta > max {
        return Err(AppError::bad_request(
            "invalid_delta",
            tr!("stok paling banyak {max}", "stock may be at most {max}"),
        ));
    }
    let moved = stock::apply(
        &mut tx,
        state.config.marketplace.low_stock_threshold,
        &Move {
            variant: variant_id,
            tenant,
            delta: req.delta,
            reason: StockReason::Adjustment,
            actor: &actor,
            note: Some(&reason),
            order_id: None,
        },
    )
    .await?;
    let Some(moved) = moved else {
        let have = existing.stock;
        return Err(AppError::conflict(
            "stock_below_zero",
            tr!(
                "stok tidak boleh di bawah nol (sekarang {have})",
                "stock may not fall below zero (now {have})"
            ),
        ));
    };
    let updated = store::variant(&mut *tx, tenant, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    tx.commit().await?;
    stock::send_alerts(state, moved.alert.as_slice()).await;
    Ok(updated.into())
}

/// A variant of the vendor with its stock ledger, newest first (up to
/// 500 lines).
pub(crate) async fn ledger(
    state: &AppState,
    member: &CurrentMember,
    variant_id: &VariantId,
) -> Result<(Variant, Vec<LedgerEntry>), AppError> {
    let tenant = member.tenant();
    let variant = store::variant(&state.pool, tenant, variant_id)
        .await?
        .ok_or(AppError::NotFound("variant"))?;
    let lines = store::ledger(&state.pool, tenant, variant_id, 500).await?;
    Ok((variant.into(), lines))
}
