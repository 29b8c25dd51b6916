//! The types of `tenants`: requests and answers, row types, the vendor
//! status, and validation of names, locales and time zones.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::domain::{ApiKeyId, MemberId, TenantId};
use crate::http::AppError;
use crate::http::i18n::{Text, tr};

crate::text_enum! {
    /// Life cycle of a vendor account (`tenants.status`).
    pub enum TenantStatus {
        /// Signed up; the WhatsApp number is not verified yet.
        PendingVerification = "pending_verification",
        /// Verified; waits for a platform admin (only with `require_approval`).
        PendingApproval = "pending_approval",
        /// Can log in, use API keys and run bots.
        Active = "active",
        /// Stopped by a platform admin: no login, API keys rejected, bots
        /// stopped; the data stays.
        Banned = "banned",
        /// The vendor's account was deleted at its request (after the
        /// cooling-off period); only what accounting needs is kept.
        Deleted = "deleted",
    }
}

/// A vendor as its members see it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct TenantView {
    /// Id.
    pub id: TenantId,
    /// Business name.
    pub name: String,
    /// The vendor's WhatsApp number (E.164).
    pub whatsapp: String,
    /// Status.
    pub status: TenantStatus,
    /// `id` (Indonesian, default) or `en`: language of WhatsApp receipts.
    pub locale: String,
    /// IANA time zone of the business (default `Asia/Jakarta`): the bots'
    /// business hours and the days of keyword statistics use it.
    pub time_zone: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// Changes to the vendor profile (owner or admin).
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UpdateTenant {
    /// New business name.
    pub(crate) name: Option<String>,
    /// `id` or `en`.
    pub(crate) locale: Option<String>,
    /// IANA time zone, e.g. `Asia/Jakarta`, `Asia/Makassar`, `Asia/Jayapura`.
    pub(crate) time_zone: Option<String>,
}

/// What the bots, receipts and statistics need to know of a vendor.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TenantSettings {
    /// Status.
    pub status: TenantStatus,
    /// `id` or `en`.
    pub locale: String,
    /// IANA time zone.
    pub time_zone: String,
}

/// Where and in which language to reach a vendor (alerts, receipts).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VendorReach {
    /// The vendor's WhatsApp number, E.164.
    pub whatsapp: String,
    /// The vendor's language code.
    pub locale: String,
}

/// A vendor as the platform admins see it (with its owner's email).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VendorRow {
    /// Id.
    pub id: TenantId,
    /// Business name.
    pub name: String,
    /// WhatsApp number.
    pub whatsapp: String,
    /// The owner's login email.
    pub owner_email: Option<String>,
    /// Status.
    pub status: TenantStatus,
    /// Reason given at the ban.
    pub ban_reason: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A member as listed to the vendor.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct MemberView {
    /// Id.
    pub id: MemberId,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// WhatsApp number (E.164), used for password reset.
    pub whatsapp: Option<String>,
    /// Role.
    pub role: Role,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A new member (created by an owner or admin).
#[derive(Deserialize, ToSchema)]
pub struct NewMember {
    /// Login email (unique on the platform).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Initial password.
    #[schema(format = Password)]
    pub password: String,
    /// `admin` or `agent` (an admin can only add agents).
    pub role: Role,
    /// WhatsApp number for password reset (optional).
    pub whatsapp: Option<String>,
}

impl std::fmt::Debug for NewMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMember")
            .field("email", &self.email)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Changes to a member.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMember {
    /// New display name.
    pub name: Option<String>,
    /// New role (`admin` or `agent`; owner only).
    pub role: Option<Role>,
}

/// The contact details of a member and its vendor's number (for invoices).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberContact {
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The vendor's WhatsApp number.
    pub tenant_whatsapp: String,
}

/// An API key as listed (never the key itself).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ApiKeyView {
    /// Id.
    pub id: ApiKeyId,
    /// Label given at creation.
    pub name: String,
    /// First characters of the key, to recognise it.
    pub prefix: String,
    /// Member who created it.
    pub created_by: MemberId,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; `None` while usable.
    pub revoked_at: Option<i64>,
}

/// A new key's label.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiKey {
    /// Label, e.g. "shop backend".
    pub name: String,
}

/// A created key: the only time `key` is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key for `X-Api-Key`; store it now, it is not shown again.
    pub key: String,
    /// The stored description.
    pub api_key: ApiKeyView,
}

/// What authenticating a request by API key reads.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct KeyAccess {
    pub(crate) key_id: ApiKeyId,
    pub(crate) tenant_id: TenantId,
    pub(crate) created_by: MemberId,
    pub(crate) status: TenantStatus,
}

/// What authenticating a member's session reads.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MemberAccess {
    pub(crate) tenant_id: TenantId,
    pub(crate) role: Role,
    pub(crate) status: TenantStatus,
}

/// What a login checks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct LoginRow {
    pub(crate) member_id: MemberId,
    pub(crate) tenant_id: TenantId,
    pub(crate) role: Role,
    pub(crate) password_hash: String,
    pub(crate) status: TenantStatus,
}

/// The caller's names for `GET /api/v1/me`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MeRow {
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) tenant_name: String,
}

/// Where a password-reset code goes: the member's number, in its vendor's
/// language.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ResetTarget {
    pub(crate) whatsapp: Option<String>,
    pub(crate) locale: String,
}

/// A member found by email, with the number its reset code went to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MemberPhone {
    pub(crate) id: MemberId,
    pub(crate) whatsapp: Option<String>,
}

/// A vendor row to insert.
#[derive(Debug, Clone)]
pub struct NewTenant<'a> {
    /// Id.
    pub id: &'a TenantId,
    /// Business name.
    pub name: &'a str,
    /// WhatsApp number (E.164, unique).
    pub whatsapp: &'a str,
    /// Initial status.
    pub status: TenantStatus,
    /// `id` or `en`.
    pub locale: &'a str,
    /// Unix milliseconds.
    pub now: i64,
}

/// A member row to insert.
#[derive(Debug, Clone)]
pub struct NewMemberRow<'a> {
    /// Id.
    pub id: &'a MemberId,
    /// The vendor.
    pub tenant_id: &'a TenantId,
    /// Normalised login email (unique).
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// WhatsApp number (E.164).
    pub whatsapp: Option<&'a str>,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
    /// Role.
    pub role: Role,
    /// Unix milliseconds.
    pub now: i64,
}

/// An API key row to insert.
#[derive(Debug, Clone)]
pub(crate) struct NewApiKeyRow<'a> {
    pub(crate) id: &'a ApiKeyId,
    pub(crate) tenant_id: &'a TenantId,
    pub(crate) name: &'a str,
    pub(crate) prefix: &'a str,
    pub(crate) key_hash: &'a str,
    pub(crate) created_by: &'a MemberId,
    pub(crate) now: i64,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionResponse {
    /// Bearer token for `Authorization: Bearer ...`; shown once.
    pub(crate) token: String,
    /// Unix milliseconds.
    pub(crate) expires_at: i64,
    /// The vendor.
    pub(crate) tenant_id: TenantId,
    /// The member.
    pub(crate) member_id: MemberId,
    /// The member's role.
    pub(crate) role: Role,
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Me {
    /// The member.
    pub(crate) member_id: MemberId,
    /// Email.
    pub(crate) email: String,
    /// Display name.
    pub(crate) name: String,
    /// Role (API keys act as `admin`).
    pub(crate) role: Role,
    /// The vendor.
    pub(crate) tenant_id: TenantId,
    /// The vendor's name.
    pub(crate) tenant_name: String,
    /// `session` or `api_key`.
    pub(crate) auth: &'static str,
}

/// A new vendor.
#[derive(Deserialize, ToSchema)]
pub(crate) struct SignupRequest {
    /// Business name.
    pub(crate) business_name: String,
    /// Owner's name.
    pub(crate) name: String,
    /// Owner's login email (unique).
    pub(crate) email: String,
    /// The vendor's WhatsApp number (unique; `0812...`, `+62...`).
    pub(crate) whatsapp: String,
    /// Password (8+ characters).
    #[schema(format = Password)]
    pub(crate) password: String,
    /// `id` (default) or `en`: language of WhatsApp messages.
    pub(crate) locale: Option<String>,
}

impl std::fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupRequest")
            .field("business_name", &self.business_name)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// An OTP challenge was sent.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChallengeSent {
    /// Send it back with the code.
    pub(crate) challenge_id: String,
    /// Unix milliseconds when the code stops working.
    pub(crate) expires_at: i64,
    /// Seconds before another code can be requested.
    pub(crate) resend_after_secs: u64,
    /// The vendor (sign-up only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tenant_id: Option<TenantId>,
}

/// A code for a challenge.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct VerifySignup {
    /// From the sign-up answer.
    pub(crate) challenge_id: String,
    /// The code received on WhatsApp.
    pub(crate) code: String,
}

/// Result of verification.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SignupVerified {
    /// The vendor.
    pub(crate) tenant_id: TenantId,
    /// `active`, or `pending_approval` when the platform approves vendors.
    pub(crate) status: TenantStatus,
    /// The owner's session when the vendor is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<SessionResponse>,
}

/// Which sign-up to resend the code for.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ResendSignup {
    /// The WhatsApp number used at sign-up.
    pub(crate) whatsapp: String,
}

/// Whose password to reset.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ResetRequest {
    /// Login email.
    pub(crate) email: String,
}

/// The code and the new password.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ConfirmReset {
    /// Login email.
    pub(crate) email: String,
    /// From the reset answer.
    pub(crate) challenge_id: String,
    /// The code received on WhatsApp.
    pub(crate) code: String,
    /// New password (8+ characters).
    #[schema(format = Password)]
    pub(crate) new_password: String,
}

impl std::fmt::Debug for ConfirmReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmReset")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Result of a reset.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResetDone {
    /// Sessions ended by the reset.
    pub(crate) sessions_revoked: u64,
}

/// Validates a business or person name: 1..=100 characters after trimming.
pub fn validate_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 {
        return Err(AppError::bad_request(
            "invalid_name",
            Text::new(
                "nama harus 1 sampai 100 karakter",
                "the name must have 1 to 100 characters",
            ),
        ));
    }
    Ok(n.to_owned())
}

/// An IANA time zone name known to `chrono-tz` (`Asia/Jakarta` ...).
pub fn validate_time_zone(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    name.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            AppError::bad_request(
                "invalid_time_zone",
                tr!(
                    "time_zone: `{name}` bukan zona waktu IANA seperti Asia/Jakarta",
                    "time_zone: `{name}` is not an IANA time zone such as Asia/Jakarta"
                ),
            )
        })
}

/// `id` or `en`.
pub fn validate_locale(locale: &str) -> Result<String, AppError> {
    match locale.trim().to_ascii_lowercase().as_str() {
        l @ ("id" | "en") => Ok(l.to_owned()),
        _ => Err(AppError::bad_request(
            "invalid_locale",
            Text::new(
                "locale harus \"id\" atau \"en\"",
                "the locale must be \"id\" or \"en\"",
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_locales_and_time_zones_are_checked() {
        assert_eq!(validate_name("  Toko Ana ").unwrap(), "Toko Ana");
        assert_eq!(validate_name(" ").unwrap_err().code(), "invalid_name");
        assert!(validate_name(&"x".repeat(101)).is_err());
        assert_eq!(validate_locale(" EN ").unwrap(), "en");
        assert_eq!(validate_locale("fr").unwrap_err().code(), "invalid_locale");
        assert_eq!(
            validate_time_zone("Asia/Makassar").unwrap(),
            "Asia/Makassar"
        );
        assert_eq!(
            validate_time_zone("Mars/Olympus").unwrap_err().code(),
            "invalid_time_zone"
        );
    }

    #[test]
    fn statuses_are_stored_as_their_text() {
        assert_eq!(TenantStatus::PendingApproval.as_str(), "pending_approval");
        assert_eq!(
            "banned".parse::<TenantStatus>().unwrap(),
            TenantStatus::Banned
        );
        assert_eq!(
            serde_json::to_string(&TenantStatus::PendingVerification).unwrap(),
            "\"pending_verification\""
        );
    }
}
