//! SQL store for SQLite and PostgreSQL through sqlx's `AnyPool`, in one
//! dialect: times are BIGINT unix milliseconds, ids and hashes are TEXT,
//! placeholders are `$n`.

use std::future::Future;
use std::ops::RangeInclusive;
use std::pin::Pin;

use async_trait::async_trait;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, Migrator};
use sqlx::{AnyPool, Row};

use super::{AttemptState, NewChallenge, SendLog, Store, StoreError};

/// A store in a SQLite or PostgreSQL database, shared by every replica of
/// an app.
///
/// Each counter changes in one conditional SQL statement (attempts) or by
/// compare-and-swap on a version column (send logs), so the limits hold
/// however many processes share the database. Call
/// [`SqlStore::migrate`] once at start; it is idempotent.
///
/// # Migrations
///
/// The tables are created by numbered sqlx migrations embedded in the
/// crate, with versions in [`SqlStore::MIGRATION_VERSIONS`], recorded in
/// sqlx's `_sqlx_migrations` table. The store's migrations may share that
/// table with an app's own: each side skips the versions it does not know
/// (`Migrator::set_ignore_missing(true)`), so the app's migrator must do the
/// same, and keep its versions out of this range.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
}

/// The store's tables as numbered sqlx migrations, from `otp/migrations/`.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// [`MIGRATOR`]'s migrations as a source, so a copy of it can be built at
/// run time with settings the embedded static cannot take.
#[derive(Debug)]
struct Embedded(&'static Migrator);

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { Ok(self.0.iter().cloned().collect()) })
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Open, unexpired and with attempts left: the condition for counting an
/// attempt. `$3` is now.
const OPEN: &str = "consumed_at IS NULL AND superseded_at IS NULL \
                    AND expires_at > $3 AND attempts < max_attempts";

// By value so it can be passed to `map_err` directly.
#[allow(clippy::needless_pass_by_value)]
fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

impl SqlStore {
    /// Wraps an existing pool (after `sqlx::any::install_default_drivers()`).
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Connects to `sqlite://...`, `sqlite::memory:` or `postgres://...`,
    /// installing sqlx's default `Any` drivers first.
    ///
    /// PostgreSQL gets a pool of 8 connections. SQLite gets one connection:
    /// it allows one writer at a time, and almost every OTP operation
    /// writes, so queueing in the pool is cheaper than SQLite's sleeping
    /// busy handler; it also runs with `synchronous = NORMAL`, the usual
    /// setting for WAL mode. An in-memory SQLite database lives as long as
    /// the store.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let options = if url.starts_with("sqlite") {
            AnyPoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    })
                })
        } else {
            AnyPoolOptions::new().max_connections(8)
        };
        let pool = options.connect(url).await.map_err(db)?;
        Ok(Self { pool })
    }

    /// The underlying pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The versions the store's migrations use, kept apart from an app's
    /// own (which number from 1) and from other libraries' ranges.
    pub const MIGRATION_VERSIONS: RangeInclusive<i64> = 9_000_000..=9_099_999;

    /// The store's embedded migrations, for an app that applies the
    /// migrations of several crates in one step of its own instead of
    /// calling [`SqlStore::migrate`]. Run it with `ignore_missing` set (see
    /// [the type's docs](SqlStore#migrations)).
    pub fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    /// Applies the pending migrations (creating the tables on a fresh
    /// database; a database whose tables an earlier version of this crate
    /// created without migrations is taken over as it is). On SQLite it
    /// also switches a file database to WAL mode, which lets readers and a
    /// writer work at the same time.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        if conn.backend_name() == "SQLite" {
            // Ignored for in-memory databases, which answer "memory".
            sqlx::query("PRAGMA journal_mode = WAL")
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
        }
        let mut migrator = Migrator::new(Embedded(&MIGRATOR))
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?;
        // Versions of the app's own migrations in the same table are not
        // ours to check.
        migrator.set_ignore_missing(true);
        migrator
            .run(&mut *conn)
            .await
            .map_err(|e| StoreError::Database(e.to_string()))
    }
}

fn decode_hash(hex_hash: &str) -> Result<[u8; 32], StoreError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_hash, &mut out)
        .map_err(|_| StoreError::Corrupt("code hash is not 32 bytes of hex".to_owned()))?;
    Ok(out)
}

fn to_u32(v: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} out of range: {v}")))
}

fn encode_stamps(stamps: &[i64]) -> String {
    stamps
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_stamps(text: &str) -> Result<Vec<i64>, StoreError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| StoreError::Corrupt("send log holds a non-number".to_owned()))
        })
        .collect()
}

#[async_trait]
impl Store for SqlStore {
    async fn insert_challenge(&self, c: &NewChallenge) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO otp_challenges
                (id, purpose, destination, code_hash, created_at, expires_at, attempts, max_attempts)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
        )
        .bind(&c.id)
        .bind(&c.purpose)
        .bind(&c.destination)
        .bind(hex::encode(c.code_hash))
        .bind(c.created_at_ms)
        .bind(c.expires_at_ms)
        .bind(i64::from(c.max_attempts))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn supersede_others(
        &self,
        purpose: &str,
        destination: &str,
        keep_id: &str,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE otp_challenges SET superseded_at = $4
             WHERE purpose = $1 AND destination = $2 AND id <> $3
               AND consumed_at IS NULL AND superseded_at IS NULL",
        )
        .bind(purpose)
        .bind(destination)
        .bind(keep_id)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn delete_challenge(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM otp_challenges WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn begin_attempt(
        &self,
        id: &str,
        purpose: &str,
        now_ms: i64,
    ) -> Result<Option<AttemptState>, StoreError> {
        // One statement whatever the state, so every failed check costs the
        // same round trip. The token tells this caller whether *its* update
        // counted the attempt: RETURNING shows the row after the update, and
        // the attempts number alone cannot tell "I took the last attempt"
        // from "it was already locked".
        let token = crate::secret::generate_challenge_id();
        let sql = format!(
            "UPDATE otp_challenges SET
                attempts = CASE WHEN {OPEN} THEN attempts + 1 ELSE attempts END,
                attempt_token = CASE WHEN {OPEN} THEN $4 ELSE attempt_token END
             WHERE id = $1 AND purpose = $2
             RETURNING attempts, max_attempts, expires_at, consumed_at, superseded_at,
                       code_hash, destination, attempt_token"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(purpose)
            .bind(now_ms)
            .bind(&token)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let attempts: i64 = row.try_get("attempts").map_err(db)?;
        let max_attempts: i64 = row.try_get("max_attempts").map_err(db)?;
        let consumed: Option<i64> = row.try_get("consumed_at").map_err(db)?;
        let superseded: Option<i64> = row.try_get("superseded_at").map_err(db)?;
        let hash: String = row.try_get("code_hash").map_err(db)?;
        let returned_token: Option<String> = row.try_get("attempt_token").map_err(db)?;
        Ok(Some(AttemptState {
            reserved: returned_token.as_deref() == Some(token.as_str()),
            attempts: to_u32(attempts, "attempts")?,
            max_attempts: to_u32(max_attempts, "max_attempts")?,
            expires_at_ms: row.try_get("expires_at").map_err(db)?,
            consumed: consumed.is_some(),
            superseded: superseded.is_some(),
            code_hash: decode_hash(&hash)?,
            destination: row.try_get("destination").map_err(db)?,
        }))
    }

    async fn consume(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE otp_challenges SET consumed_at = $2
             WHERE id = $1 AND consumed_at IS NULL AND superseded_at IS NULL",
        )
        .bind(id)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn load_send_log(&self, key: &str) -> Result<Option<SendLog>, StoreError> {
        let row = sqlx::query("SELECT stamps, version FROM otp_send_logs WHERE counter_key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        match row {
            None => Ok(None),
            Some(row) => {
                let stamps: String = row.try_get("stamps").map_err(db)?;
                let version: i64 = row.try_get("version").map_err(db)?;
                Ok(Some(SendLog::new(decode_stamps(&stamps)?, version)))
            }
        }
    }

    async fn save_send_log(
        &self,
        key: &str,
        expected_version: Option<i64>,
        stamps: &[i64],
        expires_at_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = match expected_version {
            None => sqlx::query(
                "INSERT INTO otp_send_logs (counter_key, stamps, version, expires_at)
                 VALUES ($1, $2, 1, $3)
                 ON CONFLICT (counter_key) DO NOTHING",
            )
            .bind(key)
            .bind(encode_stamps(stamps))
            .bind(expires_at_ms)
            .execute(&self.pool)
            .await
            .map_err(db)?,
            Some(version) => sqlx::query(
                "UPDATE otp_send_logs SET stamps = $2, version = version + 1, expires_at = $3
                 WHERE counter_key = $1 AND version = $4",
            )
            .bind(key)
            .bind(encode_stamps(stamps))
            .bind(expires_at_ms)
            .bind(version)
            .execute(&self.pool)
            .await
            .map_err(db)?,
        };
        Ok(done.rows_affected() == 1)
    }

    async fn purge(&self, challenges_before_ms: i64, now_ms: i64) -> Result<u64, StoreError> {
        let a = sqlx::query("DELETE FROM otp_challenges WHERE expires_at < $1")
            .bind(challenges_before_ms)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        let b = sqlx::query("DELETE FROM otp_send_logs WHERE expires_at < $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(a.rows_affected() + b.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_stay_in_their_range() {
        assert!(MIGRATOR.iter().count() > 0);
        for m in MIGRATOR.iter() {
            assert!(
                SqlStore::MIGRATION_VERSIONS.contains(&m.version),
                "migration {} is outside {:?}",
                m.version,
                SqlStore::MIGRATION_VERSIONS
            );
        }
    }

    #[test]
    fn stamps_round_trip() {
        assert_eq!(
            decode_stamps(&encode_stamps(&[])).unwrap(),
            Vec::<i64>::new()
        );
        let s = [1_767_225_600_000, 1_767_225_660_000];
        assert_eq!(decode_stamps(&encode_stamps(&s)).unwrap(), s);
        assert!(decode_stamps("1,x").is_err());
    }
}
