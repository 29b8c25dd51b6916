//! Argon2id password hashing (run on the blocking pool: it is CPU-bound by design).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};

use crate::http::{AppError, ResultExt};

/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password (bounds the hashing work per request).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks the password policy.
pub fn validate(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(AppError::bad_request(
            "weak_password",
            crate::http::i18n::tr!(
                "kata sandi minimal {MIN_PASSWORD_CHARS} karakter",
                "the password must have at least {MIN_PASSWORD_CHARS} characters"
            ),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(AppError::bad_request(
            "invalid_password",
            crate::http::i18n::tr!(
                "kata sandi maksimal {MAX_PASSWORD_CHARS} karakter",
                "the password must have at most {MAX_PASSWORD_CHARS} characters"
            ),
        ));
    }
    Ok(())
}

fn hasher(memory_kib: u32) -> Result<Argon2<'static>, AppError> {
    let params = Params::new(memory_kib.max(8), 2, 1, None).map_err(AppError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` with Argon2id (PHC string, parameters included).
pub async fn hash(password: SecretString, memory_kib: u32) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
        hasher(memory_kib)?
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
    .context("hashing a password")?
}

/// Verifies `password` against a stored PHC string. With `None` (unknown
/// account) a dummy hash is checked so the answer takes the same time.
pub async fn verify(
    password: SecretString,
    stored: Option<String>,
    memory_kib: u32,
) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let (stored, real) = match stored {
            Some(s) => (s, true),
            None => (dummy_hash(memory_kib)?, false),
        };
        let parsed = PasswordHash::new(&stored).map_err(AppError::internal)?;
        let ok = Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok();
        Ok(ok && real)
    })
    .await
    .context("verifying a password")?
}

/// Argon2id hash of a random password with the configured cost, computed
/// once per cost, for timing-equal misses.
fn dummy_hash(memory_kib: u32) -> Result<String, AppError> {
    static DUMMY: std::sync::Mutex<Vec<(u32, String)>> = std::sync::Mutex::new(Vec::new());
    if let Ok(cache) = DUMMY.lock()
        && let Some((_, h)) = cache.iter().find(|(m, _)| *m == memory_kib)
    {
        return Ok(h.clone());
    }
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
    let h = hasher(memory_kib)?
        .hash_password(generate().as_bytes(), &salt)
        .map_err(AppError::internal)?
        .to_string();
    if let Ok(mut cache) = DUMMY.lock() {
        cache.push((memory_kib, h.clone()));
    }
    Ok(h)
}

/// A random password for seeded admins (20 characters, unambiguous alphabet).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| {
            let i = (rng.next_u32() as usize) % ALPHABET.len();
            char::from(ALPHABET[i])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash(SecretString::from("correct horse".to_owned()), 64)
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify(
                SecretString::from("correct horse".to_owned()),
                Some(h.clone()),
                64
            )
            .await
            .unwrap()
        );
        assert!(
            !verify(SecretString::from("wrong horse".to_owned()), Some(h), 64)
                .await
                .unwrap()
        );
        assert!(
            !verify(SecretString::from("x".to_owned()), None, 64)
                .await
                .unwrap()
        );
        assert!(validate("short").is_err());
        assert_eq!(generate().len(), 20);
    }
}
