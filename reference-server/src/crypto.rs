//! Encryption of secrets at rest (provider tokens, app secrets, LLM keys).
//!
//! XChaCha20-Poly1305 with a 32-byte key from configuration; each value
//! gets a random 24-byte nonce, stored as `<key id>:<base64 of nonce ||
//! ciphertext>` in a TEXT column. The `aad` ties a ciphertext to its owner
//! (e.g. the tenant and device id) so a value copied to another row does
//! not decrypt.
//!
//! Key rotation: the current key encrypts; previous keys
//! (`SECRET_KEYS_PREVIOUS`) still decrypt, chosen by the key id stored with
//! each value, so the server keeps running while `reference-server
//! rotate-key` encrypts every stored value again with the current key.
//! Values from before key ids were stored carry none and are tried with
//! every configured key.

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
    /// A configured key is not 32 bytes of base64.
    #[error("the secret key must be 32 bytes encoded as base64")]
    BadKey,
    /// One of the previous keys (`SECRET_KEYS_PREVIOUS`) is not 32 bytes of
    /// base64; `index` counts from 1.
    #[error("previous secret key #{index} must be 32 bytes encoded as base64")]
    BadPreviousKey {
        /// Position in the list, from 1.
        index: usize,
    },
    /// The key file could not be read or written.
    #[error("cannot read or write the key file: {0}")]
    KeyFile(std::io::Error),
    /// The ciphertext is damaged, was made with a key that is not
    /// configured, or belongs to another owner.
    #[error("cannot decrypt the stored secret (wrong key or damaged value)")]
    Decrypt,
}

/// One key: its id (stored with every value it encrypts) and its cipher.
#[derive(Clone)]
struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
    bytes: [u8; 32],
}

impl Key {
    fn from_base64(key: &SecretString) -> Option<Self> {
        let bytes = STANDARD.decode(key.expose_secret().trim()).ok()?;
        let bytes: [u8; 32] = bytes.as_slice().try_into().ok()?;
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).ok()?;
        // The id names the key without revealing it: a MAC of a fixed label
        // under the key, so it cannot be computed without the key.
        let id = hex::encode(&hmac_sha256(&bytes, "key-id")[..KEY_ID_BYTES]);
        Some(Self { id, cipher, bytes })
    }
}

/// Bytes of the key id (hex-encoded in front of each value).
const KEY_ID_BYTES: usize = 4;

fn hmac_sha256(key: &[u8; 32], label: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The at-rest cipher: the current key, which encrypts, and the previous
/// keys, which only decrypt. Cheap to clone.
#[derive(Clone)]
pub struct Crypto {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crypto")
            .field("current_key_id", &self.current.id)
            .field("previous_keys", &self.previous.len())
            .finish_non_exhaustive()
    }
}

impl Crypto {
    /// A cipher from a base64 32-byte key.
    pub fn from_base64_key(key: &SecretString) -> Result<Self, CryptoError> {
        let current = Key::from_base64(key).ok_or(CryptoError::BadKey)?;
        Ok(Self {
            current,
            previous: Vec::new(),
        })
    }

    /// The same cipher that also decrypts values made with `keys` (base64),
    /// the previous keys of a rotation. A key equal to the current one is
    /// left out.
    pub fn with_previous(mut self, keys: &[SecretString]) -> Result<Self, CryptoError> {
        for (i, key) in keys.iter().enumerate() {
            let key = Key::from_base64(key).ok_or(CryptoError::BadPreviousKey { index: i + 1 })?;
            if key.id != self.current.id && self.previous.iter().all(|k| k.id != key.id) {
                self.previous.push(key);
            }
        }
        Ok(self)
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
        let path = key_file(data_dir);
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

    /// The cipher of a configuration: `secret_key` (or the key file) as the
    /// current key, `previous_secret_keys` as decrypt-only keys.
    pub fn from_config(config: &crate::Config) -> Result<Self, CryptoError> {
        Self::from_config_or_file(config.secret_key.as_ref(), &config.data_dir)?
            .with_previous(&config.previous_secret_keys)
    }

    /// A 32-byte subkey for another purpose (HMAC-SHA256 of `label` under
    /// the current key), e.g. the OTP code-hashing secret.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        hmac_sha256(&self.current.bytes, label)
    }

    /// A new random key, base64 (for `SECRET_KEY`).
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// The id of the current key (not secret: it is stored in front of
    /// every value the key encrypts).
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    /// The ids of the previous (decrypt-only) keys.
    pub fn previous_key_ids(&self) -> impl Iterator<Item = &str> {
        self.previous.iter().map(|k| k.id.as_str())
    }

    /// The id of the key a stored value was made with; `None` for a value
    /// from before key ids were stored.
    pub fn stored_key_id(stored: &str) -> Option<&str> {
        stored.split_once(':').map(|(id, _)| id)
    }

    /// Whether `stored` was made with the current key.
    pub fn is_current(&self, stored: &str) -> bool {
        Self::stored_key_id(stored) == Some(self.current.id.as_str())
    }

    /// Encrypts `plaintext` bound to `aad` (e.g. `"device:<tenant>:<id>"`)
    /// with the current key: `<key id>:<base64 of nonce || ciphertext>`.
    pub fn encrypt(&self, plaintext: &str, aad: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .current
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
        format!("{}:{}", self.current.id, STANDARD.encode(out))
    }

    /// Decrypts a value made by [`Crypto::encrypt`] with the same `aad`,
    /// with whichever configured key made it. A value without a key id
    /// (written before ids were stored) is tried with every key.
    pub fn decrypt(&self, stored: &str, aad: &str) -> Result<SecretString, CryptoError> {
        let keys = std::iter::once(&self.current).chain(&self.previous);
        match stored.split_once(':') {
            Some((id, body)) => keys
                .filter(|k| k.id == id)
                .find_map(|k| open(k, body, aad))
                .ok_or(CryptoError::Decrypt),
            None => keys
                .into_iter()
                .find_map(|k| open(k, stored, aad))
                .ok_or(CryptoError::Decrypt),
        }
    }

    /// `stored` encrypted again with the current key, or `None` when it
    /// already is. Either way the value is decrypted first, so an
    /// unreadable one is an error rather than counted as current.
    pub fn reencrypt(&self, stored: &str, aad: &str) -> Result<Option<String>, CryptoError> {
        let plain = self.decrypt(stored, aad)?;
        if self.is_current(stored) {
            return Ok(None);
        }
        Ok(Some(self.encrypt(plain.expose_secret(), aad)))
    }
}

/// Opens base64 `nonce || ciphertext` with `key`.
fn open(key: &Key, body: &str, aad: &str) -> Option<SecretString> {
    let bytes = STANDARD.decode(body).ok()?;
    if bytes.len() < 24 + 16 {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(24);
    let plain = key
        .cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok().map(SecretString::from)
}

/// One encrypted value as stored, for a pass over a table's secrets (key
/// rotation, configuration checks). `Debug` leaves the ciphertext out.
#[derive(Clone)]
pub struct StoredSecret {
    /// The row's id.
    pub id: String,
    /// The associated data the value is bound to.
    pub aad: String,
    /// The stored value.
    pub ciphertext: String,
}

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSecret")
            .field("id", &self.id)
            .field("key_id", &Crypto::stored_key_id(&self.ciphertext))
            .finish_non_exhaustive()
    }
}

/// The columns a feature reads for [`StoredSecret`]: the row's id, its
/// tenant and the encrypted value (selected `AS secret`).
#[derive(sqlx::FromRow)]
pub struct SecretRecord {
    /// The row's id.
    pub id: String,
    /// The owning tenant.
    pub tenant_id: String,
    /// The stored value.
    pub secret: String,
}

impl SecretRecord {
    /// The record with the associated data `aad` computes from tenant and id.
    pub fn into_stored(self, aad: impl Fn(&str, &str) -> String) -> StoredSecret {
        StoredSecret {
            aad: aad(&self.tenant_id, &self.id),
            id: self.id,
            ciphertext: self.secret,
        }
    }
}

/// The generated key's file in the data folder.
pub fn key_file(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("secret.key")
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

    fn key() -> SecretString {
        SecretString::from(Crypto::generate_key())
    }

    #[test]
    fn previous_keys_decrypt_and_reencrypt_moves_values_to_the_current_key() {
        let (old, new) = (key(), key());
        let before = Crypto::from_base64_key(&old).unwrap();
        let sealed = before.encrypt("token-1", "device:a");
        assert_eq!(Crypto::stored_key_id(&sealed), Some(before.key_id()));

        let after = Crypto::from_base64_key(&new)
            .unwrap()
            .with_previous(std::slice::from_ref(&old))
            .unwrap();
        assert_ne!(after.key_id(), before.key_id());
        assert_eq!(
            after.previous_key_ids().collect::<Vec<_>>(),
            [before.key_id()]
        );
        assert_eq!(
            after.decrypt(&sealed, "device:a").unwrap().expose_secret(),
            "token-1"
        );
        assert!(!after.is_current(&sealed));
        let moved = after.reencrypt(&sealed, "device:a").unwrap().unwrap();
        assert!(after.is_current(&moved));
        assert!(after.reencrypt(&moved, "device:a").unwrap().is_none());
        assert!(matches!(
            after.reencrypt(&sealed, "device:b"),
            Err(CryptoError::Decrypt)
        ));
        // Without the old key the old value is unreadable, the new one is.
        let only_new = Crypto::from_base64_key(&new).unwrap();
        assert!(only_new.decrypt(&sealed, "device:a").is_err());
        assert_eq!(
            only_new
                .decrypt(&moved, "device:a")
                .unwrap()
                .expose_secret(),
            "token-1"
        );
    }

    /// A value written before key ids were stored (bare base64) is still
    /// read, by whichever configured key made it, and re-encrypted.
    #[test]
    fn values_without_key_id_are_read_with_any_key() {
        let (old, new) = (key(), key());
        let before = Crypto::from_base64_key(&old).unwrap();
        let sealed = before.encrypt("k", "llm:t:1");
        let (_, bare) = sealed.split_once(':').unwrap();
        assert_eq!(Crypto::stored_key_id(bare), None);
        let after = Crypto::from_base64_key(&new)
            .unwrap()
            .with_previous(&[old.clone(), new.clone()])
            .unwrap();
        assert_eq!(
            after.previous_key_ids().count(),
            1,
            "the current key is not listed twice"
        );
        assert_eq!(after.decrypt(bare, "llm:t:1").unwrap().expose_secret(), "k");
        assert!(after.reencrypt(bare, "llm:t:1").unwrap().is_some());
    }

    #[test]
    fn bad_previous_key_is_named_by_position_and_debug_shows_no_key() {
        let current = key();
        let err = Crypto::from_base64_key(&current)
            .unwrap()
            .with_previous(&[key(), SecretString::from("short".to_owned())])
            .unwrap_err();
        assert!(matches!(err, CryptoError::BadPreviousKey { index: 2 }));
        let c = Crypto::from_base64_key(&current).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains(current.expose_secret()), "{shown}");
        assert!(shown.contains(c.key_id()), "{shown}");
    }
}
