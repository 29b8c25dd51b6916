//! Tunable rules. The defaults follow the common SaaS practice.

use std::time::Duration;

use crate::error::ConfigError;

/// The rules an [`Otp`](crate::Otp) enforces.
///
/// Start from [`OtpConfig::default()`] and change the fields you need; the
/// values are checked by [`OtpConfig::validate`] when the engine is built.
///
/// ```
/// use std::time::Duration;
/// let mut config = otp::OtpConfig::default();
/// config.code_length = 8;
/// config.ttl = Duration::from_secs(10 * 60);
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtpConfig {
    /// Number of digits in a code, 4 to 10. Default 6.
    pub code_length: u8,
    /// How long a code stays valid, 10 s to 24 h. Default 5 minutes.
    pub ttl: Duration,
    /// Verification attempts allowed per challenge, 1 to 20. Default 3.
    /// When they are used up by wrong codes the challenge is locked; only
    /// the challenge, never an account.
    pub max_attempts: u32,
    /// Minimum time between two sends to the same destination, 0 (off) to
    /// 1 h. Default 60 s.
    pub resend_cooldown: Duration,
    /// Sends allowed to one destination within [`send_window`](Self::send_window),
    /// 1 to 1000. Default 5.
    pub max_sends_per_destination: u32,
    /// Sends allowed for one client key (for example the caller's IP
    /// address) within [`send_window`](Self::send_window), 1 to 1000.
    /// Default 20, generous because mobile carriers put many users behind
    /// one address.
    pub max_sends_per_client: u32,
    /// Length of the rolling window the send limits count over, 1 minute to
    /// 7 days. Default 1 hour.
    pub send_window: Duration,
    /// How long an expired or closed challenge is kept before
    /// [`Otp::purge_expired`](crate::Otp::purge_expired) deletes it, 0 to 30
    /// days. While it is kept, verifying it answers `Expired` rather than
    /// `NotFound`. Default 1 hour.
    pub retention: Duration,
}

impl Default for OtpConfig {
    fn default() -> Self {
        Self {
            code_length: 6,
            ttl: Duration::from_secs(5 * 60),
            max_attempts: 3,
            resend_cooldown: Duration::from_secs(60),
            max_sends_per_destination: 5,
            max_sends_per_client: 20,
            send_window: Duration::from_secs(60 * 60),
            retention: Duration::from_secs(60 * 60),
        }
    }
}

/// Longest allowed validity of a code.
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Upper bound for send limits; keeps a destination's send log small.
const MAX_SENDS: u32 = 1000;

impl OtpConfig {
    /// Checks every value against its allowed range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn bad(field: &'static str, allowed: &'static str) -> Result<(), ConfigError> {
            Err(ConfigError::OutOfRange { field, allowed })
        }
        if !(4..=10).contains(&self.code_length) {
            return bad("code_length", "4 to 10 digits");
        }
        if self.ttl < Duration::from_secs(10) || self.ttl > MAX_TTL {
            return bad("ttl", "10 seconds to 24 hours");
        }
        if !(1..=20).contains(&self.max_attempts) {
            return bad("max_attempts", "1 to 20");
        }
        if self.resend_cooldown > Duration::from_secs(60 * 60) {
            return bad("resend_cooldown", "0 to 1 hour");
        }
        if !(1..=MAX_SENDS).contains(&self.max_sends_per_destination) {
            return bad("max_sends_per_destination", "1 to 1000");
        }
        if !(1..=MAX_SENDS).contains(&self.max_sends_per_client) {
            return bad("max_sends_per_client", "1 to 1000");
        }
        if self.send_window < Duration::from_secs(60)
            || self.send_window > Duration::from_secs(7 * 24 * 60 * 60)
        {
            return bad("send_window", "1 minute to 7 days");
        }
        if self.retention > Duration::from_secs(30 * 24 * 60 * 60) {
            return bad("retention", "0 to 30 days");
        }
        Ok(())
    }
}

/// Milliseconds in `d`, saturating.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_follow_the_common_rules() {
        let c = OtpConfig::default();
        c.validate().unwrap();
        assert_eq!(c.code_length, 6);
        assert_eq!(c.ttl, Duration::from_secs(300));
        assert_eq!(c.max_attempts, 3);
        assert_eq!(c.resend_cooldown, Duration::from_secs(60));
        assert_eq!(c.max_sends_per_destination, 5);
        assert_eq!(c.send_window, Duration::from_secs(3600));
    }

    #[test]
    fn out_of_range_values_are_rejected_with_the_field_name() {
        type Edit = fn(&mut OtpConfig);
        let cases: [(Edit, &str); 9] = [
            (|c| c.code_length = 3, "code_length"),
            (|c| c.code_length = 11, "code_length"),
            (|c| c.ttl = Duration::from_secs(5), "ttl"),
            (|c| c.max_attempts = 0, "max_attempts"),
            (
                |c| c.max_sends_per_destination = 0,
                "max_sends_per_destination",
            ),
            (|c| c.max_sends_per_client = 1001, "max_sends_per_client"),
            (|c| c.send_window = Duration::from_secs(1), "send_window"),
            (
                |c| c.resend_cooldown = Duration::from_secs(7200),
                "resend_cooldown",
            ),
            (
                |c| c.retention = Duration::from_secs(40 * 86_400),
                "retention",
            ),
        ];
        for (edit, field) in cases {
            let mut config = OtpConfig::default();
            edit(&mut config);
            match config.validate() {
                Err(ConfigError::OutOfRange { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: expected OutOfRange, got {other:?}"),
            }
        }
        for digits in [4, 10] {
            let config = OtpConfig {
                code_length: digits,
                ..OtpConfig::default()
            };
            config.validate().unwrap();
        }
    }
}
