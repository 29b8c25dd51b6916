//! WhatsApp receipts for paid orders, in the vendor's language, and the
//! platform sender other billing messages go out through.

use chrono::{FixedOffset, TimeZone as _};
use whatsapp_client::{OutgoingMessage, PhoneNumber, Provider as _};

use crate::AppState;
use crate::http::AppError;

/// `99000` -> `Rp99.000` (Indonesian thousands separator).
pub fn format_rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}Rp{out}", if amount < 0 { "-" } else { "" })
}

/// `dd-mm-YYYY HH:MM` in Western Indonesia Time (UTC+7), the time most
/// vendors read.
pub fn wib_time(ms: i64) -> String {
    let wib = FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| unreachable!("valid offset"));
    wib.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%d-%m-%Y %H:%M").to_string())
        .unwrap_or_default()
}

/// The receipt text in `locale` (`id` default, `en`).
pub fn text(
    locale: &str,
    plan: &str,
    amount_idr: i64,
    order_id: &str,
    expires_at_ms: i64,
    invoice: Option<&str>,
) -> String {
    let until = wib_time(expires_at_ms);
    let amount = format_rupiah(amount_idr);
    let en = locale == "en";
    let mut text = if en {
        format!(
            "Thank you! We received your payment of {amount} for the {plan} plan (order {order_id}). \
             Your subscription is active until {until} WIB."
        )
    } else {
        format!(
            "Terima kasih! Pembayaran {amount} untuk paket {plan} telah kami terima (pesanan {order_id}). \
             Langganan Anda aktif hingga {until} WIB."
        )
    };
    if let Some(number) = invoice {
        text.push_str(&if en {
            format!(" Invoice {number} is in the console under Billing.")
        } else {
            format!(" Faktur {number} ada di konsol, menu Tagihan.")
        });
    }
    text
}

/// A receipt to send.
#[derive(Debug)]
pub(crate) struct Receipt<'a> {
    /// The vendor's WhatsApp number as stored.
    pub(crate) whatsapp: &'a str,
    /// The vendor's locale (`id` or `en`).
    pub(crate) locale: &'a str,
    /// Our order.
    pub(crate) order_id: &'a str,
    /// The plan's name.
    pub(crate) plan: &'a str,
    /// What was paid.
    pub(crate) amount_idr: i64,
    /// The new subscription expiry, unix milliseconds.
    pub(crate) expires_at_ms: i64,
    /// The number of the invoice issued for the payment.
    pub(crate) invoice: Option<&'a str>,
}

/// Sends the receipt from the platform sender to the vendor's number.
pub(crate) async fn send_to(state: &AppState, r: &Receipt<'_>) -> Result<(), AppError> {
    let body = text(
        r.locale,
        r.plan,
        r.amount_idr,
        r.order_id,
        r.expires_at_ms,
        r.invoice,
    );
    send_text(state, r.whatsapp, body).await
}

/// Sends `body` from the platform sender to a vendor's number as stored.
pub(crate) async fn send_text(
    state: &AppState,
    whatsapp: &str,
    body: String,
) -> Result<(), AppError> {
    let to = PhoneNumber::parse(whatsapp).map_err(AppError::internal)?;
    state
        .services
        .platform_sender
        .send(&to, &OutgoingMessage::text(body))
        .await
        .map_err(|e| AppError::Upstream(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_and_languages() {
        assert_eq!(format_rupiah(99_000), "Rp99.000");
        assert_eq!(format_rupiah(1_250_000), "Rp1.250.000");
        assert_eq!(format_rupiah(500), "Rp500");
        let id = text("id", "Basic", 99_000, "o-1", 0, None);
        assert!(
            id.starts_with("Terima kasih! Pembayaran Rp99.000 untuk paket Basic"),
            "{id}"
        );
        assert!(id.contains("01-01-1970 07:00 WIB"), "{id}");
        assert!(text("en", "Basic", 99_000, "o-1", 0, None).contains("for the Basic plan"));
        assert!(
            text("id", "Basic", 99_000, "o-1", 0, Some("INV/2026/000001"))
                .ends_with("Faktur INV/2026/000001 ada di konsol, menu Tagihan.")
        );
    }
}
