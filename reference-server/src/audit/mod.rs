//! The audit trail: an append-only, tamper-evident record of security- and
//! money-relevant actions (sign-ins and failed sign-ins, members and
//! roles, API keys, device secrets, bot plugin settings, plan orders and
//! payments, exports, admin actions on vendors and plans).
//!
//! A feature records where the action happens, with one call:
//! `audit::record(state, Entry::by_member(Action::ApiKeyCreated, &member)...)`
//! after its change, or [`record_in`] inside the change's own write
//! transaction where it has one, so the entry commits with the change. A
//! failed record fails the request: an action that succeeded is never left
//! out silently. Entries never hold secrets (an API key's prefix, never
//! the key; a device's secret names, never their values). The client's IP
//! and user agent come from the request being served ([`source::scope`]).
//!
//! Chains: each vendor's entries form one hash chain, and the entries
//! without a vendor (admin sign-ins, failed sign-ins of unknown emails)
//! form the platform chain ([`PLATFORM_CHAIN`]). Each entry carries the
//! previous entry's hash; [`verify`] (the `reference-server verify-audit`
//! command) walks every chain and reports the first broken link. One
//! chain per vendor, rather than one for all, keeps appends of different
//! vendors from queueing behind one lock on PostgreSQL and lets a
//! vendor's chain be exported, pruned or erased on its own. Retention
//! ([`prune`], `audit_retention_days`) deletes old entries from the start
//! of a chain and keeps the newest deleted entry's position and hash as
//! the chain's anchor, from which verification starts.
//!
//! Appends lock the chain's row in `audit_chains` (`UPDATE ... RETURNING`
//! takes PostgreSQL's row lock, SQLite's write transaction holds the
//! database), so concurrent writers of every server process queue and the
//! chain never forks; `UNIQUE (chain, seq)` backs that up.
//!
//! Tables: `audit_chains` (each chain's head and anchor) and `audit_log`
//! (the entries). Depends on `auth` (the caller types); every feature
//! above it may record.

mod chain;
pub mod cli;
mod http;
pub mod model;
mod source;
mod store;

use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::http::AppError;
pub use chain::{GENESIS, digest, prune, verify};
pub(crate) use http::{export_file, page};
pub use model::{Action, Actor, ActorKind, Entry, Source, TargetKind, Verification};
pub use source::{scope as source_scope, with as with_source};

/// The chain of the entries that concern no vendor.
pub const PLATFORM_CHAIN: &str = "platform";

/// Records `entry` in a write transaction of its own. Call it after the
/// change succeeded; its error fails the request.
pub async fn record(state: &AppState, entry: Entry) -> Result<(), AppError> {
    let mut tx = state.begin_write().await?;
    chain::append(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Records the refusal `entry` (a failed sign-in) and answers `err`, or
/// the recording's own error.
pub async fn refuse(state: &AppState, entry: Entry, err: AppError) -> AppError {
    match record(state, entry).await {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// Records `entry` on `conn`, which must be inside a write transaction
/// (the change's own, so both commit or neither; a job of
/// [`crate::db::Writer`]).
pub async fn record_in(conn: &mut AnyConnection, entry: Entry) -> Result<(), sqlx::Error> {
    chain::append(conn, entry).await
}

/// Deletes a vendor's whole chain (its account is being deleted); the
/// caller records the deletion in the platform chain.
pub async fn erase_vendor_chain(
    conn: &mut AnyConnection,
    tenant: &crate::domain::TenantId,
) -> Result<(), sqlx::Error> {
    store::erase_chain(conn, tenant.as_str()).await
}

/// The vendor's routes (`/api/v1/audit`) and the admin's
/// (`/api/v1/admin/audit`).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// The retention job: every hour deletes the entries older than
/// `audit_retention_days` (none when 0).
pub fn spawn_jobs(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let days = state.config.audit_retention_days;
    if days == 0 {
        return Vec::new();
    }
    vec![crate::spawn_periodic(
        state,
        "audit-retention",
        std::time::Duration::from_secs(3600),
        move |state| async move {
            let cutoff = crate::db::now_ms() - i64::from(days) * 86_400_000;
            let deleted = prune(&state.pool, state.db, cutoff).await?;
            if deleted > 0 {
                tracing::info!(deleted, days, "audit entries past retention deleted");
            }
            Ok(())
        },
    )]
}
