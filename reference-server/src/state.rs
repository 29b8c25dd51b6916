//! The application state shared by every handler.

use std::sync::Arc;

use sqlx::{Any, AnyPool, Transaction};

use crate::auth::ratelimit::RateLimiters;
use crate::config::Config;
use crate::crypto::Crypto;
use crate::db::DbKind;
use crate::domain::{ContactId, TemplateId, TenantId};

/// Everything a handler needs. Cheap to clone (pool and `Arc`s).
///
/// Areas keep their own state inside their module, built from these
/// fields (e.g. a struct created from `state.pool`), rather than adding
/// fields here.
#[derive(Clone)]
pub struct AppState {
    /// The database pool (SQLite or PostgreSQL through `AnyPool`).
    pub pool: AnyPool,
    /// Which engine `pool` talks to.
    pub db: DbKind,
    /// The configuration.
    pub config: Arc<Config>,
    /// Shared services.
    pub services: Arc<Services>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Services shared by the features.
#[derive(Debug)]
pub struct Services {
    /// At-rest encryption of secrets.
    pub crypto: Crypto,
    /// The platform's own WhatsApp sender (simulator by default; see
    /// [`crate::platform`]).
    pub platform_sender: crate::platform::PlatformSender,
    /// Group-committed writes of the hot paths (see [`crate::db::Writer`]).
    pub writer: crate::db::Writer,
    /// OTP engine (codes over WhatsApp from the platform sender; SQL store
    /// in the same database).
    pub otp: otp::Otp,
    /// The platform's Midtrans client (`None` when no server key is set).
    pub midtrans: Option<midtrans_client::MidtransClient>,
    /// Rate limiters of the account endpoints.
    pub rate_limits: RateLimiters,
    /// Flips to `true` when the server shuts down; background jobs
    /// `subscribe()` and stop (see `crate::spawn_periodic`).
    pub shutdown: tokio::sync::watch::Sender<bool>,
    /// Long-lived state of the bots feature (plugin pipelines, LLMs).
    pub bots: crate::bots::BotsRuntime,
    /// Long-lived state of the devices feature (device cache, HTTP client).
    pub devices: crate::devices::registry::DevicesRuntime,
    /// Calls of a feature into one above it in the dependency order.
    pub hooks: Hooks,
    /// Other features' payments on the Midtrans notification URL (see
    /// [`crate::billing::webhook::PaymentRoute`]).
    pub payment_routes: Vec<Arc<dyn crate::billing::webhook::PaymentRoute>>,
}

/// The future a hook returns.
pub type HookFuture<'a, T> = futures::future::BoxFuture<'a, Result<T, sqlx::Error>>;

/// Calls a feature makes into a feature above it in the dependency order
/// (`docs/src/development.md`), so that it does not import it: the lower
/// feature calls the hook, the app fills it with the higher feature's
/// function when it builds the state ([`crate::build_state`]).
#[derive(Debug, Clone, Copy)]
pub struct Hooks {
    /// `tenants` -> `billing`: grants the trial plan to a vendor verified
    /// in this transaction (at the time given, unix ms).
    pub vendor_verified:
        for<'a> fn(&'a mut Transaction<'static, Any>, &'a TenantId, i64) -> HookFuture<'a, ()>,
    /// `contacts` -> `campaigns`: withdraws the queued campaign messages
    /// to a contact that opted out (`"opted_out"`) or is being deleted
    /// (`"contact_deleted"`); returns how many.
    pub contact_withdrawn:
        for<'a> fn(&'a AnyPool, &'a TenantId, &'a ContactId, &'static str) -> HookFuture<'a, u64>,
    /// `templates` -> `campaigns`: how many of the vendor's unfinished
    /// campaigns use the template.
    pub template_uses: for<'a> fn(&'a AnyPool, &'a TenantId, &'a TemplateId) -> HookFuture<'a, i64>,
    /// `billing` -> `devices`: how many devices the vendor stores.
    pub device_count: for<'a> fn(&'a AnyPool, &'a TenantId) -> HookFuture<'a, i64>,
    /// `billing` -> `contacts`: how many contacts the vendor stores.
    pub contact_count: for<'a> fn(&'a AnyPool, &'a TenantId) -> HookFuture<'a, i64>,
}

impl AppState {
    /// Begins a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        crate::db::begin_write(&self.pool, self.db).await
    }
}
