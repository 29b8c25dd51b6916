//! Reads of another feature's tables that the devices feature needs, kept
//! in one place until the owning feature offers them.

use sqlx::AnyPool;

use crate::domain::TenantId;

/// Where and in which language to reach a vendor: its WhatsApp number and
/// locale. Belongs to `tenants::store`.
pub(crate) async fn vendor_contact(
    pool: &AnyPool,
    tenant_id: &TenantId,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT whatsapp, locale FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(pool)
        .await
}
