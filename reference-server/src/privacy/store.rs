//! Every SQL statement on `privacy_settings` and `account_deletions`.

use sqlx::{Any, AnyConnection, AnyPool, Executor};

use super::model::DeletionStatus;
use crate::db::now_ms;
use crate::domain::TenantId;

/// The vendor's message retention in days, `None` to keep messages.
pub(super) async fn retention_days(
    pool: &AnyPool,
    tenant: &TenantId,
) -> Result<Option<i64>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT message_retention_days FROM privacy_settings WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(pool)
    .await?
    .flatten())
}

/// Sets the vendor's message retention (`None` keeps messages).
pub(super) async fn set_retention_days(
    pool: &AnyPool,
    tenant: &TenantId,
    days: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO privacy_settings (tenant_id, message_retention_days, updated_at) \
         VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO UPDATE \
         SET message_retention_days = excluded.message_retention_days, \
         updated_at = excluded.updated_at",
    )
    .bind(tenant)
    .bind(days)
    .bind(now_ms())
    .execute(pool)
    .await?;
    Ok(())
}

/// Every vendor with a message retention, and its days.
pub(super) async fn retentions(pool: &AnyPool) -> Result<Vec<(TenantId, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT tenant_id, message_retention_days FROM privacy_settings \
         WHERE message_retention_days IS NOT NULL ORDER BY tenant_id",
    )
    .fetch_all(pool)
    .await
}

/// The vendor's pending deletion request, if any.
pub(super) async fn pending_deletion<'e, E>(
    exec: E,
    tenant: &TenantId,
) -> Result<Option<DeletionStatus>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT requested_by, requested_at, due_at FROM account_deletions \
         WHERE tenant_id = $1 AND cancelled_at IS NULL AND done_at IS NULL",
    )
    .bind(tenant)
    .fetch_optional(exec)
    .await
}

/// Records a deletion request (replacing a cancelled one).
pub(super) async fn request_deletion(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    by: &str,
    due_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO account_deletions (tenant_id, requested_by, requested_at, due_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE \
         SET requested_by = excluded.requested_by, requested_at = excluded.requested_at, \
         due_at = excluded.due_at, cancelled_at = NULL, done_at = NULL",
    )
    .bind(tenant)
    .bind(by)
    .bind(now_ms())
    .bind(due_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels the vendor's pending deletion; answers whether there was one.
pub(super) async fn cancel_deletion(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE account_deletions SET cancelled_at = $2 \
         WHERE tenant_id = $1 AND cancelled_at IS NULL AND done_at IS NULL",
    )
    .bind(tenant)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The vendors whose deletion is due at `now`.
pub(super) async fn due_deletions(pool: &AnyPool, now: i64) -> Result<Vec<TenantId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT tenant_id FROM account_deletions \
         WHERE cancelled_at IS NULL AND done_at IS NULL AND due_at <= $1 ORDER BY due_at",
    )
    .bind(now)
    .fetch_all(pool)
    .await
}

/// Claims a due deletion for this process: marks it done; answers false
/// when another process claimed it first or it was cancelled.
pub(super) async fn claim_deletion(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE account_deletions SET done_at = $2 WHERE tenant_id = $1 \
         AND cancelled_at IS NULL AND done_at IS NULL AND due_at <= $2",
    )
    .bind(tenant)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the vendor's privacy settings.
pub(super) async fn purge_tenant(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM privacy_settings WHERE tenant_id = $1")
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}
