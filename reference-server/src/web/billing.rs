//! Billing: the subscription with usage against the plan's limits, the
//! plans to buy, and the payment history with each paid order's invoice.
//! Buying creates the order and its Midtrans Snap transaction
//! (`billing::http::place_order`, as the JSON API); the page then links to
//! Snap's payment page, and the subscription turns active when Midtrans'
//! notification confirms the payment. Also the printable invoice (and its
//! PDF) and the billing details invoices carry (`/console/settings/billing`,
//! the rules of `PUT /api/v1/billing/details`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;

use super::page::{Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other};
use super::public::time_text;
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::billing::invoices::{self, DETAIL_FIELDS, Issuer, format_npwp};
use crate::billing::limits::{self, Limit};
use crate::billing::model::{
    BillingDetailsInput, InvoiceView, NewOrder, OrderStatus, OrderView, Plan, SubscriptionStatus,
};
use crate::domain::InvoiceId;

/// The billing routes besides the page itself.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/billing/invoices/{id}", get(invoice))
        .route("/console/billing/invoices/{id}/pdf", get(invoice_pdf))
        .route("/console/settings/billing", get(details).post(save_details))
}

/// An order as the history table shows it.
pub(super) struct OrderRow {
    pub(super) id: String,
    pub(super) plan: String,
    pub(super) amount: String,
    pub(super) status: &'static str,
    pub(super) pay_url: Option<String>,
    pub(super) at: String,
    /// The invoice, once paid.
    pub(super) invoice: Option<InvoiceLink>,
}

/// A link to an invoice.
#[derive(Clone)]
pub(super) struct InvoiceLink {
    pub(super) id: String,
    pub(super) number: String,
}

/// One plan limit: what is used and what the active plan allows.
pub(super) struct UsageBar {
    pub(super) key: &'static str,
    pub(super) label: &'static str,
    pub(super) used: i64,
    /// `None` without an active plan.
    pub(super) max: Option<i64>,
    /// `used / max` as shown, with thousands dots.
    pub(super) text: String,
    /// At or over the limit.
    pub(super) full: bool,
}

/// `12345` -> `12.345`.
fn grouped(n: i64) -> String {
    rupiah(n).replacen("Rp", "", 1)
}

/// Rupiah with dots between thousands: `Rp150.000`.
pub(super) fn rupiah(amount: i64) -> String {
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

#[derive(Template)]
#[template(path = "web/billing.html")]
struct BillingPage {
    chrome: Chrome,
    status: SubscriptionStatus,
    expires: String,
    /// The end of the grace period while the plan runs on it.
    grace: Option<String>,
    plans: Vec<(Plan, String)>,
    orders: Vec<OrderRow>,
    usage: Vec<UsageBar>,
    pay_now: Option<String>,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct BillingQuery {
    #[serde(default)]
    order: String,
}

async fn page(
    state: &AppState,
    c: Console,
    just_ordered: &str,
    errors: FormErrors,
) -> Result<BillingPage, PageError> {
    let status = crate::billing::subscription(state, &c.member.tenant_id).await?;
    let all_plans = crate::billing::store::plans::list(&state.pool, true).await?;
    let names: std::collections::HashMap<_, _> = all_plans
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let orders: Vec<OrderView> =
        crate::billing::store::orders::list(&state.pool, Some(&c.member.tenant_id), 50).await?;
    let invoices: std::collections::HashMap<_, _> =
        crate::billing::store::invoices::list(&state.pool, &c.member.tenant_id, 500)
            .await?
            .into_iter()
            .map(|i| {
                let link = InvoiceLink {
                    id: i.id.into_string(),
                    number: i.number,
                };
                (i.order_id, link)
            })
            .collect();
    let lang = c.chrome.lang;
    let mut usage = Vec::with_capacity(4);
    for (key, limit, used) in [
        ("devices", Limit::Devices, status.usage.devices),
        ("contacts", Limit::Contacts, status.usage.contacts),
        (
            "messages",
            Limit::MessagesPerMonth,
            status.usage.messages_this_month,
        ),
        (
            "ai",
            Limit::AiRequestsPerMonth,
            status.usage.ai_requests_this_month,
        ),
    ] {
        let max = limits::allowance(&state.pool, &c.member.tenant_id, limit).await?;
        usage.push(UsageBar {
            key,
            label: limit.name(lang),
            used,
            max,
            text: match max {
                Some(m) => format!("{} / {}", grouped(used), grouped(m)),
                None => grouped(used),
            },
            full: max.is_some_and(|m| used >= m),
        });
    }
    let pay_now = orders
        .iter()
        .find(|o| o.id.as_str() == just_ordered && o.status == OrderStatus::Pending)
        .and_then(|o| o.redirect_url.clone());
    let orders = orders
        .into_iter()
        .map(|o| OrderRow {
            id: o.id.to_string(),
            plan: names.get(&o.plan_id).cloned().unwrap_or_default(),
            amount: rupiah(o.amount_idr),
            status: match o.status {
                OrderStatus::Pending => lang.t("menunggu pembayaran", "awaiting payment"),
                OrderStatus::Challenge => lang.t("diperiksa", "under review"),
                OrderStatus::Paid => lang.t("lunas", "paid"),
                OrderStatus::Failed => lang.t("gagal", "failed"),
                OrderStatus::Refunded => lang.t("dikembalikan", "refunded"),
            },
            pay_url: (o.status == OrderStatus::Pending)
                .then_some(o.redirect_url)
                .flatten(),
            at: time_text(o.created_at),
            invoice: invoices.get(&o.id).cloned(),
        })
        .collect();
    let expires = status
        .subscription
        .as_ref()
        .map(|s| time_text(s.expires_at))
        .unwrap_or_default();
    let now = crate::db::now_ms();
    let grace = status
        .subscription
        .as_ref()
        .filter(|s| s.expires_at <= now)
        .and_then(|s| s.grace_until)
        .filter(|g| *g > now)
        .map(time_text);
    Ok(BillingPage {
        chrome: c.chrome.at("billing"),
        status,
        expires,
        grace,
        plans: all_plans
            .into_iter()
            .filter(|p| p.price_idr > 0)
            .map(|p| {
                let price = rupiah(p.price_idr);
                (p, price)
            })
            .collect(),
        orders,
        usage,
        pay_now,
        errors,
    })
}

/// `GET /console/billing[?order=<id>]`.
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Query(q): Query<BillingQuery>,
) -> PageResult {
    let p = page(&state, c, &q.order, FormErrors::new()).await?;
    Ok(render(&p)?.into_response())
}

/// `POST /console/billing/orders`: the order and its Snap transaction;
/// back to the page, which links to the payment.
pub(super) async fn order(
    State(state): State<AppState>,
    c: Console,
    WebForm(req): WebForm<NewOrder>,
) -> PageResult {
    let mut errors = FormErrors::new();
    match crate::billing::http::place_order(&state, &c.member, req).await {
        Ok(order) => return see_other(&format!("/console/billing?order={}", order.id)),
        Err(e) => errors.absorb(e, &[])?,
    }
    let p = page(&state, c, "", errors).await?;
    invalid(&p)
}

#[derive(Template)]
#[template(path = "web/billing_invoice.html")]
struct InvoicePage {
    chrome: Chrome,
    inv: InvoiceView,
    issuer: Issuer,
    buyer_npwp: Option<String>,
    amount: String,
    issued: String,
    period: String,
    refunded: bool,
}

/// `GET /console/billing/invoices/{id}`: the invoice, printable (the
/// print style sheet hides the console around it).
async fn invoice(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<InvoiceId>,
) -> PageResult {
    let inv = invoices::invoice(&state, &c.member.tenant_id, &id).await?;
    let page = InvoicePage {
        chrome: c.chrome.at("billing"),
        issuer: Issuer::of(&state),
        buyer_npwp: inv.buyer_npwp.as_deref().map(format_npwp),
        amount: rupiah(inv.amount_idr),
        issued: invoices::date_wib(inv.issued_at),
        period: format!(
            "{} – {}",
            invoices::date_wib(inv.period_start),
            invoices::date_wib(inv.period_end)
        ),
        refunded: inv.order_status == OrderStatus::Refunded,
        inv,
    };
    Ok(render(&page)?.into_response())
}

/// `GET /console/billing/invoices/{id}/pdf`: the same invoice as a PDF
/// download, in the console's language.
async fn invoice_pdf(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<InvoiceId>,
) -> PageResult {
    let inv = invoices::invoice(&state, &c.member.tenant_id, &id).await?;
    Ok(invoices::pdf_download(&state, &inv, c.chrome.lang))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct DetailsForm {
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    npwp: String,
}

#[derive(Template)]
#[template(path = "web/billing_details.html")]
struct DetailsPage {
    chrome: Chrome,
    form: DetailsForm,
    errors: FormErrors,
    can_edit: bool,
    saved: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

fn details_page(c: Console, form: DetailsForm, errors: FormErrors, saved: bool) -> DetailsPage {
    DetailsPage {
        can_edit: c.member.role.at_least(Role::Admin),
        chrome: c.chrome.at("settings"),
        form,
        errors,
        saved,
    }
}

/// `GET /console/settings/billing`.
async fn details(
    State(state): State<AppState>,
    c: Console,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let d = invoices::details(&state, &c.member.tenant_id).await?;
    let form = DetailsForm {
        legal_name: d.legal_name,
        address: d.address,
        npwp: d.npwp.as_deref().map(format_npwp).unwrap_or_default(),
    };
    Ok(render(&details_page(c, form, FormErrors::new(), q.saved.is_some()))?.into_response())
}

/// `POST /console/settings/billing`: saved, or the form again with each
/// error next to its field and what was typed kept.
async fn save_details(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<DetailsForm>,
) -> PageResult {
    let mut errors = FormErrors::new();
    errors.check(
        "legal_name",
        invoices::validate_legal_name(&form.legal_name),
    )?;
    errors.check("address", invoices::validate_address(&form.address))?;
    errors.check("npwp", invoices::normalize_npwp(&form.npwp))?;
    if errors.is_empty() {
        let input = BillingDetailsInput {
            legal_name: form.legal_name.clone(),
            address: form.address.clone(),
            npwp: Some(form.npwp.clone()),
        };
        match invoices::save_details(&state, &c.member, input).await {
            Ok(_) => return see_other("/console/settings/billing?saved=1"),
            Err(e) => errors.absorb(e, &DETAIL_FIELDS)?,
        }
    }
    invalid(&details_page(c, form, errors, false))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rupiah_has_thousands_dots() {
        assert_eq!(super::rupiah(0), "Rp0");
        assert_eq!(super::rupiah(999), "Rp999");
        assert_eq!(super::rupiah(150_000), "Rp150.000");
        assert_eq!(super::rupiah(1_234_567), "Rp1.234.567");
        assert_eq!(super::grouped(10_000), "10.000");
        assert_eq!(super::grouped(-1_500), "-1.500");
    }
}
