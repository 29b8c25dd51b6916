//! Reads of other features' tables that billing needs, kept in one place.
//!
//! The row counts belong to `devices::store`, `contacts::store` and
//! `marketplace::catalog::store`, but
//! those features check billing's limits before they insert, so billing
//! calling them would make an import circle; the counts stay here, as the
//! one documented exception. The vendor's contact details belong to
//! `tenants::store`.

use sqlx::AnyPool;

use super::limits::Limit;

/// How many devices or contacts a tenant stores (0 for the monthly
/// limits, which are counters).
pub(crate) async fn count_rows(
    pool: &AnyPool,
    tenant_id: &str,
    limit: Limit,
) -> Result<i64, sqlx::Error> {
    let sql = match limit {
        Limit::Devices => "SELECT COUNT(*) FROM devices WHERE tenant_id = $1",
        Limit::Contacts => "SELECT COUNT(*) FROM contacts WHERE tenant_id = $1",
        Limit::Products => "SELECT COUNT(*) FROM mkt_products WHERE tenant_id = $1",
        Limit::MessagesPerMonth | Limit::AiRequestsPerMonth => return Ok(0),
    };
    sqlx::query_scalar(sql)
        .bind(tenant_id)
        .fetch_one(pool)
        .await
}

/// The vendor's WhatsApp number and locale, for receipts.
pub(crate) async fn vendor_contact(
    pool: &AnyPool,
    tenant_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT whatsapp, locale FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(pool)
        .await
}

/// The buying member's email and name and the vendor's number, for the
/// Snap customer details.
pub(crate) async fn buyer(
    pool: &AnyPool,
    tenant_id: &str,
    member_id: &str,
) -> Result<Option<(String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.email, m.name, t.whatsapp FROM members m JOIN tenants t ON t.id = m.tenant_id \
         WHERE m.id = $1 AND m.tenant_id = $2",
    )
    .bind(member_id)
    .bind(tenant_id)
    .fetch_optional(pool)
    .await
}
