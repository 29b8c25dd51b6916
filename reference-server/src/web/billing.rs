//! Billing: the subscription with usage against the plan's limits, the
//! plans to buy, and the payment history. Buying creates the order and its
//! Midtrans Snap transaction (`billing::http::place_order`, as the JSON
//! API); the page then links to Snap's payment page, and the subscription
//! turns active when Midtrans' notification confirms the payment.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::page::{Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other};
use super::public::time_text;
use super::session::Console;
use crate::AppState;
use crate::billing::model::{NewOrder, OrderStatus, OrderView, Plan, SubscriptionStatus};

/// An order as the history table shows it.
pub(super) struct OrderRow {
    pub(super) id: String,
    pub(super) plan: String,
    pub(super) amount: String,
    pub(super) status: &'static str,
    pub(super) pay_url: Option<String>,
    pub(super) at: String,
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
    plans: Vec<(Plan, String)>,
    orders: Vec<OrderRow>,
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
    let lang = c.chrome.lang;
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
        })
        .collect();
    let expires = status
        .subscription
        .as_ref()
        .map(|s| time_text(s.expires_at))
        .unwrap_or_default();
    Ok(BillingPage {
        chrome: c.chrome.at("billing"),
        status,
        expires,
        plans: all_plans
            .into_iter()
            .filter(|p| p.price_idr > 0)
            .map(|p| {
                let price = rupiah(p.price_idr);
                (p, price)
            })
            .collect(),
        orders,
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

#[cfg(test)]
mod tests {
    #[test]
    fn rupiah_has_thousands_dots() {
        assert_eq!(super::rupiah(0), "Rp0");
        assert_eq!(super::rupiah(999), "Rp999");
        assert_eq!(super::rupiah(150_000), "Rp150.000");
        assert_eq!(super::rupiah(1_234_567), "Rp1.234.567");
    }
}
