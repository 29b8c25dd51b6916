//! Every SQL statement on `mkt_reviews`.

use sqlx::{Any, AnyConnection, Executor};

use super::model::{Cursor, Review};
use crate::domain::{BuyerId, ProductId, ReviewId, TenantId, VendorOrderId};

/// A review to insert.
#[derive(Debug)]
pub(crate) struct NewRow<'a> {
    pub(crate) id: &'a ReviewId,
    pub(crate) product: &'a ProductId,
    pub(crate) tenant: &'a TenantId,
    pub(crate) buyer: &'a BuyerId,
    pub(crate) order: &'a VendorOrderId,
    pub(crate) rating: i64,
    pub(crate) body: &'a str,
    pub(crate) reviewer_name: &'a str,
    pub(crate) created_at: i64,
}

/// Inserts a review; a second review of the buyer for the product is a
/// unique violation.
pub(crate) async fn insert(conn: &mut AnyConnection, r: &NewRow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mkt_reviews (id, product_id, tenant_id, buyer_id, order_id, rating, body, \
         reviewer_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.id)
    .bind(r.product)
    .bind(r.tenant)
    .bind(r.buyer)
    .bind(r.order)
    .bind(r.rating)
    .bind(r.body)
    .bind(r.reviewer_name)
    .bind(r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A product's reviews, newest first, older than `cursor`.
pub async fn of_product<'e, E>(
    exec: E,
    product: &ProductId,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Review>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let (t, id) = cursor.map_or((i64::MAX, String::new()), |c| (c.created_at, c.id.clone()));
    sqlx::query_as(
        "SELECT id, product_id, rating, body AS text, reviewer_name, created_at FROM mkt_reviews \
         WHERE product_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(product)
    .bind(t)
    .bind(id)
    .bind(limit)
    .fetch_all(exec)
    .await
}

/// Deletes the reviews of a vendor's products.
pub(crate) async fn purge_tenant(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM mkt_reviews WHERE tenant_id = $1")
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a buyer's name from its reviews (the reviews stay, unsigned).
pub(crate) async fn unsign(conn: &mut AnyConnection, buyer: &BuyerId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mkt_reviews SET reviewer_name = '' WHERE buyer_id = $1")
        .bind(buyer)
        .execute(conn)
        .await?;
    Ok(())
}
