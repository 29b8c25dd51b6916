//! The `subscriptions` and `subscription_periods` tables: the trial at
//! activation, extension by paid orders (exactly once per order), and the
//! expiry job.

use sqlx::{Any, AnyPool, Transaction};

use crate::billing::model::{SubscriptionRow, SubscriptionView, VendorSubscription};
use crate::db::now_ms;
use crate::domain::TenantId;

/// Milliseconds per day.
const DAY_MS: i64 = 86_400_000;

/// The tenant's subscription, if it ever had one.
pub async fn current(
    pool: &AnyPool,
    tenant_id: &str,
) -> Result<Option<SubscriptionView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.plan_id, p.code AS plan_code, p.name AS plan_name, s.status, s.started_at, \
         s.expires_at FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(pool)
    .await
}

/// Gives a newly activated tenant the `trial` plan (when that plan exists
/// and is active) unless it already has a subscription.
pub async fn grant_trial(
    tx: &mut Transaction<'static, Any>,
    tenant_id: &TenantId,
    now: i64,
) -> Result<(), sqlx::Error> {
    let trial: Option<(String, i64)> =
        sqlx::query_as("SELECT id, duration_days FROM plans WHERE code = 'trial' AND active = 1")
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((plan_id, days)) = trial {
        sqlx::query(
            "INSERT INTO subscriptions (tenant_id, plan_id, status, started_at, expires_at, updated_at) \
             VALUES ($1, $2, 'active', $3, $4, $3) ON CONFLICT (tenant_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(plan_id)
        .bind(now)
        .bind(now + days * DAY_MS)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Applies a paid order to the tenant's subscription, exactly once per
/// order (primary key on the order in `subscription_periods`): the period
/// starts at the current expiry while the subscription is still active,
/// else now. Returns the new expiry, or `None` when the order was already
/// applied. Two statements, in the caller's transaction. (`WHERE true`:
/// SQLite would read the upsert's `ON` as a join constraint of the
/// `SELECT ... FROM` without it.)
pub async fn apply_paid_order(
    c: &mut sqlx::AnyConnection,
    order_id: &str,
    tenant_id: &str,
    plan_id: &str,
    duration_days: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let ends_at: Option<i64> = sqlx::query_scalar(
        "INSERT INTO subscription_periods (order_id, tenant_id, plan_id, starts_at, ends_at, created_at) \
         SELECT $1, $2, $3, s.start, s.start + $4, $5 FROM (SELECT COALESCE( \
           (SELECT expires_at FROM subscriptions WHERE tenant_id = $2 AND status = 'active' AND expires_at > $5), \
           $5) AS start) s WHERE true \
         ON CONFLICT (order_id) DO NOTHING RETURNING ends_at",
    )
    .bind(order_id)
    .bind(tenant_id)
    .bind(plan_id)
    .bind(duration_days * DAY_MS)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    let Some(ends_at) = ends_at else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO subscriptions (tenant_id, plan_id, status, started_at, expires_at, updated_at) \
         VALUES ($1, $2, 'active', $3, $4, $3) \
         ON CONFLICT (tenant_id) DO UPDATE SET plan_id = $2, status = 'active', \
           started_at = CASE WHEN subscriptions.status = 'active' AND subscriptions.expires_at > $3 \
                             THEN subscriptions.started_at ELSE $3 END, \
           expires_at = $4, updated_at = $3",
    )
    .bind(tenant_id)
    .bind(plan_id)
    .bind(now)
    .bind(ends_at)
    .execute(&mut *c)
    .await?;
    Ok(Some(ends_at))
}

/// Marks every active subscription whose expiry has passed as `expired`;
/// returns how many changed. Run by the scheduled job.
pub async fn expire_due(pool: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE subscriptions SET status = 'expired', updated_at = $1 WHERE status = 'active' AND expires_at <= $1",
    )
    .bind(now)
    .execute(pool)
    .await?;
    if done.rows_affected() > 0 {
        tracing::info!(count = done.rows_affected(), "subscriptions expired");
    }
    Ok(done.rows_affected())
}

/// The job body for `crate::spawn_periodic`.
pub(crate) async fn expiry_job(pool: AnyPool) -> Result<(), sqlx::Error> {
    expire_due(&pool, now_ms()).await.map(|_| ())
}

/// Plan, status and expiry of every vendor's subscription.
pub async fn every_vendor(pool: &AnyPool) -> Result<Vec<VendorSubscription>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.tenant_id, p.code AS plan_code, s.status, s.expires_at \
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id",
    )
    .fetch_all(pool)
    .await
}

/// Every subscription with its plan code, for the export (vendor names
/// are filled in by the caller).
pub async fn export_rows(pool: &AnyPool) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.tenant_id, p.code AS plan_code, s.status, s.started_at, s.expires_at \
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id",
    )
    .fetch_all(pool)
    .await
}
