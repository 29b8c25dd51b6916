//! Login sessions: opaque random tokens (`wss_...`, 256 bits) given to the
//! client once and stored only as SHA-256 with an expiry, revocable one by
//! one (logout) or all at once (logout-all, password reset, ban).

use sqlx::AnyPool;

pub use super::model::{NewSession, SubjectKind};
pub use super::store::purge_stale_sessions as purge_stale;
use super::{store, token};
use crate::db::now_ms;
use crate::domain::{AdminId, MemberId, TenantId};

/// Creates a session for a subject given by kind and id, valid for
/// `ttl_hours` (at least one hour). A member session carries its tenant,
/// so a ban can revoke every session of the tenant.
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
    store::insert_session(
        pool,
        &token::hash(&token),
        kind,
        subject_id,
        tenant_id,
        now,
        expires_at,
    )
    .await?;
    Ok(NewSession { token, expires_at })
}

/// Creates a session for a vendor member.
pub async fn for_member(
    pool: &AnyPool,
    member: &MemberId,
    tenant: &TenantId,
    ttl_hours: i64,
) -> Result<NewSession, sqlx::Error> {
    create(
        pool,
        SubjectKind::Member,
        member.as_str(),
        Some(tenant.as_str()),
        ttl_hours,
    )
    .await
}

/// Creates a session for a platform admin.
pub async fn for_admin(
    pool: &AnyPool,
    admin: &AdminId,
    ttl_hours: i64,
) -> Result<NewSession, sqlx::Error> {
    create(pool, SubjectKind::Admin, admin.as_str(), None, ttl_hours).await
}
