//! The SQL store's versioned migrations on SQLite and PostgreSQL: a
//! database the store created before it had migrations, and a
//! `_sqlx_migrations` table shared with an app's own migrations. (A fresh
//! database is covered by every engine test.)
#![cfg(feature = "sql")]

use otp::{SqlStore, Store};
use sqlx::migrate::{MigrateError, Migrator};

/// The tables as the store created them before it had migrations (a list
/// of `CREATE ... IF NOT EXISTS` run at every start, nothing recorded).
const UNVERSIONED_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS otp_challenges (
        id TEXT PRIMARY KEY,
        purpose TEXT NOT NULL,
        destination TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0,
        max_attempts BIGINT NOT NULL,
        consumed_at BIGINT,
        superseded_at BIGINT,
        attempt_token TEXT
    )",
    "CREATE INDEX IF NOT EXISTS otp_challenges_destination
        ON otp_challenges (destination, purpose)",
    "CREATE INDEX IF NOT EXISTS otp_challenges_expires ON otp_challenges (expires_at)",
    "CREATE TABLE IF NOT EXISTS otp_send_logs (
        counter_key TEXT PRIMARY KEY,
        stamps TEXT NOT NULL,
        version BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS otp_send_logs_expires ON otp_send_logs (expires_at)",
];

enum Db {
    Sqlite,
    Postgres,
}

/// A store on a fresh database, not migrated (the directory keeps a SQLite
/// file alive).
async fn store(db: Db) -> (SqlStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("otp.db").display()),
        Db::Postgres => pg_harness::fresh_database().await,
    };
    (SqlStore::connect(&url).await.unwrap(), dir)
}

async fn recorded_versions(store: &SqlStore) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

async fn unversioned_tables_are_taken_over(db: Db) {
    let (store, _dir) = store(db).await;
    for statement in UNVERSIONED_SCHEMA {
        sqlx::query(statement).execute(store.pool()).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO otp_send_logs (counter_key, stamps, version, expires_at)
         VALUES ('dest:+6281234567890', '1767225600000', 4, 1767229200000)",
    )
    .execute(store.pool())
    .await
    .unwrap();

    store.migrate().await.unwrap();
    store.migrate().await.unwrap();

    assert_eq!(recorded_versions(&store).await, [9_000_001]);
    let log = store
        .load_send_log("dest:+6281234567890")
        .await
        .unwrap()
        .expect("the row written before the upgrade is still there");
    assert_eq!(log.version, 4);
    assert_eq!(log.stamps, [1_767_225_600_000]);
}

#[tokio::test]
async fn unversioned_tables_are_taken_over_sqlite() {
    unversioned_tables_are_taken_over(Db::Sqlite).await;
}

#[tokio::test]
async fn unversioned_tables_are_taken_over_postgres() {
    unversioned_tables_are_taken_over(Db::Postgres).await;
}

async fn migrations_table_is_shared_with_the_app(db: Db) {
    let (store, _dir) = store(db).await;
    let app_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        app_dir.path().join("1_app_things.sql"),
        "CREATE TABLE app_things (id TEXT PRIMARY KEY);",
    )
    .unwrap();
    let mut app = Migrator::new(app_dir.path()).await.unwrap();
    app.set_ignore_missing(true);

    app.run(store.pool()).await.unwrap();
    store.migrate().await.unwrap();
    app.run(store.pool()).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(recorded_versions(&store).await, [1, 9_000_001]);

    // What the store's docs ask of the app: a migrator that checks every
    // recorded version refuses the store's.
    let strict = Migrator::new(app_dir.path()).await.unwrap();
    match strict.run(store.pool()).await {
        Err(MigrateError::VersionMissing(9_000_001)) => {}
        other => panic!("expected the store's version to be unknown to the app: {other:?}"),
    }
}

#[tokio::test]
async fn migrations_table_is_shared_with_the_app_sqlite() {
    migrations_table_is_shared_with_the_app(Db::Sqlite).await;
}

#[tokio::test]
async fn migrations_table_is_shared_with_the_app_postgres() {
    migrations_table_is_shared_with_the_app(Db::Postgres).await;
}
