//! Rate limits of the account endpoints, keyed by client IP and by account
//! (email or WhatsApp number), with `governor`.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitConfig;
use crate::http::AppError;

/// The two keyed limiters.
pub struct RateLimiters {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimiters { .. }")
    }
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
}

impl RateLimiters {
    /// Limiters with the configured quotas.
    pub fn new(config: &RateLimitConfig) -> Self {
        Self {
            per_ip: RateLimiter::keyed(quota(config.per_ip_per_minute)),
            per_account: RateLimiter::keyed(quota(config.per_account_per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one cell for `ip` and, when given, for `account` (normalised to
    /// lower case); answers 429 with `Retry-After` when either is exhausted.
    pub fn check(&self, ip: IpAddr, account: Option<&str>) -> Result<(), AppError> {
        if let Err(not_until) = self.per_ip.check_key(&ip) {
            return Err(AppError::RateLimited {
                retry_after_secs: not_until.wait_time_from(self.clock.now()).as_secs().max(1),
            });
        }
        if let Some(account) = account {
            let key = account.trim().to_lowercase();
            if let Err(not_until) = self.per_account.check_key(&key) {
                return Err(AppError::RateLimited {
                    retry_after_secs: not_until.wait_time_from(self.clock.now()).as_secs().max(1),
                });
            }
        }
        Ok(())
    }

    /// Drops idle keys (called by a periodic job so memory stays bounded).
    pub fn retain_recent(&self) {
        self.per_ip.retain_recent();
        self.per_account.retain_recent();
    }
}
