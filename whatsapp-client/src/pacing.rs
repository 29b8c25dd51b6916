//! Pacing: per-sender and per-recipient rate limits around any provider.

use std::time::Duration;

/// Cloud API default sender throughput: 80 messages per second.
pub const CLOUD_DEFAULT_PER_SECOND: u32 = 80;

/// Cloud API pair rate limit: about one message every 6 seconds to the same
/// recipient (bursts are tolerated, sustained traffic triggers 131056).
pub const CLOUD_PAIR_INTERVAL: Duration = Duration::from_secs(6);
