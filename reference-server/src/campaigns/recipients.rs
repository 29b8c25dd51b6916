//! HTTP handler of a campaign's per-recipient status.

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use axum::extract::{Path, Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::http::{load, tenant_of};
use super::model::{QueueState, RecipientQuery, RecipientStage, RecipientView};
use super::store;
use crate::AppState;
use crate::auth::CurrentMember;
use crate::domain::CampaignId;
use crate::http::{ApiResult, AppError, Data, ErrorBody, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_recipients))
}

/// Per-recipient status of a campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/recipients", tag = "campaigns",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id"), RecipientQuery),
    responses(
        (status = 200, description = "Recipients", body = inline(Data<Vec<RecipientView>>)),
        (status = 404, description = "No such campaign", body = ErrorBody)))]
async fn list_recipients(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<CampaignId>,
    Query(q): Query<RecipientQuery>,
) -> ApiResult<Vec<RecipientView>> {
    Ok(ok(recipients(&state, &member, &id, &q).await?))
}

/// A page of one of the vendor's campaigns' recipients (404 when the
/// campaign is not the vendor's): the rules of
/// `GET /api/v1/campaigns/{id}/recipients`.
pub(crate) async fn recipients(
    state: &AppState,
    member: &CurrentMember,
    id: &CampaignId,
    q: &RecipientQuery,
) -> Result<Vec<RecipientView>, AppError> {
    let tenant = tenant_of(member);
    let _ = load(state, &tenant, id).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let offset = q.offset.unwrap_or(0).max(0);
    // A stage or state that does not exist matches no row.
    let Some(stage) = RecipientStage::parse(q.stage.as_deref().unwrap_or("main")) else {
        return Ok(Vec::new());
    };
    let state_filter = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match QueueState::parse(s) {
            Some(s) => Some(s),
            None => return Ok(Vec::new()),
        },
    };
    let rows =
        store::recipients(&state.pool, &tenant, id, stage, state_filter, limit, offset).await?;
    Ok(rows.into_iter().map(RecipientView::from).collect())
}
