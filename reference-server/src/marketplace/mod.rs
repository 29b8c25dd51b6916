//! The marketplace: buyers shop the published catalogs of the platform's
//! vendors, pay once for a cart that spans several shops, and follow each
//! vendor's order to delivery; buyer and vendor hear of every step over
//! the platform's WhatsApp number. Operators' and vendors' guide:
//! `docs/src/marketplace.md`.
//!
//! Sub-features, each with its own tables; they depend on each other in
//! this order only (never back): [`buyers`] and [`catalog`] (leaves), then
//! [`cart`] (reads both), then [`orders`] (reads all three).
//!
//! * [`buyers`]: accounts by WhatsApp number, sign-in with a one-time code,
//!   buyer sessions (separate from vendor sessions), shipping addresses.
//!   Tables `mkt_buyers`, `mkt_buyer_sessions`, `mkt_addresses`.
//! * [`catalog`]: products, variants, images, the stock ledger with
//!   low-stock alerts, and search. Tables `mkt_products`, `mkt_variants`,
//!   `mkt_product_images`, `mkt_stock_ledger` and the search index.
//! * [`cart`]: a buyer's cart grouped by vendor. Table `mkt_cart_items`.
//! * [`orders`]: split checkout, the Midtrans payment of a group, the
//!   order lifecycle, refunds and the background sweeps. Tables
//!   `mkt_order_groups`, `mkt_payment_events`, `mkt_orders`,
//!   `mkt_order_items`, `mkt_order_events`, `mkt_refunds`.
//! * [`reviews`]: a product's reviews by buyers with a delivered order
//!   (reads orders, keeps the catalog's rating figures). Table
//!   `mkt_reviews`.
//! * [`sales`]: a vendor's sales figures in its time zone, their CSV /
//!   XLSX export and the weekly WhatsApp summary (reads orders and
//!   catalog). Table `mkt_weekly_reports`.
//! * [`payouts`]: commission per plan, the ledger of what the platform
//!   owes each vendor for delivered orders, payouts through Midtrans
//!   Iris. Tables `mkt_payout_accounts`, `mkt_payouts`,
//!   `mkt_payout_entries`.
//! * [`notify`]: WhatsApp texts to buyers and vendors (shared by the
//!   sub-features; reads no table of its own).
//! * `loadtest` (feature `loadtest`): setup and drivers of the
//!   marketplace figures (`src/bin/loadgen_marketplace.rs`).

pub mod buyers;
pub mod cart;
pub mod catalog;
mod config;
#[cfg(feature = "loadtest")]
pub mod loadtest;
pub(crate) mod notify;
pub mod orders;
pub mod payouts;
pub mod reviews;
pub mod sales;

use std::sync::Arc;

use tokio::task::JoinHandle;
use utoipa_axum::router::OpenApiRouter;

pub use config::{IMAGE_MAX_BYTES_CAP, MarketplaceConfig};

use crate::http::AppError;
use crate::{AppState, DbKind};

/// Every marketplace route (buyer, vendor and public).
pub fn router() -> OpenApiRouter<AppState> {
    buyers::router()
        .merge(catalog::router())
        .merge(cart::router())
        .merge(orders::router())
        .merge(reviews::router())
        .merge(sales::router())
        .merge(payouts::router())
}

/// Creates what the migrations cannot express portably (the search index
/// of the engine in use). Idempotent; run at every start.
pub async fn prepare(pool: &sqlx::AnyPool, kind: DbKind) -> Result<(), AppError> {
    catalog::search::prepare(pool, kind).await?;
    Ok(())
}

/// The marketplace's payments on the Midtrans notification URL.
pub fn payment_route() -> Arc<dyn crate::billing::webhook::PaymentRoute> {
    Arc::new(orders::payment::MarketplacePayments)
}

/// The marketplace's background jobs (expiry of unpaid groups, automatic
/// delivery, refund retries, the weekly sales summaries).
pub fn spawn_jobs(state: &AppState) -> Vec<JoinHandle<()>> {
    let mut jobs = orders::spawn_jobs(state);
    jobs.push(crate::spawn_periodic(
        state,
        "marketplace-weekly-report",
        std::time::Duration::from_secs(state.config.marketplace.sweep_interval_secs.max(1)),
        |state| async move {
            if let Err(e) = sales::weekly::run(&state, crate::db::now_ms()).await {
                tracing::warn!(error = %e.chain(), "weekly sales summaries failed");
            }
            Ok(())
        },
    ));
    jobs
}
