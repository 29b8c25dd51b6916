//! Payout types: states, requests, answers, rows and the commission.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{PayoutId, TenantId, VendorOrderId};

crate::text_enum! {
    /// Where a ledger entry is (`mkt_payout_entries.status`).
    pub enum EntryStatus {
        /// Owed to the vendor, not in a payout yet.
        Owed = "owed",
        /// Part of a payout Iris has not accepted yet.
        InPayout = "in_payout",
        /// Paid out.
        Paid = "paid",
    }
}

crate::text_enum! {
    /// Where a payout is (`mkt_payouts.status`).
    pub enum PayoutStatus {
        /// Its entries are set aside; Iris has not accepted it yet (the
        /// same idempotency key retries it).
        Pending = "pending",
        /// Accepted by Iris; its entries are paid.
        Sent = "sent",
    }
}

/// `(commission, net)` of an order that brought `gross - refunded`, the
/// commission rounded down.
#[must_use]
pub fn split(gross: i64, refunded: i64, bps: i64) -> (i64, i64) {
    let base = (gross - refunded).max(0);
    let commission = base * bps.clamp(0, 10_000) / 10_000;
    (commission, base - commission)
}

/// Where the vendor's payouts go.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct PayoutAccount {
    /// Iris bank code, e.g. `bca`, `bni`, `mandiri`.
    pub bank: String,
    /// Account number (digits).
    pub account: String,
    /// Account holder's name.
    pub holder_name: String,
}

/// Pay a vendor what it is owed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPayout {
    /// Made up once per payout attempt (1-100 characters); repeating it
    /// returns (or retries) the same payout.
    pub idempotency_key: String,
}

/// What the platform owes for one delivered order.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct LedgerEntry {
    /// The order.
    pub order_id: VendorOrderId,
    /// Its subtotal.
    pub gross_idr: i64,
    /// Refunded to the buyer.
    pub refunded_idr: i64,
    /// Commission rate (basis points) of the vendor's plan when accrued.
    pub commission_bps: i64,
    /// The platform's commission.
    pub commission_idr: i64,
    /// Owed to the vendor.
    pub net_idr: i64,
    /// Status.
    pub status: EntryStatus,
    /// The payout that carries it.
    pub payout_id: Option<PayoutId>,
    /// Accrued (unix ms).
    pub created_at: i64,
}

/// A payout to a vendor.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Payout {
    /// Id (also the Iris idempotency key).
    pub id: PayoutId,
    /// The vendor.
    pub tenant_id: TenantId,
    /// Amount.
    pub amount_idr: i64,
    /// Status.
    pub status: PayoutStatus,
    /// Iris' reference number once accepted.
    pub reference_no: Option<String>,
    /// Why the last Iris call failed.
    pub last_error: Option<String>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Accepted by Iris (unix ms).
    pub sent_at: Option<i64>,
}

/// A vendor's payout ledger.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ledger {
    /// Owed and not yet in a payout.
    pub owed_idr: i64,
    /// Every entry, newest first (up to 500).
    pub entries: Vec<LedgerEntry>,
    /// Payouts, newest first (up to 100).
    pub payouts: Vec<Payout>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commission_after_refunds_rounds_down() {
        assert_eq!(split(100_000, 0, 1000), (10_000, 90_000));
        assert_eq!(split(30_000, 10_000, 1000), (2_000, 18_000));
        assert_eq!(split(999, 0, 700), (69, 930));
        assert_eq!(split(10, 20, 500), (0, 0));
    }
}
