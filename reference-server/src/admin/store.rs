//! The platform-wide reports of `admin` over billing's tables
//! (`subscriptions`, `plans`, `payments`), across every vendor.
//!
//! `admin` owns no table. These read-only queries stay here until
//! `billing` offers cross-vendor listings of its own; vendors, members and
//! admin accounts are read through `tenants::store` and `auth::store`.

use sqlx::AnyPool;

use super::model::{PaymentView, SubscriptionRow, VendorSubscription};
use crate::domain::TenantId;

/// Plan, status and expiry of every vendor's subscription.
pub(crate) async fn subscriptions(pool: &AnyPool) -> Result<Vec<VendorSubscription>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.tenant_id, p.code AS plan_code, s.status, s.expires_at \
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id",
    )
    .fetch_all(pool)
    .await
}

/// Every subscription with its plan code, for the export (vendor names
/// are filled in by the caller).
pub(crate) async fn subscription_rows(pool: &AnyPool) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.tenant_id, p.code AS plan_code, s.status, s.started_at, s.expires_at \
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id",
    )
    .fetch_all(pool)
    .await
}

/// Payment notifications of every vendor (or of one), newest first, at
/// most 500.
pub(crate) async fn payments(
    pool: &AnyPool,
    tenant: Option<&TenantId>,
) -> Result<Vec<PaymentView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, order_id, tenant_id, transaction_id, transaction_status, outcome, payment_type, \
         gross_amount, received_at FROM payments WHERE ($1 IS NULL OR tenant_id = $1) \
         ORDER BY received_at DESC, id DESC LIMIT 500",
    )
    .bind(tenant.map(|t| t.as_str().to_owned()))
    .fetch_all(pool)
    .await
}
