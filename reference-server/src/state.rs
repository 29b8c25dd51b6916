//! The application state shared by every handler.

use std::sync::Arc;

use sqlx::AnyPool;

use crate::auth::ratelimit::RateLimiters;
use crate::config::Config;
use crate::crypto::Crypto;
use crate::db::DbKind;

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
    /// Long-lived state of the bots feature (device and pipeline caches).
    pub bots: crate::bots::BotsRuntime,
    /// Other features' payments on the Midtrans notification URL (see
    /// [`crate::billing::webhook::PaymentRoute`]).
    pub payment_routes: Vec<Arc<dyn crate::billing::webhook::PaymentRoute>>,
}

impl AppState {
    /// Begins a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        crate::db::begin_write(&self.pool, self.db).await
    }
}
