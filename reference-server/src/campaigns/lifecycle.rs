//! HTTP handlers that move a campaign through its life cycle: start (which
//! enqueues the audience), pause, resume and cancel.

use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::http::{load, template_usable, tenant_of};
use super::model::{CampaignStatus, CampaignView};
use super::store;
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::billing::limits::{self, Limit};
use crate::db::now_ms;
use crate::domain::{CampaignId, TenantId};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiResult, AppError, Data, ErrorBody, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_campaign))
        .routes(routes!(pause_campaign))
        .routes(routes!(resume_campaign))
        .routes(routes!(cancel_campaign))
}

/// Now on the campaign engine's clock: whether a schedule time has come is
/// decided on the same clock the engine starts scheduled campaigns by.
fn engine_now(state: &AppState) -> i64 {
    state.config.campaigns.clock.now_ms()
}

/// Start a draft campaign (admin): checks the plan's monthly message quota
/// for the whole audience, then enqueues every recipient at once. Sending
/// begins now or at the scheduled time.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/start", tag = "campaigns",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "Started or scheduled", body = inline(Data<CampaignView>)),
        (status = 400, description = "Empty audience or template no longer valid", body = ErrorBody),
        (status = 402, description = "Monthly message quota too small for the audience", body = ErrorBody),
        (status = 409, description = "Not a draft", body = ErrorBody)))]
async fn start_campaign(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<CampaignId>,
) -> ApiResult<CampaignView> {
    Ok(ok(start(&state, &member, &id).await?))
}

/// Starts a draft campaign (admin): the rules of
/// `POST /api/v1/campaigns/{id}/start` (template still valid, audience
/// not empty, the plan's monthly quota for all of it, enqueued at once).
pub(crate) async fn start(
    state: &AppState,
    member: &CurrentMember,
    id: &CampaignId,
) -> Result<CampaignView, AppError> {
    member.require(Role::Admin)?;
    let tenant = tenant_of(member);
    let c = load(state, &tenant, id).await?;
    if c.status != CampaignStatus::Draft {
        let status = c.status;
        return Err(AppError::conflict(
            "campaign_not_draft",
            tr!(
                "kampanye berstatus {status}, bukan draft",
                "the campaign is {status}, not a draft"
            ),
        ));
    }
    // The template may have been edited since the draft was made.
    template_usable(state, &tenant, &c.template_id).await?;
    let n = crate::contacts::store::audience_count(&state.pool, &tenant, &c.audience).await?;
    if n == 0 {
        return Err(AppError::bad_request(
            "empty_audience",
            Text::new(
                "audiens tidak mencakup satu pun kontak yang bisa dihubungi",
                "the audience selects no reachable contact",
            ),
        ));
    }
    limits::consume(&state.pool, &tenant, Limit::MessagesPerMonth, n).await?;
    let now = engine_now(state);
    let start_at = c.scheduled_at.filter(|t| *t > now);
    let devices: Vec<(String, i64)> = c
        .devices
        .iter()
        .map(|d| (d.device_id.as_str().to_owned(), d.weight))
        .collect();
    let result = async {
        let mut tx = state.begin_write().await?;
        let enqueued = store::enqueue(
            &mut tx,
            &tenant,
            id,
            &c.audience,
            &devices,
            start_at.unwrap_or(now),
            now_ms(),
        )
        .await?;
        let status = if start_at.is_some() {
            CampaignStatus::Scheduled
        } else {
            CampaignStatus::Running
        };
        let total = i64::try_from(enqueued).unwrap_or(i64::MAX);
        if !store::mark_started(&mut tx, &tenant, id, status, total, now).await? {
            return Ok::<_, sqlx::Error>(None);
        }
        tx.commit().await?;
        Ok(Some(enqueued))
    }
    .await;
    let enqueued = match result {
        Ok(Some(e)) => e,
        other => {
            // Give the reserved quota back: nothing was enqueued.
            limits::record(&state.pool, &tenant, Limit::MessagesPerMonth, -n).await?;
            return match other {
                Err(e) => Err(e.into()),
                _ => Err(AppError::conflict(
                    "campaign_not_draft",
                    Text::new(
                        "kampanye sudah dimulai oleh permintaan lain pada saat yang sama",
                        "the campaign was started concurrently",
                    ),
                )),
            };
        }
    };
    // Contacts may have been added between counting and enqueueing; keep
    // the quota counter equal to what was enqueued.
    let diff = i64::try_from(enqueued).unwrap_or(i64::MAX) - n;
    if diff != 0 {
        limits::record(&state.pool, &tenant, Limit::MessagesPerMonth, diff).await?;
    }
    load(state, &tenant, id).await
}

/// Moves a campaign to `to` (admin): `Paused` (pause), `Running`
/// (resume) or `Cancelled` (cancel), from the statuses
/// [`CampaignStatus::reached_from`] names, else 409. Resuming a
/// campaign whose schedule time is still ahead makes it `scheduled`;
/// cancelling drops its queued rows and gives their quota back.
pub(crate) async fn transition(
    state: &AppState,
    member: &CurrentMember,
    id: &CampaignId,
    to: CampaignStatus,
) -> Result<CampaignView, AppError> {
    member.require(Role::Admin)?;
    let from = to.reached_from();
    let tenant: TenantId = tenant_of(member);
    let c = load(state, &tenant, id).await?;
    if !from.contains(&c.status) {
        let status = c.status;
        return Err(AppError::conflict(
            "invalid_campaign_state",
            tr!(
                "status tidak bisa berubah dari {status} ke {to}",
                "cannot go from {status} to {to}"
            ),
        ));
    }
    let now = engine_now(state);
    let target = if to == CampaignStatus::Running && c.scheduled_at.is_some_and(|t| t > now) {
        CampaignStatus::Scheduled
    } else {
        to
    };
    let cancelling = to == CampaignStatus::Cancelled;
    let finished = cancelling.then_some(now);
    let mut tx = state.begin_write().await?;
    if !store::change_status(&mut tx, &tenant, id, from, target, now, finished).await? {
        return Err(AppError::conflict(
            "invalid_campaign_state",
            Text::new(
                "kampanye diubah oleh permintaan lain pada saat yang sama; muat ulang",
                "the campaign changed concurrently; reload it",
            ),
        ));
    }
    let refund = if cancelling {
        store::cancel_queued(&mut tx, &tenant, id).await?
    } else {
        0
    };
    tx.commit().await?;
    if refund > 0 {
        limits::record(
            &state.pool,
            &tenant,
            Limit::MessagesPerMonth,
            -i64::try_from(refund).unwrap_or(0),
        )
        .await?;
    }
    load(state, &tenant, id).await
}

/// Pause a running or scheduled campaign (admin); sends in flight finish.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/pause", tag = "campaigns",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "Paused", body = inline(Data<CampaignView>)),
        (status = 409, description = "Not running or scheduled", body = ErrorBody)))]
async fn pause_campaign(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<CampaignId>,
) -> ApiResult<CampaignView> {
    Ok(ok(
        transition(&state, &member, &id, CampaignStatus::Paused).await?
    ))
}

/// Resume a paused campaign (admin).
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/resume", tag = "campaigns",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "Running (or scheduled)", body = inline(Data<CampaignView>)),
        (status = 409, description = "Not paused", body = ErrorBody)))]
async fn resume_campaign(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<CampaignId>,
) -> ApiResult<CampaignView> {
    Ok(ok(transition(
        &state,
        &member,
        &id,
        CampaignStatus::Running,
    )
    .await?))
}

/// Cancel a campaign (admin): queued messages are dropped and their quota
/// given back; sends in flight finish.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/cancel", tag = "campaigns",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "Cancelled", body = inline(Data<CampaignView>)),
        (status = 409, description = "Already finished", body = ErrorBody)))]
async fn cancel_campaign(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<CampaignId>,
) -> ApiResult<CampaignView> {
    Ok(ok(transition(
        &state,
        &member,
        &id,
        CampaignStatus::Cancelled,
    )
    .await?))
}
