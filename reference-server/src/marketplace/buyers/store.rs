//! Every SQL statement on `mkt_buyers`, `mkt_buyer_sessions` and
//! `mkt_addresses`. Queries on a buyer's rows carry `buyer_id = $n`.

use sqlx::AnyPool;

use super::model::{Address, Buyer, NewAddress};
use crate::db::{new_id, now_ms};
use crate::domain::{AddressId, BuyerId};

const BUYER: &str = "SELECT id, whatsapp, name, locale, created_at FROM mkt_buyers";

/// The buyer with this number.
pub async fn by_whatsapp(pool: &AnyPool, whatsapp: &str) -> Result<Option<Buyer>, sqlx::Error> {
    sqlx::query_as(&format!("{BUYER} WHERE whatsapp = $1"))
        .bind(whatsapp)
        .fetch_optional(pool)
        .await
}

/// One buyer.
pub async fn get(pool: &AnyPool, buyer: &BuyerId) -> Result<Option<Buyer>, sqlx::Error> {
    sqlx::query_as(&format!("{BUYER} WHERE id = $1"))
        .bind(buyer)
        .fetch_optional(pool)
        .await
}

/// Creates a buyer; a concurrent sign-in of the same number makes this a
/// unique violation, after which the caller reads the existing one.
pub(crate) async fn insert(
    pool: &AnyPool,
    id: &BuyerId,
    whatsapp: &str,
    name: Option<&str>,
    locale: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mkt_buyers (id, whatsapp, name, locale, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id)
    .bind(whatsapp)
    .bind(name.map(str::to_owned))
    .bind(locale)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Sets the name and language that are given.
pub(crate) async fn update(
    pool: &AnyPool,
    buyer: &BuyerId,
    name: Option<&str>,
    locale: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mkt_buyers SET name = COALESCE($1, name), locale = COALESCE($2, locale), \
         updated_at = $3 WHERE id = $4",
    )
    .bind(name.map(str::to_owned))
    .bind(locale.map(str::to_owned))
    .bind(now_ms())
    .bind(buyer)
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores a session by the hash of its token.
pub(crate) async fn insert_session(
    pool: &AnyPool,
    buyer: &BuyerId,
    token_hash: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mkt_buyer_sessions (id, buyer_id, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(new_id())
    .bind(buyer)
    .bind(token_hash)
    .bind(now_ms())
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub(crate) id: String,
    pub(crate) buyer_id: BuyerId,
}

/// The live session with this token hash.
pub(crate) async fn live_session(
    pool: &AnyPool,
    token_hash: &str,
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, buyer_id FROM mkt_buyer_sessions \
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(pool)
    .await
}

/// Revokes one session.
pub(crate) async fn revoke_session(pool: &AnyPool, session_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mkt_buyer_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(session_id)
    .execute(pool)
    .await?;
    Ok(())
}

const ADDRESS: &str =
    "SELECT id, label, recipient, phone, street, city, province, postal_code FROM mkt_addresses";

/// The buyer's addresses, oldest first.
pub async fn addresses(pool: &AnyPool, buyer: &BuyerId) -> Result<Vec<Address>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ADDRESS} WHERE buyer_id = $1 ORDER BY created_at, id"
    ))
    .bind(buyer)
    .fetch_all(pool)
    .await
}

/// One of the buyer's addresses.
pub async fn address(
    pool: &AnyPool,
    buyer: &BuyerId,
    id: &AddressId,
) -> Result<Option<Address>, sqlx::Error> {
    sqlx::query_as(&format!("{ADDRESS} WHERE buyer_id = $1 AND id = $2"))
        .bind(buyer)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// How many addresses the buyer has.
pub(crate) async fn address_count(pool: &AnyPool, buyer: &BuyerId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM mkt_addresses WHERE buyer_id = $1")
        .bind(buyer)
        .fetch_one(pool)
        .await
}

/// Adds an address.
pub(crate) async fn insert_address(
    pool: &AnyPool,
    buyer: &BuyerId,
    id: &AddressId,
    a: &NewAddress,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mkt_addresses (id, buyer_id, label, recipient, phone, street, city, province, \
         postal_code, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(id)
    .bind(buyer)
    .bind(&a.label)
    .bind(&a.recipient)
    .bind(&a.phone)
    .bind(&a.street)
    .bind(&a.city)
    .bind(&a.province)
    .bind(&a.postal_code)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes one of the buyer's addresses; `false` when it had none such.
pub(crate) async fn delete_address(
    pool: &AnyPool,
    buyer: &BuyerId,
    id: &AddressId,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM mkt_addresses WHERE buyer_id = $1 AND id = $2")
        .bind(buyer)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Erases a buyer's personal data: addresses and sessions are deleted,
/// the name removed and the number replaced by a marker (the row stays,
/// as the orders refer to it).
pub(crate) async fn erase(
    conn: &mut sqlx::AnyConnection,
    buyer: &BuyerId,
) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM mkt_addresses WHERE buyer_id = $1",
        "DELETE FROM mkt_buyer_sessions WHERE buyer_id = $1",
    ] {
        sqlx::query(sql).bind(buyer).execute(&mut *conn).await?;
    }
    sqlx::query(
        "UPDATE mkt_buyers SET whatsapp = 'erased:' || id, name = NULL, updated_at = $2 \
         WHERE id = $1",
    )
    .bind(buyer)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
