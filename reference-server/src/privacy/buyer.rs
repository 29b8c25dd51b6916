//! A marketplace buyer's own personal data: what the marketplace stores
//! about it, and the erasure of its account. Orders stay for the vendors'
//! and the platform's accounting, without the shipping address; reviews
//! stay without the name.

use super::model::BuyerData;
use crate::AppState;
use crate::audit::{self, Actor, Entry, TargetKind};
use crate::domain::BuyerId;
use crate::http::AppError;
use crate::http::i18n::Text;
use crate::marketplace::{buyers, cart, orders, reviews};

/// Every checkout of a buyer fits under this bound.
const ALL_CHECKOUTS: i64 = i64::MAX;

/// Everything the marketplace stores about the buyer.
pub(crate) async fn export(state: &AppState, buyer: &BuyerId) -> Result<BuyerData, AppError> {
    let pool = &state.pool;
    let account = buyers::store::get(pool, buyer)
        .await?
        .ok_or(AppError::NotFound("buyer"))?;
    let addresses = buyers::store::addresses(pool, buyer).await?;
    let mut checkouts = Vec::new();
    for g in orders::store::buyer_groups(pool, buyer, ALL_CHECKOUTS).await? {
        checkouts.push(orders::group_view(pool, g).await?);
    }
    Ok(BuyerData {
        buyer: account,
        addresses,
        checkouts,
    })
}

/// 409 `orders_open`: the buyer's address is still needed.
pub(super) fn orders_open() -> AppError {
    AppError::conflict(
        "orders_open",
        Text::new(
            "masih ada pesanan yang berjalan; tunggu sampai selesai atau batalkan dulu",
            "orders are still under way; wait until they are done or cancel them first",
        ),
    )
}

/// Erases the buyer's account (409 `orders_open` while an order waits for
/// payment, is being prepared or is on its way: its address is still
/// needed). `actor` is the buyer itself or a platform admin.
pub(crate) async fn erase(state: &AppState, buyer: &BuyerId, actor: Actor) -> Result<(), AppError> {
    let mut tx = state.begin_write().await?;
    if buyers::store::get(&state.pool, buyer).await?.is_none() {
        return Err(AppError::NotFound("buyer"));
    }
    if orders::store::open_orders_of_buyer(&mut *tx, buyer).await? > 0 {
        return Err(orders_open());
    }
    cart::store::purge_buyer(&mut tx, buyer).await?;
    orders::store::erase_shipping_of_buyer(&mut tx, buyer).await?;
    reviews::store::unsign(&mut tx, buyer).await?;
    buyers::store::erase(&mut tx, buyer).await?;
    audit::record_in(
        &mut tx,
        Entry::new(audit::Action::DataErased, actor).target(TargetKind::Buyer, buyer),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
