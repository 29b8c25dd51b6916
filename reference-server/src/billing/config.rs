//! Settings of billing (`[billing]` in the configuration file).

use serde::{Deserialize, Deserializer};

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
    /// The seller's NPWP on invoices: 15 or 16 digits (dots, dashes and
    /// spaces are dropped; anything else stops the start). Environment
    /// variable `INVOICE_ISSUER_NPWP`.
    #[serde(deserialize_with = "npwp_setting")]
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

/// The digits of a configured NPWP, `None` for an empty value.
///
/// # Errors
/// Unless 15 or 16 digits remain.
pub fn parse_npwp(value: &str) -> Result<Option<String>, String> {
    super::invoices::normalize_npwp(value).map_err(|_| "must be 15 or 16 digits".to_owned())
}

fn npwp_setting<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(v) => parse_npwp(&v).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

impl BillingConfig {
    /// The grace period in milliseconds (never negative).
    pub fn grace_ms(&self) -> i64 {
        self.grace_days.clamp(0, 365) * 86_400_000
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn issuer_npwp_is_checked() {
        assert_eq!(
            super::parse_npwp("01.234.567.8-901.234")
                .unwrap()
                .as_deref(),
            Some("012345678901234")
        );
        assert_eq!(super::parse_npwp(" ").unwrap(), None);
        assert!(super::parse_npwp("1234").is_err());
        let file: super::BillingConfig =
            toml::from_str("invoice_issuer_npwp = \"3171 0123 4567 8901\"").unwrap();
        assert_eq!(
            file.invoice_issuer_npwp.as_deref(),
            Some("3171012345678901")
        );
        assert!(toml::from_str::<super::BillingConfig>("invoice_issuer_npwp = \"12\"").is_err());
    }
}
