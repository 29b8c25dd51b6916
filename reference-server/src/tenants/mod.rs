//! Vendors (tenants): status, the vendor's own profile, members and API keys.
//!
//! Other areas check a tenant with [`is_active`] (e.g. before running a
//! bot for an inbound message: a banned vendor's bots stop).

pub mod api_keys;
mod handlers;

pub use handlers::{TenantView, validate_locale, validate_name, validate_time_zone};
pub mod members;

use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Life cycle of a vendor account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Signed up; the WhatsApp number is not verified yet.
    PendingVerification,
    /// Verified; waits for a platform admin (only with `require_approval`).
    PendingApproval,
    /// Can log in, use API keys and run bots.
    Active,
    /// Stopped by a platform admin: no login, API keys rejected, bots
    /// stopped; the data stays.
    Banned,
}

impl TenantStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingVerification => "pending_verification",
            Self::PendingApproval => "pending_approval",
            Self::Active => "active",
            Self::Banned => "banned",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending_verification" => Some(Self::PendingVerification),
            "pending_approval" => Some(Self::PendingApproval),
            "active" => Some(Self::Active),
            "banned" => Some(Self::Banned),
            _ => None,
        }
    }
}

/// The status of a tenant, `None` when it does not exist.
pub async fn status(pool: &AnyPool, tenant_id: &str) -> Result<Option<TenantStatus>, sqlx::Error> {
    let s: Option<String> = sqlx::query_scalar("SELECT status FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(pool)
        .await?;
    Ok(s.as_deref().and_then(TenantStatus::parse))
}

/// Whether the tenant exists and is active (not banned, not pending).
/// Bots, webhooks and workers call this before acting for a tenant.
pub async fn is_active(pool: &AnyPool, tenant_id: &str) -> Result<bool, sqlx::Error> {
    Ok(status(pool, tenant_id).await? == Some(TenantStatus::Active))
}

/// The vendor-facing routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    handlers::router()
        .merge(members::router())
        .merge(api_keys::router())
}
