//! Start, pause, resume, cancel, delete and the report download.

use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::super::page::{FormErrors, PageResult, invalid, see_other};
use super::super::session::Console;
use super::campaign::campaign_page;
use crate::AppState;
use crate::auth::Role;
use crate::campaigns::{CampaignStatus, CampaignView};
use crate::domain::CampaignId;
use crate::http::AppError;

/// The answer to a campaign action: back to the campaign's page, or the
/// page with the refusal above it (not a draft any more, empty audience,
/// quota, ...).
pub(super) async fn after(
    state: &AppState,
    c: Console,
    id: &CampaignId,
    result: Result<CampaignView, AppError>,
) -> PageResult {
    let mut errors = FormErrors::new();
    match result {
        Ok(_) => return see_other(&format!("/console/campaigns/{id}")),
        Err(e) => errors.absorb(e, &[])?,
    }
    invalid(&campaign_page(state, c, id, errors).await?)
}

/// `POST /console/campaigns/{id}/start`.
pub(super) async fn start(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    let result = crate::campaigns::start(&state, &c.member, &id).await;
    after(&state, c, &id, result).await
}

/// `POST /console/campaigns/{id}/pause`.
pub(super) async fn pause(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    let result = crate::campaigns::transition(&state, &c.member, &id, CampaignStatus::Paused).await;
    after(&state, c, &id, result).await
}

/// `POST /console/campaigns/{id}/resume`.
pub(super) async fn resume(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    let result =
        crate::campaigns::transition(&state, &c.member, &id, CampaignStatus::Running).await;
    after(&state, c, &id, result).await
}

/// `POST /console/campaigns/{id}/cancel`.
pub(super) async fn cancel(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    let result =
        crate::campaigns::transition(&state, &c.member, &id, CampaignStatus::Cancelled).await;
    after(&state, c, &id, result).await
}

/// `POST /console/campaigns/{id}/delete` (drafts only).
pub(super) async fn delete(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
) -> PageResult {
    match crate::campaigns::delete_draft(&state, &c.member, &id).await {
        Ok(()) => see_other("/console/campaigns"),
        Err(e) => {
            let mut errors = FormErrors::new();
            errors.absorb(e, &[])?;
            invalid(&campaign_page(&state, c, &id, errors).await?)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ReportQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `GET /console/campaigns/{id}/report?format=csv|xlsx`: the analytics
/// report of `GET /api/v1/campaigns/{id}/report`, as a download.
pub(super) async fn report(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<CampaignId>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    Ok(crate::analytics::report_file(&state, &c.member, &id, q.format.as_deref()).await?)
}
