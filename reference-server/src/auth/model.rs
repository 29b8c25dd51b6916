//! The types of authentication: the callers every handler takes
//! ([`CurrentMember`], [`AdminUser`]), the member roles, session subjects,
//! and email normalisation.

use crate::domain::{AdminId, ApiKeyId, MemberId, TenantId};
use crate::http::AppError;
use crate::http::i18n::{Text, tr};

crate::text_enum! {
    /// A member's role in a vendor, from most to least powerful. Stored in
    /// `members.role` (a table of `tenants`); declared here because every
    /// feature checks it through [`CurrentMember::require`].
    pub enum Role {
        /// Created the vendor; manages members, keys and billing.
        Owner = "owner",
        /// Manages devices, bots, contacts, campaigns and API keys.
        Admin = "admin",
        /// Works the inbox.
        Agent = "agent",
    }
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Self::Owner => 3,
            Self::Admin => 2,
            Self::Agent => 1,
        }
    }

    /// Whether this role is at least `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }
}

crate::text_enum! {
    /// Who a session belongs to (`sessions.subject_kind`).
    pub enum SubjectKind {
        /// A vendor member.
        Member = "member",
        /// A platform admin.
        Admin = "admin",
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// A login session (`Authorization: Bearer wss_...`).
    Session {
        /// The session row id (for logout).
        session_id: String,
    },
    /// A vendor API key (`X-Api-Key: wak_...`).
    ApiKey {
        /// The key row id.
        key_id: ApiKeyId,
    },
}

/// Email and password, the body of a member's or an admin's login.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    /// Login email (`admin@localhost` for the seeded platform admin).
    pub email: String,
    /// Password.
    #[schema(format = Password)]
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// The authenticated vendor member of a request.
///
/// Accepts `Authorization: Bearer <session token>` or `X-Api-Key: <key>`.
/// Rejects with 401 when missing, unknown, expired or revoked, and with 403
/// when the vendor is banned (`tenant_banned`) or not active yet
/// (`tenant_not_active`). An API key acts with the [`Role::Admin`] role on
/// behalf of the member who created it.
///
/// The extractor is implemented by the `tenants` feature (`tenants/extract.rs`):
/// it reads members, API keys and the vendor's status, which `tenants`
/// owns, so this feature depends on no other.
#[derive(Debug, Clone)]
pub struct CurrentMember {
    /// The vendor: put it in every tenant query (`WHERE tenant_id = $n`).
    pub tenant_id: TenantId,
    /// The member; for an API key, the member who created it.
    pub member_id: MemberId,
    /// The effective role.
    pub role: Role,
    /// Session or API key.
    pub method: AuthMethod,
}

impl CurrentMember {
    /// The caller: `member` of `tenant` acting with `role`.
    pub fn new(tenant: TenantId, member: MemberId, role: Role, method: AuthMethod) -> Self {
        Self {
            tenant_id: tenant,
            member_id: member,
            role,
            method,
        }
    }

    /// The vendor.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant_id
    }

    /// The member (for an API key: the member who created it).
    pub fn member(&self) -> &MemberId {
        &self.member_id
    }

    /// 403 `insufficient_role` unless the role is at least `min`.
    pub fn require(&self, min: Role) -> Result<(), AppError> {
        if self.role.at_least(min) {
            Ok(())
        } else {
            Err(AppError::forbidden("insufficient_role", {
                let role = min.as_str();
                tr!(
                    "tindakan ini perlu peran {role} atau lebih tinggi",
                    "this action needs the {role} role or higher"
                )
            }))
        }
    }

    /// 403 `session_required` when authenticated by API key (for account
    /// management such as creating API keys or members).
    pub fn require_session(&self) -> Result<&str, AppError> {
        match &self.method {
            AuthMethod::Session { session_id } => Ok(session_id),
            AuthMethod::ApiKey { .. } => Err(AppError::forbidden(
                "session_required",
                Text::new(
                    "tindakan ini perlu anggota yang login, bukan kunci API",
                    "this action needs a logged-in member, not an API key",
                ),
            )),
        }
    }
}

/// The authenticated platform admin of a request
/// (`Authorization: Bearer <admin session token>`); 401 otherwise.
#[derive(Debug, Clone)]
pub struct AdminUser {
    /// The admin's id.
    pub admin_id: AdminId,
    /// The session row id (for logout).
    pub session_id: String,
}

/// A new session's token (shown to the client once) and expiry.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The bearer token.
    pub token: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// A live member session (`sessions` row).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberSession {
    /// The session row id.
    pub id: String,
    /// The member it belongs to.
    pub member_id: MemberId,
}

/// A live admin session of an existing admin.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AdminSessionRow {
    pub(crate) id: String,
    pub(crate) admin_id: AdminId,
}

/// What an admin login checks (`platform_admins` row).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminCredentials {
    /// The admin.
    pub id: AdminId,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// Normalises an email for storage and lookup (trimmed, lower case) and
/// checks its shape; 400 `invalid_email` otherwise.
pub fn normalize_email(email: &str) -> Result<String, AppError> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.contains(char::is_whitespace);
    if valid {
        Ok(e)
    } else {
        Err(AppError::bad_request(
            "invalid_email",
            Text::new("alamat email tidak valid", "the email address is not valid"),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn roles_are_ordered_and_stored_as_text() {
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(Role::Admin.at_least(Role::Admin));
        assert!(!Role::Agent.at_least(Role::Admin));
        assert_eq!("agent".parse::<Role>().unwrap(), Role::Agent);
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(normalize_email("  Ana@Toko.ID ").unwrap(), "ana@toko.id");
        for bad in ["ana", "@toko.id", "ana@toko", "ana@.id", "a na@toko.id"] {
            assert_eq!(
                normalize_email(bad).unwrap_err().code(),
                "invalid_email",
                "{bad}"
            );
        }
    }

    #[test]
    fn the_caller_carries_typed_and_text_ids_alike() {
        let m = CurrentMember::new(
            TenantId::from("t1"),
            MemberId::from("m1"),
            Role::Agent,
            AuthMethod::ApiKey {
                key_id: ApiKeyId::from("k1"),
            },
        );
        assert_eq!((m.tenant_id.as_str(), m.member_id.as_str()), ("t1", "m1"));
        assert_eq!(m.tenant(), &TenantId::from("t1"));
        assert_eq!(m.require_session().unwrap_err().code(), "session_required");
        assert_eq!(
            m.require(Role::Admin).unwrap_err().code(),
            "insufficient_role"
        );
    }
}
