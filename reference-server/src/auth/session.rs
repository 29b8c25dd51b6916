//! Login sessions: opaque random tokens stored as SHA-256 with an expiry,
//! revocable one by one (logout) or all at once (logout-all, password
//! reset, ban).

use sqlx::AnyPool;

use super::token;
use crate::db::{new_id, now_ms};

/// Who a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// A vendor member.
    Member,
    /// A platform admin.
    Admin,
}

impl SubjectKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
        }
    }
}

/// A new session's token (shown to the client once) and expiry.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The bearer token.
    pub token: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// Creates a session for `subject_id` valid for `ttl_hours`.
pub async fn create(
    pool: &AnyPool,
    kind: SubjectKind,
    subject_id: &str,
    tenant_id: Option<&str>,
    ttl_hours: i64,
) -> Result<NewSession, sqlx::Error> {
    let token = token::generate(token::SESSION_PREFIX);
    let now = now_ms();
    let expires_at = now + ttl_hours.max(1) * 3_600_000;
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, subject_kind, subject_id, tenant_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(token::hash(&token))
    .bind(kind.as_str())
    .bind(subject_id)
    .bind(tenant_id.map(str::to_owned))
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(NewSession { token, expires_at })
}

/// Revokes one session by id.
pub async fn revoke(pool: &AnyPool, session_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(session_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Revokes every session of a subject; returns how many were live.
pub async fn revoke_all(
    pool: &AnyPool,
    kind: SubjectKind,
    subject_id: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE subject_kind = $2 AND subject_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(kind.as_str())
    .bind(subject_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Revokes every member session of a tenant (used when it is banned).
pub async fn revoke_tenant(pool: &AnyPool, tenant_id: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes sessions that expired or were revoked more than a day ago.
pub async fn purge_stale(pool: &AnyPool) -> Result<u64, sqlx::Error> {
    let cutoff = now_ms() - 86_400_000;
    let done = sqlx::query(
        "DELETE FROM sessions WHERE expires_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $1)",
    )
    .bind(cutoff)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
