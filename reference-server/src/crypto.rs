//! Encryption of secrets at rest (provider tokens, app secrets, LLM keys).
//!
//! XChaCha20-Poly1305 with a 32-byte key from configuration; each value
//! gets a random 24-byte nonce, stored as base64 `nonce || ciphertext` in a
//! TEXT column. The `aad` ties a ciphertext to its owner (e.g. the tenant
//! and device id) so a value copied to another row does not decrypt.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};

/// Errors of [`Crypto`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The configured key is not 32 bytes of base64.
    #[error("the secret key must be 32 bytes encoded as base64")]
    BadKey,
    /// The key file could not be read or written.
    #[error("cannot read or write the key file: {0}")]
    KeyFile(std::io::Error),
    /// The ciphertext is damaged, was made with another key, or belongs to
    /// another owner.
    #[error("cannot decrypt the stored secret (wrong key or damaged value)")]
    Decrypt,
}

/// The at-rest cipher. Cheap to clone.
#[derive(Clone)]
pub struct Crypto {
    cipher: XChaCha20Poly1305,
    key: [u8; 32],
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto { key: [redacted] }")
    }
}

impl Crypto {
    /// A cipher from a base64 32-byte key.
    pub fn from_base64_key(key: &SecretString) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::BadKey)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| CryptoError::BadKey)?;
        Ok(Self { cipher, key })
    }

    /// The configured key, or the key in `<data_dir>/secret.key`, created
    /// (mode 0600) on first use so a fresh machine needs no setup.
    pub fn from_config_or_file(
        key: Option<&SecretString>,
        data_dir: &Path,
    ) -> Result<Self, CryptoError> {
        if let Some(key) = key {
            return Self::from_base64_key(key);
        }
        let path = data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64_key(&SecretString::from(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(CryptoError::KeyFile)?;
                let key = SecretString::from(Self::generate_key());
                write_private(&path, key.expose_secret()).map_err(CryptoError::KeyFile)?;
                tracing::info!(path = %path.display(), "generated a new at-rest encryption key");
                Self::from_base64_key(&key)
            }
            Err(e) => Err(CryptoError::KeyFile(e)),
        }
    }

    /// A 32-byte subkey for another purpose (HMAC-SHA256 of `label` under
    /// the master key), e.g. the OTP code-hashing secret.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A new random key, base64 (for `SECRET_KEY`).
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// Encrypts `plaintext` bound to `aad` (e.g. `"device:<tenant>:<id>"`).
    pub fn encrypt(&self, plaintext: &str, aad: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            // Encryption only fails for messages beyond ~256 GiB.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(24 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    /// Decrypts a value made by [`Crypto::encrypt`] with the same `aad`.
    pub fn decrypt(&self, stored: &str, aad: &str) -> Result<SecretString, CryptoError> {
        let bytes = STANDARD.decode(stored).map_err(|_| CryptoError::Decrypt)?;
        if bytes.len() < 24 + 16 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| CryptoError::Decrypt)
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = SecretString::from(Crypto::generate_key());
        let c = Crypto::from_base64_key(&key).unwrap();
        let sealed = c.encrypt("token-123", "device:a");
        assert!(!sealed.contains("token-123"));
        assert_eq!(
            c.decrypt(&sealed, "device:a").unwrap().expose_secret(),
            "token-123"
        );
        assert!(matches!(
            c.decrypt(&sealed, "device:b"),
            Err(CryptoError::Decrypt)
        ));
        let other = Crypto::from_base64_key(&SecretString::from(Crypto::generate_key())).unwrap();
        assert!(other.decrypt(&sealed, "device:a").is_err());
        assert!(Crypto::from_base64_key(&SecretString::from("short".to_owned())).is_err());
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = Crypto::from_config_or_file(None, dir.path()).unwrap();
        let sealed = a.encrypt("x", "");
        let b = Crypto::from_config_or_file(None, dir.path()).unwrap();
        assert_eq!(b.decrypt(&sealed, "").unwrap().expose_secret(), "x");
    }
}
