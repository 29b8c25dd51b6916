//! Operator commands over a configuration: backups and restores
//! ([`backup`]), the configuration check ([`doctor`]) and the
//! re-encryption of stored secrets after a key change ([`secrets`]).
//!
//! These run as `reference-server <command>`, possibly beside a running
//! server on the same database; they change nothing a running server
//! relies on without a guard (re-encryption replaces a value only if it is
//! still the one read). This module sits above the features: it calls
//! their store functions and owns no tables.

pub mod backup;
pub mod doctor;
pub mod secrets;

/// Why an operator command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpsError {
    /// Connecting to or reading the database failed.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// A statement failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// The at-rest encryption keys.
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// The SQLite backup or restore.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file or an external program.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The command cannot do what was asked; the text says why and what
    /// to do instead.
    #[error("{0}")]
    Refused(String),
}

/// The at-rest cipher of `config` without creating a key: a command that
/// finds no key has nothing to decrypt with, and a key it generated would
/// not be the server's.
pub fn existing_crypto(config: &crate::Config) -> Result<crate::crypto::Crypto, OpsError> {
    if config.secret_key.is_none() && !crate::crypto::key_file(&config.data_dir).is_file() {
        return Err(OpsError::Refused(format!(
            "no at-rest key: SECRET_KEY is unset and {} does not exist",
            crate::crypto::key_file(&config.data_dir).display()
        )));
    }
    Ok(crate::crypto::Crypto::from_config(config)?)
}
