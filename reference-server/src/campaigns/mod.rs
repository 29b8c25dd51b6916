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
//! For the WhatsApp webhook handler: [`on_device_status`] for delivery
//! statuses (including the Cloud API's late 24-hour-window failures) and
//! [`on_reply`] for inbound messages from a number. For contacts:
//! [`cancel_queued_for_contact`] on opt-out and deletion.

mod clock;
mod events;
mod foreign;
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
pub use model::{
    Audience, CampaignStatus, CampaignView, Counts, CreateCampaign, DeviceAssignment, Followup,
    PageQuery, QueueState, RecipientQuery, RecipientRow, RecipientStage, RecipientStatus,
    RecipientView,
};
pub use store::recipient_report;
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

/// The audience helpers contacts uses.
pub mod audience {
    /// The ids among `ids` that are contacts of the tenant.
    pub async fn known_contact_ids(
        pool: &sqlx::AnyPool,
        tenant_id: &str,
        ids: &[impl AsRef<str>],
    ) -> Result<std::collections::HashSet<String>, sqlx::Error> {
        super::foreign::known_contact_ids(pool, tenant_id, ids).await
    }
}

/// The columns [`recipient_from_row`] reads from `campaign_recipients`.
/// Kept for `analytics`' report until it calls [`recipient_report`].
pub(crate) const RECIPIENT_COLUMNS: &str = store::RECIPIENT;

/// A recipient row read with [`RECIPIENT_COLUMNS`], as texts for a
/// report. Kept for `analytics` until it calls [`recipient_report`].
pub(crate) fn recipient_from_row(row: &sqlx::any::AnyRow) -> Result<RecipientLine, sqlx::Error> {
    let v = RecipientView::from(<RecipientRow as sqlx::FromRow<'_, _>>::from_row(row)?);
    Ok(RecipientLine {
        phone: v.phone,
        stage: v.stage.as_str().to_owned(),
        status: v.status.as_str().to_owned(),
        device_id: v.device_id.into_string(),
        attempts: v.attempts,
        provider_message_id: v.provider_message_id,
        sent_at: v.sent_at,
        delivered_at: v.delivered_at,
        read_at: v.read_at,
        replied_at: v.replied_at,
        failed_at: v.failed_at,
        error: v.error,
    })
}

/// A recipient as texts, for `analytics`' report (see [`recipient_from_row`]).
#[derive(Debug, Clone)]
pub(crate) struct RecipientLine {
    pub(crate) phone: String,
    pub(crate) stage: String,
    pub(crate) status: String,
    pub(crate) device_id: String,
    pub(crate) attempts: i64,
    pub(crate) provider_message_id: Option<String>,
    pub(crate) sent_at: Option<i64>,
    pub(crate) delivered_at: Option<i64>,
    pub(crate) read_at: Option<i64>,
    pub(crate) replied_at: Option<i64>,
    pub(crate) failed_at: Option<i64>,
    pub(crate) error: Option<String>,
}
