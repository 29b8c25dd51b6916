//! Database connection and migrations.
//!
//! One SQL dialect for SQLite and PostgreSQL through [`sqlx::AnyPool`]:
//! `$1` placeholders, ids as TEXT (uuid v7), times as BIGINT unix
//! milliseconds, money as BIGINT rupiah, booleans as BIGINT 0/1, JSON as
//! TEXT. Migrations live in `reference-server/migrations/` and are embedded
//! with [`sqlx::migrate!`]; [`migrate`] applies them together with the
//! migrations of the workspace crates whose SQL stores share the database
//! (see [`MigrationSet`]).

use std::ops::RangeInclusive;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migrate as _, Migration, MigrationSource, Migrator};
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
    /// The database has a migration of `owner`'s range that this binary
    /// does not know: it was migrated by a newer version.
    #[error(
        "the database has {owner} migration {version}, which this binary does not know; \
         it was migrated by a newer version"
    )]
    NewerDatabase {
        /// Whose range the version is in.
        owner: &'static str,
        /// The unknown version.
        version: i64,
    },
}

/// The server's own migrations, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// bot-core's migrations of the plugins' key-value table.
static BOT_KV: std::sync::LazyLock<Migrator> =
    std::sync::LazyLock::new(bot_core::store::kv_migrator);

/// One crate's migrations and the range of versions it owns in the shared
/// `_sqlx_migrations` table.
///
/// Several sqlx migrators share that table, so each one skips the versions
/// the others recorded (`ignore_missing`). Disjoint ranges keep the
/// numbers apart and let [`migrate`] still refuse a database migrated by a
/// newer binary: a recorded version inside a set's range that the set does
/// not know. The ranges are listed in `docs/src/development.md`
/// ("Migrations of several crates").
#[derive(Debug, Clone)]
pub struct MigrationSet {
    /// Who owns the migrations (for errors).
    pub owner: &'static str,
    /// The migrations.
    pub migrator: &'static Migrator,
    /// The versions they may use.
    pub versions: RangeInclusive<i64>,
}

/// Every migration set the server applies, in order: its own tables first,
/// then the stores of the library crates.
pub fn migration_sets() -> Vec<MigrationSet> {
    vec![
        MigrationSet {
            owner: "reference-server",
            migrator: &MIGRATOR,
            versions: 1..=8_999_999,
        },
        MigrationSet {
            owner: "otp",
            migrator: otp::SqlStore::migrator(),
            versions: otp::SqlStore::MIGRATION_VERSIONS,
        },
        // Only the plugins' key-value table: conversations live in the
        // server's own inbox tables.
        MigrationSet {
            owner: "bot-core",
            migrator: &BOT_KV,
            versions: 9_100_000..=9_100_099,
        },
    ]
}

impl MigrationSet {
    /// Applies the set's pending migrations, then checks that the database
    /// holds no version of the set's range that the set does not know.
    pub async fn apply(&self, pool: &AnyPool) -> Result<(), DbError> {
        let mut migrator = Migrator::new(Embedded(self.migrator)).await?;
        migrator.set_ignore_missing(true);
        migrator.run(pool).await?;
        let mut conn = pool.acquire().await.map_err(DbError::Connect)?;
        let unknown = conn
            .list_applied_migrations()
            .await?
            .into_iter()
            .map(|m| m.version)
            .find(|v| self.versions.contains(v) && !self.migrator.version_exists(*v));
        match unknown {
            Some(version) => Err(DbError::NewerDatabase {
                owner: self.owner,
                version,
            }),
            None => Ok(()),
        }
    }
}

/// An embedded migrator's migrations as a source, so a copy of it can be
/// built at run time with `ignore_missing`, which the static cannot take.
#[derive(Debug)]
struct Embedded(&'static Migrator);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> futures::future::BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async move { Ok(self.0.iter().cloned().collect()) })
    }
}

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
            // parallel reads gain (measurements: "Load figures" in
            // docs/src/operators-guide.md).
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
                    // No memory map: the file grows at every checkpoint,
                    // and each connection then unmaps and maps it again at
                    // its next read transaction (a TLB shootdown across
                    // cores each time), which made the inbound path slower.
                    conn.execute("PRAGMA mmap_size = 0").await?;
                    // Statement journals of multi-row statements (the
                    // writer's batch jobs) stay in memory.
                    conn.execute("PRAGMA temp_store = MEMORY").await?;
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

/// Applies every pending migration of every [`migration_sets`] entry.
pub async fn migrate(pool: &AnyPool) -> Result<(), DbError> {
    for set in migration_sets() {
        set.apply(pool).await?;
    }
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

/// A count per time bucket, as `SELECT <bucket> AS b, COUNT(*) AS n ...
/// GROUP BY b` reads it (`b`: a bucket start in ms or a day number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct BucketCount {
    /// The bucket.
    #[sqlx(rename = "b")]
    pub bucket: i64,
    /// Rows in it.
    pub n: i64,
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

/// Items of one [`BatchJob`] type, type-erased, and the function that runs
/// them together.
type ErasedItem = std::sync::Arc<dyn std::any::Any + Send + Sync>;
type GroupRunner = for<'c> fn(&'c mut AnyConnection, Vec<ErasedItem>) -> JobFuture<'c, Vec<Output>>;

enum Work {
    /// A closure of its own ([`Writer::run`]).
    One(ErasedJob),
    /// An item of a [`BatchJob`] ([`Writer::run_batched`]): the waiting
    /// items of the same type run together.
    Grouped {
        kind: std::any::TypeId,
        item: ErasedItem,
        run: GroupRunner,
    },
}

struct Job {
    work: Work,
    reply: tokio::sync::oneshot::Sender<Result<Output, sqlx::Error>>,
}

/// A write job that the [`Writer`] runs for all its waiting callers with
/// one set of statements (multi-row `INSERT`s and `UPDATE ... FROM
/// (VALUES ...)`) instead of one set per caller: each statement costs a
/// round trip (to the connection's thread on SQLite, to the server on
/// PostgreSQL), so a batch of inbound messages costs the statements of
/// about one.
///
/// The same rules as for [`Writer::run`] jobs hold: database work only, and
/// it may run again (alone, when a batch it was part of failed, or after
/// PostgreSQL aborted its transaction as a conflict). On PostgreSQL other
/// writers run batches at the same time: write rows that several items or
/// batches may share (counters, a conversation) in a fixed key order, so
/// two batches lock them in the same order, and never write one row twice
/// in one `INSERT ... ON CONFLICT DO UPDATE`.
pub trait BatchJob: Send + Sync + Sized + 'static {
    /// What one item's caller gets back.
    type Output: Send + 'static;

    /// Runs `items` (in the order they were submitted) in the current write
    /// transaction and returns one output per item, in the same order.
    /// Items may touch the same rows (two messages of one conversation):
    /// the result must be as if they ran one after the other.
    fn run_many<'c>(
        c: &'c mut AnyConnection,
        items: &'c [std::sync::Arc<Self>],
    ) -> JobFuture<'c, Vec<Self::Output>>;
}

fn group_runner<J: BatchJob>(
    c: &mut AnyConnection,
    items: Vec<ErasedItem>,
) -> JobFuture<'_, Vec<Output>> {
    Box::pin(async move {
        let n = items.len();
        let typed: Vec<std::sync::Arc<J>> = items
            .into_iter()
            .filter_map(|i| i.downcast::<J>().ok())
            .collect();
        if typed.len() != n {
            return Err(sqlx::Error::Protocol(
                "writer grouped jobs of different types".into(),
            ));
        }
        let outputs = J::run_many(c, &typed).await?;
        if outputs.len() != n {
            return Err(sqlx::Error::Protocol(format!(
                "a batch job answered {} of {n} items",
                outputs.len()
            )));
        }
        Ok(outputs.into_iter().map(|o| Box::new(o) as Output).collect())
    })
}

/// Most rows one multi-row statement of a [`BatchJob`] writes: a batch is
/// split into chunks of a power of two up to this, so each statement has
/// few shapes in the connection's statement cache.
pub const MAX_ROWS_PER_STATEMENT: usize = 32;

/// The sizes to split `n` rows into (largest first, powers of two of at
/// most [`MAX_ROWS_PER_STATEMENT`]).
pub fn chunk_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let size = if n >= MAX_ROWS_PER_STATEMENT {
            MAX_ROWS_PER_STATEMENT
        } else {
            1 << n.ilog2()
        };
        n -= size;
        Some(size)
    })
}

/// Splits `items` into chunks of [`chunk_sizes`].
pub fn chunks<T>(items: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    chunk_sizes(items.len()).map(move |size| {
        let (head, tail) = rest.split_at(size);
        rest = tail;
        head
    })
}

/// A query being bound ([`execute_rows`]).
pub type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Executes a multi-row statement over `rows` in [`chunks`]: `sql` gets
/// the `VALUES` tuples of a chunk ([`values_placeholders`] with `cols`
/// columns) and returns the statement; `bind` binds one row's `cols`
/// values in order. Returns the rows affected.
pub async fn execute_rows<T>(
    c: &mut AnyConnection,
    rows: &[T],
    cols: usize,
    sql: impl Fn(&str) -> String,
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q T) -> AnyQuery<'q>,
) -> Result<u64, sqlx::Error> {
    let mut affected = 0;
    for chunk in chunks(rows) {
        let text = sql(&values_placeholders(chunk.len(), cols));
        let mut q = sqlx::query(&text);
        for row in chunk {
            q = bind(q, row);
        }
        affected += q.execute(&mut *c).await?.rows_affected();
    }
    Ok(affected)
}

/// `($1, $2, ...), ($k, ...)`: `rows` tuples of `cols` numbered
/// placeholders, for a multi-row `VALUES`.
pub fn values_placeholders(rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * cols + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// Runs short write transactions of the hot paths (payment notifications,
/// inbound messages, simulated sends) with group commit.
///
/// Writer tasks, each owning a dedicated connection, take the jobs that are
/// waiting and commit them together: up to [`Writer::MAX_BATCH`] jobs share
/// one transaction (on PostgreSQL one per kind of job), and the items of one [`BatchJob`] type in it share one
/// set of multi-row statements, so a job pays for its own rows only, not
/// for a transaction, a pool checkout and a set of statements of its own.
/// A job's answer is sent after the commit, so nobody acts on writes that
/// could still be rolled back. If any job of a batch fails, the batch is
/// rolled back and its jobs are run again one transaction each, so one
/// failing job never takes the others down with it; jobs must therefore
/// only touch the database (no HTTP, no other side effects), which they
/// can because they get nothing but the connection. A job that panics
/// fails with an error of its own; the writer goes on.
///
/// On SQLite, where only one writer can hold the database at a time, one
/// task writes (`BEGIN IMMEDIATE`; the process's other SQLite writers wait
/// for its commits in SQLite's busy handler, as they wait for each other).
/// On PostgreSQL each process has [`Writer::POSTGRES_WRITERS`] tasks
/// (`BEGIN`), and the other server processes write at the same time: a
/// batch commits one transaction per kind of job, whose rows the batch
/// jobs write in key order, so two writers lock shared rows in the same
/// order; a transaction that PostgreSQL still aborts as a deadlock or a
/// serialization failure is run again.
#[derive(Clone)]
pub struct Writer(tokio::sync::mpsc::Sender<Job>);

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

/// The writers' shared queue: a writer holds it while it waits for jobs,
/// so the jobs that arrive meanwhile go to the next free writer together.
type Queue = std::sync::Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Job>>>;

impl Writer {
    /// Most jobs committed together.
    pub const MAX_BATCH: usize = 128;

    /// Writer tasks (connections) per process on PostgreSQL. One keeps
    /// the batches largest; more of them (and the other processes'
    /// writers) contend for the same hot rows, such as a vendor's usage
    /// counter, without raising throughput.
    pub const POSTGRES_WRITERS: usize = 1;

    /// A writer for `pool`: spawns the writer tasks (and, on SQLite, the
    /// WAL checkpointer).
    pub fn new(pool: AnyPool, kind: DbKind) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel(4 * Self::MAX_BATCH);
        let queue: Queue = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        let writers = match kind {
            DbKind::Sqlite => {
                tokio::spawn(checkpointer(pool.clone(), tx.downgrade()));
                1
            }
            DbKind::Postgres => Self::POSTGRES_WRITERS,
        };
        for _ in 0..writers {
            tokio::spawn(writer_loop(pool.clone(), kind, queue.clone()));
        }
        Self(tx)
    }

    /// Runs `job` in a write transaction and returns its result once
    /// committed. `job` may run more than once (see the type's docs), each
    /// time from the same database state.
    pub async fn run<T, F>(&self, mut job: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: for<'c> FnMut(&'c mut AnyConnection) -> JobFuture<'c, T> + Send + 'static,
    {
        let run: ErasedJob = Box::new(move |c| {
            let fut = job(c);
            Box::pin(async move { fut.await.map(|t| Box::new(t) as Output) })
        });
        submit(&self.0, Work::One(run)).await
    }

    /// Runs one item of a [`BatchJob`] in a write transaction and returns
    /// its output once committed; the items waiting at the writer run
    /// together ([`BatchJob::run_many`]).
    pub async fn run_batched<J: BatchJob>(
        &self,
        item: std::sync::Arc<J>,
    ) -> Result<J::Output, sqlx::Error> {
        let work = Work::Grouped {
            kind: std::any::TypeId::of::<J>(),
            item,
            run: group_runner::<J>,
        };
        submit(&self.0, work).await
    }
}

async fn submit<T: 'static>(
    queue: &tokio::sync::mpsc::Sender<Job>,
    work: Work,
) -> Result<T, sqlx::Error> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    queue
        .send(Job { work, reply })
        .await
        .map_err(|_| sqlx::Error::PoolClosed)?;
    let out = answer.await.map_err(|_| sqlx::Error::PoolClosed)??;
    out.downcast::<T>()
        .map(|b| *b)
        .map_err(|_| sqlx::Error::Protocol("writer job answered with another type".into()))
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

/// Whether PostgreSQL aborted the transaction only because of another
/// one running at the same time (deadlock, serialization failure): the
/// same work may succeed when run again.
fn is_transient_conflict(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40P01" | "40001")))
}

/// Runs of one transaction that PostgreSQL aborted as a conflict with
/// another ([`is_transient_conflict`]) before its error is given up on.
const CONFLICT_TRIES: u32 = 5;

async fn writer_loop(pool: AnyPool, kind: DbKind, queue: Queue) {
    let mut conn: Option<AnyConnection> = None;
    let mut batch: Vec<Job> = Vec::with_capacity(Writer::MAX_BATCH);
    loop {
        let got = queue
            .lock()
            .await
            .recv_many(&mut batch, Writer::MAX_BATCH)
            .await;
        if got == 0 {
            return;
        }
        #[allow(clippy::cast_precision_loss)]
        metrics::histogram!("db_writer_batch_jobs").record(batch.len() as f64);
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
        let mut broken = false;
        for mut unit in transactions(kind, &mut batch) {
            if broken {
                for job in unit.drain(..) {
                    let _ = job.reply.send(Err(sqlx::Error::Protocol(
                        "the writer's database connection broke".into(),
                    )));
                }
            } else if run_unit(c, kind, &mut unit).await {
                // A connection that cannot even roll back is not reused.
                broken = sqlx::query("SELECT 1").execute(&mut *c).await.is_err();
            }
        }
        if broken {
            conn = None;
        }
    }
}

/// Splits the batch's jobs into the transactions they run in (taking them
/// out of `batch`). On SQLite, with one writer, all in one. On PostgreSQL,
/// where other writers run at the same time, one per [`BatchJob`] type and
/// one for the other jobs: each transaction then writes the rows of one
/// kind of job, in that kind's key order, so two transactions never wait
/// for each other's rows in a cycle.
fn transactions(kind: DbKind, batch: &mut Vec<Job>) -> Vec<Vec<Job>> {
    if kind == DbKind::Sqlite {
        return vec![std::mem::take(batch)];
    }
    let mut units: Vec<(Option<std::any::TypeId>, Vec<Job>)> = Vec::new();
    for job in batch.drain(..) {
        let key = match &job.work {
            Work::One(_) => None,
            Work::Grouped { kind, .. } => Some(*kind),
        };
        match units.iter_mut().find(|(k, _)| *k == key) {
            Some((_, jobs)) => jobs.push(job),
            None => units.push((key, vec![job])),
        }
    }
    units.into_iter().map(|(_, jobs)| jobs).collect()
}

/// Runs one transaction's jobs and answers them; if the transaction
/// fails, runs its jobs again one transaction each. Returns whether
/// anything failed (the caller checks the connection).
async fn run_unit(c: &mut AnyConnection, kind: DbKind, unit: &mut Vec<Job>) -> bool {
    match run_batch(c, kind, unit).await {
        Ok(outputs) => {
            for (job, out) in unit.drain(..).zip(outputs) {
                let _ = job.reply.send(Ok(out));
            }
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, jobs = unit.len(), "write batch failed; running its jobs one by one");
            for mut job in unit.drain(..) {
                let result = run_batch(c, kind, std::slice::from_mut(&mut job))
                    .await
                    .and_then(|mut o| {
                        o.pop().ok_or_else(|| {
                            sqlx::Error::Protocol("a write job got no answer".into())
                        })
                    });
                let _ = job.reply.send(result);
            }
            true
        }
    }
}

/// Awaits a job, turning a panic inside it into that job's error: the
/// writer task serves the whole process and must outlive a faulty job.
async fn guarded<T>(job: JobFuture<'_, T>) -> Result<T, sqlx::Error> {
    use futures::FutureExt as _;
    match std::panic::AssertUnwindSafe(job).catch_unwind().await {
        Ok(result) => result,
        Err(_) => Err(sqlx::Error::Protocol("a write job panicked".into())),
    }
}

/// The items of the batch's grouped jobs of `kind`, with their positions.
fn group_of(batch: &[Job], kind: std::any::TypeId) -> (Vec<usize>, Vec<ErasedItem>) {
    batch
        .iter()
        .enumerate()
        .filter_map(|(i, job)| match &job.work {
            Work::Grouped { kind: k, item, .. } if *k == kind => Some((i, ErasedItem::clone(item))),
            _ => None,
        })
        .unzip()
}

/// Runs the batch's jobs (each grouped type once, for all its items) and
/// returns each job's output at its position.
async fn run_jobs(c: &mut AnyConnection, batch: &mut [Job]) -> Result<Vec<Output>, sqlx::Error> {
    let mut outputs: Vec<Option<Output>> =
        std::iter::repeat_with(|| None).take(batch.len()).collect();
    for i in 0..batch.len() {
        if outputs[i].is_some() {
            // Ran with the first item of its type.
            continue;
        }
        match &mut batch[i].work {
            Work::One(run) => outputs[i] = Some(guarded(run(&mut *c)).await?),
            Work::Grouped { kind, run, .. } => {
                let (kind, run) = (*kind, *run);
                let (positions, items) = group_of(batch, kind);
                let outs = guarded(run(&mut *c, items)).await?;
                for (j, out) in positions.into_iter().zip(outs) {
                    outputs[j] = Some(out);
                }
            }
        }
    }
    outputs
        .into_iter()
        .map(|o| o.ok_or_else(|| sqlx::Error::Protocol("a write job got no answer".into())))
        .collect()
}

/// Runs `batch` in one transaction; on any error it is rolled back. A
/// transaction PostgreSQL aborted as a conflict with another is run again.
async fn run_batch(
    c: &mut AnyConnection,
    kind: DbKind,
    batch: &mut [Job],
) -> Result<Vec<Output>, sqlx::Error> {
    let mut tries = 1;
    loop {
        match run_batch_once(&mut *c, kind, batch).await {
            Err(e) if is_transient_conflict(&e) && tries < CONFLICT_TRIES => {
                tries += 1;
                metrics::counter!("db_writer_conflict_retries_total").increment(1);
                tracing::debug!(error = %e, jobs = batch.len(), "write batch conflicted with another transaction; running it again");
            }
            other => return other,
        }
    }
}

async fn run_batch_once(
    c: &mut AnyConnection,
    kind: DbKind,
    batch: &mut [Job],
) -> Result<Vec<Output>, sqlx::Error> {
    let begin = match kind {
        // Takes the write lock up front, so the busy handler waits for it
        // instead of failing on a lock upgrade.
        DbKind::Sqlite => "BEGIN IMMEDIATE",
        DbKind::Postgres => "BEGIN",
    };
    sqlx::query(begin).execute(&mut *c).await?;
    let outputs = match run_jobs(&mut *c, batch).await {
        Ok(outputs) => outputs,
        Err(e) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *c).await;
            return Err(e);
        }
    };
    if let Err(e) = sqlx::query("COMMIT").execute(&mut *c).await {
        let _ = sqlx::query("ROLLBACK").execute(&mut *c).await;
        return Err(e);
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn migration_sets_own_disjoint_ranges_and_stay_in_them() {
        let sets = migration_sets();
        for (i, set) in sets.iter().enumerate() {
            assert!(set.migrator.iter().count() > 0, "{}", set.owner);
            for m in set.migrator.iter() {
                assert!(
                    set.versions.contains(&m.version),
                    "{} migration {} is outside {:?}",
                    set.owner,
                    m.version,
                    set.versions
                );
            }
            for other in &sets[i + 1..] {
                assert!(
                    set.versions.end() < other.versions.start()
                        || other.versions.end() < set.versions.start(),
                    "{} and {} overlap",
                    set.owner,
                    other.owner
                );
            }
        }
    }

    /// A fresh database of `kind` (the directory keeps a SQLite file).
    async fn fresh(kind: DbKind) -> (AnyPool, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = match kind {
            DbKind::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
            DbKind::Postgres => pg_harness::fresh_database().await,
        };
        let (pool, _) = connect(&SecretString::from(url)).await.unwrap();
        (pool, dir)
    }

    async fn recorded(pool: &AnyPool) -> Vec<i64> {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    /// A database of the server from before the otp store had migrations:
    /// the server's migrations recorded, the otp tables created without a
    /// record, with data in them.
    async fn upgrades_a_database_with_unversioned_otp_tables(kind: DbKind) {
        let (pool, _dir) = fresh(kind).await;
        MIGRATOR.run(&pool).await.unwrap();
        for statement in [
            "CREATE TABLE IF NOT EXISTS otp_challenges (id TEXT PRIMARY KEY, \
             purpose TEXT NOT NULL, destination TEXT NOT NULL, code_hash TEXT NOT NULL, \
             created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, \
             attempts BIGINT NOT NULL DEFAULT 0, max_attempts BIGINT NOT NULL, \
             consumed_at BIGINT, superseded_at BIGINT, attempt_token TEXT)",
            "CREATE TABLE IF NOT EXISTS otp_send_logs (counter_key TEXT PRIMARY KEY, \
             stamps TEXT NOT NULL, version BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
            "INSERT INTO otp_send_logs VALUES ('k', '1', 1, 2)",
        ] {
            sqlx::query(statement).execute(&pool).await.unwrap();
        }
        let server_versions = recorded(&pool).await;

        migrate(&pool).await.unwrap();
        migrate(&pool).await.unwrap();

        let mut expected = server_versions;
        expected.extend(otp::SqlStore::migrator().iter().map(|m| m.version));
        expected.extend(BOT_KV.iter().map(|m| m.version));
        assert_eq!(recorded(&pool).await, expected);
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM otp_send_logs")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(kept, 1);
    }

    #[tokio::test]
    async fn upgrades_a_database_with_unversioned_otp_tables_sqlite() {
        upgrades_a_database_with_unversioned_otp_tables(DbKind::Sqlite).await;
    }

    #[tokio::test]
    async fn upgrades_a_database_with_unversioned_otp_tables_postgres() {
        upgrades_a_database_with_unversioned_otp_tables(DbKind::Postgres).await;
    }

    /// A version in otp's range that this binary does not know means a
    /// newer binary migrated the database: refused, naming the owner.
    async fn refuses_a_database_migrated_by_a_newer_binary(kind: DbKind) {
        let (pool, dir) = fresh(kind).await;
        migrate(&pool).await.unwrap();
        let future = dir.path().join("future");
        std::fs::create_dir(&future).unwrap();
        std::fs::write(future.join("9000999_later_otp_change.sql"), "SELECT 1;").unwrap();
        let mut newer = Migrator::new(future).await.unwrap();
        newer.set_ignore_missing(true);
        newer.run(&pool).await.unwrap();

        match migrate(&pool).await {
            Err(DbError::NewerDatabase {
                owner: "otp",
                version: 9_000_999,
            }) => {}
            other => panic!("expected the newer database to be refused: {other:?}"),
        }
    }

    #[tokio::test]
    async fn refuses_a_database_migrated_by_a_newer_binary_sqlite() {
        refuses_a_database_migrated_by_a_newer_binary(DbKind::Sqlite).await;
    }

    #[tokio::test]
    async fn refuses_a_database_migrated_by_a_newer_binary_postgres() {
        refuses_a_database_migrated_by_a_newer_binary(DbKind::Postgres).await;
    }

    #[test]
    fn chunks_are_powers_of_two_covering_every_row() {
        for n in 0..=200 {
            let sizes: Vec<usize> = chunk_sizes(n).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n, "{n}: {sizes:?}");
            assert!(
                sizes
                    .iter()
                    .all(|s| s.is_power_of_two() && *s <= MAX_ROWS_PER_STATEMENT),
                "{n}: {sizes:?}"
            );
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{n}: {sizes:?}");
        }
        assert_eq!(chunk_sizes(45).collect::<Vec<_>>(), [32, 8, 4, 1]);
        let items: Vec<u32> = (0..7).collect();
        let parts: Vec<&[u32]> = chunks(&items).collect();
        assert_eq!(parts, [&[0, 1, 2, 3][..], &[4, 5], &[6]]);
    }

    #[test]
    fn placeholders_number_every_column_of_every_row() {
        assert_eq!(values_placeholders(1, 2), "($1, $2)");
        assert_eq!(values_placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_placeholders(0, 3), "");
    }
}
