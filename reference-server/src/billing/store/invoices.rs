//! The `invoices`, `invoice_counters` and `billing_details` tables.

use sqlx::{AnyConnection, AnyPool};

use crate::billing::model::{BillingDetails, InvoiceView};
use crate::domain::{InvoiceId, OrderId, TenantId};

const COLUMNS: &str = "i.id, i.number, i.order_id, i.tenant_id, i.plan_name, i.duration_days, \
    i.amount_idr, i.payment_type, i.period_start, i.period_end, i.buyer_name, i.buyer_address, \
    i.buyer_npwp, i.issued_at, o.status AS order_status";

/// Takes the next number of `year` in the caller's transaction: the
/// year's counter row stays locked until that transaction ends, so a
/// concurrent issuer (another writer or server process) waits and reads
/// the committed value, and a rollback gives the number back.
pub async fn next_seq(c: &mut AnyConnection, year: i32) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO invoice_counters (year, last_seq) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last_seq = invoice_counters.last_seq + 1 \
         RETURNING last_seq",
    )
    .bind(i64::from(year))
    .fetch_one(&mut *c)
    .await
}

/// What an issued invoice is numbered.
#[derive(Debug, Clone)]
pub struct Numbered<'a> {
    /// The new invoice's id.
    pub id: &'a InvoiceId,
    /// Its number, `INV/<year>/<seq>`.
    pub number: &'a str,
    /// The calendar year of the number.
    pub year: i32,
    /// The sequence within the year.
    pub seq: i64,
}

/// Inserts the invoice of a paid order in the caller's transaction, with
/// the order's plan, amount and period and the vendor's billing details
/// as they are now (the business name when it has none). Fails when the
/// order has no period yet or already has an invoice, so the caller's
/// transaction, and the number it took, roll back.
pub async fn insert_for_order(
    c: &mut AnyConnection,
    n: &Numbered<'_>,
    order_id: &OrderId,
    tenant_id: &TenantId,
    now: i64,
) -> Result<(), sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO invoices (id, number, year, seq, order_id, tenant_id, plan_name, duration_days, \
         amount_idr, payment_type, period_start, period_end, buyer_name, buyer_address, buyer_npwp, \
         issued_at) \
         SELECT $1, $2, $3, $4, o.id, o.tenant_id, p.name, p.duration_days, o.amount_idr, \
           o.payment_type, sp.starts_at, sp.ends_at, COALESCE(b.legal_name, t.name), b.address, \
           b.npwp, $5 \
         FROM orders o JOIN plans p ON p.id = o.plan_id JOIN tenants t ON t.id = o.tenant_id \
           JOIN subscription_periods sp ON sp.order_id = o.id \
           LEFT JOIN billing_details b ON b.tenant_id = o.tenant_id \
         WHERE o.id = $6 AND o.tenant_id = $7",
    )
    .bind(n.id)
    .bind(n.number)
    .bind(i64::from(n.year))
    .bind(n.seq)
    .bind(now)
    .bind(order_id)
    .bind(tenant_id)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() != 1 {
        return Err(sqlx::Error::RowNotFound);
    }
    Ok(())
}

/// One invoice of a tenant.
pub async fn get(
    pool: &AnyPool,
    tenant_id: &TenantId,
    invoice_id: &str,
) -> Result<Option<InvoiceView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM invoices i JOIN orders o ON o.id = i.order_id \
         WHERE i.id = $1 AND i.tenant_id = $2"
    ))
    .bind(invoice_id)
    .bind(tenant_id)
    .fetch_optional(pool)
    .await
}

/// A tenant's invoices, newest first, at most `limit`.
pub async fn list(
    pool: &AnyPool,
    tenant_id: &TenantId,
    limit: i64,
) -> Result<Vec<InvoiceView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM invoices i JOIN orders o ON o.id = i.order_id \
         WHERE i.tenant_id = $1 ORDER BY i.year DESC, i.seq DESC LIMIT $2"
    ))
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The tenant's billing details, if it saved any.
pub async fn details(
    pool: &AnyPool,
    tenant_id: &TenantId,
) -> Result<Option<BillingDetails>, sqlx::Error> {
    sqlx::query_as("SELECT legal_name, address, npwp FROM billing_details WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_optional(pool)
        .await
}

/// Saves the tenant's billing details (replacing them).
pub async fn save_details(
    pool: &AnyPool,
    tenant_id: &TenantId,
    d: &BillingDetails,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO billing_details (tenant_id, legal_name, address, npwp, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id) DO UPDATE SET \
         legal_name = excluded.legal_name, address = excluded.address, npwp = excluded.npwp, \
         updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(&d.legal_name)
    .bind(&d.address)
    .bind(d.npwp.clone())
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// The calendar year in Asia/Jakarta (WIB, UTC+7) at `now` (unix ms):
/// invoices are numbered per that year.
pub fn jakarta_year(now: i64) -> i32 {
    use chrono::{Datelike as _, TimeZone as _};
    chrono_tz::Asia::Jakarta
        .timestamp_millis_opt(now)
        .single()
        .map_or(1970, |t| t.year())
}

/// `INV/2026/000042`.
pub fn number(year: i32, seq: i64) -> String {
    format!("INV/{year}/{seq:06}")
}

/// Issues the invoice of an order that was just paid, in the caller's
/// transaction: takes the year's next number and inserts the invoice.
/// Returns the number.
pub async fn issue(
    c: &mut AnyConnection,
    order_id: &OrderId,
    tenant_id: &TenantId,
    now: i64,
) -> Result<String, sqlx::Error> {
    let year = jakarta_year(now);
    let seq = next_seq(c, year).await?;
    let id = InvoiceId::new();
    let number = number(year, seq);
    let numbered = Numbered {
        id: &id,
        number: &number,
        year,
        seq,
    };
    insert_for_order(c, &numbered, order_id, tenant_id, now).await?;
    Ok(number)
}

/// Deletes a vendor's billing details (its account is being deleted); the
/// invoices keep the copy made when each was issued, as accounting needs.
pub async fn purge_details(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM billing_details WHERE tenant_id = $1")
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_turns_at_jakarta_midnight() {
        // 2026-12-31 16:59:59 UTC is 23:59:59 WIB; a second later it is
        // 2027 in Jakarta while still 2026 in UTC.
        let before = chrono::DateTime::parse_from_rfc3339("2026-12-31T16:59:59Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(jakarta_year(before), 2026);
        assert_eq!(jakarta_year(before + 1000), 2027);
        assert_eq!(number(2027, 1), "INV/2027/000001");
        assert_eq!(number(2026, 1_234_567), "INV/2026/1234567");
    }
}
