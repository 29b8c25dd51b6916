//! Every SQL statement on `mkt_payout_accounts`, `mkt_payouts` and
//! `mkt_payout_entries`, plus the two reads the ledger needs elsewhere:
//! delivered orders without an entry (`mkt_orders`) and the commission
//! of the vendor's plan (`subscriptions`, `plans`).

use sqlx::{Any, AnyConnection, Executor};

use super::model::{EntryStatus, LedgerEntry, Payout, PayoutAccount, PayoutStatus};
use crate::db::{new_id, now_ms};
use crate::domain::{PayoutId, TenantId, VendorOrderId};

const PAYOUT: &str = "SELECT id, tenant_id, amount_idr, status, reference_no, last_error, \
    created_at, sent_at FROM mkt_payouts";

/// The commission (basis points) of the vendor's plan; the trial plan's
/// without a subscription.
pub(crate) async fn commission_bps<'e, E>(exec: E, tenant: &TenantId) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "SELECT COALESCE(\
         (SELECT p.commission_bps FROM subscriptions s JOIN plans p ON p.id = s.plan_id \
          WHERE s.tenant_id = $1), \
         (SELECT commission_bps FROM plans WHERE code = 'trial'), 0)",
    )
    .bind(tenant)
    .fetch_one(exec)
    .await
}

/// Delivered orders of the vendor not yet in the ledger:
/// `(order, subtotal, refunded)`.
pub(crate) async fn unaccrued<'e, E>(
    exec: E,
    tenant: &TenantId,
) -> Result<Vec<(VendorOrderId, i64, i64)>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT o.id, o.subtotal_idr, o.refunded_idr FROM mkt_orders o \
         WHERE o.tenant_id = $1 AND o.status = 'delivered' AND NOT EXISTS \
         (SELECT 1 FROM mkt_payout_entries e WHERE e.order_id = o.id)",
    )
    .bind(tenant)
    .fetch_all(exec)
    .await
}

/// One ledger entry to insert.
#[derive(Debug)]
pub(crate) struct NewEntry<'a> {
    pub(crate) tenant: &'a TenantId,
    pub(crate) order: &'a VendorOrderId,
    pub(crate) gross: i64,
    pub(crate) refunded: i64,
    pub(crate) bps: i64,
    pub(crate) commission: i64,
    pub(crate) net: i64,
}

/// Adds an order's entry unless it has one.
pub(crate) async fn insert_entry(
    conn: &mut AnyConnection,
    e: &NewEntry<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mkt_payout_entries (id, tenant_id, order_id, gross_idr, refunded_idr, \
         commission_bps, commission_idr, net_idr, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(new_id())
    .bind(e.tenant)
    .bind(e.order)
    .bind(e.gross)
    .bind(e.refunded)
    .bind(e.bps)
    .bind(e.commission)
    .bind(e.net)
    .bind(EntryStatus::Owed)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// The vendor's entries, newest first.
pub async fn entries<'e, E>(exec: E, tenant: &TenantId) -> Result<Vec<LedgerEntry>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT order_id, gross_idr, refunded_idr, commission_bps, commission_idr, net_idr, \
         status, payout_id, created_at FROM mkt_payout_entries WHERE tenant_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 500",
    )
    .bind(tenant)
    .fetch_all(exec)
    .await
}

/// What the vendor is owed outside any payout.
pub async fn owed<'e, E>(exec: E, tenant: &TenantId) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(net_idr), 0) AS BIGINT) FROM mkt_payout_entries \
         WHERE tenant_id = $1 AND status = $2",
    )
    .bind(tenant)
    .bind(EntryStatus::Owed)
    .fetch_one(exec)
    .await
}

/// The vendor's payouts, newest first.
pub async fn payouts<'e, E>(exec: E, tenant: &TenantId) -> Result<Vec<Payout>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!(
        "{PAYOUT} WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100"
    ))
    .bind(tenant)
    .fetch_all(exec)
    .await
}

/// The vendor's payout made with `key`.
pub(crate) async fn payout_by_key<'e, E>(
    exec: E,
    tenant: &TenantId,
    key: &str,
) -> Result<Option<Payout>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!(
        "{PAYOUT} WHERE tenant_id = $1 AND idempotency_key = $2"
    ))
    .bind(tenant)
    .bind(key)
    .fetch_optional(exec)
    .await
}

/// Inserts a pending payout of 0 (a repeated key is a unique violation).
pub(crate) async fn insert_payout(
    conn: &mut AnyConnection,
    id: &PayoutId,
    tenant: &TenantId,
    key: &str,
    admin: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mkt_payouts (id, tenant_id, idempotency_key, amount_idr, status, admin_id, \
         created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $5, $6, $6)",
    )
    .bind(id)
    .bind(tenant)
    .bind(key)
    .bind(PayoutStatus::Pending)
    .bind(admin)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves every owed entry of the vendor into `payout` and sets its amount
/// to their sum; answers the amount.
pub(crate) async fn take_owed(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    payout: &PayoutId,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "UPDATE mkt_payout_entries SET status = $1, payout_id = $2 \
         WHERE tenant_id = $3 AND status = $4",
    )
    .bind(EntryStatus::InPayout)
    .bind(payout)
    .bind(tenant)
    .bind(EntryStatus::Owed)
    .execute(&mut *conn)
    .await?;
    let amount: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(net_idr), 0) AS BIGINT) FROM mkt_payout_entries \
         WHERE payout_id = $1",
    )
    .bind(payout)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE mkt_payouts SET amount_idr = $1 WHERE id = $2")
        .bind(amount)
        .bind(payout)
        .execute(&mut *conn)
        .await?;
    Ok(amount)
}

/// Marks a pending payout sent and its entries paid; `false` when it was
/// not pending any more (another call got there first).
pub(crate) async fn mark_sent(
    conn: &mut AnyConnection,
    payout: &PayoutId,
    reference_no: &str,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let moved = sqlx::query(
        "UPDATE mkt_payouts SET status = $1, reference_no = $2, last_error = NULL, \
         sent_at = $3, updated_at = $3 WHERE id = $4 AND status = $5",
    )
    .bind(PayoutStatus::Sent)
    .bind(reference_no)
    .bind(now)
    .bind(payout)
    .bind(PayoutStatus::Pending)
    .execute(&mut *conn)
    .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE mkt_payout_entries SET status = $1 WHERE payout_id = $2 AND status = $3")
        .bind(EntryStatus::Paid)
        .bind(payout)
        .bind(EntryStatus::InPayout)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Records why Iris refused a pending payout.
pub(crate) async fn record_error<'e, E>(
    exec: E,
    payout: &PayoutId,
    error: &str,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "UPDATE mkt_payouts SET last_error = $1, updated_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(error)
    .bind(now_ms())
    .bind(payout)
    .bind(PayoutStatus::Pending)
    .execute(exec)
    .await?;
    Ok(())
}

/// The vendor's payout account.
pub async fn account<'e, E>(
    exec: E,
    tenant: &TenantId,
) -> Result<Option<PayoutAccount>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_as(
        "SELECT bank, account, holder_name FROM mkt_payout_accounts WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(exec)
    .await
}

/// Sets the vendor's payout account.
pub(crate) async fn set_account<'e, E>(
    exec: E,
    tenant: &TenantId,
    a: &PayoutAccount,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO mkt_payout_accounts (tenant_id, bank, account, holder_name, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id) DO UPDATE SET bank = EXCLUDED.bank, \
         account = EXCLUDED.account, holder_name = EXCLUDED.holder_name, \
         updated_at = EXCLUDED.updated_at",
    )
    .bind(tenant)
    .bind(&a.bank)
    .bind(&a.account)
    .bind(&a.holder_name)
    .bind(now_ms())
    .execute(exec)
    .await?;
    Ok(())
}

/// Deletes a vendor's payout account (its bank details); the payouts and
/// the ledger stay as accounting records.
pub(crate) async fn purge_tenant(
    conn: &mut AnyConnection,
    tenant: &crate::domain::TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM mkt_payout_accounts WHERE tenant_id = $1")
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}
