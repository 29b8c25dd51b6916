//! Every SQL statement on `mkt_products`, `mkt_variants`,
//! `mkt_product_images` and `mkt_stock_ledger` (the search index is in
//! [`super::search`]). Queries on a vendor's rows carry `tenant_id = $n`.

use sqlx::{Any, AnyConnection, Executor};

use super::model::{
    Actor, Image, LedgerEntry, NewProduct, NewVariant, ProductRow, ProductStatus, Spec,
    StockReason, VariantForSale, VariantRow,
};
use crate::db::{new_id, now_ms};
use crate::domain::{ImageId, ProductId, TenantId, VariantId};

const PRODUCT: &str = "SELECT id, tenant_id, name, description, category, specs, status, \
    low_stock_threshold, min_price_idr, sold_count, rating_count, rating_avg_x100, created_at, \
    updated_at FROM mkt_products";

const VARIANT: &str = "SELECT id, product_id, tenant_id, sku, name, options, price_idr, stock, \
    active FROM mkt_variants";

fn specs_json(specs: &[Spec]) -> String {
    serde_json::to_string(specs).unwrap_or_else(|_| "[]".to_owned())
}

/// Inserts a draft product.
pub(crate) async fn insert_product(
    conn: &mut AnyConnection,
    id: &ProductId,
    tenant: &TenantId,
    p: &NewProduct,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mkt_products (id, tenant_id, name, description, category, specs, status, \
         low_stock_threshold, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id)
    .bind(tenant)
    .bind(&p.name)
    .bind(&p.description)
    .bind(&p.category)
    .bind(specs_json(&p.specs))
    .bind(ProductStatus::Draft)
    .bind(p.low_stock_threshold)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts a variant (its initial stock goes in the ledger separately).
pub(crate) async fn insert_variant(
    conn: &mut AnyConnection,
    id: &VariantId,
    product: &ProductId,
    tenant: &TenantId,
    v: &NewVariant,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mkt_variants (id, product_id, tenant_id, sku, name, options, price_idr, stock, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id)
    .bind(product)
    .bind(tenant)
    .bind(&v.sku)
    .bind(&v.name)
    .bind(serde_json::to_string(&v.options).unwrap_or_else(|_| "{}".to_owned()))
    .bind(v.price_idr)
    .bind(v.stock)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Recomputes the product's cheapest active price.
pub(crate) async fn refresh_min_price(
    conn: &mut AnyConnection,
    product: &ProductId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mkt_products SET min_price_idr = COALESCE((SELECT MIN(price_idr) FROM mkt_variants \
         WHERE product_id = $1 AND active = 1), 0) WHERE id = $1",
    )
    .bind(product)
    .execute(conn)
    .await?;
    Ok(())
}

/// One of the vendor's products.
pub async fn product<'e, E>(
    exec: E,
    tenant: &TenantId,
    id: &ProductId,
) -> Result<Option<ProductRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{PRODUCT} WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(exec)
        .await
}

/// A published product.
pub async fn published_product<'e, E>(
    exec: E,
    id: &ProductId,
) -> Result<Option<ProductRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{PRODUCT} WHERE id = $1 AND status = $2"))
        .bind(id)
        .bind(ProductStatus::Published)
        .fetch_optional(exec)
        .await
}

/// The vendor's products, newest first, optionally of one status.
pub async fn vendor_products<'e, E>(
    exec: E,
    tenant: &TenantId,
    status: Option<ProductStatus>,
    limit: i64,
) -> Result<Vec<ProductRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    match status {
        Some(s) => {
            sqlx::query_as(&format!(
                "{PRODUCT} WHERE tenant_id = $1 AND status = $2 ORDER BY created_at DESC, id DESC LIMIT $3"
            ))
            .bind(tenant)
            .bind(s)
            .bind(limit)
            .fetch_all(exec)
            .await
        }
        None => {
            sqlx::query_as(&format!(
                "{PRODUCT} WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
            .bind(tenant)
            .bind(limit)
            .fetch_all(exec)
            .await
        }
    }
}

/// Sets the fields that are given.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn update_product(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &ProductId,
    name: Option<&str>,
    description: Option<&str>,
    category: Option<&str>,
    specs: Option<&[Spec]>,
    threshold: Option<Option<i64>>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE mkt_products SET name = COALESCE($1, name), description = COALESCE($2, description), \
         category = COALESCE($3, category), specs = COALESCE($4, specs), \
         low_stock_threshold = CASE WHEN $5 = 1 THEN $6 ELSE low_stock_threshold END, \
         updated_at = $7 WHERE tenant_id = $8 AND id = $9",
    )
    .bind(name.map(str::to_owned))
    .bind(description.map(str::to_owned))
    .bind(category.map(str::to_owned))
    .bind(specs.map(specs_json))
    .bind(i64::from(threshold.is_some()))
    .bind(threshold.flatten())
    .bind(now_ms())
    .bind(tenant)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Publishes or unpublishes; `false` when the product is not the vendor's.
pub(crate) async fn set_status<'e, E>(
    exec: E,
    tenant: &TenantId,
    id: &ProductId,
    status: ProductStatus,
) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE mkt_products SET status = $1, updated_at = $2, \
         published_at = CASE WHEN $1 = 'published' THEN $2 ELSE published_at END \
         WHERE tenant_id = $3 AND id = $4",
    )
    .bind(status)
    .bind(now)
    .bind(tenant)
    .bind(id)
    .execute(exec)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The variants of products, in creation order.
pub async fn variants_of<'e, E>(
    exec: E,
    products: &[ProductId],
) -> Result<Vec<VariantRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    if products.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{VARIANT} WHERE product_id IN ({}) ORDER BY created_at, id",
        crate::contacts::store::placeholders(1, products.len())
    );
    let mut q = sqlx::query_as(&sql);
    for p in products {
        q = q.bind(p);
    }
    q.fetch_all(exec).await
}

/// One of the vendor's variants.
pub async fn variant<'e, E>(
    exec: E,
    tenant: &TenantId,
    id: &VariantId,
) -> Result<Option<VariantRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("{VARIANT} WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(exec)
        .await
}

/// How many products the vendor stores (the plan's product limit).
pub(crate) async fn count_products(
    pool: &sqlx::AnyPool,
    tenant: &TenantId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM mkt_products WHERE tenant_id = $1")
        .bind(tenant.as_str())
        .fetch_one(pool)
        .await
}

/// How many variants a product has.
pub(crate) async fn variant_count(
    conn: &mut AnyConnection,
    product: &ProductId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM mkt_variants WHERE product_id = $1")
        .bind(product)
        .fetch_one(conn)
        .await
}

/// Sets a variant's name, price or active flag.
pub(crate) async fn update_variant(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &VariantId,
    name: Option<&str>,
    price_idr: Option<i64>,
    active: Option<bool>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE mkt_variants SET name = COALESCE($1, name), price_idr = COALESCE($2, price_idr), \
         active = COALESCE($3, active), updated_at = $4 WHERE tenant_id = $5 AND id = $6",
    )
    .bind(name.map(str::to_owned))
    .bind(price_idr)
    .bind(active.map(i64::from))
    .bind(now_ms())
    .bind(tenant)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What checkout and the cart need of these variants (any vendor).
pub async fn for_sale<'e, E>(exec: E, ids: &[VariantId]) -> Result<Vec<VariantForSale>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT v.id AS variant_id, v.product_id, v.tenant_id, p.name AS product_name, \
         v.name AS variant_name, v.sku, v.price_idr, v.stock, \
         CASE WHEN v.active = 1 AND p.status = 'published' THEN 1 ELSE 0 END AS available \
         FROM mkt_variants v JOIN mkt_products p ON p.id = v.product_id WHERE v.id IN ({})",
        crate::contacts::store::placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(exec).await
}

/// Changes a variant's stock by `delta` unless it would fall below zero;
/// answers the new stock, `None` when refused (or no such variant).
pub(crate) async fn shift_stock(
    conn: &mut AnyConnection,
    variant: &VariantId,
    delta: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE mkt_variants SET stock = stock + $1, updated_at = $2 \
         WHERE id = $3 AND stock + $1 >= 0 RETURNING stock",
    )
    .bind(delta)
    .bind(now_ms())
    .bind(variant)
    .fetch_optional(conn)
    .await
}

/// Moves the variant's low-stock flag to match its stock and threshold
/// (the product's, else `default_threshold`). Answers the new flag when it
/// changed: `Some(true)` is a crossing downwards (alert once), `Some(false)`
/// a recovery, `None` no change.
pub(crate) async fn sync_low_stock_flag(
    conn: &mut AnyConnection,
    variant: &VariantId,
    default_threshold: i64,
) -> Result<Option<bool>, sqlx::Error> {
    let flag: Option<i64> = sqlx::query_scalar(
        "UPDATE mkt_variants SET low_stock_alerted = CASE WHEN stock <= COALESCE(\
           (SELECT low_stock_threshold FROM mkt_products p WHERE p.id = mkt_variants.product_id), $1) \
           THEN 1 ELSE 0 END \
         WHERE id = $2 AND low_stock_alerted <> CASE WHEN stock <= COALESCE(\
           (SELECT low_stock_threshold FROM mkt_products p WHERE p.id = mkt_variants.product_id), $1) \
           THEN 1 ELSE 0 END \
         RETURNING low_stock_alerted",
    )
    .bind(default_threshold)
    .bind(variant)
    .fetch_optional(conn)
    .await?;
    Ok(flag.map(|f| f == 1))
}

/// A ledger line to write.
#[derive(Debug)]
pub(crate) struct LedgerLine<'a> {
    pub(crate) variant: &'a VariantId,
    pub(crate) tenant: &'a TenantId,
    pub(crate) delta: i64,
    pub(crate) stock_after: i64,
    pub(crate) reason: StockReason,
    pub(crate) actor: &'a Actor,
    pub(crate) note: Option<&'a str>,
    pub(crate) order_id: Option<&'a str>,
}

/// Writes one ledger line.
pub(crate) async fn insert_ledger(
    conn: &mut AnyConnection,
    l: &LedgerLine<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mkt_stock_ledger (id, variant_id, tenant_id, delta, stock_after, reason, \
         actor_kind, actor_id, note, order_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id())
    .bind(l.variant)
    .bind(l.tenant)
    .bind(l.delta)
    .bind(l.stock_after)
    .bind(l.reason)
    .bind(l.actor.kind)
    .bind(l.actor.id.clone())
    .bind(l.note.map(str::to_owned))
    .bind(l.order_id.map(str::to_owned))
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// The ledger of one of the vendor's variants, newest first.
pub async fn ledger<'e, E>(
    exec: E,
    tenant: &TenantId,
    variant: &VariantId,
    limit: i64,
) -> Result<Vec<LedgerEntry>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT id, variant_id, delta, stock_after, reason, actor_kind, actor_id, note, order_id, \
         created_at FROM mkt_stock_ledger WHERE tenant_id = $1 AND variant_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(tenant)
    .bind(variant)
    .bind(limit)
    .fetch_all(exec)
    .await
}

/// Adds sold units to a product (best-selling sort).
pub(crate) async fn add_sold(
    conn: &mut AnyConnection,
    product: &ProductId,
    units: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mkt_products SET sold_count = sold_count + $1 WHERE id = $2")
        .bind(units)
        .bind(product)
        .execute(conn)
        .await?;
    Ok(())
}

/// Counts one more review of `rating` in the product's rating figures.
pub(crate) async fn add_rating(
    conn: &mut AnyConnection,
    product: &ProductId,
    rating: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mkt_products SET rating_count = rating_count + 1, \
         rating_sum = rating_sum + $1, \
         rating_avg_x100 = ((rating_sum + $1) * 100) / (rating_count + 1) WHERE id = $2",
    )
    .bind(rating)
    .bind(product)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores an image's row.
pub(crate) async fn insert_image<'e, E>(
    exec: E,
    id: &ImageId,
    product: &ProductId,
    tenant: &TenantId,
    storage_key: &str,
    content_type: &str,
    size: i64,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO mkt_product_images (id, product_id, tenant_id, storage_key, content_type, \
         size_bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(product)
    .bind(tenant)
    .bind(storage_key)
    .bind(content_type)
    .bind(size)
    .bind(now_ms())
    .execute(exec)
    .await?;
    Ok(())
}

/// How many images a product has.
pub(crate) async fn image_count<'e, E>(exec: E, product: &ProductId) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM mkt_product_images WHERE product_id = $1")
        .bind(product)
        .fetch_one(exec)
        .await
}

/// The images of products, oldest first, with the product they belong to.
pub async fn images_of<'e, E>(
    exec: E,
    products: &[ProductId],
) -> Result<Vec<(ProductId, Image)>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    #[derive(sqlx::FromRow)]
    struct Row {
        product_id: ProductId,
        #[sqlx(flatten)]
        image: Image,
    }
    if products.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT product_id, id, content_type, size_bytes FROM mkt_product_images \
         WHERE product_id IN ({}) ORDER BY created_at, id",
        crate::contacts::store::placeholders(1, products.len())
    );
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for p in products {
        q = q.bind(p);
    }
    Ok(q.fetch_all(exec)
        .await?
        .into_iter()
        .map(|r| (r.product_id, r.image))
        .collect())
}

/// Where an image is stored and its type.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StoredImage {
    pub(crate) storage_key: String,
    pub(crate) content_type: String,
}

/// An image of a published product, or of the given vendor's product.
pub(crate) async fn image_for<'e, E>(
    exec: E,
    id: &ImageId,
    vendor: Option<&TenantId>,
) -> Result<Option<StoredImage>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    match vendor {
        Some(tenant) => {
            sqlx::query_as(
                "SELECT storage_key, content_type FROM mkt_product_images WHERE id = $1 AND tenant_id = $2",
            )
            .bind(id)
            .bind(tenant)
            .fetch_optional(exec)
            .await
        }
        None => {
            sqlx::query_as(
                "SELECT i.storage_key, i.content_type FROM mkt_product_images i \
                 JOIN mkt_products p ON p.id = i.product_id WHERE i.id = $1 AND p.status = 'published'",
            )
            .bind(id)
            .fetch_optional(exec)
            .await
        }
    }
}

/// Deletes one of the vendor's images; answers its storage key.
pub(crate) async fn delete_image<'e, E>(
    exec: E,
    tenant: &TenantId,
    product: &ProductId,
    id: &ImageId,
) -> Result<Option<String>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "DELETE FROM mkt_product_images WHERE tenant_id = $1 AND product_id = $2 AND id = $3 \
         RETURNING storage_key",
    )
    .bind(tenant)
    .bind(product)
    .bind(id)
    .fetch_optional(exec)
    .await
}

/// Deletes a vendor's products with their variants, stock ledgers and
/// image rows; answers the storage keys of the images, whose files the
/// caller removes once the change is committed.
pub(crate) async fn purge_tenant(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<String>, sqlx::Error> {
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT storage_key FROM mkt_product_images WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_all(&mut *conn)
            .await?;
    for sql in [
        "DELETE FROM mkt_stock_ledger WHERE tenant_id = $1",
        "DELETE FROM mkt_product_images WHERE tenant_id = $1",
        "DELETE FROM mkt_variants WHERE tenant_id = $1",
        "DELETE FROM mkt_products WHERE tenant_id = $1",
    ] {
        sqlx::query(sql).bind(tenant).execute(&mut *conn).await?;
    }
    Ok(keys)
}
