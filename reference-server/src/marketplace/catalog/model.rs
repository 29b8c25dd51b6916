//! Catalog types: stored states, requests, answers, rows and validation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{ImageId, ProductId, TenantId, VariantId};
use crate::http::AppError;
use crate::http::i18n::tr;
use crate::marketplace::buyers::model::text_field;

crate::text_enum! {
    /// Whether buyers see a product (`mkt_products.status`).
    pub enum ProductStatus {
        /// Only the vendor sees it.
        Draft = "draft",
        /// In the public catalog.
        Published = "published",
    }
}

crate::text_enum! {
    /// Why a variant's stock changed (`mkt_stock_ledger.reason`).
    pub enum StockReason {
        /// The stock a variant was created with.
        Initial = "initial",
        /// A vendor's manual correction.
        Adjustment = "adjustment",
        /// Reserved by a checkout (kept when the order is paid).
        Sale = "sale",
        /// Given back when an unpaid checkout expired or its payment failed.
        Release = "release",
        /// Given back when a paid order was cancelled.
        CancelRestock = "cancel_restock",
    }
}

crate::text_enum! {
    /// Who made a change (stock ledger, order history).
    pub enum ActorKind {
        /// A vendor member (or the vendor's API key).
        Member = "member",
        /// A buyer.
        Buyer = "buyer",
        /// The platform (payments, expiry, automatic delivery).
        System = "system",
    }
}

/// Who made a change, with the member's or buyer's id.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Kind.
    pub kind: ActorKind,
    /// The member or buyer; `None` for the system.
    pub id: Option<String>,
}

impl Actor {
    /// The platform itself.
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
        }
    }
}

/// Largest price of a variant in rupiah (one hundred billion).
pub const MAX_PRICE_IDR: i64 = 100_000_000_000;
/// Largest stock of a variant.
pub const MAX_STOCK: i64 = 1_000_000_000;
/// Variants per product.
pub const MAX_VARIANTS: usize = 100;

/// A specification line, e.g. `{"key": "Bahan", "value": "Katun"}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Spec {
    /// Name.
    pub key: String,
    /// Value.
    pub value: String,
}

/// A new variant.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewVariant {
    /// Stock-keeping unit, unique within the vendor (`A-Z a-z 0-9 - _ .`).
    pub sku: String,
    /// Shown to buyers, e.g. "L / Merah".
    pub name: String,
    /// Option values, e.g. `{"size": "L", "colour": "merah"}`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Price in rupiah (1 to 100,000,000,000).
    pub price_idr: i64,
    /// Units in stock (0 to 1,000,000,000).
    pub stock: i64,
}

/// A new product with at least one variant; it starts as a draft.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewProduct {
    /// Name (1-200 characters).
    pub name: String,
    /// Description (up to 5,000 characters).
    #[serde(default)]
    pub description: String,
    /// Category, e.g. "fashion" (1-60 characters, stored lower-case).
    pub category: String,
    /// Specifications.
    #[serde(default)]
    pub specs: Vec<Spec>,
    /// Low-stock threshold of this product (default: the platform's).
    pub low_stock_threshold: Option<i64>,
    /// Variants (1-100).
    pub variants: Vec<NewVariant>,
}

/// Changes to a product; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateProduct {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Specifications (replace all).
    pub specs: Option<Vec<Spec>>,
    /// Low-stock threshold; `null` keeps it, use `reset_low_stock_threshold`
    /// to go back to the platform's default.
    pub low_stock_threshold: Option<i64>,
    /// Use the platform's default threshold again.
    #[serde(default)]
    pub reset_low_stock_threshold: bool,
}

/// Changes to a variant; absent fields stay. Stock changes go through
/// the stock endpoint, so that each is in the ledger.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateVariant {
    /// Name.
    pub name: Option<String>,
    /// Price in rupiah.
    pub price_idr: Option<i64>,
    /// Whether buyers may buy it.
    pub active: Option<bool>,
}

/// A manual stock change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StockAdjustment {
    /// Units to add (positive) or remove (negative); never below zero.
    pub delta: i64,
    /// Why (1-200 characters), kept in the ledger.
    pub reason: String,
}

/// A product as its vendor and buyers see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// The vendor.
    pub vendor_id: TenantId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Specifications.
    pub specs: Vec<Spec>,
    /// Draft or published.
    pub status: ProductStatus,
    /// The product's own low-stock threshold, if set.
    pub low_stock_threshold: Option<i64>,
    /// Cheapest active variant.
    pub min_price_idr: i64,
    /// Units sold in paid orders.
    pub sold_count: i64,
    /// Reviews.
    pub rating_count: i64,
    /// Average rating (0 without reviews).
    pub rating_avg: f64,
    /// Images (URLs under `/api/v1/marketplace/images/`).
    pub images: Vec<Image>,
    /// Variants (buyers see the active ones).
    pub variants: Vec<Variant>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Last change (unix ms).
    pub updated_at: i64,
}

/// A product in search results.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ProductSummary {
    /// Id.
    pub id: ProductId,
    /// The vendor.
    pub vendor_id: TenantId,
    /// Name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Cheapest active variant.
    pub min_price_idr: i64,
    /// Units sold.
    pub sold_count: i64,
    /// Reviews.
    pub rating_count: i64,
    /// Average rating times 100 (sort key; 0 without reviews).
    pub rating_avg_x100: i64,
    /// Units in stock over the active variants.
    pub stock: i64,
    /// Created (unix ms).
    pub created_at: i64,
}

/// A product row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    pub(crate) id: ProductId,
    pub(crate) tenant_id: TenantId,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) category: String,
    pub(crate) specs: String,
    pub(crate) status: ProductStatus,
    pub(crate) low_stock_threshold: Option<i64>,
    pub(crate) min_price_idr: i64,
    pub(crate) sold_count: i64,
    pub(crate) rating_count: i64,
    pub(crate) rating_avg_x100: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// A variant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Variant {
    /// Id.
    pub id: VariantId,
    /// The product.
    pub product_id: ProductId,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Option values.
    pub options: BTreeMap<String, String>,
    /// Price in rupiah.
    pub price_idr: i64,
    /// Units in stock.
    pub stock: i64,
    /// Whether buyers may buy it.
    pub active: bool,
}

/// A variant row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VariantRow {
    pub(crate) id: VariantId,
    pub(crate) product_id: ProductId,
    pub(crate) sku: String,
    pub(crate) name: String,
    pub(crate) options: String,
    pub(crate) price_idr: i64,
    pub(crate) stock: i64,
    pub(crate) active: i64,
}

impl From<VariantRow> for Variant {
    fn from(r: VariantRow) -> Self {
        Self {
            options: serde_json::from_str(&r.options).unwrap_or_default(),
            id: r.id,
            product_id: r.product_id,
            sku: r.sku,
            name: r.name,
            price_idr: r.price_idr,
            stock: r.stock,
            active: r.active != 0,
        }
    }
}

/// A product image.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Image {
    /// Id.
    pub id: ImageId,
    /// `image/jpeg`, `image/png`, `image/webp` or `image/gif`.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where buyers load it.
    #[sqlx(skip)]
    pub url: String,
}

/// One ledger line.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct LedgerEntry {
    /// Id.
    pub id: String,
    /// The variant.
    pub variant_id: VariantId,
    /// Units added (positive) or removed (negative).
    pub delta: i64,
    /// Stock after the change.
    pub stock_after: i64,
    /// Why.
    pub reason: StockReason,
    /// Who.
    pub actor_kind: ActorKind,
    /// The member or buyer.
    pub actor_id: Option<String>,
    /// The vendor's note.
    pub note: Option<String>,
    /// The order (sales, releases, restocks).
    pub order_id: Option<String>,
    /// When (unix ms).
    pub created_at: i64,
}

/// What checkout and the cart need to know of a variant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VariantForSale {
    /// The variant.
    pub variant_id: VariantId,
    /// Its product.
    pub product_id: ProductId,
    /// The vendor.
    pub tenant_id: TenantId,
    /// Product name.
    pub product_name: String,
    /// Variant name.
    pub variant_name: String,
    /// SKU.
    pub sku: String,
    /// Current price.
    pub price_idr: i64,
    /// Current stock.
    pub stock: i64,
    /// 1 when it can be bought now (active variant of a published product).
    pub available: i64,
}

fn bad(code: &'static str, message: crate::http::i18n::Text) -> AppError {
    AppError::bad_request(code, message)
}

/// A price within 1..=[`MAX_PRICE_IDR`].
pub fn price(value: i64) -> Result<i64, AppError> {
    if (1..=MAX_PRICE_IDR).contains(&value) {
        Ok(value)
    } else {
        Err(bad(
            "invalid_price",
            tr!(
                "price_idr: harus antara 1 dan {MAX_PRICE_IDR} rupiah",
                "price_idr: must be between 1 and {MAX_PRICE_IDR} rupiah"
            ),
        ))
    }
}

fn stock(value: i64) -> Result<i64, AppError> {
    if (0..=MAX_STOCK).contains(&value) {
        Ok(value)
    } else {
        Err(bad(
            "invalid_stock",
            tr!(
                "stock: harus antara 0 dan {MAX_STOCK}",
                "stock: must be between 0 and {MAX_STOCK}"
            ),
        ))
    }
}

fn sku(value: &str) -> Result<String, AppError> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(v.to_owned())
    } else {
        Err(bad(
            "invalid_sku",
            tr!(
                "sku: 1-64 karakter huruf, angka, - _ atau .",
                "sku: 1-64 characters of letters, digits, - _ or ."
            ),
        ))
    }
}

/// A low-stock threshold within 0..=[`MAX_STOCK`].
pub fn threshold(value: i64) -> Result<i64, AppError> {
    if (0..=MAX_STOCK).contains(&value) {
        Ok(value)
    } else {
        Err(bad(
            "invalid_threshold",
            tr!(
                "low_stock_threshold: harus antara 0 dan {MAX_STOCK}",
                "low_stock_threshold: must be between 0 and {MAX_STOCK}"
            ),
        ))
    }
}

/// A category: trimmed, lower-case.
pub fn category(value: &str) -> Result<String, AppError> {
    Ok(text_field("category", value, 60)?.to_lowercase())
}

/// Specifications: at most 50 lines of short key and value.
pub fn specs(lines: &[Spec]) -> Result<Vec<Spec>, AppError> {
    if lines.len() > 50 {
        return Err(bad(
            "invalid_specs",
            tr!("specs: paling banyak 50 baris", "specs: at most 50 lines"),
        ));
    }
    lines
        .iter()
        .map(|s| {
            Ok(Spec {
                key: text_field("specs.key", &s.key, 60)?,
                value: text_field("specs.value", &s.value, 300)?,
            })
        })
        .collect()
}

/// A description of up to 5,000 characters (may be empty).
pub fn description(value: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.chars().count() > 5000 {
        return Err(bad(
            "invalid_field",
            tr!(
                "description: paling banyak 5000 karakter",
                "description: at most 5000 characters"
            ),
        ));
    }
    Ok(v.to_owned())
}

impl NewVariant {
    /// The variant with every field checked and trimmed.
    pub fn validate(&self) -> Result<NewVariant, AppError> {
        if self.options.len() > 10 {
            return Err(bad(
                "invalid_options",
                tr!("options: paling banyak 10", "options: at most 10"),
            ));
        }
        let options = self
            .options
            .iter()
            .map(|(k, v)| {
                Ok((
                    text_field("options.key", k, 40)?,
                    text_field("options.value", v, 80)?,
                ))
            })
            .collect::<Result<_, AppError>>()?;
        Ok(NewVariant {
            sku: sku(&self.sku)?,
            name: text_field("variants.name", &self.name, 120)?,
            options,
            price_idr: price(self.price_idr)?,
            stock: stock(self.stock)?,
        })
    }
}

impl NewProduct {
    /// The product with every field checked and trimmed.
    pub fn validate(&self) -> Result<(NewProduct, Vec<NewVariant>), AppError> {
        if self.variants.is_empty() || self.variants.len() > MAX_VARIANTS {
            return Err(bad(
                "invalid_variants",
                tr!(
                    "variants: 1 sampai {MAX_VARIANTS} varian",
                    "variants: 1 to {MAX_VARIANTS} variants"
                ),
            ));
        }
        let variants: Vec<NewVariant> = self
            .variants
            .iter()
            .map(NewVariant::validate)
            .collect::<Result<_, _>>()?;
        let mut skus: Vec<&str> = variants.iter().map(|v| v.sku.as_str()).collect();
        skus.sort_unstable();
        if skus.windows(2).any(|w| w[0] == w[1]) {
            return Err(bad(
                "duplicate_sku",
                tr!(
                    "variants: SKU yang sama muncul dua kali",
                    "variants: the same SKU appears twice"
                ),
            ));
        }
        Ok((
            NewProduct {
                name: text_field("name", &self.name, 200)?,
                description: description(&self.description)?,
                category: category(&self.category)?,
                specs: specs(&self.specs)?,
                low_stock_threshold: self.low_stock_threshold.map(threshold).transpose()?,
                variants: Vec::new(),
            },
            variants,
        ))
    }
}

impl ProductRow {
    /// The answer, with its images and variants.
    pub fn into_product(self, images: Vec<Image>, variants: Vec<Variant>) -> Product {
        Product {
            specs: serde_json::from_str(&self.specs).unwrap_or_default(),
            id: self.id,
            vendor_id: self.tenant_id,
            name: self.name,
            description: self.description,
            category: self.category,
            status: self.status,
            low_stock_threshold: self.low_stock_threshold,
            min_price_idr: self.min_price_idr,
            sold_count: self.sold_count,
            rating_count: self.rating_count,
            rating_avg: self.rating_avg_x100 as f64 / 100.0,
            images,
            variants,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}
