//! Cart types and the checks of a cart against the catalog.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{ProductId, TenantId, VariantId};
use crate::http::i18n::{Text, tr};
use crate::marketplace::catalog::model::VariantForSale;
use crate::marketplace::notify::rupiah;

/// Units of one variant a cart may hold.
pub const MAX_QUANTITY: i64 = 999;
/// Lines a cart may hold.
pub const MAX_LINES: i64 = 100;

/// Set a line's quantity.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetQuantity {
    /// Units (1-999).
    pub quantity: i64,
}

/// A stored cart line.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CartItemRow {
    /// The variant.
    pub variant_id: VariantId,
    /// Units.
    pub quantity: i64,
    /// The price the buyer last saw.
    pub seen_price_idr: i64,
}

/// One line of the cart.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CartLine {
    /// The variant.
    pub variant_id: VariantId,
    /// Its product.
    pub product_id: ProductId,
    /// Product name.
    pub product_name: String,
    /// Variant name.
    pub variant_name: String,
    /// SKU.
    pub sku: String,
    /// Units.
    pub quantity: i64,
    /// Current unit price.
    pub unit_price_idr: i64,
    /// Unit price when the buyer last saw it.
    pub seen_price_idr: i64,
    /// `quantity x unit_price_idr`.
    pub line_total_idr: i64,
    /// Units in stock now.
    pub stock: i64,
    /// What stands in the way of checking this line out, if anything.
    pub problem: Option<String>,
}

/// One vendor's part of the cart.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VendorCart {
    /// The vendor.
    pub vendor_id: TenantId,
    /// Its business name.
    pub vendor_name: String,
    /// Lines.
    pub items: Vec<CartLine>,
    /// Sum of the lines.
    pub subtotal_idr: i64,
}

/// The cart grouped by vendor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CartView {
    /// Per vendor, in the order their first line was added.
    pub vendors: Vec<VendorCart>,
    /// Sum of every line.
    pub total_idr: i64,
    /// Units in the cart.
    pub item_count: i64,
    /// Whether checkout would accept the cart as it is.
    pub ready: bool,
}

/// What is wrong with a line, if anything: no longer sold, not enough
/// stock, or a price different from the one the buyer saw.
pub fn line_problem(item: &CartItemRow, sale: Option<&VariantForSale>) -> Option<Text> {
    let Some(sale) = sale.filter(|s| s.available == 1) else {
        return Some(Text::new(
            "produk ini tidak dijual lagi; hapus dari keranjang",
            "this product is no longer sold; remove it from the cart",
        ));
    };
    let (name, variant, want, have) = (
        &sale.product_name,
        &sale.variant_name,
        item.quantity,
        sale.stock,
    );
    if have < want {
        return Some(if have == 0 {
            tr!(
                "{name} ({variant}) habis",
                "{name} ({variant}) is out of stock"
            )
        } else {
            tr!(
                "{name} ({variant}): stok tinggal {have}, Anda minta {want}",
                "{name} ({variant}): only {have} left, you asked for {want}"
            )
        });
    }
    if sale.price_idr != item.seen_price_idr {
        let (was, now) = (rupiah(item.seen_price_idr), rupiah(sale.price_idr));
        return Some(tr!(
            "harga {name} ({variant}) berubah dari {was} menjadi {now}",
            "the price of {name} ({variant}) changed from {was} to {now}"
        ));
    }
    None
}

/// Every problem of a cart, one text per line with a problem.
pub fn check_lines(items: &[CartItemRow], sales: &[VariantForSale]) -> Vec<Text> {
    items
        .iter()
        .filter_map(|item| {
            line_problem(item, sales.iter().find(|s| s.variant_id == item.variant_id))
        })
        .collect()
}
