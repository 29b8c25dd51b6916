//! The product list and the new-product form.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::super::format::rupiah;
use super::super::page::{Chrome, FormErrors, PageResult, WebForm, invalid, render, see_other};
use super::super::session::Console;
use super::form::{NewForm, SKU, TextsForm, VariantRow};
use super::status_name;
use crate::AppState;
use crate::auth::Role;
use crate::http::i18n::Text;
use crate::marketplace::catalog::{
    self,
    model::{NewProduct, Product, ProductStatus},
};

/// A product in the list.
struct ProductLine {
    p: Product,
    status: &'static str,
    stock: i64,
    price: String,
}

#[derive(Template)]
#[template(path = "web/products.html")]
struct ProductsPage {
    chrome: Chrome,
    products: Vec<ProductLine>,
    filter: &'static str,
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusFilter {
    #[serde(default)]
    status: Option<String>,
}

/// `GET /console/products?status=draft|published`.
pub(super) async fn list(
    State(state): State<AppState>,
    c: Console,
    Query(f): Query<StatusFilter>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let status = f.status.as_deref().and_then(ProductStatus::parse);
    let lang = c.chrome.lang;
    let products = catalog::list(&state, &c.member, status)
        .await?
        .into_iter()
        .map(|p| ProductLine {
            status: status_name(p.status, lang),
            stock: p.variants.iter().map(|v| v.stock).sum(),
            price: rupiah(p.min_price_idr),
            p,
        })
        .collect();
    Ok(render(&ProductsPage {
        chrome: c.chrome.at("products"),
        products,
        filter: status.map_or("", ProductStatus::as_str),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "web/product_new.html")]
struct NewPage {
    chrome: Chrome,
    form: TextsForm,
    rows: Vec<VariantRow>,
    errors: FormErrors,
}

/// `GET /console/products/new`.
pub(super) async fn new(c: Console) -> PageResult {
    c.member.require(Role::Admin)?;
    Ok(render(&NewPage {
        chrome: c.chrome.at("products"),
        form: TextsForm::default(),
        rows: NewForm::default().rows(),
        errors: FormErrors::new(),
    })?
    .into_response())
}

/// `POST /console/products`: creates the product as a draft, then shows
/// it.
pub(super) async fn create(
    State(state): State<AppState>,
    c: Console,
    WebForm(form): WebForm<NewForm>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut errors = FormErrors::new();
    let (specs, threshold) = form.texts.check(&mut errors)?;
    let rows = form.rows();
    let mut variants = Vec::new();
    for row in rows.iter().filter(|r| !r.is_empty()) {
        if let Some(v) = row.check(&mut errors)? {
            variants.push(v);
        }
    }
    if rows.iter().all(VariantRow::is_empty) {
        errors.add(
            SKU[0],
            &Text::new(
                "isi setidaknya satu varian (SKU, nama, harga)",
                "fill in at least one variant (SKU, name, price)",
            ),
        );
    }
    if errors.is_empty() {
        let req = NewProduct {
            name: form.texts.name.clone(),
            description: form.texts.description.clone(),
            category: form.texts.category.clone(),
            specs,
            low_stock_threshold: threshold,
            variants,
        };
        match catalog::create(&state, &c.member, &req).await {
            Ok(p) => return see_other(&format!("/console/products/{}", p.id)),
            Err(e) => errors.absorb(e, &[("sku_taken", SKU[0]), ("duplicate_sku", SKU[0])])?,
        }
    }
    invalid(&NewPage {
        chrome: c.chrome.at("products"),
        form: form.texts.clone(),
        rows,
        errors,
    })
}
