//! A product's page: its texts, publishing, variants and reviews.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::super::format::when;
use super::super::page::{
    Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other,
};
use super::super::session::Console;
use super::form::{TextsForm, number};
use super::status_name;
use crate::AppState;
use crate::auth::Role;
use crate::domain::{ProductId, VariantId};
use crate::marketplace::catalog::{
    self,
    model::{NewVariant, Product, ProductStatus, UpdateProduct, UpdateVariant, Variant},
};
use crate::marketplace::reviews::{self, model::Review};

/// A variant as its row on the product page shows it: its form holds
/// what was typed when a change was refused, with the error.
struct VariantLine {
    v: Variant,
    low: bool,
    name: String,
    price: String,
    active: bool,
    error: Option<String>,
}

/// The add-variant form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct VariantForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    stock: String,
}

#[derive(Template)]
#[template(path = "web/product.html")]
pub(super) struct ProductPage {
    chrome: Chrome,
    p: Product,
    status: &'static str,
    variants: Vec<VariantLine>,
    reviews: Vec<ReviewLine>,
    form: TextsForm,
    errors: FormErrors,
    variant_form: VariantForm,
    variant_errors: FormErrors,
    image_errors: FormErrors,
    /// Errors of publishing (no active variant).
    publish_errors: FormErrors,
}

/// A review as the product page shows it.
struct ReviewLine {
    r: Review,
    stars: String,
    at: String,
}

fn review_line(r: Review) -> ReviewLine {
    let n = usize::try_from(r.rating.clamp(0, 5)).unwrap_or(0);
    ReviewLine {
        stars: format!("{}{}", "★".repeat(n), "☆".repeat(5 - n)),
        at: when(Some(r.created_at)),
        r,
    }
}

/// What the product page shows besides the product.
#[derive(Default)]
pub(super) struct Extra {
    pub(super) form: Option<TextsForm>,
    pub(super) errors: FormErrors,
    pub(super) variant_form: VariantForm,
    pub(super) variant_errors: FormErrors,
    pub(super) image_errors: FormErrors,
    pub(super) publish_errors: FormErrors,
    /// A refused variant change: the variant, what was typed, the error.
    pub(super) change: Option<(VariantId, ChangeVariantForm, String)>,
}

pub(super) async fn product_page(
    state: &AppState,
    c: Console,
    id: &ProductId,
    extra: Extra,
) -> Result<ProductPage, PageError> {
    c.member.require(Role::Agent)?;
    let p = catalog::one(state, &c.member, id).await?;
    let reviews = reviews::of_vendor_product(state, c.member.tenant(), id, 100)
        .await?
        .into_iter()
        .map(review_line)
        .collect();
    let limit = p
        .low_stock_threshold
        .unwrap_or(state.config.marketplace.low_stock_threshold);
    let lang = c.chrome.lang;
    Ok(ProductPage {
        status: status_name(p.status, lang),
        variants: p
            .variants
            .iter()
            .map(|v| match &extra.change {
                Some((id, typed, error)) if *id == v.id => VariantLine {
                    low: v.stock <= limit,
                    name: typed.name.clone(),
                    price: typed.price.clone(),
                    active: typed.active.is_some(),
                    error: Some(error.clone()),
                    v: v.clone(),
                },
                _ => VariantLine {
                    low: v.stock <= limit,
                    name: v.name.clone(),
                    price: v.price_idr.to_string(),
                    active: v.active,
                    error: None,
                    v: v.clone(),
                },
            })
            .collect(),
        reviews,
        form: extra.form.unwrap_or_else(|| TextsForm::of(&p)),
        errors: extra.errors,
        variant_form: extra.variant_form,
        variant_errors: extra.variant_errors,
        image_errors: extra.image_errors,
        publish_errors: extra.publish_errors,
        chrome: c.chrome.at("products"),
        p,
    })
}

pub(super) fn answer(page: &ProductPage) -> PageResult {
    let clean = page.variants.iter().all(|v| v.error.is_none())
        && page.errors.is_empty()
        && page.variant_errors.is_empty()
        && page.image_errors.is_empty()
        && page.publish_errors.is_empty();
    if clean {
        Ok(render(page)?.into_response())
    } else {
        invalid(page)
    }
}

/// `GET /console/products/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ProductId>,
) -> PageResult {
    answer(&product_page(&state, c, &id, Extra::default()).await?)
}

/// `POST /console/products/{id}`: changes the texts.
pub(super) async fn update(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ProductId>,
    WebForm(form): WebForm<TextsForm>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut errors = FormErrors::new();
    let (specs, threshold) = form.check(&mut errors)?;
    if errors.is_empty() {
        let req = UpdateProduct {
            name: Some(form.name.clone()),
            description: Some(form.description.clone()),
            category: Some(form.category.clone()),
            specs: Some(specs),
            low_stock_threshold: threshold,
            reset_low_stock_threshold: threshold.is_none(),
        };
        match catalog::update(&state, &c.member, &id, &req).await {
            Ok(_) => return see_other(&format!("/console/products/{id}")),
            Err(e) => errors.absorb(e, &[])?,
        }
    }
    let extra = Extra {
        form: Some(form),
        errors,
        ..Extra::default()
    };
    answer(&product_page(&state, c, &id, extra).await?)
}

async fn set_status(
    state: &AppState,
    c: Console,
    id: &ProductId,
    status: ProductStatus,
) -> PageResult {
    match catalog::set_status(state, &c.member, id, status).await {
        Ok(_) => see_other(&format!("/console/products/{id}")),
        Err(e) => {
            let mut publish_errors = FormErrors::new();
            publish_errors.absorb(e, &[])?;
            let extra = Extra {
                publish_errors,
                ..Extra::default()
            };
            answer(&product_page(state, c, id, extra).await?)
        }
    }
}

/// `POST /console/products/{id}/publish`.
pub(super) async fn publish(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ProductId>,
) -> PageResult {
    set_status(&state, c, &id, ProductStatus::Published).await
}

/// `POST /console/products/{id}/unpublish`.
pub(super) async fn unpublish(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ProductId>,
) -> PageResult {
    set_status(&state, c, &id, ProductStatus::Draft).await
}

/// `POST /console/products/{id}/variants`: adds a variant.
pub(super) async fn add_variant(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ProductId>,
    WebForm(form): WebForm<VariantForm>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut errors = FormErrors::new();
    let price = errors.check("price", number("price_idr", &form.price))?;
    let stock = if form.stock.trim().is_empty() {
        Some(0)
    } else {
        errors.check("stock", number("stock", &form.stock))?
    };
    if let (Some(price_idr), Some(stock)) = (price, stock) {
        let req = NewVariant {
            sku: form.sku.clone(),
            name: form.name.clone(),
            options: Default::default(),
            price_idr,
            stock,
        };
        match catalog::add(&state, &c.member, &id, &req).await {
            Ok(_) => return see_other(&format!("/console/products/{id}#variants")),
            Err(e) => errors.absorb(
                e,
                &[
                    ("invalid_sku", "sku"),
                    ("sku_taken", "sku"),
                    ("invalid_price", "price"),
                    ("invalid_stock", "stock"),
                    ("invalid_field", "name"),
                ],
            )?,
        }
    }
    let extra = Extra {
        variant_form: form,
        variant_errors: errors,
        ..Extra::default()
    };
    answer(&product_page(&state, c, &id, extra).await?)
}

/// The variant row's form: name, price and whether it is sold.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct ChangeVariantForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    price: String,
    /// `on` when ticked.
    #[serde(default)]
    active: Option<String>,
}

/// `POST /console/variants/{id}`: changes a variant, back to its product.
pub(super) async fn change_variant(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<VariantId>,
    WebForm(form): WebForm<ChangeVariantForm>,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let (variant, _) = catalog::ledger(&state, &c.member, &id).await?;
    let mut errors = FormErrors::new();
    if let Some(price) = errors.check("change", number("price_idr", &form.price))? {
        let req = UpdateVariant {
            name: Some(form.name.clone()),
            price_idr: Some(price),
            active: Some(form.active.is_some()),
        };
        match catalog::change_variant(&state, &c.member, &id, &req).await {
            Ok(v) => return see_other(&format!("/console/products/{}#variants", v.product_id)),
            Err(e) => errors.absorb(
                e,
                &[("invalid_price", "change"), ("invalid_field", "change")],
            )?,
        }
    }
    let error = errors
        .field("change")
        .map(str::to_owned)
        .or_else(|| errors.general().first().cloned())
        .unwrap_or_default();
    let extra = Extra {
        change: Some((variant.id.clone(), form, error)),
        ..Extra::default()
    };
    answer(&product_page(&state, c, &variant.product_id, extra).await?)
}
