//! Settings of billing (`[billing]` in the configuration file).

use serde::Deserialize;

/// Billing settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BillingConfig {
    /// Days after its expiry during which a plan keeps working, with a
    /// reminder on the first of them (default 3; 0 expires at once).
    /// Environment variable `BILLING_GRACE_DAYS`.
    pub grace_days: i64,
    /// How often the reminder sweep runs, in seconds (default 300).
    /// Environment variable `BILLING_REMINDER_INTERVAL_SECS`.
    pub reminder_interval_secs: u64,
    /// The seller named on invoices (default `WA Commerce`). Environment
    /// variable `INVOICE_ISSUER_NAME`.
    pub invoice_issuer_name: String,
    /// The seller's address on invoices. Environment variable
    /// `INVOICE_ISSUER_ADDRESS`.
    pub invoice_issuer_address: Option<String>,
    /// The seller's NPWP on invoices (15 or 16 digits). Environment
    /// variable `INVOICE_ISSUER_NPWP`.
    pub invoice_issuer_npwp: Option<String>,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self {
            grace_days: 3,
            reminder_interval_secs: 300,
            invoice_issuer_name: "WA Commerce".to_owned(),
            invoice_issuer_address: None,
            invoice_issuer_npwp: None,
        }
    }
}

impl BillingConfig {
    /// The grace period in milliseconds (never negative).
    pub fn grace_ms(&self) -> i64 {
        self.grace_days.clamp(0, 365) * 86_400_000
    }
}
