//! The group-committing writer: many concurrent jobs, some of which fail,
//! on SQLite and PostgreSQL (both batched). Every job
//! that succeeded is committed exactly once, every failing job gets its own
//! error and leaves nothing behind, and the others are not affected by it.

use crate::common;

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

/// A batch job inserting its key; records the largest group it ran in.
struct Put {
    key: i64,
    largest_group: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl db::BatchJob for Put {
    type Output = i64;

    fn run_many<'c>(
        c: &'c mut sqlx::AnyConnection,
        items: &'c [std::sync::Arc<Self>],
    ) -> db::JobFuture<'c, Vec<i64>> {
        Box::pin(async move {
            if let Some(first) = items.first() {
                first
                    .largest_group
                    .fetch_max(items.len(), std::sync::atomic::Ordering::Relaxed);
            }
            for chunk in db::chunks(items) {
                let sql = format!(
                    "INSERT INTO g (k) VALUES {}",
                    db::values_placeholders(chunk.len(), 1)
                );
                let mut q = sqlx::query(&sql);
                for item in chunk {
                    q = q.bind(item.key);
                }
                q.execute(&mut *c).await?;
            }
            // Each item reads the table as its transaction sees it.
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM g")
                .fetch_one(&mut *c)
                .await?;
            Ok(items.iter().map(|_| n).collect())
        })
    }
}

async fn batch_jobs_grouped_and_isolated(kind: DbKind) {
    let dir = tempfile::tempdir().unwrap();
    let (pool, kind) = pool(kind, &dir).await;
    sqlx::query("CREATE TABLE g (k BIGINT PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO g (k) VALUES (-1)")
        .execute(&pool)
        .await
        .unwrap();
    let writer = Writer::new(pool.clone(), kind);
    let largest = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..400_i64 {
        let w = writer.clone();
        // Every 50th item collides with the taken key: its group fails,
        // and the group's other items are run again one by one.
        let key = if i % 50 == 7 { -1 } else { i };
        let item = std::sync::Arc::new(Put {
            key,
            largest_group: std::sync::Arc::clone(&largest),
        });
        tasks.push(tokio::spawn(async move { w.run_batched(item).await }));
        // Closure jobs between the items are run in the same batches.
        if i % 40 == 0 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                writer
                    .run(move |c| {
                        Box::pin(async move {
                            sqlx::query("INSERT INTO g (k) VALUES ($1)")
                                .bind(100_000 + i)
                                .execute(&mut *c)
                                .await?;
                            Ok(0)
                        })
                    })
                    .await
            }));
        }
    }
    let mut failed = 0;
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(n) => {
                assert!(n >= 0);
                ok += 1;
            }
            Err(e) => {
                assert!(db::is_unique_violation(&e), "{e}");
                failed += 1;
            }
        }
    }
    assert_eq!(failed, 8, "exactly the colliding items fail");
    assert_eq!(ok, 400 - 8 + 10);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM g")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1 + 400 - 8 + 10, "every other item committed once");
    // Items waiting at the writer ran together.
    let largest = largest.load(std::sync::atomic::Ordering::Relaxed);
    assert!(largest > 1, "largest group {largest}");
}
both_dbs!(batch_jobs_grouped_and_isolated);
