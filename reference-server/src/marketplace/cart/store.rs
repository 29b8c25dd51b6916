//! Every SQL statement on `mkt_cart_items`; each carries `buyer_id = $n`.

use sqlx::{Any, AnyConnection, Executor};

use super::model::CartItemRow;
use crate::db::now_ms;
use crate::domain::{BuyerId, VariantId};

/// The buyer's lines, in the order they were added.
pub async fn items<'e, E>(exec: E, buyer: &BuyerId) -> Result<Vec<CartItemRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT variant_id, quantity, seen_price_idr FROM mkt_cart_items WHERE buyer_id = $1 \
         ORDER BY created_at, variant_id",
    )
    .bind(buyer)
    .fetch_all(exec)
    .await
}

/// How many lines the buyer has.
pub(crate) async fn count<'e, E>(exec: E, buyer: &BuyerId) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM mkt_cart_items WHERE buyer_id = $1")
        .bind(buyer)
        .fetch_one(exec)
        .await
}

/// Sets a line (adds it, or replaces its quantity), seen at `price`.
pub(crate) async fn upsert<'e, E>(
    exec: E,
    buyer: &BuyerId,
    variant: &VariantId,
    quantity: i64,
    price: i64,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mkt_cart_items (buyer_id, variant_id, quantity, seen_price_idr, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (buyer_id, variant_id) DO UPDATE SET \
         quantity = excluded.quantity, seen_price_idr = excluded.seen_price_idr, updated_at = excluded.updated_at",
    )
    .bind(buyer)
    .bind(variant)
    .bind(quantity)
    .bind(price)
    .bind(now)
    .execute(exec)
    .await?;
    Ok(())
}

/// Records that the buyer has seen the current price of a line.
pub(crate) async fn set_seen_price(
    conn: &mut AnyConnection,
    buyer: &BuyerId,
    variant: &VariantId,
    price: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mkt_cart_items SET seen_price_idr = $1 WHERE buyer_id = $2 AND variant_id = $3",
    )
    .bind(price)
    .bind(buyer)
    .bind(variant)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes one line; `false` when the cart had none such.
pub(crate) async fn remove<'e, E>(
    exec: E,
    buyer: &BuyerId,
    variant: &VariantId,
) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let done = sqlx::query("DELETE FROM mkt_cart_items WHERE buyer_id = $1 AND variant_id = $2")
        .bind(buyer)
        .bind(variant)
        .execute(exec)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Empties the cart.
pub(crate) async fn clear<'e, E>(exec: E, buyer: &BuyerId) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query("DELETE FROM mkt_cart_items WHERE buyer_id = $1")
        .bind(buyer)
        .execute(exec)
        .await?;
    Ok(())
}

/// Takes every variant of a vendor out of all buyers' carts (the vendor's
/// catalog is going away).
pub(crate) async fn remove_vendor(
    conn: &mut AnyConnection,
    tenant: &crate::domain::TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM mkt_cart_items WHERE variant_id IN \
         (SELECT id FROM mkt_variants WHERE tenant_id = $1)",
    )
    .bind(tenant)
    .execute(conn)
    .await?;
    Ok(())
}

/// Empties a buyer's cart.
pub(crate) async fn purge_buyer(
    conn: &mut AnyConnection,
    buyer: &BuyerId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM mkt_cart_items WHERE buyer_id = $1")
        .bind(buyer)
        .execute(conn)
        .await?;
    Ok(())
}
