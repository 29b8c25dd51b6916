//! `/console/campaigns`: the vendor's campaigns with their progress (live
//! over server-sent events), one campaign's page with live progress and
//! results per recipient, start / pause / resume / cancel / delete, and
//! the report download. The new-campaign form is in
//! [`super::campaign_new`]. The rules are the campaigns feature's
//! (`campaigns::start`, `campaigns::transition`, ...) and the analytics
//! report's (`analytics::report_file`), the ones the JSON API runs.

mod actions;
mod campaign;
mod list;
mod new;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::campaigns::{CampaignStatus, CampaignView, Counts, RecipientStatus};
use crate::http::i18n::Lang;
use actions::{cancel, delete, pause, report, resume, start};
use campaign::{show, show_events};
use list::{list, list_events};

/// The campaign pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/campaigns", get(list).post(new::create))
        .route("/console/campaigns/events", get(list_events))
        .route("/console/campaigns/new", get(new::new))
        .route("/console/campaigns/{id}", get(show))
        .route("/console/campaigns/{id}/events", get(show_events))
        .route("/console/campaigns/{id}/report", get(report))
        .route("/console/campaigns/{id}/start", post(start))
        .route("/console/campaigns/{id}/pause", post(pause))
        .route("/console/campaigns/{id}/resume", post(resume))
        .route("/console/campaigns/{id}/cancel", post(cancel))
        .route("/console/campaigns/{id}/delete", post(delete))
}

/// How many campaigns the list shows.
const LIST: i64 = 100;

/// How many recipients a campaign's page shows.
const RECIPIENTS: i64 = 100;

/// A campaign status in the page's language.
pub(super) fn status_text(lang: Lang, s: CampaignStatus) -> &'static str {
    match s {
        CampaignStatus::Draft => lang.t("draf", "draft"),
        CampaignStatus::Scheduled => lang.t("terjadwal", "scheduled"),
        CampaignStatus::Running => lang.t("berjalan", "running"),
        CampaignStatus::Paused => lang.t("dijeda", "paused"),
        CampaignStatus::Completed => lang.t("selesai", "completed"),
        CampaignStatus::Cancelled => lang.t("dibatalkan", "cancelled"),
    }
}

/// The badge class of a campaign status.
fn status_class(s: CampaignStatus) -> &'static str {
    match s {
        CampaignStatus::Running | CampaignStatus::Completed => "ok",
        CampaignStatus::Paused | CampaignStatus::Scheduled => "warn",
        CampaignStatus::Cancelled => "bad",
        CampaignStatus::Draft => "",
    }
}

/// A recipient's status in the page's language, and its badge class.
fn recipient_status(lang: Lang, s: RecipientStatus) -> (&'static str, &'static str) {
    match s {
        RecipientStatus::Queued => (lang.t("antre", "queued"), ""),
        RecipientStatus::Sending => (lang.t("dikirim", "sending"), ""),
        RecipientStatus::Sent => (lang.t("terkirim", "sent"), "ok"),
        RecipientStatus::Delivered => (lang.t("sampai", "delivered"), "ok"),
        RecipientStatus::Read => (lang.t("dibaca", "read"), "ok"),
        RecipientStatus::Replied => (lang.t("dibalas", "replied"), "ok"),
        RecipientStatus::Failed => (lang.t("gagal", "failed"), "bad"),
        RecipientStatus::Skipped => (lang.t("dilewati", "skipped"), "warn"),
        RecipientStatus::Cancelled => (lang.t("dibatalkan", "cancelled"), "warn"),
    }
}

/// How far a campaign's first messages are: those no longer waiting or
/// being sent, of those enqueued at start. (`sent` counts every message
/// the provider accepted, including ones it reported failed later, so it
/// does not add up with `failed`.)
pub(super) struct Progress {
    pub(super) done: i64,
    pub(super) total: i64,
    pub(super) percent: i64,
    pub(super) counts: Counts,
    /// Follow-up counts, when the campaign has a follow-up.
    pub(super) followup: Option<Counts>,
}

impl Progress {
    fn of(c: &CampaignView) -> Self {
        let k = &c.counts;
        let done = (c.total - k.queued - k.sending).max(0);
        let percent = if c.total > 0 {
            (done * 100 / c.total).clamp(0, 100)
        } else {
            0
        };
        Self {
            done,
            total: c.total,
            percent,
            counts: k.clone(),
            followup: c.followup.as_ref().map(|_| c.followup_counts.clone()),
        }
    }
}
