//! Test-only helper: gives each test its own empty PostgreSQL database.
//!
//! The server comes from `TEST_POSTGRES_URL` when set (the workspace's
//! `scripts/test.sh` starts one for the whole run); otherwise the first call
//! in a test process starts a private server with `scripts/pg-test-server.sh`
//! on a temporary directory and a free port, which stops by itself when the
//! process exits.

use std::path::PathBuf;
use std::process::Command;

use sqlx::{Connection, Executor, PgConnection};
use tokio::sync::OnceCell;

static SERVER: OnceCell<String> = OnceCell::const_new();

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../pg-test-server.sh")
}

async fn server_url() -> &'static str {
    SERVER
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("TEST_POSTGRES_URL") {
                return url;
            }
            let dir = std::env::temp_dir().join(format!("pg-harness-{}", uuid::Uuid::new_v4()));
            let out = Command::new("bash")
                .arg(script())
                .arg(&dir)
                .arg(std::process::id().to_string())
                .output()
                .unwrap_or_else(|e| panic!("pg-harness: cannot run pg-test-server.sh: {e}"));
            assert!(
                out.status.success(),
                "pg-harness: starting PostgreSQL failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        })
        .await
}

/// Creates a new, empty database on the test server and returns its URL.
///
/// # Panics
/// When no PostgreSQL server can be started or reached: a test that needs
/// PostgreSQL must fail loudly rather than pass without it.
pub async fn fresh_database() -> String {
    let server = server_url().await;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(server)
        .await
        .unwrap_or_else(|e| panic!("pg-harness: cannot connect to {server}: {e}"));
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|e| panic!("pg-harness: CREATE DATABASE failed: {e}"));
    let _ = conn.close().await;
    let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
    format!("{base}/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn databases_are_fresh_and_usable() {
        let a = fresh_database().await;
        let b = fresh_database().await;
        assert_ne!(a, b);
        let mut conn = PgConnection::connect(&a).await.unwrap();
        conn.execute("CREATE TABLE t (x INT)").await.unwrap();
        let mut other = PgConnection::connect(&b).await.unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 't'",
        )
        .fetch_one(&mut other)
        .await
        .unwrap();
        assert_eq!(n, 0, "a fresh database must not see another test's tables");
    }
}
