//! HTTP handlers of campaigns: create, list, read and delete drafts.
//! Starting and the later state changes are in [`super::lifecycle`], the
//! recipient list in [`super::recipients`].

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{
    self, Audience, CampaignRow, CampaignStatus, CampaignView, CreateCampaign, DeviceAssignment,
    Followup, PageQuery, RecipientStage,
};
use super::pacing;
use super::store::{self, NewCampaign};
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::db::now_ms;
use crate::domain::{CampaignId, DeviceId, TemplateId, TenantId};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, Created, Data, ErrorBody, ResultExt, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign, delete_campaign))
}

/// The caller's tenant, typed.
pub(super) fn tenant_of(member: &CurrentMember) -> TenantId {
    TenantId::from(member.tenant_id.as_str())
}

/// A campaign row as shown, with its devices and status counts.
async fn view(
    state: &AppState,
    tenant_id: &TenantId,
    row: CampaignRow,
) -> Result<CampaignView, AppError> {
    let audience: Audience =
        serde_json::from_str(&row.audience).context("reading a stored campaign audience")?;
    let devices = store::devices(&state.pool, tenant_id, &row.id).await?;
    // The rate in force depends on each device's provider.
    let kinds: HashMap<DeviceId, crate::devices::DeviceKind> =
        crate::devices::store::list(&state.pool, tenant_id)
            .await?
            .into_iter()
            .map(|d| (d.id, d.kind))
            .collect();
    Ok(CampaignView {
        devices: devices
            .into_iter()
            .map(|d| DeviceAssignment {
                effective_rate_per_minute: Some(
                    kinds.get(&d.device_id).map_or(d.rate_per_minute, |k| {
                        k.effective_per_minute(d.rate_per_minute)
                    }),
                ),
                device_id: d.device_id,
                weight: d.weight,
                rate_per_minute: d.rate_per_minute,
                delay_min_ms: d.delay_min_ms,
                delay_max_ms: d.delay_max_ms,
                daily_cap: d.daily_cap,
            })
            .collect(),
        counts: store::counts(&state.pool, tenant_id, &row.id, RecipientStage::Main).await?,
        followup_counts: store::counts(&state.pool, tenant_id, &row.id, RecipientStage::Followup)
            .await?,
        followup: row
            .followup_template_id
            .zip(row.followup_after_ms)
            .map(|(template_id, ms)| Followup {
                template_id,
                after_minutes: ms / 60_000,
            }),
        id: row.id,
        name: row.name,
        status: row.status,
        template_id: row.template_id,
        audience,
        time_zone: row.time_zone,
        scheduled_at: row.scheduled_at,
        total: row.total,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    })
}

/// Loads one of the tenant's campaigns (404 when it is not the tenant's).
pub(super) async fn load(
    state: &AppState,
    tenant_id: &TenantId,
    id: &CampaignId,
) -> Result<CampaignView, AppError> {
    let row = store::get(&state.pool, tenant_id, id)
        .await?
        .ok_or(AppError::NotFound("campaign"))?;
    view(state, tenant_id, row).await
}

/// 404 unless the template exists and compiles against the vendor's
/// current custom fields.
pub(super) async fn template_usable(
    state: &AppState,
    tenant_id: &TenantId,
    id: &TemplateId,
) -> Result<(), AppError> {
    crate::templates::compile_stored(&state.pool, tenant_id, id)
        .await
        .map(|_| ())
}

/// Create a campaign as a draft (admin).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns",
    security(("session" = []), ("api_key" = [])),
    request_body = CreateCampaign,
    responses(
        (status = 201, description = "Created (draft)", body = inline(Data<CampaignView>)),
        (status = 400, description = "Invalid audience, devices, schedule or template", body = ErrorBody),
        (status = 404, description = "Unknown template or device", body = ErrorBody)))]
async fn create_campaign(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(req): ApiJson<CreateCampaign>,
) -> Created<CampaignView> {
    Ok(created(create(&state, &member, &req).await?))
}

/// Checks and stores a new campaign as a draft (admin): the rules of
/// `POST /api/v1/campaigns` (name, audience, devices and pacing, time
/// zone, schedule, templates, contacts).
pub(crate) async fn create(
    state: &AppState,
    member: &CurrentMember,
    req: &CreateCampaign,
) -> Result<CampaignView, AppError> {
    member.require(Role::Admin)?;
    let tenant = tenant_of(member);
    let name = model::validate_name(&req.name)?;
    req.audience.validate()?;
    model::validate_devices(&req.devices)?;
    let tz_name = match &req.time_zone {
        Some(t) => t.clone(),
        None => crate::tenants::store::time_zone_of(&state.pool, &tenant)
            .await?
            .unwrap_or_else(|| "Asia/Jakarta".to_owned()),
    };
    let tz: chrono_tz::Tz = tz_name.parse().map_err(|_| {
        AppError::bad_request(
            "invalid_time_zone",
            tr!(
                "zona waktu {tz_name:?} tidak dikenal (gunakan nama IANA seperti Asia/Jakarta)",
                "unknown time zone {tz_name:?} (use an IANA name such as Asia/Jakarta)"
            ),
        )
    })?;
    let scheduled_at = match req.schedule_at.as_deref() {
        None => None,
        Some(s) => Some(pacing::parse_schedule(s, tz).ok_or_else(|| {
            AppError::bad_request(
                "invalid_schedule",
                Text::new(
                    "schedule_at harus berbentuk 2026-11-24T09:00 (waktu vendor) atau RFC 3339",
                    "schedule_at must look like 2026-11-24T09:00 (vendor time) or RFC 3339",
                ),
            )
        })?),
    };
    template_usable(state, &tenant, &req.template_id).await?;
    let followup = match &req.followup {
        None => None,
        Some(f) => {
            let after_ms = model::validate_followup_delay(f.after_minutes)?;
            template_usable(state, &tenant, &f.template_id).await?;
            Some((&f.template_id, after_ms))
        }
    };
    for d in &req.devices {
        crate::devices::store::get(&state.pool, &tenant, &d.device_id)
            .await?
            .ok_or(AppError::NotFound("device"))?;
    }
    if !req.audience.contact_ids.is_empty() {
        let known =
            crate::contacts::store::known_ids(&state.pool, &tenant, &req.audience.contact_ids)
                .await?;
        if let Some(bad_id) = req
            .audience
            .contact_ids
            .iter()
            .find(|c| !known.contains(c.as_str()))
        {
            return Err(AppError::bad_request(
                "unknown_contact",
                tr!(
                    "tidak ada kontak dengan id {bad_id}",
                    "no contact with id {bad_id}"
                ),
            ));
        }
    }
    let id = CampaignId::new();
    let audience =
        serde_json::to_string(&req.audience).context("writing a campaign audience as JSON")?;
    let mut tx = state.begin_write().await?;
    store::insert(
        &mut tx,
        &tenant,
        &NewCampaign {
            id: &id,
            name: &name,
            template_id: &req.template_id,
            audience: &audience,
            time_zone: tz.name(),
            scheduled_at,
            followup,
            devices: &req.devices,
            now: now_ms(),
        },
    )
    .await?;
    tx.commit().await?;
    load(state, &tenant, &id).await
}

/// Campaign history, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns",
    security(("session" = []), ("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "Campaigns", body = inline(Data<Vec<CampaignView>>))))]
async fn list_campaigns(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<PageQuery>,
) -> ApiResult<Vec<CampaignView>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let offset = q.offset.unwrap_or(0).max(0);
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match CampaignStatus::parse(s) {
            Some(s) => Some(s),
            // No campaign has a status that does not exist.
            None => return Ok(ok(Vec::new())),
        },
    };
    Ok(ok(list_views(&state, &member, status, limit, offset).await?))
}

/// A page of the vendor's campaigns (newest first, `status` `None`: all)
/// with their devices and counts: the rules of `GET /api/v1/campaigns`.
pub(crate) async fn list_views(
    state: &AppState,
    member: &CurrentMember,
    status: Option<CampaignStatus>,
    limit: i64,
    offset: i64,
) -> Result<Vec<CampaignView>, AppError> {
    let tenant = tenant_of(member);
    let rows = store::list(&state.pool, &tenant, status, limit, offset).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(state, &tenant, r).await?);
    }
    Ok(out)
}

/// One campaign with its status counts.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}", tag = "campaigns",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "The campaign", body = inline(Data<CampaignView>)),
        (status = 404, description = "No such campaign", body = ErrorBody)))]
async fn get_campaign(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<CampaignId>,
) -> ApiResult<CampaignView> {
    Ok(ok(get(&state, &member, &id).await?))
}

/// One of the vendor's campaigns with its counts (404 when it is not the
/// vendor's): the rules of `GET /api/v1/campaigns/{id}`.
pub(crate) async fn get(
    state: &AppState,
    member: &CurrentMember,
    id: &CampaignId,
) -> Result<CampaignView, AppError> {
    load(state, &tenant_of(member), id).await
}

/// Delete a draft campaign (admin).
#[utoipa::path(delete, path = "/api/v1/campaigns/{campaign_id}", tag = "campaigns",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "Deleted", body = inline(Data<serde_json::Value>)),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "Not a draft", body = ErrorBody)))]
async fn delete_campaign(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<CampaignId>,
) -> ApiResult<serde_json::Value> {
    delete_draft(&state, &member, &id).await?;
    Ok(ok(serde_json::json!({ "deleted": true })))
}

/// Deletes a draft campaign (admin; 409 once it was started): the rules
/// of `DELETE /api/v1/campaigns/{id}`.
pub(crate) async fn delete_draft(
    state: &AppState,
    member: &CurrentMember,
    id: &CampaignId,
) -> Result<(), AppError> {
    member.require(Role::Admin)?;
    let tenant = tenant_of(member);
    let c = load(state, &tenant, id).await?;
    if c.status != CampaignStatus::Draft {
        return Err(AppError::conflict(
            "campaign_not_draft",
            Text::new(
                "hanya kampanye berstatus draft yang bisa dihapus; batalkan saja kampanye ini",
                "only draft campaigns can be deleted; cancel it instead",
            ),
        ));
    }
    let mut tx = state.begin_write().await?;
    store::delete_draft(&mut tx, &tenant, id).await?;
    tx.commit().await?;
    Ok(())
}
