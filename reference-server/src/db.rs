//! Database connection and migrations.
//!
//! One SQL dialect for SQLite and PostgreSQL through [`sqlx::AnyPool`]:
//! `$1` placeholders, ids as TEXT (uuid v7), times as BIGINT unix
//! milliseconds, money as BIGINT rupiah, booleans as BIGINT 0/1, JSON as
//! TEXT. Migrations live in `reference-server/migrations/` and are embedded
//! with [`sqlx::migrate!`].

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor, Transaction};

/// Which database engine the pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// An SQLite file (the embedded default).
    Sqlite,
    /// PostgreSQL (production, several replicas).
    Postgres,
}

impl DbKind {
    /// Detects the kind from a connection URL.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Errors while connecting or migrating.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The URL is neither `sqlite:` nor `postgres://`.
    #[error("unsupported database URL scheme (expected sqlite: or postgres://)")]
    UnsupportedUrl,
    /// The data directory for the SQLite file could not be created.
    #[error("cannot create the data directory: {0}")]
    DataDir(std::io::Error),
    /// Connecting failed.
    #[error("cannot connect to the database: {0}")]
    Connect(sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The migrations embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens a pool for `url` (credentials in it are never logged).
pub async fn connect(url: &SecretString) -> Result<(AnyPool, DbKind), DbError> {
    install_default_drivers();
    let raw = url.expose_secret();
    let kind = DbKind::from_url(raw).ok_or(DbError::UnsupportedUrl)?;
    if kind == DbKind::Sqlite {
        ensure_sqlite_dir(raw)?;
    }
    let options = AnyPoolOptions::new()
        .max_connections(match kind {
            DbKind::Sqlite => 8,
            DbKind::Postgres => 20,
        })
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if kind == DbKind::Sqlite {
                    // WAL lets readers run beside the single writer; the busy
                    // timeout makes a second writer wait instead of failing.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                }
                Ok(())
            })
        });
    let pool = options.connect(raw).await.map_err(DbError::Connect)?;
    Ok((pool, kind))
}

fn ensure_sqlite_dir(url: &str) -> Result<(), DbError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(DbError::DataDir)?;
    }
    Ok(())
}

/// Applies every pending migration.
pub async fn migrate(pool: &AnyPool) -> Result<(), DbError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Begins a transaction that will write. On SQLite this is
/// `BEGIN IMMEDIATE`, so the write lock is taken up front and a concurrent
/// writer waits (busy timeout) instead of failing on lock upgrade.
pub async fn begin_write(
    pool: &AnyPool,
    kind: DbKind,
) -> Result<Transaction<'static, sqlx::Any>, sqlx::Error> {
    match kind {
        DbKind::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        DbKind::Postgres => pool.begin().await,
    }
}

/// Current time in unix milliseconds (the storage format of every time column).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A new id (uuid v7: time-ordered, so indexes stay compact).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether `e` is a unique-constraint violation (SQLite or PostgreSQL).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
