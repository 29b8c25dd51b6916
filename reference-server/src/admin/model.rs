//! The types of platform administration: vendors as the platform sees
//! them, admin login, payments, and the rows of the platform-wide reports.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::billing::model::{PaymentView, SubscriptionRow, VendorSubscription};
use crate::domain::{AdminId, TenantId};
use crate::tenants::TenantStatus;
use crate::tenants::model::VendorRow;

/// A vendor as the platform sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VendorView {
    /// Id.
    pub id: TenantId,
    /// Business name.
    pub name: String,
    /// WhatsApp number.
    pub whatsapp: String,
    /// Owner's email.
    pub owner_email: Option<String>,
    /// Status.
    pub status: TenantStatus,
    /// Reason given at the ban.
    pub ban_reason: Option<String>,
    /// Current plan code.
    pub plan_code: Option<String>,
    /// Subscription status (`active` / `expired`).
    pub subscription_status: Option<String>,
    /// Subscription expiry, unix ms.
    pub subscription_expires_at: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl VendorView {
    /// The vendor with its subscription, if it has one.
    pub(crate) fn new(vendor: VendorRow, subscription: Option<VendorSubscription>) -> Self {
        let (plan_code, subscription_status, subscription_expires_at) = match subscription {
            Some(s) => (Some(s.plan_code), Some(s.status), Some(s.expires_at)),
            None => (None, None, None),
        };
        Self {
            id: vendor.id,
            name: vendor.name,
            whatsapp: vendor.whatsapp,
            owner_email: vendor.owner_email,
            status: vendor.status,
            ban_reason: vendor.ban_reason,
            plan_code,
            subscription_status,
            subscription_expires_at,
            created_at: vendor.created_at,
        }
    }
}

/// Filter of the vendor list.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct VendorFilter {
    /// Only vendors in this status.
    pub(crate) status: Option<TenantStatus>,
}

/// Why a vendor is banned.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct BanRequest {
    /// Shown to platform admins.
    pub(crate) reason: Option<String>,
}

/// Filter by vendor.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct TenantFilter {
    /// Only this vendor.
    pub(crate) tenant_id: Option<TenantId>,
}

/// An admin session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AdminSession {
    /// Bearer token; shown once.
    pub(crate) token: String,
    /// Unix milliseconds.
    pub(crate) expires_at: i64,
    /// The admin.
    pub(crate) admin_id: AdminId,
}

/// Result of a logout.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LoggedOut {
    /// Always true.
    pub(crate) logged_out: bool,
}

/// The admin created on first start; `password` must be shown once.
pub struct SeededAdmin {
    /// Login email.
    pub email: String,
    /// The generated password.
    pub password: SecretString,
}

impl std::fmt::Debug for SeededAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeededAdmin")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .finish()
    }
}
