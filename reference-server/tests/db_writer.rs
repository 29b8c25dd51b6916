//! The group-committing writer: many concurrent jobs, some of which fail,
//! on SQLite (batched) and PostgreSQL (one transaction per job). Every job
//! that succeeded is committed exactly once, every failing job gets its own
//! error and leaves nothing behind, and the others are not affected by it.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::DbKind;
use reference_server::db::{self, Writer};
use secrecy::SecretString;

async fn pool(kind: DbKind, dir: &tempfile::TempDir) -> (sqlx::AnyPool, DbKind) {
    let url = match kind {
        DbKind::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("writer.db").display()
        ),
        DbKind::Postgres => pg_harness::fresh_database().await,
    };
    db::connect(&SecretString::from(url)).await.unwrap()
}

async fn concurrent_jobs_with_failures(kind: DbKind) {
    let dir = tempfile::tempdir().unwrap();
    let (pool, kind) = pool(kind, &dir).await;
    sqlx::query("CREATE TABLE w (k BIGINT PRIMARY KEY, v TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO w (k, v) VALUES (-1, 'taken')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE side (k BIGINT PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    let writer = Writer::new(pool.clone(), kind);
    let mut tasks = Vec::new();
    for i in 0..300_i64 {
        let writer = writer.clone();
        tasks.push(tokio::spawn(async move {
            writer
                .run(move |c| {
                    Box::pin(async move {
                        // Every job writes a row of its own first, so a
                        // failing job must roll that back too.
                        sqlx::query("INSERT INTO side (k) VALUES ($1)")
                            .bind(i)
                            .execute(&mut *c)
                            .await?;
                        // Every 7th job collides with the taken key and fails.
                        let key = if i % 7 == 3 { -1 } else { i };
                        sqlx::query("INSERT INTO w (k, v) VALUES ($1, $2)")
                            .bind(key)
                            .bind(format!("job {i}"))
                            .execute(&mut *c)
                            .await?;
                        // A job reads its own writes.
                        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM w WHERE k = $1")
                            .bind(key)
                            .fetch_one(&mut *c)
                            .await?;
                        Ok(n)
                    })
                })
                .await
        }));
    }
    let mut ok = 0;
    let mut failed = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(n) => {
                assert_eq!(n, 1);
                assert_ne!(i % 7, 3, "job {i} should have failed");
                ok += 1;
            }
            Err(e) => {
                assert_eq!(i % 7, 3, "job {i} failed: {e}");
                assert!(db::is_unique_violation(&e), "{e}");
                failed += 1;
            }
        }
    }
    assert_eq!(ok + failed, 300);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM w")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, ok + 1, "every successful job committed exactly once");
    let side: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM side")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(side, ok, "failed jobs left nothing behind");
}
both_dbs!(concurrent_jobs_with_failures);

async fn a_panicking_job_fails_alone(kind: DbKind) {
    let dir = tempfile::tempdir().unwrap();
    let (pool, kind) = pool(kind, &dir).await;
    sqlx::query("CREATE TABLE p (k BIGINT PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    let writer = Writer::new(pool.clone(), kind);
    let mut tasks = Vec::new();
    for i in 0..40_i64 {
        let writer = writer.clone();
        tasks.push(tokio::spawn(async move {
            writer
                .run(move |c| {
                    Box::pin(async move {
                        sqlx::query("INSERT INTO p (k) VALUES ($1)")
                            .bind(i)
                            .execute(&mut *c)
                            .await?;
                        assert!(i != 13, "job 13 panics after its insert");
                        Ok(i)
                    })
                })
                .await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await.unwrap();
        assert_eq!(r.is_err(), i == 13, "job {i}: {r:?}");
    }
    // The writer still serves, and the panicking job left nothing behind.
    let n = writer
        .run(|c| {
            Box::pin(async move {
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM p")
                    .fetch_one(&mut *c)
                    .await
            })
        })
        .await
        .unwrap();
    assert_eq!(n, 39);
}
both_dbs!(a_panicking_job_fails_alone);
