//! The vendor's marketplace catalog: products (list, create, edit with
//! category, description and specifications), variants with SKU, price
//! and stock, images uploaded through a multipart form, publishing, each
//! variant's stock with its ledger and manual adjustment, and a product's
//! reviews. Every change runs the catalog's own functions, the ones the
//! JSON API calls (`marketplace::catalog::{create, update, add, ...}`).

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::format::{rupiah, when};
use super::page::{Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::domain::{ImageId, ProductId, VariantId};
use crate::http::AppError;
use crate::http::i18n::{Lang, Text};
use crate::marketplace::catalog::model::{
    LedgerEntry, NewProduct, NewVariant, Product, ProductStatus, Spec, StockAdjustment,
    StockReason, UpdateProduct, UpdateVariant, Variant,
};
use crate::marketplace::catalog::{self, images};
use crate::marketplace::reviews::{self, model::Review};

/// Room for the multipart envelope around the largest image.
const IMAGE_FORM_SLACK: usize = 64 * 1024;

/// The catalog pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/products", get(list).post(create))
        .route("/console/products/new", get(new))
        .route("/console/products/{product_id}", get(show).post(update))
        .route("/console/products/{product_id}/publish", post(publish))
        .route("/console/products/{product_id}/unpublish", post(unpublish))
        .route("/console/products/{product_id}/variants", post(add_variant))
        .route(
            "/console/products/{product_id}/images",
            post(upload).layer(DefaultBodyLimit::max(image_form_cap())),
        )
        .route(
            "/console/products/{product_id}/images/{image_id}/delete",
            post(delete_image),
        )
        .route("/console/variants/{variant_id}", post(change_variant))
        .route(
            "/console/variants/{variant_id}/stock",
            get(stock).post(adjust),
        )
        .route("/console/images/{image_id}", get(image))
}

/// The largest image form body any configuration accepts (the catalog
/// still applies the configured limit and answers 413 above it).
pub(super) fn image_form_cap() -> usize {
    crate::marketplace::IMAGE_MAX_BYTES_CAP + IMAGE_FORM_SLACK
}

/// A product status's name on the pages.
pub(super) fn status_name(s: ProductStatus, lang: Lang) -> &'static str {
    match s {
        ProductStatus::Draft => lang.t("draf", "draft"),
        ProductStatus::Published => lang.t("tayang", "published"),
    }
}

/// A number as typed: digits, with dots or spaces between thousands
/// allowed (`50.000`).
fn number(field: &'static str, typed: &str) -> Result<i64, AppError> {
    let digits: String = typed
        .trim()
        .chars()
        .filter(|c| *c != '.' && !c.is_whitespace())
        .collect();
    digits.parse().map_err(|_| {
        AppError::bad_request(
            "invalid_number",
            Text::new(
                format!("{field}: tulis angka bulat"),
                format!("{field}: write a whole number"),
            ),
        )
    })
}

/// Specifications as typed: one `key: value` per line.
fn spec_lines(typed: &str) -> Result<Vec<Spec>, AppError> {
    typed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| match line.split_once(':') {
            Some((k, v)) => Ok(Spec {
                key: k.trim().to_owned(),
                value: v.trim().to_owned(),
            }),
            None => {
                let n = i + 1;
                Err(AppError::bad_request(
                    "invalid_specs",
                    Text::new(
                        format!("spesifikasi baris {n}: tulis \"nama: isi\""),
                        format!("specifications line {n}: write \"name: value\""),
                    ),
                ))
            }
        })
        .collect()
}

fn spec_text(specs: &[Spec]) -> String {
    specs
        .iter()
        .map(|s| format!("{}: {}", s.key, s.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The product's texts as typed (create and edit).
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct TextsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    /// One `key: value` per line.
    #[serde(default)]
    specs: String,
    /// Empty: the platform's default.
    #[serde(default)]
    threshold: String,
}

impl TextsForm {
    fn of(p: &Product) -> Self {
        Self {
            name: p.name.clone(),
            category: p.category.clone(),
            description: p.description.clone(),
            specs: spec_text(&p.specs),
            threshold: p
                .low_stock_threshold
                .map(|t| t.to_string())
                .unwrap_or_default(),
        }
    }

    /// Checks every field with the catalog's validators, recording each
    /// error next to its field; answers the specifications and the
    /// threshold (`None` when left empty: the platform's default).
    fn check(&self, errors: &mut FormErrors) -> Result<(Vec<Spec>, Option<i64>), PageError> {
        use crate::marketplace::buyers::model::text_field;
        errors.check("name", text_field("name", &self.name, 200))?;
        errors.check("category", catalog::model::category(&self.category))?;
        errors.check(
            "description",
            catalog::model::description(&self.description),
        )?;
        let specs = errors.check(
            "specs",
            spec_lines(&self.specs).and_then(|s| catalog::model::specs(&s)),
        )?;
        let threshold = if self.threshold.trim().is_empty() {
            None
        } else {
            errors.check(
                "threshold",
                number("low_stock_threshold", &self.threshold).and_then(catalog::model::threshold),
            )?
        };
        Ok((specs.unwrap_or_default(), threshold))
    }
}

/// Variant rows on the new-product form.
const ROWS: usize = 3;
const SKU: [&str; ROWS] = ["sku0", "sku1", "sku2"];
const VNAME: [&str; ROWS] = ["vname0", "vname1", "vname2"];
const PRICE: [&str; ROWS] = ["price0", "price1", "price2"];
const STOCK: [&str; ROWS] = ["stock0", "stock1", "stock2"];

/// The new-product form: the texts and up to [`ROWS`] variants (more are
/// added on the product's page).
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct NewForm {
    #[serde(flatten)]
    texts: TextsForm,
    #[serde(default)]
    sku0: String,
    #[serde(default)]
    vname0: String,
    #[serde(default)]
    price0: String,
    #[serde(default)]
    stock0: String,
    #[serde(default)]
    sku1: String,
    #[serde(default)]
    vname1: String,
    #[serde(default)]
    price1: String,
    #[serde(default)]
    stock1: String,
    #[serde(default)]
    sku2: String,
    #[serde(default)]
    vname2: String,
    #[serde(default)]
    price2: String,
    #[serde(default)]
    stock2: String,
}

/// One variant row as typed.
#[derive(Debug, Default, Clone)]
pub(super) struct VariantRow {
    index: usize,
    sku: String,
    name: String,
    price: String,
    stock: String,
}

impl VariantRow {
    fn sku_field(&self) -> &'static str {
        SKU[self.index]
    }
    fn name_field(&self) -> &'static str {
        VNAME[self.index]
    }
    fn price_field(&self) -> &'static str {
        PRICE[self.index]
    }
    fn stock_field(&self) -> &'static str {
        STOCK[self.index]
    }

    fn is_empty(&self) -> bool {
        [&self.sku, &self.name, &self.price, &self.stock]
            .iter()
            .all(|f| f.trim().is_empty())
    }

    /// The variant checked by the catalog's rules, each error next to its
    /// field.
    fn check(&self, errors: &mut FormErrors) -> Result<Option<NewVariant>, PageError> {
        let price = errors.check(self.price_field(), number("price_idr", &self.price))?;
        let stock = if self.stock.trim().is_empty() {
            Some(0)
        } else {
            errors.check(self.stock_field(), number("stock", &self.stock))?
        };
        let (Some(price), Some(stock)) = (price, stock) else {
            return Ok(None);
        };
        let v = NewVariant {
            sku: self.sku.clone(),
            name: self.name.clone(),
            options: Default::default(),
            price_idr: price,
            stock,
        };
        match v.validate() {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                errors.absorb(
                    e,
                    &[
                        ("invalid_sku", self.sku_field()),
                        ("invalid_price", self.price_field()),
                        ("invalid_stock", self.stock_field()),
                        ("invalid_field", self.name_field()),
                    ],
                )?;
                Ok(None)
            }
        }
    }
}

impl NewForm {
    fn rows(&self) -> Vec<VariantRow> {
        [
            (&self.sku0, &self.vname0, &self.price0, &self.stock0),
            (&self.sku1, &self.vname1, &self.price1, &self.stock1),
            (&self.sku2, &self.vname2, &self.price2, &self.stock2),
        ]
        .into_iter()
        .enumerate()
        .map(|(index, (sku, name, price, stock))| VariantRow {
            index,
            sku: sku.clone(),
            name: name.clone(),
            price: price.clone(),
            stock: stock.clone(),
        })
        .collect()
    }
}

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
struct ProductPage {
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
struct Extra {
    form: Option<TextsForm>,
    errors: FormErrors,
    variant_form: VariantForm,
    variant_errors: FormErrors,
    image_errors: FormErrors,
    publish_errors: FormErrors,
    /// A refused variant change: the variant, what was typed, the error.
    change: Option<(VariantId, ChangeVariantForm, String)>,
}

async fn product_page(
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

fn answer(page: &ProductPage) -> PageResult {
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

/// `POST /console/products/{id}/images` (multipart: `_csrf` first, then
/// `image`).
pub(super) async fn upload(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ProductId>,
    mut form: Multipart,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut bytes = None;
    while let Some(field) = form.next_field().await.map_err(|e| {
        AppError::bad_request(
            "invalid_form",
            Text::new(
                format!("formulir tidak terbaca: {e}"),
                format!("unreadable form: {e}"),
            ),
        )
    })? {
        if field.name() == Some("image") {
            bytes = Some(field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?);
        }
    }
    let mut errors = FormErrors::new();
    match bytes.filter(|b| !b.is_empty()) {
        None => errors.add(
            "image",
            &Text::new("pilih berkas gambar", "choose an image file"),
        ),
        Some(b) => match images::add_image(&state, &c.member, &id, &b).await {
            Ok(_) => return see_other(&format!("/console/products/{id}#images")),
            Err(e) => errors.absorb(
                e,
                &[
                    ("unsupported_image", "image"),
                    ("image_too_large", "image"),
                    ("too_many_images", "image"),
                    ("empty_image", "image"),
                ],
            )?,
        },
    }
    let extra = Extra {
        image_errors: errors,
        ..Extra::default()
    };
    answer(&product_page(&state, c, &id, extra).await?)
}

/// `POST /console/products/{id}/images/{image}/delete`.
pub(super) async fn delete_image(
    State(state): State<AppState>,
    c: Console,
    Path((id, image)): Path<(ProductId, ImageId)>,
) -> PageResult {
    images::remove_image(&state, &c.member, &id, &image).await?;
    see_other(&format!("/console/products/{id}#images"))
}

/// `GET /console/images/{id}`: an image of the vendor's own products
/// (drafts too); another vendor's is not found.
pub(super) async fn image(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ImageId>,
) -> Result<Response, PageError> {
    c.member.require(Role::Agent)?;
    Ok(images::serve(&state, &id, Some(c.member.tenant())).await?)
}

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbers_may_have_thousands_dots() {
        assert_eq!(number("price_idr", "250.000").unwrap(), 250_000);
        assert_eq!(number("price_idr", " 1 500 ").unwrap(), 1_500);
        assert_eq!(
            number("price_idr", "12,5").unwrap_err().code(),
            "invalid_number"
        );
        assert!(number("stock", "").is_err());
    }

    #[test]
    fn specifications_are_one_name_and_value_per_line() {
        let specs = spec_lines("Bahan: Katun\n\n Berat : 200 g: kira-kira \n").unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(
            (specs[1].key.as_str(), specs[1].value.as_str()),
            ("Berat", "200 g: kira-kira")
        );
        let e = spec_lines("Bahan: Katun\nTanpa titik dua").unwrap_err();
        assert!(
            e.message(Lang::En).contains("line 2"),
            "{}",
            e.message(Lang::En)
        );
        assert_eq!(spec_text(&specs), "Bahan: Katun\nBerat: 200 g: kira-kira");
    }
}
