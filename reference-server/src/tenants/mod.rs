//! Vendors (tenants) and their people: sign-up and verification by OTP,
//! member login and password reset, the vendor's profile, its members and
//! roles, and its API keys.
//!
//! Tables: `tenants` (the vendor, its status, locale and time zone),
//! `members` (login accounts of a vendor with their role) and `api_keys`.
//! Other features read them through [`store`]: [`store::status_of`],
//! [`store::locale_of`], [`store::time_zone_of`], [`store::settings_of`],
//! [`is_active`] (bots, webhooks and workers check it before acting for a
//! vendor: a banned vendor's bots stop), [`store::member_contact`],
//! [`store::tenant_of_email`], [`store::vendors`].
//!
//! Depends on `auth` (sessions, passwords, tokens, the caller types) and
//! `billing` (the trial plan granted at verification). This feature
//! extracts [`crate::auth::CurrentMember`] for every handler (see
//! `extract.rs`). The account URLs stay under `/api/v1/auth/`.

pub(crate) mod api_keys;
mod extract;
pub(crate) use extract::member_of_session;
mod http;
pub(crate) use http::{
    add as add_member, change as change_member, load_member, remove as remove_member,
    update_profile,
};
pub(crate) mod login;
pub mod model;
pub mod signup;
pub mod store;

use sqlx::AnyPool;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::domain::TenantId;
pub use model::{TenantStatus, TenantView, validate_locale, validate_name, validate_time_zone};

/// Whether the vendor exists and is active (not banned, not pending).
pub async fn is_active(pool: &AnyPool, tenant: &TenantId) -> Result<bool, sqlx::Error> {
    Ok(store::status_of(pool, tenant).await? == Some(TenantStatus::Active))
}

/// The vendor-facing routes: sign-up, login, password reset, the profile,
/// members and API keys.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
        .merge(login::router())
        .merge(signup::router())
        .merge(api_keys::router())
}
