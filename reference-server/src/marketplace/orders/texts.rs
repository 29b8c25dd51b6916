//! The WhatsApp texts of orders, Indonesian and English.

use super::model::{GroupRow, OrderRow, VendorOrderStatus};
use crate::http::i18n::{Text, tr};
use crate::marketplace::notify::rupiah;

fn short(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

/// To the buyer after checkout: what to pay and where.
pub(super) fn checkout(group: &GroupRow) -> Text {
    let (total, url, id) = (
        rupiah(group.total_idr),
        &group.redirect_url,
        short(group.id.as_str()),
    );
    tr!(
        "Pesanan {id} dibuat. Silakan bayar {total} di {url} sebelum batas waktu; setelah itu stok dilepas.",
        "Order {id} created. Please pay {total} at {url} before the deadline; after that the stock is released."
    )
}

/// To the buyer when an unpaid checkout expired.
pub(super) fn expired(group: &GroupRow) -> Text {
    let id = short(group.id.as_str());
    tr!(
        "Pesanan {id} dibatalkan karena belum dibayar.",
        "Order {id} was cancelled because it was not paid."
    )
}

/// To the buyer when a payment arrived after the checkout expired and the
/// units were sold meanwhile: the payment goes back.
pub(super) fn late_refunded(group: &GroupRow) -> Text {
    let (id, total) = (short(group.id.as_str()), rupiah(group.total_idr));
    tr!(
        "Pembayaran pesanan {id} ({total}) diterima setelah batas waktu, dan stoknya sudah habis. Dana dikembalikan ke metode pembayaran Anda.",
        "The payment of order {id} ({total}) arrived after the deadline and the items are sold out. The money goes back to your payment method."
    )
}

/// To the buyer when an order moved to `order.status`.
pub(super) fn buyer_update(order: &OrderRow, vendor: &str) -> Option<Text> {
    let (id, total) = (short(order.id.as_str()), rupiah(order.subtotal_idr));
    Some(match order.status {
        VendorOrderStatus::Processing => tr!(
            "Pembayaran diterima. Pesanan {id} dari {vendor} ({total}) sedang diproses.",
            "Payment received. Order {id} from {vendor} ({total}) is being prepared."
        ),
        VendorOrderStatus::Shipped => {
            let courier = order.courier.as_deref().unwrap_or_default();
            let tracking = order.tracking_number.as_deref().unwrap_or_default();
            tr!(
                "Pesanan {id} dari {vendor} dikirim dengan {courier}, nomor resi {tracking}.",
                "Order {id} from {vendor} was shipped with {courier}, tracking number {tracking}."
            )
        }
        VendorOrderStatus::Delivered => tr!(
            "Pesanan {id} dari {vendor} telah diterima. Terima kasih telah berbelanja!",
            "Order {id} from {vendor} was delivered. Thank you for shopping!"
        ),
        VendorOrderStatus::Cancelled => {
            let reason = order.cancel_reason.as_deref().unwrap_or("-");
            if order.paid_at.is_some() {
                tr!(
                    "Pesanan {id} dari {vendor} dibatalkan ({reason}). Dana {total} dikembalikan.",
                    "Order {id} from {vendor} was cancelled ({reason}). {total} is refunded."
                )
            } else {
                tr!(
                    "Pesanan {id} dari {vendor} dibatalkan ({reason}).",
                    "Order {id} from {vendor} was cancelled ({reason})."
                )
            }
        }
        VendorOrderStatus::Pending => return None,
    })
}

/// To the vendor when an order was paid.
pub(super) fn vendor_paid(order: &OrderRow, lines: &[String]) -> Text {
    let (id, total, list) = (
        short(order.id.as_str()),
        rupiah(order.subtotal_idr),
        lines.join(", "),
    );
    tr!(
        "Pesanan baru {id} sudah dibayar ({total}): {list}. Segera proses dan kirim.",
        "New order {id} is paid ({total}): {list}. Please prepare and ship it."
    )
}

/// To the vendor when the buyer cancelled.
pub(super) fn vendor_cancelled(order: &OrderRow) -> Text {
    let (id, reason) = (
        short(order.id.as_str()),
        order.cancel_reason.as_deref().unwrap_or("-"),
    );
    tr!(
        "Pembeli membatalkan pesanan {id} ({reason}); stok dikembalikan.",
        "The buyer cancelled order {id} ({reason}); the stock was put back."
    )
}
