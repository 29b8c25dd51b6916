//! Settings of the marketplace (`[marketplace]` in the configuration file).

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

/// Marketplace settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketplaceConfig {
    /// Minutes a buyer has to pay a checkout before its stock is released
    /// (default 60; also the Snap payment's expiry).
    pub payment_expiry_minutes: i64,
    /// Days after shipping when an order counts as delivered unless the
    /// buyer confirmed earlier (default 7).
    pub auto_deliver_days: i64,
    /// Stock at or below which a variant is low (default 10); a product
    /// may set its own.
    pub low_stock_threshold: i64,
    /// Largest product image in bytes (default 2 MiB, at most 8 MiB).
    pub image_max_bytes: usize,
    /// How often the sweeps (expiry, delivery, refund retries) run, in
    /// seconds (default 30).
    pub sweep_interval_secs: u64,
    /// Midtrans Iris API key with the creator role (payouts to vendors);
    /// without it payouts answer 503 `not_configured`. Environment
    /// variable `MIDTRANS_IRIS_API_KEY`.
    #[serde(deserialize_with = "opt_secret")]
    pub iris_api_key: Option<SecretString>,
    /// Override of the Iris base URL (tests point it at a mock server).
    pub iris_base_url: Option<String>,
}

fn opt_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.trim().is_empty())
        .map(SecretString::from))
}

/// The upper bound of [`MarketplaceConfig::image_max_bytes`]: the image
/// upload route's body limit.
pub const IMAGE_MAX_BYTES_CAP: usize = 8 * 1024 * 1024;

impl Default for MarketplaceConfig {
    fn default() -> Self {
        Self {
            payment_expiry_minutes: 60,
            auto_deliver_days: 7,
            low_stock_threshold: 10,
            image_max_bytes: 2 * 1024 * 1024,
            sweep_interval_secs: 30,
            iris_api_key: None,
            iris_base_url: None,
        }
    }
}

impl MarketplaceConfig {
    /// The image size limit within its bound.
    pub fn image_limit(&self) -> usize {
        self.image_max_bytes.min(IMAGE_MAX_BYTES_CAP)
    }

    /// The payment window in milliseconds (at least one minute).
    pub fn payment_window_ms(&self) -> i64 {
        self.payment_expiry_minutes.max(1) * 60_000
    }
}
