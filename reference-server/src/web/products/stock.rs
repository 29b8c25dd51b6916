//! A variant's stock: its ledger and manual adjustments.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::super::format::when;
use super::super::page::{
    Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other,
};
use super::super::session::Console;
use super::form::number;
use crate::AppState;
use crate::auth::Role;
use crate::domain::VariantId;
use crate::http::i18n::Lang;
use crate::marketplace::catalog::{
    self,
    model::{LedgerEntry, Product, StockAdjustment, StockReason, Variant},
};

/// A ledger line as the stock page shows it.
struct LedgerLine {
    e: LedgerEntry,
    reason: &'static str,
    at: String,
}

fn reason_name(r: StockReason, lang: Lang) -> &'static str {
    match r {
        StockReason::Initial => lang.t("stok awal", "initial stock"),
        StockReason::Adjustment => lang.t("penyesuaian", "adjustment"),
        StockReason::Sale => lang.t("terjual", "sale"),
        StockReason::Release => lang.t("dilepas (tidak dibayar)", "released (unpaid)"),
        StockReason::CancelRestock => lang.t("kembali (dibatalkan)", "restocked (cancelled)"),
    }
}

/// The adjustment form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct AdjustForm {
    #[serde(default)]
    delta: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "web/stock.html")]
struct StockPage {
    chrome: Chrome,
    product: Product,
    v: Variant,
    lines: Vec<LedgerLine>,
    form: AdjustForm,
    errors: FormErrors,
}

async fn stock_page(
    state: &AppState,
    c: Console,
    id: &VariantId,
    form: AdjustForm,
    errors: FormErrors,
) -> Result<StockPage, PageError> {
    c.member.require(Role::Agent)?;
    let (v, ledger) = catalog::ledger(state, &c.member, id).await?;
    let product = catalog::one(state, &c.member, &v.product_id).await?;
    let lang = c.chrome.lang;
    Ok(StockPage {
        lines: ledger
            .into_iter()
            .map(|e| LedgerLine {
                reason: reason_name(e.reason, lang),
                at: when(Some(e.created_at)),
                e,
            })
            .collect(),
        chrome: c.chrome.at("products"),
        product,
        v,
        form,
        errors,
    })
}

/// `GET /console/variants/{id}/stock`: the variant's stock and ledger.
pub(super) async fn stock(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<VariantId>,
) -> PageResult {
    let p = stock_page(&state, c, &id, AdjustForm::default(), FormErrors::new()).await?;
    Ok(render(&p)?.into_response())
}

/// `POST /console/variants/{id}/stock`: a manual adjustment with its
/// reason.
pub(super) async fn adjust(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<VariantId>,
    WebForm(form): WebForm<AdjustForm>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut errors = FormErrors::new();
    let typed = form.delta.trim().trim_start_matches('+');
    let delta = errors.check("delta", number("delta", typed.trim_start_matches('-')))?;
    if let Some(n) = delta {
        let delta = if typed.starts_with('-') { -n } else { n };
        let req = StockAdjustment {
            delta,
            reason: form.reason.clone(),
        };
        match catalog::adjust(&state, &c.member, &id, &req).await {
            Ok(_) => return see_other(&format!("/console/variants/{id}/stock")),
            Err(e) => errors.absorb(
                e,
                &[
                    ("invalid_delta", "delta"),
                    ("stock_below_zero", "delta"),
                    ("invalid_field", "reason"),
                ],
            )?,
        }
    }
    invalid(&stock_page(&state, c, &id, form, errors).await?)
}
