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
use sqlx::{AnyConnection, AnyPool, Executor, Transaction};

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
            // Each SQLite connection is a thread of its own; on a small
            // machine more of them cost more in thread switches than their
            // parallel reads gain (inbound load test, 2 cores: 4 gave
            // 2,574-2,817/s where 8 gave 2,263/s).
            DbKind::Sqlite => 4,
            DbKind::Postgres => 20,
        })
        .acquire_timeout(Duration::from_secs(10))
        // A checkout pings the connection first by default: one more round
        // trip (on SQLite, to the connection's thread) per query. Broken
        // connections still surface as errors on use.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if kind == DbKind::Sqlite {
                    // WAL lets readers run beside the single writer; the busy
                    // timeout makes a second writer wait instead of failing.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    // Pages are read through a memory map instead of a
                    // read() call each (readers re-read pages another
                    // connection's commit changed).
                    conn.execute("PRAGMA mmap_size = 268435456").await?;
                    // No connection checkpoints the WAL as part of a commit
                    // (that write-back and its fsync would stall every
                    // request queued behind that commit); the writer's
                    // background checkpointer does it (see `Writer::new`),
                    // and SQLite does when the last connection closes.
                    conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
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

/// The future a [`Writer`] job returns, borrowing the connection it runs on.
pub type JobFuture<'c, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, sqlx::Error>> + Send + 'c>>;

type Output = Box<dyn std::any::Any + Send>;
type ErasedJob = Box<dyn for<'c> FnMut(&'c mut AnyConnection) -> JobFuture<'c, Output> + Send>;

struct Job {
    run: ErasedJob,
    reply: tokio::sync::oneshot::Sender<Result<Output, sqlx::Error>>,
}

/// Runs short write transactions of the hot paths (payment notifications,
/// inbound messages, simulated sends).
///
/// On SQLite, where only one writer can hold the database at a time, one
/// task owns a dedicated connection and commits the jobs that are waiting
/// together: up to [`Writer::MAX_BATCH`] jobs share one `BEGIN IMMEDIATE
/// ... COMMIT` (group commit), so a job pays for its own statements only,
/// not for a transaction, a pool checkout and a turn at the write lock of
/// its own. A job's answer is sent after the commit, so nobody acts on
/// writes that could still be rolled back. If any job of a batch fails,
/// the batch is rolled back and its jobs are run again one transaction
/// each, so one failing job never takes the others down with it; jobs must
/// therefore only touch the database (no HTTP, no other side effects),
/// which they can because they get nothing but the connection. A job that
/// panics fails with an error of its own; the writer goes on.
///
/// On PostgreSQL, which runs writers in parallel, every job is its own
/// transaction on a pooled connection, with the same SQL.
#[derive(Clone)]
pub struct Writer(WriterMode);

#[derive(Clone)]
enum WriterMode {
    Batched(tokio::sync::mpsc::Sender<Job>),
    Direct(AnyPool),
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            WriterMode::Batched(_) => "Writer(batched)",
            WriterMode::Direct(_) => "Writer(direct)",
        })
    }
}

impl Writer {
    /// Most jobs committed together.
    pub const MAX_BATCH: usize = 128;

    /// A writer for `pool`: batched on SQLite (spawns the writer task; the
    /// process's other SQLite writers wait for its commits in SQLite's busy
    /// handler, as they wait for each other), direct on PostgreSQL.
    pub fn new(pool: AnyPool, kind: DbKind) -> Self {
        match kind {
            DbKind::Postgres => Self(WriterMode::Direct(pool)),
            DbKind::Sqlite => {
                let (tx, rx) = tokio::sync::mpsc::channel(4 * Self::MAX_BATCH);
                tokio::spawn(checkpointer(pool.clone(), tx.downgrade()));
                tokio::spawn(writer_loop(pool, rx));
                Self(WriterMode::Batched(tx))
            }
        }
    }

    /// Runs `job` in a write transaction and returns its result once
    /// committed. `job` may run more than once (see the type's docs), each
    /// time from the same database state.
    pub async fn run<T, F>(&self, mut job: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: for<'c> FnMut(&'c mut AnyConnection) -> JobFuture<'c, T> + Send + 'static,
    {
        match &self.0 {
            WriterMode::Direct(pool) => {
                use futures::FutureExt as _;
                let mut tx = pool.begin().await?;
                // Same contract as the batched writer: a panicking job is
                // that job's error (its transaction rolls back on drop).
                let out = std::panic::AssertUnwindSafe(job(&mut tx))
                    .catch_unwind()
                    .await
                    .map_err(|_| sqlx::Error::Protocol("a write job panicked".into()))??;
                tx.commit().await?;
                Ok(out)
            }
            WriterMode::Batched(queue) => {
                let (reply, answer) = tokio::sync::oneshot::channel();
                let run: ErasedJob = Box::new(move |c| {
                    let fut = job(c);
                    Box::pin(async move { fut.await.map(|t| Box::new(t) as Output) })
                });
                queue
                    .send(Job { run, reply })
                    .await
                    .map_err(|_| sqlx::Error::PoolClosed)?;
                let out = answer.await.map_err(|_| sqlx::Error::PoolClosed)??;
                out.downcast::<T>().map(|b| *b).map_err(|_| {
                    sqlx::Error::Protocol("writer job answered with another type".into())
                })
            }
        }
    }
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Checkpoints the SQLite WAL in the background while the writer lives
/// (`PASSIVE`: it never blocks the writer or readers; pages still needed
/// by an open read are copied on a later round).
async fn checkpointer(pool: AnyPool, alive: tokio::sync::mpsc::WeakSender<Job>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if alive.upgrade().is_none() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "WAL checkpoint skipped");
        }
    }
}

async fn writer_loop(pool: AnyPool, mut rx: tokio::sync::mpsc::Receiver<Job>) {
    let mut conn: Option<AnyConnection> = None;
    let mut batch: Vec<Job> = Vec::with_capacity(Writer::MAX_BATCH);
    while rx.recv_many(&mut batch, Writer::MAX_BATCH).await > 0 {
        let c = match &mut conn {
            Some(c) => c,
            slot => match pool.acquire().await {
                Ok(c) => slot.insert(c.detach()),
                Err(e) => {
                    let text = e.to_string();
                    for job in batch.drain(..) {
                        let _ = job.reply.send(Err(sqlx::Error::Protocol(text.clone())));
                    }
                    continue;
                }
            },
        };
        match run_batch(c, &mut batch).await {
            Ok(outputs) => {
                for (job, out) in batch.drain(..).zip(outputs) {
                    let _ = job.reply.send(Ok(out));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, jobs = batch.len(), "write batch failed; running its jobs one by one");
                for mut job in batch.drain(..) {
                    let result = run_alone(c, &mut job.run).await;
                    let _ = job.reply.send(result);
                }
                // A connection that cannot even roll back is not reused.
                if sqlx::query("SELECT 1").execute(&mut *c).await.is_err() {
                    conn = None;
                }
            }
        }
    }
}

/// Runs one job, turning a panic inside it into that job's error: the
/// writer task serves the whole process and must outlive a faulty job.
async fn guarded(run: &mut ErasedJob, c: &mut AnyConnection) -> Result<Output, sqlx::Error> {
    use futures::FutureExt as _;
    match std::panic::AssertUnwindSafe(run(c)).catch_unwind().await {
        Ok(result) => result,
        Err(_) => Err(sqlx::Error::Protocol("a write job panicked".into())),
    }
}

async fn run_batch(c: &mut AnyConnection, batch: &mut [Job]) -> Result<Vec<Output>, sqlx::Error> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *c).await?;
    let mut outputs = Vec::with_capacity(batch.len());
    for job in batch.iter_mut() {
        match guarded(&mut job.run, &mut *c).await {
            Ok(out) => outputs.push(out),
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *c).await;
                return Err(e);
            }
        }
    }
    if let Err(e) = sqlx::query("COMMIT").execute(&mut *c).await {
        let _ = sqlx::query("ROLLBACK").execute(&mut *c).await;
        return Err(e);
    }
    Ok(outputs)
}

async fn run_alone(c: &mut AnyConnection, run: &mut ErasedJob) -> Result<Output, sqlx::Error> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *c).await?;
    match guarded(run, &mut *c).await {
        Ok(out) => match sqlx::query("COMMIT").execute(&mut *c).await {
            Ok(_) => Ok(out),
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *c).await;
                Err(e)
            }
        },
        Err(e) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *c).await;
            Err(e)
        }
    }
}
