//! Every SQL statement on the tables of `tenants`: `tenants`, `members`
//! and `api_keys`. Queries on a vendor's rows carry `tenant_id = $n`.

use std::collections::HashMap;

use sqlx::{Any, AnyPool, Executor};

use super::model::{
    ApiKeyView, KeyAccess, LoginRow, MeRow, MemberAccess, MemberContact, MemberPhone, MemberView,
    NewApiKeyRow, NewMemberRow, NewTenant, ResetTarget, TenantSettings, TenantStatus, TenantView,
    VendorReach, VendorRow,
};
use crate::auth::Role;
use crate::domain::{ApiKeyId, MemberId, TenantId};

// Vendors.

/// One vendor.
pub async fn get(pool: &AnyPool, tenant: &TenantId) -> Result<Option<TenantView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, whatsapp, status, locale, time_zone, created_at FROM tenants WHERE id = $1",
    )
    .bind(tenant)
    .fetch_optional(pool)
    .await
}

/// Whether the vendor exists.
pub async fn exists(pool: &AnyPool, tenant: &TenantId) -> Result<bool, sqlx::Error> {
    let found: Option<TenantId> = sqlx::query_scalar("SELECT id FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// The vendor's status, `None` when it does not exist.
pub async fn status_of(
    pool: &AnyPool,
    tenant: &TenantId,
) -> Result<Option<TenantStatus>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_optional(pool)
        .await
}

/// The vendor's language (`id` or `en`), `None` when it does not exist.
pub async fn locale_of(pool: &AnyPool, tenant: &TenantId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT locale FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_optional(pool)
        .await
}

/// The vendor's IANA time zone, `None` when it does not exist.
pub async fn time_zone_of(
    pool: &AnyPool,
    tenant: &TenantId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT time_zone FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_optional(pool)
        .await
}

/// Status, language and time zone of the vendor in one query.
pub async fn settings_of(
    pool: &AnyPool,
    tenant: &TenantId,
) -> Result<Option<TenantSettings>, sqlx::Error> {
    sqlx::query_as("SELECT status, locale, time_zone FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_optional(pool)
        .await
}

/// Changes the given profile fields; `None` keeps a field.
pub async fn update_profile(
    pool: &AnyPool,
    tenant: &TenantId,
    name: Option<&str>,
    locale: Option<&str>,
    time_zone: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tenants SET name = COALESCE($1, name), locale = COALESCE($2, locale), \
         time_zone = COALESCE($3, time_zone), updated_at = $4 WHERE id = $5",
    )
    .bind(name.map(str::to_owned))
    .bind(locale.map(str::to_owned))
    .bind(time_zone.map(str::to_owned))
    .bind(now)
    .bind(tenant)
    .execute(pool)
    .await?;
    Ok(())
}

/// Moves the vendor from `from` to `to` (with the ban reason, cleared when
/// `None`) unless its status changed meanwhile; whether it moved.
pub async fn set_status(
    pool: &AnyPool,
    tenant: &TenantId,
    from: TenantStatus,
    to: TenantStatus,
    ban_reason: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE tenants SET status = $1, ban_reason = $2, updated_at = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to)
    .bind(ban_reason.map(str::to_owned))
    .bind(now)
    .bind(tenant)
    .bind(from)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

const VENDOR_SELECT: &str = "SELECT t.id, t.name, t.whatsapp, \
    (SELECT m.email FROM members m WHERE m.tenant_id = t.id AND m.role = 'owner') AS owner_email, \
    t.status, t.ban_reason, t.created_at FROM tenants t";

/// Every vendor (or those in `status`), newest first, with its owner's email.
pub async fn vendors(
    pool: &AnyPool,
    status: Option<TenantStatus>,
) -> Result<Vec<VendorRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VENDOR_SELECT} WHERE ($1 IS NULL OR t.status = $1) ORDER BY t.created_at DESC, t.id DESC"
    ))
    .bind(status.map(TenantStatus::as_str))
    .fetch_all(pool)
    .await
}

/// One vendor with its owner's email.
pub async fn vendor(pool: &AnyPool, tenant: &TenantId) -> Result<Option<VendorRow>, sqlx::Error> {
    sqlx::query_as(&format!("{VENDOR_SELECT} WHERE t.id = $1"))
        .bind(tenant)
        .fetch_optional(pool)
        .await
}

#[derive(sqlx::FromRow)]
struct TenantName {
    id: TenantId,
    name: String,
}

/// The business name of every vendor.
pub async fn names(pool: &AnyPool) -> Result<HashMap<TenantId, String>, sqlx::Error> {
    let rows: Vec<TenantName> = sqlx::query_as("SELECT id, name FROM tenants")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// Stores a vendor; a taken WhatsApp number is a unique violation.
pub async fn insert_tenant<'e, E>(exec: E, t: &NewTenant<'_>) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO tenants (id, name, whatsapp, status, locale, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(t.id)
    .bind(t.name)
    .bind(t.whatsapp)
    .bind(t.status)
    .bind(t.locale)
    .bind(t.now)
    .execute(exec)
    .await?;
    Ok(())
}

// Sign-up.

/// The unverified sign-up of this number whose owner has this email.
pub(crate) async fn unverified_signup<'e, E>(
    exec: E,
    whatsapp: &str,
    email: &str,
) -> Result<Option<TenantId>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "SELECT t.id FROM tenants t JOIN members m ON m.tenant_id = t.id AND m.role = $3 \
         WHERE t.whatsapp = $1 AND m.email = $2 AND t.status = $4",
    )
    .bind(whatsapp)
    .bind(email)
    .bind(Role::Owner)
    .bind(TenantStatus::PendingVerification)
    .fetch_optional(exec)
    .await
}

/// Deletes an unverified sign-up: its members, then the vendor.
pub(crate) async fn delete_unverified(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM members WHERE tenant_id = $1")
        .bind(tenant)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM tenants WHERE id = $1 AND status = $2")
        .bind(tenant)
        .bind(TenantStatus::PendingVerification)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves the unverified sign-up of this number to `next`; its id, `None`
/// when there is none.
pub(crate) async fn verify_signup<'e, E>(
    exec: E,
    whatsapp: &str,
    next: TenantStatus,
    now: i64,
) -> Result<Option<TenantId>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "UPDATE tenants SET status = $1, updated_at = $2 WHERE whatsapp = $3 AND status = $4 \
         RETURNING id",
    )
    .bind(next)
    .bind(now)
    .bind(whatsapp)
    .bind(TenantStatus::PendingVerification)
    .fetch_optional(exec)
    .await
}

/// The language of the unverified sign-up of this number, if any.
pub(crate) async fn unverified_signup_locale(
    pool: &AnyPool,
    whatsapp: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT locale FROM tenants WHERE whatsapp = $1 AND status = $2")
        .bind(whatsapp)
        .bind(TenantStatus::PendingVerification)
        .fetch_optional(pool)
        .await
}

// Members.

const MEMBER_COLUMNS: &str = "id, email, name, whatsapp, role, created_at";

/// One member of the vendor.
pub async fn member(
    pool: &AnyPool,
    tenant: &TenantId,
    member: &MemberId,
) -> Result<Option<MemberView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(member)
    .bind(tenant)
    .fetch_optional(pool)
    .await
}

/// The vendor's members, oldest first.
pub async fn members(pool: &AnyPool, tenant: &TenantId) -> Result<Vec<MemberView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE tenant_id = $1 ORDER BY created_at, id"
    ))
    .bind(tenant)
    .fetch_all(pool)
    .await
}

/// The owner of the vendor.
pub async fn owner_of<'e, E>(exec: E, tenant: &TenantId) -> Result<MemberId, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT id FROM members WHERE tenant_id = $1 AND role = $2")
        .bind(tenant)
        .bind(Role::Owner)
        .fetch_one(exec)
        .await
}

/// The vendor of the member with this login email (any case).
pub async fn tenant_of_email(pool: &AnyPool, email: &str) -> Result<Option<TenantId>, sqlx::Error> {
    sqlx::query_scalar("SELECT tenant_id FROM members WHERE LOWER(email) = LOWER($1)")
        .bind(email)
        .fetch_optional(pool)
        .await
}

/// The vendor's WhatsApp number and language, `None` when it does not exist.
pub async fn reach_of(
    pool: &AnyPool,
    tenant: &TenantId,
) -> Result<Option<VendorReach>, sqlx::Error> {
    sqlx::query_as("SELECT whatsapp, locale FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_optional(pool)
        .await
}

/// A member's email and name and the vendor's number.
pub async fn member_contact(
    pool: &AnyPool,
    tenant: &TenantId,
    member: &MemberId,
) -> Result<Option<MemberContact>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.email, m.name, t.whatsapp AS tenant_whatsapp FROM members m \
         JOIN tenants t ON t.id = m.tenant_id WHERE m.id = $1 AND m.tenant_id = $2",
    )
    .bind(member)
    .bind(tenant)
    .fetch_optional(pool)
    .await
}

/// Stores a member; a taken email is a unique violation.
pub async fn insert_member<'e, E>(exec: E, m: &NewMemberRow<'_>) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO members (id, tenant_id, email, name, whatsapp, password_hash, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(m.id)
    .bind(m.tenant_id)
    .bind(m.email)
    .bind(m.name)
    .bind(m.whatsapp.map(str::to_owned))
    .bind(m.password_hash)
    .bind(m.role)
    .bind(m.now)
    .execute(exec)
    .await?;
    Ok(())
}

/// Changes a member's name or role; `None` keeps it.
pub(crate) async fn update_member(
    pool: &AnyPool,
    tenant: &TenantId,
    member: &MemberId,
    name: Option<&str>,
    role: Option<Role>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE members SET name = COALESCE($1, name), role = COALESCE($2, role), updated_at = $3 \
         WHERE id = $4 AND tenant_id = $5",
    )
    .bind(name.map(str::to_owned))
    .bind(role.map(|r| r.as_str().to_owned()))
    .bind(now)
    .bind(member)
    .bind(tenant)
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes a member and revokes the API keys it created (a key acts on
/// behalf of its creator, who is gone), in the caller's transaction.
pub(crate) async fn remove_member(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    member: &MemberId,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE created_by = $2 AND tenant_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(member)
    .bind(tenant)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM members WHERE id = $1 AND tenant_id = $2")
        .bind(member)
        .bind(tenant)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// Logging in and resetting passwords.

/// The member with this (normalised) email, its password hash and its
/// vendor's status.
pub(crate) async fn login_of(pool: &AnyPool, email: &str) -> Result<Option<LoginRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id AS member_id, m.tenant_id, m.role, m.password_hash, t.status FROM members m \
         JOIN tenants t ON t.id = m.tenant_id WHERE m.email = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
}

/// The member's email and name and its vendor's name.
pub(crate) async fn me(
    pool: &AnyPool,
    tenant: &TenantId,
    member: &MemberId,
) -> Result<Option<MeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.email, m.name, t.name AS tenant_name FROM members m \
         JOIN tenants t ON t.id = m.tenant_id WHERE m.id = $1 AND m.tenant_id = $2",
    )
    .bind(member)
    .bind(tenant)
    .fetch_optional(pool)
    .await
}

/// The number and language a reset code for this email goes to.
pub(crate) async fn reset_target(
    pool: &AnyPool,
    email: &str,
) -> Result<Option<ResetTarget>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.whatsapp, t.locale FROM members m JOIN tenants t ON t.id = m.tenant_id \
         WHERE m.email = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
}

/// The member with this email and its number.
pub(crate) async fn member_phone(
    pool: &AnyPool,
    email: &str,
) -> Result<Option<MemberPhone>, sqlx::Error> {
    sqlx::query_as("SELECT id, whatsapp FROM members WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await
}

/// Sets a member's password hash.
pub(crate) async fn set_password(
    pool: &AnyPool,
    member: &MemberId,
    password_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE members SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now)
        .bind(member)
        .execute(pool)
        .await?;
    Ok(())
}

// Authenticating requests.

/// The vendor, role and vendor status of a member.
pub(crate) async fn member_access(
    pool: &AnyPool,
    member: &MemberId,
) -> Result<Option<MemberAccess>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.tenant_id, m.role, t.status FROM members m JOIN tenants t ON t.id = m.tenant_id \
         WHERE m.id = $1",
    )
    .bind(member)
    .fetch_optional(pool)
    .await
}

/// The unrevoked API key with this hash, with its vendor's status.
pub(crate) async fn api_key_access(
    pool: &AnyPool,
    key_hash: &str,
) -> Result<Option<KeyAccess>, sqlx::Error> {
    sqlx::query_as(
        "SELECT k.id AS key_id, k.tenant_id, k.created_by, t.status FROM api_keys k \
         JOIN tenants t ON t.id = k.tenant_id \
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(pool)
    .await
}

// API keys.

const KEY_COLUMNS: &str = "id, name, prefix, created_by, created_at, revoked_at";

/// The vendor's API keys, oldest first.
pub(crate) async fn api_keys(
    pool: &AnyPool,
    tenant: &TenantId,
) -> Result<Vec<ApiKeyView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id"
    ))
    .bind(tenant)
    .fetch_all(pool)
    .await
}

/// One API key of the vendor.
pub(crate) async fn api_key(
    pool: &AnyPool,
    tenant: &TenantId,
    key: &ApiKeyId,
) -> Result<Option<ApiKeyView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(key)
    .bind(tenant)
    .fetch_optional(pool)
    .await
}

/// Stores an API key by its hash.
pub(crate) async fn insert_api_key(
    pool: &AnyPool,
    k: &NewApiKeyRow<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(k.id)
    .bind(k.tenant_id)
    .bind(k.name)
    .bind(k.prefix)
    .bind(k.key_hash)
    .bind(k.created_by)
    .bind(k.now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Revokes an API key of the vendor; revoking twice keeps the first time.
pub(crate) async fn revoke_api_key(
    pool: &AnyPool,
    tenant: &TenantId,
    key: &ApiKeyId,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(key)
    .bind(tenant)
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes a vendor's members and API keys and the personal fields of its
/// row, which stays (with status `deleted`) for the records that refer to
/// it (plan orders and payments, marketplace orders).
pub async fn purge_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM api_keys WHERE tenant_id = $1",
        "DELETE FROM members WHERE tenant_id = $1",
    ] {
        sqlx::query(sql).bind(tenant).execute(&mut *conn).await?;
    }
    sqlx::query(
        "UPDATE tenants SET name = '', whatsapp = 'deleted:' || id, status = $2, \
         ban_reason = NULL, updated_at = $3 WHERE id = $1",
    )
    .bind(tenant)
    .bind(TenantStatus::Deleted)
    .bind(crate::db::now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
