//! Stock changes: every change goes through [`apply`], which changes the
//! stock only when it stays at or above zero (one conditional UPDATE, so
//! concurrent buyers never oversell), writes the ledger line and moves the
//! low-stock flag. The flag makes the alert fire once per crossing of the
//! threshold, not once per sale: it is set when the stock falls to the
//! threshold or below and cleared when it rises above it again.

use sqlx::AnyConnection;

use super::model::{Actor, StockReason};
use super::store::{self, LedgerLine};
use crate::AppState;
use crate::domain::{TenantId, VariantId};
use crate::http::i18n::tr;
use crate::marketplace::notify;

/// A variant whose stock just fell to its low-stock threshold; send it
/// with [`send_alerts`] after the transaction commits.
#[derive(Debug, Clone)]
pub struct LowStockAlert {
    /// The vendor.
    pub tenant_id: TenantId,
    /// The variant.
    pub variant_id: VariantId,
    /// Its stock after the change.
    pub stock: i64,
}

/// One stock change to apply.
#[derive(Debug)]
pub struct Move<'a> {
    /// The variant.
    pub variant: &'a VariantId,
    /// Its vendor.
    pub tenant: &'a TenantId,
    /// Units added (positive) or taken (negative).
    pub delta: i64,
    /// Why.
    pub reason: StockReason,
    /// Who.
    pub actor: &'a Actor,
    /// The vendor's note.
    pub note: Option<&'a str>,
    /// The order it belongs to.
    pub order_id: Option<&'a str>,
}

/// What a change did.
#[derive(Debug)]
pub struct Moved {
    /// Stock after the change.
    pub stock_after: i64,
    /// Set when this change crossed the low-stock threshold downwards.
    pub alert: Option<LowStockAlert>,
}

/// Applies `m` inside the caller's transaction; `None` when the stock
/// would fall below zero (nothing changed).
pub async fn apply(
    conn: &mut AnyConnection,
    default_threshold: i64,
    m: &Move<'_>,
) -> Result<Option<Moved>, sqlx::Error> {
    let Some(stock_after) = store::shift_stock(conn, m.variant, m.delta).await? else {
        return Ok(None);
    };
    store::insert_ledger(
        conn,
        &LedgerLine {
            variant: m.variant,
            tenant: m.tenant,
            delta: m.delta,
            stock_after,
            reason: m.reason,
            actor: m.actor,
            note: m.note,
            order_id: m.order_id,
        },
    )
    .await?;
    let crossed = store::sync_low_stock_flag(conn, m.variant, default_threshold).await?;
    Ok(Some(Moved {
        stock_after,
        alert: (crossed == Some(true)).then(|| LowStockAlert {
            tenant_id: m.tenant.clone(),
            variant_id: m.variant.clone(),
            stock: stock_after,
        }),
    }))
}

/// Sends each vendor one WhatsApp message per alert (after commit).
pub async fn send_alerts(state: &AppState, alerts: &[LowStockAlert]) {
    if alerts.is_empty() {
        return;
    }
    let ids: Vec<VariantId> = alerts.iter().map(|a| a.variant_id.clone()).collect();
    let lines = match store::for_sale(&state.pool, &ids).await {
        Ok(lines) => lines,
        Err(e) => {
            tracing::warn!(error = %e, "low-stock alerts not sent: variants unreadable");
            return;
        }
    };
    for alert in alerts {
        let Some(line) = lines.iter().find(|l| l.variant_id == alert.variant_id) else {
            continue;
        };
        let vendor = match crate::tenants::store::get(&state.pool, &alert.tenant_id).await {
            Ok(Some(v)) => v,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "low-stock alert not sent: vendor unreadable");
                continue;
            }
        };
        let (product, variant, sku, stock) = (
            &line.product_name,
            &line.variant_name,
            &line.sku,
            alert.stock,
        );
        let text = tr!(
            "Stok menipis: {product} ({variant}, SKU {sku}) tinggal {stock} unit. Segera tambah stok agar pesanan tidak terhenti.",
            "Low stock: {product} ({variant}, SKU {sku}) has {stock} left. Restock soon so orders keep coming."
        );
        notify::send(state, &vendor.whatsapp, &vendor.locale, &text).await;
    }
}
