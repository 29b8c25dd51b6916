//! The `subscriptions` and `subscription_periods` tables: the trial at
//! activation, extension by paid orders (exactly once per order), and the
//! expiry job.

use sqlx::{Any, AnyPool, Transaction};

use crate::billing::model::{SubscriptionRow, SubscriptionView, VendorSubscription};
use crate::db::now_ms;
use crate::domain::{OrderId, PlanId, TenantId};

/// Milliseconds per day.
const DAY_MS: i64 = 86_400_000;

/// The tenant's subscription, if it ever had one.
pub async fn current(
    pool: &AnyPool,
    tenant_id: &TenantId,
) -> Result<Option<SubscriptionView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.plan_id, p.code AS plan_code, p.name AS plan_name, s.status, s.started_at, \
         s.expires_at, s.grace_until FROM subscriptions s JOIN plans p ON p.id = s.plan_id \
         WHERE s.tenant_id = $1",
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
/// else now; the grace period (`grace_ms`) follows the new expiry. Returns
/// the new expiry, or `None` when the order was already applied. Two statements, in the caller's transaction. (`WHERE true`:
/// SQLite would read the upsert's `ON` as a join constraint of the
/// `SELECT ... FROM` without it.)
pub async fn apply_paid_order(
    c: &mut sqlx::AnyConnection,
    order_id: &OrderId,
    tenant_id: &TenantId,
    plan_id: &PlanId,
    duration_days: i64,
    grace_ms: i64,
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
        "INSERT INTO subscriptions (tenant_id, plan_id, status, started_at, expires_at, grace_until, updated_at) \
         VALUES ($1, $2, 'active', $3, $4, $5, $3) \
         ON CONFLICT (tenant_id) DO UPDATE SET plan_id = $2, status = 'active', \
           started_at = CASE WHEN subscriptions.status = 'active' AND subscriptions.expires_at > $3 \
                             THEN subscriptions.started_at ELSE $3 END, \
           expires_at = $4, grace_until = $5, updated_at = $3",
    )
    .bind(tenant_id)
    .bind(plan_id)
    .bind(now)
    .bind(ends_at)
    .bind(ends_at + grace_ms)
    .execute(&mut *c)
    .await?;
    Ok(Some(ends_at))
}

/// Marks every active subscription whose expiry and grace period have
/// passed as `expired`; returns how many changed. Run by the scheduled job.
pub async fn expire_due(pool: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE subscriptions SET status = 'expired', updated_at = $1 WHERE status = 'active' \
         AND expires_at <= $1 AND (grace_until IS NULL OR grace_until <= $1)",
    )
    .bind(now)
    .execute(pool)
    .await?;
    if done.rows_affected() > 0 {
        tracing::info!(count = done.rows_affected(), "subscriptions expired");
    }
    Ok(done.rows_affected())
}

/// Sets the grace period of every active subscription to `grace_ms` after
/// its expiry where it differs (a trial has none until then, and a changed
/// setting applies to every subscription); returns how many changed.
pub async fn sync_grace(pool: &AnyPool, grace_ms: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE subscriptions SET grace_until = expires_at + $1 WHERE status = 'active' \
         AND (grace_until IS NULL OR grace_until <> expires_at + $1)",
    )
    .bind(grace_ms)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// The job body for `crate::spawn_periodic`: the grace periods in step
/// with the setting, then the expiry.
pub(crate) async fn expiry_job(pool: AnyPool, grace_ms: i64) -> Result<(), sqlx::Error> {
    sync_grace(&pool, grace_ms).await?;
    expire_due(&pool, now_ms()).await.map(|_| ())
}

/// An active subscription of an active vendor near or past its expiry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Expiring {
    /// The vendor.
    pub tenant_id: TenantId,
    /// Its expiry, unix milliseconds.
    pub expires_at: i64,
    /// End of its grace period, when it has one.
    pub grace_until: Option<i64>,
    /// The plan's name.
    pub plan_name: String,
    /// The vendor's WhatsApp number.
    pub whatsapp: String,
    /// The vendor's locale.
    pub locale: String,
}

/// Active subscriptions of active vendors expiring in `(from, to]`.
pub async fn expiring(pool: &AnyPool, from: i64, to: i64) -> Result<Vec<Expiring>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.tenant_id, s.expires_at, s.grace_until, p.name AS plan_name, t.whatsapp, t.locale \
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id JOIN tenants t ON t.id = s.tenant_id \
         WHERE s.status = 'active' AND t.status = 'active' AND s.expires_at > $1 AND s.expires_at <= $2 \
         ORDER BY s.expires_at",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Claims the reminder `kind` about the vendor's expiry `expires_at`:
/// true for the one caller that recorded it first.
pub async fn claim_reminder(
    pool: &AnyPool,
    tenant_id: &TenantId,
    expires_at: i64,
    kind: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO subscription_reminders (tenant_id, expires_at, kind, sent_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, expires_at, kind) DO NOTHING",
    )
    .bind(tenant_id)
    .bind(expires_at)
    .bind(kind)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the records of reminders about expiries before `before`: no
/// sweep looks at those expiries again, so they can never be sent twice.
pub async fn prune_reminders(pool: &AnyPool, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM subscription_reminders WHERE expires_at < $1")
        .bind(before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Gives a claimed reminder back (its sending failed), so a later sweep
/// sends it.
pub async fn release_reminder(
    pool: &AnyPool,
    tenant_id: &TenantId,
    expires_at: i64,
    kind: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM subscription_reminders WHERE tenant_id = $1 AND expires_at = $2 AND kind = $3",
    )
    .bind(tenant_id)
    .bind(expires_at)
    .bind(kind)
    .execute(pool)
    .await?;
    Ok(())
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

/// Subscription time taken back for a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakenBack {
    /// Milliseconds taken back by this event.
    pub ms: i64,
    /// Total refunded of the order so far, rupiah.
    pub refunded_idr: i64,
    /// The expiry before.
    pub expires_before: i64,
    /// The expiry after.
    pub expires_after: i64,
}

/// The share of `period_ms` that `refunded` of `amount` paid for (all of
/// it at or above the amount, rounded down).
pub fn refunded_share(period_ms: i64, refunded: i64, amount: i64) -> i64 {
    if amount <= 0 || refunded <= 0 {
        return 0;
    }
    let refunded = refunded.min(amount);
    i64::try_from(i128::from(period_ms) * i128::from(refunded) / i128::from(amount))
        .unwrap_or(period_ms)
}

/// Takes back from the tenant's subscription the time that `refunded_idr`
/// of the order's `amount_idr` bought (the order's period in
/// `subscription_periods`, proportionally), less what earlier
/// notifications of the order already took back; the grace period follows
/// the new expiry. In the caller's transaction; the order's row in
/// `order_refunds` is locked first (`UPDATE ... RETURNING`), so two
/// notifications racing in two processes take the time back once.
/// Returns `None` when nothing more was taken (a repeat, or an order that
/// never extended the subscription).
pub async fn take_back(
    c: &mut sqlx::AnyConnection,
    order_id: &OrderId,
    tenant_id: &TenantId,
    refunded_idr: i64,
    amount_idr: i64,
    grace_ms: i64,
    now: i64,
) -> Result<Option<TakenBack>, sqlx::Error> {
    let period: Option<i64> = sqlx::query_scalar(
        "SELECT ends_at - starts_at FROM subscription_periods WHERE order_id = $1 AND tenant_id = $2",
    )
    .bind(order_id)
    .bind(tenant_id)
    .fetch_optional(&mut *c)
    .await?;
    let Some(period) = period else {
        return Ok(None);
    };
    let target = refunded_share(period, refunded_idr, amount_idr);
    sqlx::query(
        "INSERT INTO order_refunds (order_id, tenant_id, refunded_idr, taken_back_ms, updated_at) \
         VALUES ($1, $2, 0, 0, $3) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(tenant_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    let before: i64 = sqlx::query_scalar(
        "UPDATE order_refunds SET updated_at = $1 WHERE order_id = $2 RETURNING taken_back_ms",
    )
    .bind(now)
    .bind(order_id)
    .fetch_one(&mut *c)
    .await?;
    let ms = target - before;
    if ms <= 0 {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE order_refunds SET refunded_idr = $1, taken_back_ms = $2 WHERE order_id = $3",
    )
    .bind(refunded_idr.min(amount_idr))
    .bind(target)
    .bind(order_id)
    .execute(&mut *c)
    .await?;
    let expires_before: Option<i64> =
        sqlx::query_scalar("SELECT expires_at FROM subscriptions WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut *c)
            .await?;
    let Some(expires_before) = expires_before else {
        return Ok(None);
    };
    let expires_after = expires_before - ms;
    sqlx::query(
        "UPDATE subscriptions SET expires_at = $1, grace_until = $2, updated_at = $3 WHERE tenant_id = $4",
    )
    .bind(expires_after)
    .bind(expires_after + grace_ms)
    .bind(now)
    .bind(tenant_id)
    .execute(&mut *c)
    .await?;
    Ok(Some(TakenBack {
        ms,
        refunded_idr: refunded_idr.min(amount_idr),
        expires_before,
        expires_after,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn refunded_share_is_proportional() {
        let month = 30 * super::DAY_MS;
        assert_eq!(super::refunded_share(month, 99_000, 99_000), month);
        assert_eq!(super::refunded_share(month, 200_000, 99_000), month);
        assert_eq!(
            super::refunded_share(month, 33_000, 99_000),
            10 * super::DAY_MS
        );
        assert_eq!(super::refunded_share(month, 0, 99_000), 0);
        assert_eq!(super::refunded_share(month, 10, 0), 0);
    }
}
