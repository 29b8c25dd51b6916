//! Split checkout: the whole cart becomes one checkout (one Midtrans Snap
//! payment for the total) with one order per vendor.
//!
//! 1. A repeated idempotency key answers the checkout it made.
//! 2. The cart is checked against the catalog; anything that changed
//!    (price, stock, a product off sale) answers 409 `cart_changed` with
//!    every change named, and the new prices count as seen, so the same
//!    request goes through once the buyer agrees.
//! 3. The Snap transaction is created for the total, before anything is
//!    written: if Midtrans fails, nothing is left behind.
//! 4. One write transaction inserts the checkout, the orders and their
//!    lines, takes the stock of every line with a conditional UPDATE
//!    (`stock = stock - n WHERE stock >= n`; variants in id order, so two
//!    checkouts never wait on each other crosswise), re-checks the prices
//!    the payment was made for, and empties the cart. Any failure rolls
//!    all of it back; a concurrent request with the same key meets the
//!    unique key and answers the checkout that won.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use midtrans_client::{CustomerDetails, Idr, ItemDetail, SnapRequest};

use super::model::{Checkout, OrderGroup};
use super::store::{self, NewGroup};
use super::{group_view, texts};
use crate::AppState;
use crate::db::{is_unique_violation, now_ms};
use crate::domain::{OrderGroupId, TenantId, VendorOrderId};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, AppError, Created};
use crate::marketplace::buyers::{self, CurrentBuyer};
use crate::marketplace::cart::model::CartItemRow;
use crate::marketplace::catalog::model::{Actor, ActorKind, StockReason, VariantForSale};
use crate::marketplace::catalog::stock::{self, Move};
use crate::marketplace::catalog::store as catalog;
use crate::marketplace::{cart, notify};

/// Prefix of the Midtrans order ids of checkouts (how the notification
/// path tells them from plan orders).
pub const PAYMENT_PREFIX: &str = "mkt-";

fn cart_changed(problems: &[Text]) -> AppError {
    let id = problems
        .iter()
        .map(|p| p.get(crate::http::i18n::Lang::Id))
        .collect::<Vec<_>>()
        .join("; ");
    let en = problems
        .iter()
        .map(|p| p.get(crate::http::i18n::Lang::En))
        .collect::<Vec<_>>()
        .join("; ");
    AppError::conflict(
        "cart_changed",
        Text::new(
            format!("keranjang berubah: {id}"),
            format!("the cart changed: {en}"),
        ),
    )
}

async fn replay(
    state: &AppState,
    buyer: &CurrentBuyer,
    key: &str,
) -> Result<Option<OrderGroup>, AppError> {
    match store::group_by_key(&state.pool, &buyer.buyer_id, key).await? {
        Some(g) => Ok(Some(group_view(&state.pool, g).await?)),
        None => Ok(None),
    }
}

/// Check out the whole cart: one payment, one order per vendor.
#[utoipa::path(post, path = "/api/v1/marketplace/checkout", tag = "marketplace",
    security(("buyer_session" = [])),
    request_body = Checkout,
    responses(
        (status = 201, description = "Checkout created; pay at redirect_url", body = inline(crate::http::Data<OrderGroup>)),
        (status = 200, description = "The checkout made earlier with this idempotency key", body = inline(crate::http::Data<OrderGroup>)),
        (status = 400, description = "Invalid key", body = crate::http::ErrorBody),
        (status = 404, description = "No such address of this buyer", body = crate::http::ErrorBody),
        (status = 409, description = "Empty cart, or prices or stock changed (named in the message)", body = crate::http::ErrorBody),
        (status = 502, description = "Midtrans failed; nothing was kept", body = crate::http::ErrorBody),
        (status = 503, description = "Payments not configured", body = crate::http::ErrorBody)))]
pub(super) async fn checkout(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    ApiJson(req): ApiJson<Checkout>,
) -> Created<OrderGroup> {
    let key = req.idempotency_key.trim();
    if key.is_empty() || key.len() > 100 {
        return Err(AppError::bad_request(
            "invalid_idempotency_key",
            Text::new(
                "idempotency_key: 1 sampai 100 karakter",
                "idempotency_key: 1 to 100 characters",
            ),
        ));
    }
    if let Some(done) = replay(&state, &buyer, key).await? {
        return Ok((StatusCode::OK, crate::http::ok(done)));
    }
    let client = crate::billing::configured(&state)?;
    let address = buyers::store::address(&state.pool, &buyer.buyer_id, &req.address_id)
        .await?
        .ok_or(AppError::NotFound("address"))?;
    let profile = buyers::store::get(&state.pool, &buyer.buyer_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let items = cart::store::items(&state.pool, &buyer.buyer_id).await?;
    if items.is_empty() {
        return Err(AppError::conflict(
            "cart_empty",
            Text::new("keranjang kosong", "the cart is empty"),
        ));
    }
    let ids: Vec<_> = items.iter().map(|i| i.variant_id.clone()).collect();
    let sales = catalog::for_sale(&state.pool, &ids).await?;
    let problems = cart::check_lines(&items, &sales);
    if !problems.is_empty() {
        // The buyer now knows the new prices: a retry goes through.
        let mut tx = state.begin_write().await?;
        for sale in &sales {
            cart::store::set_seen_price(&mut tx, &buyer.buyer_id, &sale.variant_id, sale.price_idr)
                .await?;
        }
        tx.commit().await?;
        return Err(cart_changed(&problems));
    }
    let lines: Vec<(&CartItemRow, &VariantForSale)> = items
        .iter()
        .filter_map(|i| {
            sales
                .iter()
                .find(|s| s.variant_id == i.variant_id)
                .map(|s| (i, s))
        })
        .collect();
    let mut by_vendor: BTreeMap<&TenantId, Vec<(&CartItemRow, &VariantForSale)>> = BTreeMap::new();
    for line in &lines {
        by_vendor.entry(&line.1.tenant_id).or_default().push(*line);
    }
    let total: i64 = lines.iter().map(|(i, s)| i.quantity * s.price_idr).sum();

    let group_id = OrderGroupId::new();
    let payment_order_id = format!("{PAYMENT_PREFIX}{group_id}");
    let minutes = state.config.marketplace.payment_expiry_minutes.max(1);
    let snap_items = lines
        .iter()
        .map(|(i, s)| {
            let name: String = format!("{} - {}", s.product_name, s.variant_name)
                .chars()
                .take(50)
                .collect();
            let mut item = ItemDetail::new(
                name,
                Idr::new(s.price_idr),
                u32::try_from(i.quantity).unwrap_or(u32::MAX),
            )
            .id(s.sku.clone());
            item.merchant_name = Some(s.tenant_id.to_string());
            item
        })
        .collect();
    let request = SnapRequest::new(
        midtrans_client::OrderId::new(payment_order_id.clone())
            .map_err(|e| AppError::internal_from("checkout order id for Midtrans", e))?,
        Idr::new(total),
    )
    .items(snap_items)
    .customer(CustomerDetails {
        first_name: profile
            .name
            .clone()
            .or_else(|| Some(address.recipient.clone())),
        phone: Some(profile.whatsapp.clone()),
        ..CustomerDetails::default()
    })
    .expiry(
        u32::try_from(minutes).unwrap_or(u32::MAX),
        midtrans_client::snap::ExpiryUnit::Minute,
    );
    let snap = client
        .create_snap_transaction(&request)
        .await
        .map_err(|e| AppError::Upstream(format!("midtrans snap: {e}")))?;

    let shipping =
        serde_json::to_string(&address).map_err(|e| AppError::internal_from("shipping copy", e))?;
    let actor = Actor {
        kind: ActorKind::Buyer,
        id: Some(buyer.buyer_id.to_string()),
    };
    let threshold = state.config.marketplace.low_stock_threshold;
    let mut alerts = Vec::new();
    let mut tx = state.begin_write().await?;
    let inserted = store::insert_group(
        &mut tx,
        &NewGroup {
            id: &group_id,
            buyer: &buyer.buyer_id,
            idempotency_key: key,
            total_idr: total,
            payment_order_id: &payment_order_id,
            snap_token: &snap.token,
            redirect_url: &snap.redirect_url,
            shipping: &shipping,
            expires_at: now_ms() + state.config.marketplace.payment_window_ms(),
        },
    )
    .await;
    match inserted {
        Ok(()) => {}
        Err(e) if is_unique_violation(&e) => {
            tx.rollback().await?;
            let done = replay(&state, &buyer, key)
                .await?
                .ok_or(AppError::NotFound("order group"))?;
            return Ok((StatusCode::OK, crate::http::ok(done)));
        }
        Err(e) => return Err(e.into()),
    }
    let mut takes: Vec<(&VariantForSale, i64, VendorOrderId)> = Vec::new();
    for (tenant, vendor_lines) in &by_vendor {
        let order_id = VendorOrderId::new();
        let subtotal = vendor_lines
            .iter()
            .map(|(i, s)| i.quantity * s.price_idr)
            .sum();
        store::insert_order(
            &mut tx,
            &order_id,
            &group_id,
            tenant,
            &buyer.buyer_id,
            subtotal,
        )
        .await?;
        for (item, sale) in vendor_lines {
            store::insert_item(&mut tx, &order_id, sale, item.quantity).await?;
            takes.push((sale, item.quantity, order_id.clone()));
        }
    }
    takes.sort_by(|a, b| a.0.variant_id.cmp(&b.0.variant_id));
    for (sale, quantity, order_id) in &takes {
        let moved = stock::apply(
            &mut tx,
            threshold,
            &Move {
                variant: &sale.variant_id,
                tenant: &sale.tenant_id,
                delta: -quantity,
                reason: StockReason::Sale,
                actor: &actor,
                note: None,
                order_id: Some(order_id.as_str()),
            },
        )
        .await?;
        let Some(moved) = moved else {
            tx.rollback().await?;
            let (name, variant) = (&sale.product_name, &sale.variant_name);
            return Err(AppError::conflict(
                "out_of_stock",
                tr!(
                    "stok {name} ({variant}) baru saja habis atau kurang; perbarui keranjang",
                    "{name} ({variant}) just sold out or has fewer units left; update the cart"
                ),
            ));
        };
        alerts.extend(moved.alert);
    }
    // The price the payment was made for must still hold inside the
    // transaction (a vendor may have changed it since the first read).
    let now_sales = catalog::for_sale(&mut *tx, &ids).await?;
    let repriced: Vec<Text> = cart::check_lines(
        &lines
            .iter()
            .map(|(i, s)| CartItemRow {
                variant_id: i.variant_id.clone(),
                quantity: 0,
                seen_price_idr: s.price_idr,
            })
            .collect::<Vec<_>>(),
        &now_sales,
    );
    if !repriced.is_empty() {
        tx.rollback().await?;
        return Err(cart_changed(&repriced));
    }
    cart::store::clear(&mut *tx, &buyer.buyer_id).await?;
    tx.commit().await?;

    stock::send_alerts(&state, &alerts).await;
    let group = store::group(&state.pool, &group_id)
        .await?
        .ok_or(AppError::NotFound("order group"))?;
    notify::send(
        &state,
        &profile.whatsapp,
        &profile.locale,
        &texts::checkout(&group),
    )
    .await;
    Ok(crate::http::created(group_view(&state.pool, group).await?))
}
