//! Personal data, as Indonesia's personal data protection law (UU PDP)
//! asks of a platform holding its customers' conversations:
//!
//! - one contact's data exported as JSON and erased with its chat history,
//!   campaign rows and plugin data ([`contact`]);
//! - a marketplace buyer's own export and erasure, orders kept for
//!   accounting without the shipping address ([`buyer`]); a platform admin
//!   erases a person by number everywhere;
//! - per-vendor message retention with an hourly job ([`retention`]);
//! - deleting a vendor account after a cooling-off period ([`account`]).
//!
//! Every erasure is recorded in the audit trail (`data.erased`,
//! `account.*`), never with the erased values. The data stays in the
//! owning features' tables; this feature calls their stores, and owns
//! `privacy_settings` and `account_deletions` ([`store`]).

mod account;
mod buyer;
mod contact;
mod http;
pub mod model;
mod retention;
mod store;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub use account::sweep as delete_due_accounts;
pub(crate) use account::{
    cancel as cancel_deletion, request as request_deletion, status as deletion_status,
};
pub(crate) use contact::{erase as erase_contact, export as export_contact};
pub use retention::sweep as apply_retention;
pub(crate) use retention::{save as save_settings, settings};

/// The personal-data routes.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// The hourly retention and account deletion jobs.
pub fn spawn_jobs(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    vec![retention::spawn(state), account::spawn(state)]
}
