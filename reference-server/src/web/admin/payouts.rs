//! `/admin/vendors/{id}/payouts`: a vendor's commission and payout ledger
//! (one entry per delivered order: subtotal, refunds, the plan's
//! commission, what the vendor is owed) and its payouts, with the button
//! that pays the vendor what it is owed through Midtrans Iris. The ledger
//! and the payout are the payouts feature's (`marketplace::payouts::
//! {ledger_of, admin_pay_out}`). The form carries an idempotency key made
//! when the page was drawn, so a double click or a resubmitted form pays
//! once.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{AdminConsole, rupiah, when};
use crate::AppState;
use crate::domain::TenantId;
use crate::http::AppError;
use crate::marketplace::payouts::model::{EntryStatus, NewPayout, PayoutAccount, PayoutStatus};
use crate::marketplace::payouts::{self, store};
use crate::web::page::{
    Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other,
};

/// A ledger entry as shown.
struct EntryLine {
    order_id: String,
    gross: String,
    refunded: String,
    rate: String,
    commission: String,
    net: String,
    paid: bool,
    created: String,
}

/// A payout as shown.
struct PayoutLine {
    id: String,
    amount: String,
    status: &'static str,
    sent: bool,
    reference: String,
    error: String,
    created: String,
}

#[derive(Template)]
#[template(path = "web/admin/payouts.html")]
struct PayoutsPage {
    chrome: Chrome,
    tenant_id: TenantId,
    vendor: String,
    owed: String,
    owed_idr: i64,
    account: Option<PayoutAccount>,
    entries: Vec<EntryLine>,
    payouts: Vec<PayoutLine>,
    key: String,
    errors: FormErrors,
}

fn percent(bps: i64) -> String {
    format!("{}.{:02} %", bps / 100, bps % 100)
}

async fn payouts_page(
    state: &AppState,
    a: AdminConsole,
    tenant: &TenantId,
    key: String,
    errors: FormErrors,
) -> Result<PayoutsPage, PageError> {
    let lang = a.chrome.lang;
    let vendor = crate::admin::vendor(state, tenant).await?;
    let ledger = payouts::ledger_of(state, tenant).await?;
    let account = store::account(&state.pool, tenant).await?;
    Ok(PayoutsPage {
        chrome: a.chrome.at("admin-vendors"),
        tenant_id: tenant.clone(),
        vendor: vendor.name,
        owed: rupiah(ledger.owed_idr),
        owed_idr: ledger.owed_idr,
        account,
        entries: ledger
            .entries
            .iter()
            .map(|e| EntryLine {
                order_id: e.order_id.to_string(),
                gross: rupiah(e.gross_idr),
                refunded: rupiah(e.refunded_idr),
                rate: percent(e.commission_bps),
                commission: rupiah(e.commission_idr),
                net: rupiah(e.net_idr),
                paid: e.status == EntryStatus::Paid,
                created: when(Some(e.created_at)),
            })
            .collect(),
        payouts: ledger
            .payouts
            .iter()
            .map(|p| PayoutLine {
                id: p.id.to_string(),
                amount: rupiah(p.amount_idr),
                status: match p.status {
                    PayoutStatus::Sent => lang.t("terkirim ke Iris", "sent to Iris"),
                    PayoutStatus::Pending => lang.t("tertunda", "pending"),
                },
                sent: p.status == PayoutStatus::Sent,
                reference: p.reference_no.clone().unwrap_or_default(),
                error: p.last_error.clone().unwrap_or_default(),
                created: when(Some(p.created_at)),
            })
            .collect(),
        key,
        errors,
    })
}

/// A fresh idempotency key for the payout form.
fn fresh_key() -> String {
    format!("web-{}", crate::domain::PayoutId::new())
}

/// `GET /admin/vendors/{id}/payouts`.
pub(super) async fn show(
    State(state): State<AppState>,
    a: AdminConsole,
    Path(tenant): Path<TenantId>,
) -> PageResult {
    let p = payouts_page(&state, a, &tenant, fresh_key(), FormErrors::new()).await?;
    Ok(render(&p)?.into_response())
}

/// The payout form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PayForm {
    #[serde(default)]
    idempotency_key: String,
}

/// `POST /admin/vendors/{id}/payouts`: pays the vendor what it is owed.
/// A refusal (nothing owed, no account, Iris not configured or failing)
/// is shown above the button; a payout Iris refused stays pending and the
/// same form retries it with the same key.
pub(super) async fn pay(
    State(state): State<AppState>,
    a: AdminConsole,
    Path(tenant): Path<TenantId>,
    WebForm(form): WebForm<PayForm>,
) -> PageResult {
    let req = NewPayout {
        idempotency_key: form.idempotency_key.clone(),
    };
    let mut errors = FormErrors::new();
    match payouts::admin_pay_out(&state, &a.admin, &tenant, &req).await {
        Ok(_) => return see_other(&format!("/admin/vendors/{tenant}/payouts")),
        Err(e @ (AppError::Upstream(_) | AppError::NotConfigured(_))) => {
            // Iris unreachable or not configured: the admin needs the reason.
            e.log();
            errors.note(e.message(crate::http::i18n::current()));
        }
        Err(e) => errors.absorb(e, &[])?,
    }
    let key = if form.idempotency_key.trim().is_empty() {
        fresh_key()
    } else {
        form.idempotency_key
    };
    invalid(&payouts_page(&state, a, &tenant, key, errors).await?)
}
