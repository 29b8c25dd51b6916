//! An invoice as a one-page A4 PDF, written with `pdf-writer` in the
//! standard Helvetica fonts (every PDF reader has them, nothing is
//! embedded) with WinAnsi encoding: Latin text prints as typed, other
//! characters as `?`. The content stream is not compressed, so the
//! invoice's texts stay searchable in the file.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

use super::invoices::{Issuer, date_wib, format_npwp};
use super::model::{InvoiceView, OrderStatus};
use super::receipt::format_rupiah;
use crate::http::i18n::Lang;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const LEFT: f32 = 56.0;
const RIGHT: f32 = PAGE_W - 56.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// `text` in WinAnsi bytes (Latin-1 where it agrees), `?` for the rest.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7E | 0xA0..=0xFF => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            _ => b'?',
        })
        .collect()
}

/// Splits `text` into lines of at most `width` characters at spaces (a
/// longer word stays whole), keeping its own line breaks.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// Width of `text` in Helvetica at `size` points, close enough to align
/// amounts on the right (digits, `Rp` and `.` are what is aligned).
fn approx_width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            '0'..='9' | 'R' => 556,
            '.' | ',' | ' ' => 278,
            'p' => 556,
            _ => 600,
        })
        .sum();
    #[allow(clippy::cast_precision_loss)]
    let units = units as f32;
    units * size / 1000.0
}

struct Writer {
    content: Content,
}

impl Writer {
    fn text(&mut self, font: Name<'_>, size: f32, x: f32, y: f32, text: &str) {
        let bytes = win_ansi(text);
        self.content
            .begin_text()
            .set_font(font, size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    fn right(&mut self, font: Name<'_>, size: f32, y: f32, text: &str) {
        let x = RIGHT - approx_width(text, size);
        self.text(font, size, x, y, text);
    }

    fn rule(&mut self, y: f32) {
        self.content
            .set_line_width(0.5)
            .move_to(LEFT, y)
            .line_to(RIGHT, y)
            .stroke();
    }
}

/// The invoice in `lang` as PDF bytes.
pub(crate) fn invoice(inv: &InvoiceView, issuer: &Issuer, lang: Lang) -> Vec<u8> {
    let t = |id: &'static str, en: &'static str| lang.t(id, en);
    let mut w = Writer {
        content: Content::new(),
    };
    let mut y = PAGE_H - 72.0;
    w.text(BOLD, 22.0, LEFT, y, t("FAKTUR", "INVOICE"));
    w.right(BOLD, 12.0, y + 4.0, &inv.number);
    y -= 18.0;
    let status = match inv.order_status {
        OrderStatus::Refunded => t("DIKEMBALIKAN", "REFUNDED"),
        _ => t("LUNAS", "PAID"),
    };
    w.right(
        REGULAR,
        10.0,
        y,
        &format!("{} {}", t("Tanggal", "Date"), date_wib(inv.issued_at)),
    );
    w.text(BOLD, 10.0, LEFT, y, status);
    y -= 30.0;

    // Seller and buyer side by side.
    let top = y;
    w.text(BOLD, 9.0, LEFT, y, t("DARI", "FROM"));
    y -= 14.0;
    w.text(BOLD, 11.0, LEFT, y, &issuer.name);
    y -= 13.0;
    for line in issuer
        .address
        .as_deref()
        .map(|a| wrap(a, 45))
        .unwrap_or_default()
    {
        w.text(REGULAR, 10.0, LEFT, y, &line);
        y -= 13.0;
    }
    if let Some(npwp) = &issuer.npwp {
        w.text(REGULAR, 10.0, LEFT, y, &format!("NPWP {npwp}"));
        y -= 13.0;
    }
    let left_end = y;
    let col = PAGE_W / 2.0 + 10.0;
    y = top;
    w.text(BOLD, 9.0, col, y, t("DITAGIHKAN KEPADA", "BILLED TO"));
    y -= 14.0;
    w.text(BOLD, 11.0, col, y, &inv.buyer_name);
    y -= 13.0;
    for line in inv
        .buyer_address
        .as_deref()
        .map(|a| wrap(a, 42))
        .unwrap_or_default()
    {
        w.text(REGULAR, 10.0, col, y, &line);
        y -= 13.0;
    }
    if let Some(npwp) = &inv.buyer_npwp {
        w.text(
            REGULAR,
            10.0,
            col,
            y,
            &format!("NPWP {}", format_npwp(npwp)),
        );
        y -= 13.0;
    }
    y = y.min(left_end) - 24.0;

    // The one line item and the total.
    w.text(BOLD, 10.0, LEFT, y, t("Uraian", "Description"));
    w.right(BOLD, 10.0, y, t("Jumlah", "Amount"));
    y -= 8.0;
    w.rule(y);
    y -= 16.0;
    let amount = format_rupiah(inv.amount_idr);
    w.text(
        REGULAR,
        10.0,
        LEFT,
        y,
        &format!(
            "{} {} ({} {})",
            t("Paket", "Plan"),
            inv.plan_name,
            inv.duration_days,
            t("hari", "days")
        ),
    );
    w.right(REGULAR, 10.0, y, &amount);
    y -= 13.0;
    w.text(
        REGULAR,
        9.0,
        LEFT,
        y,
        &format!(
            "{} {} - {}",
            t("Masa langganan", "Subscription period"),
            date_wib(inv.period_start),
            date_wib(inv.period_end)
        ),
    );
    y -= 10.0;
    w.rule(y);
    y -= 18.0;
    w.text(BOLD, 11.0, LEFT, y, t("Total", "Total"));
    w.right(BOLD, 11.0, y, &amount);
    y -= 30.0;

    w.text(
        REGULAR,
        9.0,
        LEFT,
        y,
        &format!("{} {}", t("Pesanan", "Order"), inv.order_id),
    );
    y -= 12.0;
    if let Some(method) = &inv.payment_type {
        w.text(
            REGULAR,
            9.0,
            LEFT,
            y,
            &format!("{} {method} (Midtrans)", t("Dibayar melalui", "Paid by")),
        );
        y -= 12.0;
    }
    y -= 18.0;
    w.text(
        REGULAR,
        8.0,
        LEFT,
        y,
        t(
            "Faktur ini dibuat secara elektronik dan sah tanpa tanda tangan.",
            "This invoice was issued electronically and is valid without a signature.",
        ),
    );

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let page = Ref::new(3);
    let regular = Ref::new(4);
    let bold = Ref::new(5);
    let contents = Ref::new(6);
    let info = Ref::new(7);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    {
        let mut p = pdf.page(page);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(contents);
        p.resources()
            .fonts()
            .pair(REGULAR, regular)
            .pair(BOLD, bold);
    }
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let stream = w.content.finish();
    pdf.stream(contents, &stream);
    let title = format!("{} {}", t("Faktur", "Invoice"), inv.number);
    pdf.document_info(info)
        .title(TextStr(&title))
        .producer(TextStr(&issuer.name));
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{InvoiceId, OrderId, TenantId};

    #[test]
    fn a_pdf_with_the_number_and_the_buyer() {
        let inv = InvoiceView {
            id: InvoiceId::from("i-1"),
            number: "INV/2026/000007".to_owned(),
            order_id: OrderId::from("o-1"),
            tenant_id: TenantId::from("t-1"),
            plan_name: "Basic".to_owned(),
            duration_days: 30,
            amount_idr: 99_000,
            payment_type: Some("qris".to_owned()),
            period_start: 0,
            period_end: 30 * 86_400_000,
            buyer_name: "PT Maju Jaya".to_owned(),
            buyer_address: Some("Jl. Merdeka 1\nBandung".to_owned()),
            buyer_npwp: Some("012345678901234".to_owned()),
            issued_at: 0,
            order_status: OrderStatus::Paid,
        };
        let issuer = Issuer {
            name: "WA Commerce".to_owned(),
            address: None,
            npwp: None,
        };
        let bytes = invoice(&inv, &issuer, Lang::Id);
        let text = String::from_utf8_lossy(&bytes);
        assert!(bytes.starts_with(b"%PDF-"));
        for needle in [
            "INV/2026/000007",
            "FAKTUR",
            "PT Maju Jaya",
            "01.234.567.8-901.234",
            "Rp99.000",
        ] {
            assert!(text.contains(needle), "{needle} missing");
        }
        let en = invoice(&inv, &issuer, Lang::En);
        assert!(String::from_utf8_lossy(&en).contains("BILLED TO"));
        assert_eq!(win_ansi("Café ✓"), b"Caf\xe9 ?");
        assert_eq!(wrap("a bb ccc\ndd", 4), vec!["a bb", "ccc", "dd"]);
    }
}
