//! Broadcast campaigns: audience x template -> a durable send queue in the
//! database, drained by a paced, lease-holding sender per device.
//!
//! Owns the tables `campaigns`, `campaign_devices`, `campaign_recipients`
//! (the send queue) and `campaign_device_leases`. SQL on them lives in
//! `store` (campaigns and what vendors see of recipients) and [`queue`]
//! (the sender's claims, outcomes and leases).
//!
//! See `docs/src/campaigns.md` for the queue design and the crash-safety
//! guarantee (at-least-once for the sends in flight at a crash, exactly
//! once for everything else).
//!
//! The rules of the JSON API are functions the web console calls too:
//! [`create`], [`list_views`], [`get`], [`delete_draft`], [`start`],
//! [`transition`] (pause, resume, cancel) and [`recipients`].
//!
//! For the WhatsApp webhook handler: [`on_device_status`] for delivery
//! statuses (including the Cloud API's late 24-hour-window failures) and
//! [`on_reply`] for inbound messages from a number. For contacts:
//! [`cancel_queued_for_contact`] on opt-out and deletion.

mod clock;
mod events;
mod http;
mod lifecycle;
mod model;
pub mod pacing;
pub mod queue;
mod recipients;
mod store;
pub mod texts;
pub mod worker;

use tokio::task::JoinHandle;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::domain::{CampaignId, TenantId};
use crate::http::AppError;

pub use clock::Clock;
pub use events::{
    REPLY_WINDOW_MS, cancel_queued_for_contact, on_device_status, on_reply, on_status,
};
pub(crate) use http::{create, delete_draft, get, list_views};
pub(crate) use lifecycle::{start, transition};
pub use model::{
    Audience, CampaignStatus, CampaignView, Counts, CreateCampaign, DeviceAssignment, Followup,
    PageQuery, QueueState, RecipientEvent, RecipientQuery, RecipientRow, RecipientStage,
    RecipientStatus, RecipientView,
};
pub(crate) use recipients::recipients;
pub(crate) use store::list;
pub(crate) use store::{erase_rows_of_contact, purge_tenant, rows_of_contact};
pub use store::{event_timeline, recipient_report, sent_per_day, unfinished_using_template};
pub use worker::Engine;

/// The campaigns routes (`/api/v1/campaigns...`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(http::router())
        .merge(lifecycle::router())
        .merge(recipients::router())
}

/// Starts this process's campaign sender (stops on server shutdown).
/// Settings come from [`crate::config::CampaignConfig`] (`state.config.campaigns`).
pub fn spawn_jobs(state: &AppState) -> Vec<JoinHandle<()>> {
    let engine = Engine::new(state.clone(), state.config.campaigns.clone());
    vec![tokio::spawn(engine.run())]
}

/// One of the tenant's campaigns with its status counts (404 when it is
/// not the tenant's). Takes plain or typed ids while callers move to
/// typed ids.
pub(crate) async fn load(
    state: &AppState,
    tenant_id: impl AsRef<str>,
    id: impl AsRef<str>,
) -> Result<CampaignView, AppError> {
    http::load(
        state,
        &TenantId::from(tenant_id.as_ref()),
        &CampaignId::from(id.as_ref()),
    )
    .await
}
