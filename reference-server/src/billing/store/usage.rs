//! The `usage_counters` table: monthly counters per tenant and metric.

use sqlx::AnyPool;

use crate::db::now_ms;
use crate::domain::TenantId;

/// The limit value `column` of the tenant's active plan and the plan's
/// name; `None` without an active subscription (one past its expiry counts
/// as active during its grace period). `column` is one of the
/// plan's `max_*` columns, named by code, never by input.
pub async fn active_limit(
    pool: &AnyPool,
    tenant_id: &TenantId,
    column: &'static str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let sql = format!(
        "SELECT p.{column}, p.name FROM subscriptions s JOIN plans p ON p.id = s.plan_id \
         WHERE s.tenant_id = $1 AND s.status = 'active' AND (s.expires_at > $2 OR s.grace_until > $2)"
    );
    sqlx::query_as(&sql)
        .bind(tenant_id)
        .bind(now_ms())
        .fetch_optional(pool)
        .await
}

/// A counter's value in `period` (`YYYY-MM`), 0 when never counted.
pub async fn count(
    pool: &AnyPool,
    tenant_id: &TenantId,
    metric: &str,
    period: &str,
) -> Result<i64, sqlx::Error> {
    let n: Option<i64> = sqlx::query_scalar(
        "SELECT count FROM usage_counters WHERE tenant_id = $1 AND metric = $2 AND period = $3",
    )
    .bind(tenant_id)
    .bind(metric)
    .bind(period)
    .fetch_optional(pool)
    .await?;
    Ok(n.unwrap_or(0))
}

/// Adds `n` to a counter only when the result stays at most `max`, in one
/// conditional upsert; returns whether it was added.
pub async fn add_within(
    pool: &AnyPool,
    tenant_id: &TenantId,
    metric: &str,
    period: &str,
    n: i64,
    max: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO usage_counters (tenant_id, metric, period, count) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, metric, period) DO UPDATE SET count = usage_counters.count + $4 \
         WHERE usage_counters.count + $4 <= $5",
    )
    .bind(tenant_id)
    .bind(metric)
    .bind(period)
    .bind(n)
    .bind(max)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Adds `n` to a counter without a bound (on a pool, or inside the
/// caller's transaction).
pub async fn add<'e, E>(
    exec: E,
    tenant_id: &TenantId,
    metric: &str,
    period: &str,
    n: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = add_sql(&crate::db::values_placeholders(1, 4));
    sqlx::query(&sql)
        .bind(tenant_id)
        .bind(metric)
        .bind(period)
        .bind(n)
        .execute(exec)
        .await?;
    Ok(())
}

/// Adds each `(tenant, n)` to the tenants' counters of `metric`, one
/// statement per chunk; `counts` holds each tenant once.
pub async fn add_many(
    tx: &mut sqlx::AnyConnection,
    metric: &str,
    period: &str,
    counts: &[(&str, i64)],
) -> Result<(), sqlx::Error> {
    crate::db::execute_rows(tx, counts, 4, add_sql, |q, (tenant, n)| {
        q.bind(*tenant).bind(metric).bind(period).bind(*n)
    })
    .await?;
    Ok(())
}

/// The counter upsert for the `values` tuples (tenant, metric, period,
/// count).
fn add_sql(values: &str) -> String {
    format!(
        "INSERT INTO usage_counters (tenant_id, metric, period, count) VALUES {values} \
         ON CONFLICT (tenant_id, metric, period) DO UPDATE \
         SET count = usage_counters.count + excluded.count"
    )
}
