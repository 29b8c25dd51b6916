//! Opaque random tokens (sessions, API keys), stored only as SHA-256.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// Prefix of session tokens.
pub const SESSION_PREFIX: &str = "wss_";
/// Prefix of vendor API keys.
pub const API_KEY_PREFIX: &str = "wak_";

/// A new token: `prefix` + 32 random bytes, base64url.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token: SHA-256, hex. Tokens carry 256 random
/// bits, so a fast hash is enough (no password stretching needed).
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
