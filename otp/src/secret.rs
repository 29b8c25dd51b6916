//! The server secret and everything derived from it: code hashes and the
//! pseudonymous keys of the send counters.

use std::fmt;

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::ConfigError;

/// The server-side key that codes are hashed with (HMAC-SHA256).
///
/// Every replica must use the same secret, or codes issued by one cannot be
/// verified by another. Keep it out of the database: someone who reads the
/// store but not the secret cannot test codes offline. Its `Debug` output is
/// redacted.
#[derive(Clone)]
pub struct OtpSecret {
    mac: Hmac<Sha256>,
}

impl OtpSecret {
    /// Minimum secret length in bytes.
    pub const MIN_LEN: usize = 32;

    /// A secret from raw bytes (at least [`OtpSecret::MIN_LEN`]), e.g. the
    /// decoded value of an environment variable.
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let bytes = bytes.as_ref();
        if bytes.len() < Self::MIN_LEN {
            return Err(ConfigError::SecretTooShort { min: Self::MIN_LEN });
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(bytes)
            .map_err(|_| ConfigError::SecretTooShort { min: Self::MIN_LEN })?;
        Ok(Self { mac })
    }

    /// A fresh random secret. Only for a single process that never
    /// restarts with codes outstanding (tests, demos): codes issued under
    /// one random secret cannot be verified under another.
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes);
        Self {
            mac: <Hmac<Sha256> as Mac>::new_from_slice(&bytes)
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length")),
        }
    }

    /// HMAC over a domain tag and length-prefixed parts, so no two inputs
    /// share a byte string.
    fn tagged(&self, tag: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(tag);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The stored form of `code` for challenge `challenge_id`.
    pub(crate) fn code_hash(&self, challenge_id: &str, code: &str) -> [u8; 32] {
        self.tagged(b"otp/code/v1", &[challenge_id.as_bytes(), code.as_bytes()])
    }

    /// A pseudonymous counter key, so the store never holds client IPs.
    pub(crate) fn counter_key(&self, kind: &str, value: &str) -> String {
        let h = self.tagged(b"otp/counter/v1", &[kind.as_bytes(), value.as_bytes()]);
        format!("{kind}:{}", hex::encode(&h[..20]))
    }
}

impl fmt::Debug for OtpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpSecret([redacted])")
    }
}

/// Constant-time equality of two hashes.
pub(crate) fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// A fresh code of `digits` digits, uniformly distributed (the thread RNG is
/// a CSPRNG seeded from the operating system).
pub(crate) fn generate_code(digits: u8) -> String {
    let digits = u32::from(digits.clamp(4, 10));
    let n: u64 = rand::rng().random_range(0..10u64.pow(digits));
    format!("{n:0width$}", width = digits as usize)
}

/// A random challenge id: 128 bits, hex.
pub(crate) fn generate_challenge_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}

/// Strips the spaces and dashes users type or paste ("123 456", "123-456").
/// Longer inputs than any code are cut; they cannot match anyway.
pub(crate) fn normalize_code_input(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .take(32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_must_be_long_and_never_print() {
        assert!(matches!(
            OtpSecret::new([7u8; 31]),
            Err(ConfigError::SecretTooShort { min: 32 })
        ));
        let s = OtpSecret::new(b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(format!("{s:?}"), "OtpSecret([redacted])");
    }

    #[test]
    fn code_hash_depends_on_secret_challenge_and_code() {
        let a = OtpSecret::new([1u8; 32]).unwrap();
        let b = OtpSecret::new([2u8; 32]).unwrap();
        let h = a.code_hash("c1", "123456");
        assert!(hashes_equal(&h, &a.code_hash("c1", "123456")));
        assert!(!hashes_equal(&h, &a.code_hash("c2", "123456")));
        assert!(!hashes_equal(&h, &a.code_hash("c1", "123457")));
        assert!(!hashes_equal(&h, &b.code_hash("c1", "123456")));
        // Length prefixes keep ("c11", "23456") apart from ("c1", "123456").
        assert!(!hashes_equal(&h, &a.code_hash("c11", "23456")));
    }

    #[test]
    fn codes_have_the_requested_length_and_vary() {
        for digits in 4..=10u8 {
            let code = generate_code(digits);
            assert_eq!(code.len(), usize::from(digits));
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        let many: std::collections::HashSet<_> = (0..200).map(|_| generate_code(10)).collect();
        assert!(many.len() > 190, "codes repeat too often: {}", many.len());
        // Every leading digit occurs, including zero (zero-padding works).
        let firsts: std::collections::HashSet<_> =
            (0..2000).map(|_| generate_code(4).as_bytes()[0]).collect();
        assert_eq!(firsts.len(), 10);
    }

    #[test]
    fn input_normalisation() {
        assert_eq!(normalize_code_input(" 123 456\n"), "123456");
        assert_eq!(normalize_code_input("123-456"), "123456");
        assert_eq!(normalize_code_input(&"9".repeat(100)).len(), 32);
    }

    #[test]
    fn counter_keys_are_pseudonymous_and_stable() {
        let s = OtpSecret::new([3u8; 32]).unwrap();
        let k = s.counter_key("client", "203.0.113.9");
        assert!(k.starts_with("client:"));
        assert!(!k.contains("203.0.113.9"));
        assert_eq!(k, s.counter_key("client", "203.0.113.9"));
        assert_ne!(k, s.counter_key("dest", "203.0.113.9"));
    }
}
