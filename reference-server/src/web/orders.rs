//! The vendor's marketplace orders: the list by status, an order's page
//! with its lines, shipping address and history, and the moves the
//! vendor may make from its status (ship with courier and tracking
//! number; cancel with the refund of a paid order). The moves are the
//! orders feature's (`marketplace::orders::{vendor_ship,
//! vendor_cancel_order}`), and which forms the page offers is asked of
//! the lifecycle's one table (`orders::lifecycle::check`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::format::{rupiah, when};
use super::page::{Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::domain::VendorOrderId;
use crate::http::i18n::Lang;
use crate::marketplace::catalog::model::ActorKind;
use crate::marketplace::orders::model::{Cancel, Order, Ship, VendorOrderStatus};
use crate::marketplace::orders::{self, lifecycle};

/// The order pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/orders", get(list))
        .route("/console/orders/{order_id}", get(show))
        .route("/console/orders/{order_id}/ship", post(ship))
        .route("/console/orders/{order_id}/cancel", post(cancel))
}

/// An order status's name on the pages.
pub(super) fn status_name(s: VendorOrderStatus, lang: Lang) -> &'static str {
    match s {
        VendorOrderStatus::Pending => lang.t("menunggu pembayaran", "awaiting payment"),
        VendorOrderStatus::Processing => lang.t("perlu dikirim", "to ship"),
        VendorOrderStatus::Shipped => lang.t("dikirim", "shipped"),
        VendorOrderStatus::Delivered => lang.t("diterima", "delivered"),
        VendorOrderStatus::Cancelled => lang.t("dibatalkan", "cancelled"),
    }
}

fn actor_name(a: ActorKind, lang: Lang) -> &'static str {
    match a {
        ActorKind::Buyer => lang.t("pembeli", "buyer"),
        ActorKind::Member => lang.t("penjual", "vendor"),
        ActorKind::System => lang.t("sistem", "system"),
    }
}

/// An order in the list.
struct OrderLine {
    o: Order,
    status: &'static str,
    total: String,
    items: usize,
    created: String,
}

/// A status tab with its name.
struct Tab {
    value: &'static str,
    name: &'static str,
}

#[derive(Template)]
#[template(path = "web/orders.html")]
struct OrdersPage {
    chrome: Chrome,
    orders: Vec<OrderLine>,
    tabs: Vec<Tab>,
    filter: &'static str,
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusFilter {
    #[serde(default)]
    status: Option<String>,
}

/// `GET /console/orders?status=`.
pub(super) async fn list(
    State(state): State<AppState>,
    c: Console,
    Query(f): Query<StatusFilter>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let lang = c.chrome.lang;
    let status = f.status.as_deref().and_then(VendorOrderStatus::parse);
    let orders = orders::vendor_list(&state, &c.member, status)
        .await?
        .into_iter()
        .map(|o| OrderLine {
            status: status_name(o.status, lang),
            total: rupiah(o.subtotal_idr),
            items: o.items.iter().map(|i| i.quantity.max(0) as usize).sum(),
            created: when(Some(o.created_at)),
            o,
        })
        .collect();
    let tabs = VendorOrderStatus::ALL
        .iter()
        .map(|s| Tab {
            value: s.as_str(),
            name: status_name(*s, lang),
        })
        .collect();
    Ok(render(&OrdersPage {
        chrome: c.chrome.at("orders"),
        orders,
        tabs,
        filter: status.map_or("", VendorOrderStatus::as_str),
    })?
    .into_response())
}

/// A line of the order's history.
struct HistoryLine {
    from: &'static str,
    to: &'static str,
    who: &'static str,
    note: String,
    at: String,
}

/// An order line as shown.
struct ItemLine {
    name: String,
    variant: String,
    sku: String,
    quantity: i64,
    price: String,
    total: String,
}

/// The ship form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct ShipForm {
    #[serde(default)]
    courier: String,
    #[serde(default)]
    tracking_number: String,
}

/// The cancel form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct CancelForm {
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "web/order.html")]
struct OrderPage {
    chrome: Chrome,
    o: Order,
    status: &'static str,
    total: String,
    refunded: String,
    items: Vec<ItemLine>,
    history: Vec<HistoryLine>,
    /// The shipping address, one line per part.
    address: Vec<String>,
    can_ship: bool,
    can_cancel: bool,
    ship: ShipForm,
    ship_errors: FormErrors,
    cancel: CancelForm,
    cancel_errors: FormErrors,
}

/// The address parts a buyer's checkout copied onto its order.
fn address_lines(v: &serde_json::Value) -> Vec<String> {
    let part = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").trim();
    let city = [part("city"), part("province"), part("postal_code")]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    [
        part("recipient").to_owned(),
        part("phone").to_owned(),
        part("street").to_owned(),
        city,
    ]
    .into_iter()
    .filter(|l| !l.is_empty())
    .collect()
}

/// What the order page shows besides the order.
#[derive(Default)]
struct Forms {
    ship: ShipForm,
    ship_errors: FormErrors,
    cancel: CancelForm,
    cancel_errors: FormErrors,
}

async fn order_page(
    state: &AppState,
    c: Console,
    id: &VendorOrderId,
    forms: Forms,
) -> Result<OrderPage, PageError> {
    c.member.require(Role::Agent)?;
    let o = orders::vendor_one(state, &c.member, id).await?;
    let lang = c.chrome.lang;
    let may = |to| lifecycle::check(o.status, to, ActorKind::Member).is_ok();
    let can_ship = may(VendorOrderStatus::Shipped) && c.member.role.at_least(Role::Agent);
    let can_cancel = may(VendorOrderStatus::Cancelled) && c.member.role.at_least(Role::Admin);
    Ok(OrderPage {
        status: status_name(o.status, lang),
        total: rupiah(o.subtotal_idr),
        refunded: rupiah(o.refunded_idr),
        items: o
            .items
            .iter()
            .map(|i| ItemLine {
                name: i.product_name.clone(),
                variant: i.variant_name.clone(),
                sku: i.sku.clone(),
                quantity: i.quantity,
                price: rupiah(i.unit_price_idr),
                total: rupiah(i.line_total_idr),
            })
            .collect(),
        history: o
            .history
            .iter()
            .map(|e| HistoryLine {
                from: status_name(e.from_status, lang),
                to: status_name(e.to_status, lang),
                who: actor_name(e.actor_kind, lang),
                note: e.note.clone().unwrap_or_default(),
                at: when(Some(e.created_at)),
            })
            .collect(),
        address: address_lines(&o.shipping),
        can_ship,
        can_cancel,
        ship: forms.ship,
        ship_errors: forms.ship_errors,
        cancel: forms.cancel,
        cancel_errors: forms.cancel_errors,
        chrome: c.chrome.at("orders"),
        o,
    })
}

/// `GET /console/orders/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<VendorOrderId>,
) -> PageResult {
    let p = order_page(&state, c, &id, Forms::default()).await?;
    Ok(render(&p)?.into_response())
}

/// `POST /console/orders/{id}/ship`.
pub(super) async fn ship(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<VendorOrderId>,
    WebForm(form): WebForm<ShipForm>,
) -> PageResult {
    let req = Ship {
        courier: form.courier.clone(),
        tracking_number: form.tracking_number.clone(),
    };
    let mut errors = FormErrors::new();
    match orders::vendor_ship(&state, &c.member, &id, &req).await {
        Ok(_) => return see_other(&format!("/console/orders/{id}")),
        Err(e) => {
            // Which field an empty or long text was is in its message.
            let field = if e.message(Lang::En).starts_with("courier") {
                "courier"
            } else {
                "tracking_number"
            };
            errors.absorb(e, &[("invalid_field", field)])?;
        }
    }
    let forms = Forms {
        ship: form,
        ship_errors: errors,
        ..Forms::default()
    };
    invalid(&order_page(&state, c, &id, forms).await?)
}

/// `POST /console/orders/{id}/cancel`: cancels, refunding a paid order.
pub(super) async fn cancel(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<VendorOrderId>,
    WebForm(form): WebForm<CancelForm>,
) -> PageResult {
    let req = Cancel {
        reason: form.reason.clone(),
    };
    let mut errors = FormErrors::new();
    match orders::vendor_cancel_order(&state, &c.member, &id, &req).await {
        Ok(_) => return see_other(&format!("/console/orders/{id}")),
        Err(e) => errors.absorb(e, &[("invalid_field", "reason")])?,
    }
    let forms = Forms {
        cancel: form,
        cancel_errors: errors,
        ..Forms::default()
    };
    invalid(&order_page(&state, c, &id, forms).await?)
}
