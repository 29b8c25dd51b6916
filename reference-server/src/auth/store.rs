//! Every SQL statement on the tables of `auth`: `sessions` and
//! `platform_admins`.

use sqlx::{Any, AnyPool, Executor};

use super::model::{AdminCredentials, AdminSessionRow, MemberSession, SubjectKind};
use crate::db::{new_id, now_ms};
use crate::domain::{AdminId, MemberId, TenantId};

/// Stores a session by the hash of its token.
pub(crate) async fn insert_session(
    pool: &AnyPool,
    token_hash: &str,
    kind: SubjectKind,
    subject_id: &str,
    tenant_id: Option<&str>,
    created_at: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, subject_kind, subject_id, tenant_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(token_hash)
    .bind(kind)
    .bind(subject_id)
    .bind(tenant_id.map(str::to_owned))
    .bind(created_at)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The live (not revoked, not expired) member session with this token hash.
pub async fn live_member_session(
    pool: &AnyPool,
    token_hash: &str,
    now: i64,
) -> Result<Option<MemberSession>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, subject_id AS member_id FROM sessions \
         WHERE token_hash = $1 AND subject_kind = $2 AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(SubjectKind::Member)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// The live admin session with this token hash, if its admin exists.
pub(crate) async fn live_admin_session(
    pool: &AnyPool,
    token_hash: &str,
    now: i64,
) -> Result<Option<AdminSessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id, a.id AS admin_id FROM sessions s JOIN platform_admins a ON a.id = s.subject_id \
         WHERE s.token_hash = $1 AND s.subject_kind = $2 \
           AND s.revoked_at IS NULL AND s.expires_at > $3",
    )
    .bind(token_hash)
    .bind(SubjectKind::Admin)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// Revokes one session by id.
pub async fn revoke_session(pool: &AnyPool, session_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(session_id)
        .execute(pool)
        .await?;
    Ok(())
}

async fn revoke_subject(
    pool: &AnyPool,
    kind: SubjectKind,
    subject_id: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE subject_kind = $2 AND subject_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(kind)
    .bind(subject_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Revokes every session of a member; returns how many were live.
pub async fn revoke_member_sessions(pool: &AnyPool, member: &MemberId) -> Result<u64, sqlx::Error> {
    revoke_subject(pool, SubjectKind::Member, member.as_str()).await
}

/// Revokes every session of a platform admin; returns how many were live.
pub async fn revoke_admin_sessions(pool: &AnyPool, admin: &AdminId) -> Result<u64, sqlx::Error> {
    revoke_subject(pool, SubjectKind::Admin, admin.as_str()).await
}

/// Revokes every member session of a tenant (when it is banned).
pub async fn revoke_tenant_sessions(pool: &AnyPool, tenant: &TenantId) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(tenant)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes the sessions of a member who is removed from its tenant (in
/// the caller's transaction).
pub async fn delete_member_sessions<'e, E>(
    exec: E,
    tenant: &TenantId,
    member: &MemberId,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "DELETE FROM sessions WHERE subject_kind = $1 AND subject_id = $2 AND tenant_id = $3",
    )
    .bind(SubjectKind::Member)
    .bind(member)
    .bind(tenant)
    .execute(exec)
    .await?;
    Ok(())
}

/// Deletes sessions that expired or were revoked more than a day ago.
pub async fn purge_stale_sessions(pool: &AnyPool) -> Result<u64, sqlx::Error> {
    let cutoff = now_ms() - 86_400_000;
    let done = sqlx::query(
        "DELETE FROM sessions WHERE expires_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $1)",
    )
    .bind(cutoff)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// How many platform admins exist.
pub async fn count_admins(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM platform_admins")
        .fetch_one(pool)
        .await
}

/// Stores a platform admin; a taken email is a unique violation.
pub async fn insert_admin(
    pool: &AnyPool,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<AdminId, sqlx::Error> {
    let id = AdminId::new();
    sqlx::query(
        "INSERT INTO platform_admins (id, email, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(&id)
    .bind(email)
    .bind(password_hash)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(id)
}

/// The admin with this (normalised) email.
pub async fn admin_credentials(
    pool: &AnyPool,
    email: &str,
) -> Result<Option<AdminCredentials>, sqlx::Error> {
    sqlx::query_as("SELECT id, password_hash FROM platform_admins WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await
}

/// Sets the password of the admin with this email; `None` when there is
/// none.
pub async fn set_admin_password(
    pool: &AnyPool,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<AdminId>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE platform_admins SET password_hash = $1, updated_at = $2 WHERE email = $3 RETURNING id",
    )
    .bind(password_hash)
    .bind(now)
    .bind(email)
    .fetch_optional(pool)
    .await
}

/// Deletes every session of a vendor's members.
pub async fn purge_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE tenant_id = $1")
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}
