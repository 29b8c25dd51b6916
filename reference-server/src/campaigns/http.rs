//! HTTP handlers of the campaigns area.

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use std::collections::HashSet;

use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audience::{self, Audience};
use super::pacing;
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::billing::limits::{self, Limit};
use crate::db::{new_id, now_ms};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiJson, ApiResult, AppError, Created, Data, ErrorBody, created, ok};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign, delete_campaign))
        .routes(routes!(start_campaign))
        .routes(routes!(pause_campaign))
        .routes(routes!(resume_campaign))
        .routes(routes!(cancel_campaign))
        .routes(routes!(list_recipients))
}

/// A sending device of a campaign, its rotation weight and pacing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceAssignment {
    /// The device (one of the vendor's).
    pub device_id: String,
    /// Rotation weight, 1..=100: with weights 2 and 1 the first device
    /// sends two of every three messages (default 1).
    #[serde(default = "one")]
    pub weight: i64,
    /// Sends per minute on this device, 1..=6000 (default 20).
    #[serde(default = "default_rate")]
    pub rate_per_minute: i64,
    /// Smallest random extra delay between two sends, ms (default 0).
    #[serde(default)]
    pub delay_min_ms: i64,
    /// Largest random extra delay between two sends, ms (default 0).
    #[serde(default)]
    pub delay_max_ms: i64,
    /// Sends per day (vendor time zone) of this campaign on this device.
    #[serde(default)]
    pub daily_cap: Option<i64>,
    /// Sends per minute the device really makes: `rate_per_minute` capped
    /// at what its provider takes from one number (Cloud API 4800, Fonnte
    /// and gateways 600). Set in answers; ignored in requests.
    #[serde(default, skip_deserializing)]
    #[schema(read_only)]
    pub effective_rate_per_minute: Option<i64>,
}

fn one() -> i64 {
    1
}

fn default_rate() -> i64 {
    20
}

/// An optional second message to recipients who did not reply.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Followup {
    /// The template of the follow-up.
    pub template_id: String,
    /// Minutes after the first message, 1..=10080 (7 days).
    pub after_minutes: i64,
}

/// A new campaign (created as a draft; start it with `/start`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCampaign {
    /// Name.
    pub name: String,
    /// The message template.
    pub template_id: String,
    /// Who receives it (opted-out contacts never do).
    pub audience: Audience,
    /// One or several sending devices.
    pub devices: Vec<DeviceAssignment>,
    /// When to send: `2026-11-24T09:00` in `time_zone`, or RFC 3339 with an
    /// offset. Absent: as soon as started.
    #[serde(default)]
    pub schedule_at: Option<String>,
    /// IANA time zone in which `schedule_at` is read and daily caps count
    /// days (default: the vendor's time zone, `PATCH /api/v1/tenant`).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Optional follow-up to recipients who did not reply.
    #[serde(default)]
    pub followup: Option<Followup>,
}

/// Per-recipient status counts (first messages; follow-ups separately).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Counts {
    /// Waiting to be sent.
    pub queued: i64,
    /// Being sent right now.
    pub sending: i64,
    /// Accepted by the provider (includes delivered, read, replied).
    pub sent: i64,
    /// Delivered to the phone.
    pub delivered: i64,
    /// Read.
    pub read: i64,
    /// The recipient wrote back.
    pub replied: i64,
    /// Failed (provider error).
    pub failed: i64,
    /// Skipped (opted out after enqueueing).
    pub skipped: i64,
    /// Cancelled (campaign cancelled, contact deleted, replied before a follow-up).
    pub cancelled: i64,
}

/// A campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `draft`, `scheduled`, `running`, `paused`, `completed`, `cancelled`.
    pub status: String,
    /// Template.
    pub template_id: String,
    /// Audience.
    pub audience: Audience,
    /// Sending devices.
    pub devices: Vec<DeviceAssignment>,
    /// Time zone.
    pub time_zone: String,
    /// Scheduled send time, unix ms.
    pub scheduled_at: Option<i64>,
    /// Follow-up.
    pub followup: Option<Followup>,
    /// Recipients enqueued at start.
    pub total: i64,
    /// First-message status counts.
    pub counts: Counts,
    /// Follow-up status counts.
    pub followup_counts: Counts,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub started_at: Option<i64>,
    /// Unix ms.
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, name, status, template_id, audience, time_zone, scheduled_at, followup_template_id, \
     followup_after_ms, total, created_at, started_at, finished_at";

/// Status counts of a campaign's rows of one stage.
pub(crate) async fn counts(
    pool: &sqlx::AnyPool,
    tenant_id: &str,
    campaign_id: &str,
    stage: &str,
) -> Result<Counts, sqlx::Error> {
    let row = sqlx::query(
        "SELECT \
         COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0) AS queued, \
         COALESCE(SUM(CASE WHEN state = 'sending' THEN 1 ELSE 0 END), 0) AS sending, \
         COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, \
         COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS delivered, \
         COALESCE(SUM(CASE WHEN read_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS read_n, \
         COALESCE(SUM(CASE WHEN replied_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS replied, \
         COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) AS failed, \
         COALESCE(SUM(CASE WHEN state = 'skipped' THEN 1 ELSE 0 END), 0) AS skipped, \
         COALESCE(SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END), 0) AS cancelled \
         FROM campaign_recipients WHERE tenant_id = $1 AND campaign_id = $2 AND stage = $3",
    )
    .bind(tenant_id)
    .bind(campaign_id)
    .bind(stage)
    .fetch_one(pool)
    .await?;
    Ok(Counts {
        queued: row.try_get("queued")?,
        sending: row.try_get("sending")?,
        sent: row.try_get("sent")?,
        delivered: row.try_get("delivered")?,
        read: row.try_get("read_n")?,
        replied: row.try_get("replied")?,
        failed: row.try_get("failed")?,
        skipped: row.try_get("skipped")?,
        cancelled: row.try_get("cancelled")?,
    })
}

async fn from_row(
    state: &AppState,
    tenant_id: &str,
    row: &AnyRow,
) -> Result<CampaignView, AppError> {
    let id: String = row.try_get("id")?;
    let audience: String = row.try_get("audience")?;
    let audience: Audience = serde_json::from_str(&audience)
        .map_err(|e| AppError::internal(format!("stored audience unreadable: {e}")))?;
    let devices: Vec<(String, i64, i64, i64, i64, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT cd.device_id, cd.weight, cd.rate_per_minute, cd.delay_min_ms, cd.delay_max_ms, cd.daily_cap, dv.kind \
         FROM campaign_devices cd LEFT JOIN devices dv ON dv.id = cd.device_id \
         WHERE cd.tenant_id = $1 AND cd.campaign_id = $2 ORDER BY cd.device_id",
    )
    .bind(tenant_id)
    .bind(&id)
    .fetch_all(&state.pool)
    .await?;
    let fu_tpl: Option<String> = row.try_get("followup_template_id")?;
    let fu_after: Option<i64> = row.try_get("followup_after_ms")?;
    Ok(CampaignView {
        name: row.try_get("name")?,
        status: row.try_get("status")?,
        template_id: row.try_get("template_id")?,
        audience,
        devices: devices
            .into_iter()
            .map(
                |(
                    device_id,
                    weight,
                    rate_per_minute,
                    delay_min_ms,
                    delay_max_ms,
                    daily_cap,
                    kind,
                )| {
                    DeviceAssignment {
                        device_id,
                        weight,
                        rate_per_minute,
                        delay_min_ms,
                        delay_max_ms,
                        daily_cap,
                        effective_rate_per_minute: Some(
                            kind.as_deref()
                                .and_then(crate::devices::DeviceKind::parse)
                                .map_or(rate_per_minute, |k| {
                                    k.effective_per_minute(rate_per_minute)
                                }),
                        ),
                    }
                },
            )
            .collect(),
        time_zone: row.try_get("time_zone")?,
        scheduled_at: row.try_get("scheduled_at")?,
        followup: fu_tpl.zip(fu_after).map(|(template_id, ms)| Followup {
            template_id,
            after_minutes: ms / 60_000,
        }),
        total: row.try_get("total")?,
        counts: counts(&state.pool, tenant_id, &id, "main").await?,
        followup_counts: counts(&state.pool, tenant_id, &id, "followup").await?,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        id,
    })
}

/// Loads one of the tenant's campaigns.
pub(crate) async fn load(
    state: &AppState,
    tenant_id: &str,
    id: &str,
) -> Result<CampaignView, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM campaigns WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::NotFound("campaign"))?;
    from_row(state, tenant_id, &row).await
}

fn bad(code: &'static str, msg: Text) -> AppError {
    AppError::bad_request(code, msg)
}

/// The vendor's own time zone (`tenants.time_zone`).
async fn vendor_time_zone(state: &AppState, tenant_id: &str) -> Result<String, AppError> {
    let tz: Option<String> = sqlx::query_scalar("SELECT time_zone FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(&state.pool)
        .await?;
    Ok(tz.unwrap_or_else(|| "Asia/Jakarta".to_owned()))
}

/// Now on the campaign engine's clock: whether a schedule time has come is
/// decided on the same clock the engine starts scheduled campaigns by.
fn engine_now(state: &AppState) -> i64 {
    state.config.campaigns.clock.now_ms()
}

fn validate_devices(devices: &[DeviceAssignment]) -> Result<(), AppError> {
    if devices.is_empty() || devices.len() > 20 {
        return Err(bad(
            "invalid_devices",
            Text::new(
                "tentukan 1 sampai 20 perangkat pengirim",
                "give 1 to 20 sending devices",
            ),
        ));
    }
    let mut seen = HashSet::new();
    for d in devices {
        if !seen.insert(d.device_id.as_str()) {
            let device = &d.device_id;
            return Err(bad(
                "invalid_devices",
                tr!(
                    "perangkat {device} tercantum dua kali",
                    "device {device} is listed twice"
                ),
            ));
        }
        if !(1..=100).contains(&d.weight) {
            return Err(bad(
                "invalid_devices",
                Text::new("weight harus 1..=100", "weight must be 1..=100"),
            ));
        }
        if !(1..=6000).contains(&d.rate_per_minute) {
            return Err(bad(
                "invalid_devices",
                Text::new(
                    "rate_per_minute harus 1..=6000",
                    "rate_per_minute must be 1..=6000",
                ),
            ));
        }
        if d.delay_min_ms < 0 || d.delay_max_ms < d.delay_min_ms || d.delay_max_ms > 3_600_000 {
            return Err(bad(
                "invalid_devices",
                Text::new(
                    "harus 0 <= delay_min_ms <= delay_max_ms <= 3600000",
                    "need 0 <= delay_min_ms <= delay_max_ms <= 3600000",
                ),
            ));
        }
        if d.daily_cap.is_some_and(|c| c < 1) {
            return Err(bad(
                "invalid_devices",
                Text::new("daily_cap minimal 1", "daily_cap must be at least 1"),
            ));
        }
    }
    Ok(())
}

async fn template_exists(state: &AppState, tenant_id: &str, id: &str) -> Result<(), AppError> {
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
    member.require(Role::Admin)?;
    let tenant = member.tenant_id.as_str();
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(bad(
            "invalid_name",
            Text::new(
                "nama harus terdiri dari 1 sampai 200 karakter",
                "the name must have 1 to 200 characters",
            ),
        ));
    }
    req.audience.validate()?;
    validate_devices(&req.devices)?;
    let tz_name = match req.time_zone {
        Some(t) => t,
        None => vendor_time_zone(&state, tenant).await?,
    };
    let tz: chrono_tz::Tz = tz_name.parse().map_err(|_| {
        bad(
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
            bad(
                "invalid_schedule",
                Text::new(
                    "schedule_at harus berbentuk 2026-11-24T09:00 (waktu vendor) atau RFC 3339",
                    "schedule_at must look like 2026-11-24T09:00 (vendor time) or RFC 3339",
                ),
            )
        })?),
    };
    template_exists(&state, tenant, &req.template_id).await?;
    let followup = match &req.followup {
        None => None,
        Some(f) => {
            if !(1..=10_080).contains(&f.after_minutes) {
                return Err(bad(
                    "invalid_followup",
                    Text::new(
                        "after_minutes harus 1..=10080",
                        "after_minutes must be 1..=10080",
                    ),
                ));
            }
            template_exists(&state, tenant, &f.template_id).await?;
            Some((f.template_id.clone(), f.after_minutes * 60_000))
        }
    };
    for d in &req.devices {
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM devices WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(&d.device_id)
                .fetch_optional(&state.pool)
                .await?;
        if found.is_none() {
            return Err(AppError::NotFound("device"));
        }
    }
    if !req.audience.contact_ids.is_empty() {
        let known =
            audience::known_contact_ids(&state.pool, tenant, &req.audience.contact_ids).await?;
        if let Some(bad_id) = req
            .audience
            .contact_ids
            .iter()
            .find(|c| !known.contains(*c))
        {
            return Err(bad(
                "unknown_contact",
                tr!(
                    "tidak ada kontak dengan id {bad_id}",
                    "no contact with id {bad_id}"
                ),
            ));
        }
    }
    let id = new_id();
    let now = now_ms();
    let mut tx = state.begin_write().await?;
    sqlx::query(
        "INSERT INTO campaigns (id, tenant_id, name, template_id, audience, status, time_zone, scheduled_at, \
         followup_template_id, followup_after_ms, total, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, 0, $10, $10)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(&name)
    .bind(&req.template_id)
    .bind(serde_json::to_string(&req.audience).map_err(AppError::internal)?)
    .bind(tz.name())
    .bind(scheduled_at)
    .bind(followup.as_ref().map(|f| f.0.clone()))
    .bind(followup.as_ref().map(|f| f.1))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for d in &req.devices {
        sqlx::query(
            "INSERT INTO campaign_devices (campaign_id, tenant_id, device_id, weight, rate_per_minute, delay_min_ms, \
             delay_max_ms, daily_cap) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(tenant)
        .bind(&d.device_id)
        .bind(d.weight)
        .bind(d.rate_per_minute)
        .bind(d.delay_min_ms)
        .bind(d.delay_max_ms)
        .bind(d.daily_cap)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(created(load(&state, tenant, &id).await?))
}

/// Paging of campaign lists.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Page size, 1..=500 (default 50).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
    /// Only this status.
    pub status: Option<String>,
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
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM campaigns WHERE tenant_id = $1 AND ($2 = '' OR status = $2) \
         ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
    ))
    .bind(&member.tenant_id)
    .bind(q.status.unwrap_or_default())
    .fetch_all(&state.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(from_row(&state, &member.tenant_id, r).await?);
    }
    Ok(ok(out))
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
    Path(id): Path<String>,
) -> ApiResult<CampaignView> {
    Ok(ok(load(&state, &member.tenant_id, &id).await?))
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
    Path(id): Path<String>,
) -> ApiResult<serde_json::Value> {
    member.require(Role::Admin)?;
    let c = load(&state, &member.tenant_id, &id).await?;
    if c.status != "draft" {
        return Err(AppError::conflict(
            "campaign_not_draft",
            Text::new(
                "hanya kampanye berstatus draft yang bisa dihapus; batalkan saja kampanye ini",
                "only draft campaigns can be deleted; cancel it instead",
            ),
        ));
    }
    let mut tx = state.begin_write().await?;
    sqlx::query("DELETE FROM campaign_devices WHERE tenant_id = $1 AND campaign_id = $2")
        .bind(&member.tenant_id)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM campaigns WHERE tenant_id = $1 AND id = $2 AND status = 'draft'")
        .bind(&member.tenant_id)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ok(serde_json::json!({ "deleted": true })))
}

/// Enqueues the audience of a campaign: one `INSERT ... SELECT` assigning
/// devices by weight. Returns the number of rows enqueued.
pub(crate) async fn enqueue(
    state: &AppState,
    tenant_id: &str,
    campaign_id: &str,
    audience: &Audience,
    devices: &[(String, i64)],
    not_before: i64,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<u64, sqlx::Error> {
    let _ = state;
    let (case, ids) = pacing::weighted_case("a.rn", devices, 5);
    let (cond, binds) = audience.condition(5 + ids.len());
    let sql = format!(
        "INSERT INTO campaign_recipients (id, tenant_id, campaign_id, contact_id, phone, device_id, stage, state, \
         not_before, attempts, used_template, created_at) \
         SELECT $2 || ':' || a.id, $1, $2, a.id, a.phone, {case}, 'main', 'queued', $3, 0, 0, $4 \
         FROM (SELECT c.id, c.phone, ROW_NUMBER() OVER (ORDER BY c.id) AS rn FROM contacts c WHERE {cond}) a \
         WHERE 1 = 1 ON CONFLICT DO NOTHING"
    );
    let mut q = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(campaign_id)
        .bind(not_before)
        .bind(now_ms());
    for id in &ids {
        q = q.bind(id);
    }
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
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
    Path(id): Path<String>,
) -> ApiResult<CampaignView> {
    member.require(Role::Admin)?;
    let tenant = member.tenant_id.as_str();
    let c = load(&state, tenant, &id).await?;
    if c.status != "draft" {
        let status = &c.status;
        return Err(AppError::conflict(
            "campaign_not_draft",
            tr!(
                "kampanye berstatus {status}, bukan draft",
                "the campaign is {status}, not a draft"
            ),
        ));
    }
    // The template may have been edited since the draft was made.
    template_exists(&state, tenant, &c.template_id).await?;
    let n = audience::count(&state.pool, tenant, &c.audience).await?;
    if n == 0 {
        return Err(bad(
            "empty_audience",
            Text::new(
                "audiens tidak mencakup satu pun kontak yang bisa dihubungi",
                "the audience selects no reachable contact",
            ),
        ));
    }
    limits::consume(&state.pool, tenant, Limit::MessagesPerMonth, n).await?;
    let now = engine_now(&state);
    let start_at = c.scheduled_at.filter(|t| *t > now);
    let devices: Vec<(String, i64)> = c
        .devices
        .iter()
        .map(|d| (d.device_id.clone(), d.weight))
        .collect();
    let result = async {
        let mut tx = state.begin_write().await?;
        let enqueued = enqueue(
            &state,
            tenant,
            &id,
            &c.audience,
            &devices,
            start_at.unwrap_or(now),
            &mut tx,
        )
        .await?;
        let status = if start_at.is_some() {
            "scheduled"
        } else {
            "running"
        };
        let changed = sqlx::query(
            "UPDATE campaigns SET status = $1, total = $2, started_at = $3, updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5 AND status = 'draft'",
        )
        .bind(status)
        .bind(i64::try_from(enqueued).unwrap_or(i64::MAX))
        .bind(now)
        .bind(tenant)
        .bind(&id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
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
            limits::record(&state.pool, tenant, Limit::MessagesPerMonth, -n).await?;
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
        limits::record(&state.pool, tenant, Limit::MessagesPerMonth, diff).await?;
    }
    Ok(ok(load(&state, tenant, &id).await?))
}

async fn transition(
    state: &AppState,
    member: &CurrentMember,
    id: &str,
    from: &[&str],
    to: &str,
) -> Result<CampaignView, AppError> {
    member.require(Role::Admin)?;
    let c = load(state, &member.tenant_id, id).await?;
    if !from.contains(&c.status.as_str()) {
        let status = &c.status;
        return Err(AppError::conflict(
            "invalid_campaign_state",
            tr!(
                "status tidak bisa berubah dari {status} ke {to}",
                "cannot go from {status} to {to}"
            ),
        ));
    }
    let now = engine_now(state);
    let target = if to == "running" && c.scheduled_at.is_some_and(|t| t > now) {
        "scheduled"
    } else {
        to
    };
    let list = from
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let finished = if to == "cancelled" { Some(now) } else { None };
    let mut tx = state.begin_write().await?;
    let n = sqlx::query(&format!(
        "UPDATE campaigns SET status = $1, updated_at = $2, finished_at = COALESCE($3, finished_at) \
         WHERE tenant_id = $4 AND id = $5 AND status IN ({list})"
    ))
    .bind(target)
    .bind(now)
    .bind(finished)
    .bind(&member.tenant_id)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::conflict(
            "invalid_campaign_state",
            Text::new(
                "kampanye diubah oleh permintaan lain pada saat yang sama; muat ulang",
                "the campaign changed concurrently; reload it",
            ),
        ));
    }
    let mut refund = 0;
    if to == "cancelled" {
        refund = sqlx::query(
            "UPDATE campaign_recipients SET state = 'cancelled', error = 'campaign cancelled' \
             WHERE tenant_id = $1 AND campaign_id = $2 AND state = 'queued' AND stage = 'main'",
        )
        .bind(&member.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE campaign_recipients SET state = 'cancelled', error = 'campaign cancelled' \
             WHERE tenant_id = $1 AND campaign_id = $2 AND state = 'queued'",
        )
        .bind(&member.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    if refund > 0 {
        limits::record(
            &state.pool,
            &member.tenant_id,
            Limit::MessagesPerMonth,
            -i64::try_from(refund).unwrap_or(0),
        )
        .await?;
    }
    load(state, &member.tenant_id, id).await
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
    Path(id): Path<String>,
) -> ApiResult<CampaignView> {
    Ok(ok(transition(
        &state,
        &member,
        &id,
        &["running", "scheduled"],
        "paused",
    )
    .await?))
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
    Path(id): Path<String>,
) -> ApiResult<CampaignView> {
    Ok(ok(
        transition(&state, &member, &id, &["paused"], "running").await?
    ))
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
    Path(id): Path<String>,
) -> ApiResult<CampaignView> {
    Ok(ok(transition(
        &state,
        &member,
        &id,
        &["draft", "scheduled", "running", "paused"],
        "cancelled",
    )
    .await?))
}

/// One recipient of a campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecipientView {
    /// Contact.
    pub contact_id: String,
    /// Number.
    pub phone: String,
    /// `main` or `followup`.
    pub stage: String,
    /// Device sending it.
    pub device_id: String,
    /// `queued`, `sending`, `sent`, `delivered`, `read`, `replied`,
    /// `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// Tries so far.
    pub attempts: i64,
    /// Provider message id once sent.
    pub provider_message_id: Option<String>,
    /// The Cloud API template fallback was used (24-hour window closed).
    pub used_template: bool,
    /// Last error (provider error for failed rows).
    pub error: Option<String>,
    /// Queued rows: not sent before this time, unix ms (a retry's backoff,
    /// a follow-up's delay, or the next day when the daily cap is reached).
    pub not_before: Option<i64>,
    /// Unix ms.
    pub sent_at: Option<i64>,
    /// Unix ms.
    pub delivered_at: Option<i64>,
    /// Unix ms.
    pub read_at: Option<i64>,
    /// Unix ms.
    pub replied_at: Option<i64>,
    /// Unix ms.
    pub failed_at: Option<i64>,
}

/// The status of a row, most advanced first.
pub(crate) fn derive_status(
    state: &str,
    delivered: bool,
    read: bool,
    replied: bool,
) -> &'static str {
    match state {
        "queued" => "queued",
        "sending" => "sending",
        "failed" => "failed",
        "skipped" => "skipped",
        "cancelled" => "cancelled",
        _ if replied => "replied",
        _ if read => "read",
        _ if delivered => "delivered",
        _ => "sent",
    }
}

/// Recipient filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecipientQuery {
    /// Only rows in this queue state (`queued`, `sending`, `sent`,
    /// `failed`, `skipped`, `cancelled`).
    pub state: Option<String>,
    /// `main` (default) or `followup`.
    pub stage: Option<String>,
    /// Page size, 1..=1000 (default 100).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

pub(crate) const RECIPIENT_COLUMNS: &str = "contact_id, phone, stage, device_id, state, attempts, provider_message_id, \
     used_template, error, not_before, sent_at, delivered_at, read_at, replied_at, failed_at";

pub(crate) fn recipient_from_row(r: &AnyRow) -> Result<RecipientView, sqlx::Error> {
    let state: String = r.try_get("state")?;
    let delivered_at: Option<i64> = r.try_get("delivered_at")?;
    let read_at: Option<i64> = r.try_get("read_at")?;
    let replied_at: Option<i64> = r.try_get("replied_at")?;
    let used_template: i64 = r.try_get("used_template")?;
    Ok(RecipientView {
        contact_id: r.try_get("contact_id")?,
        phone: r.try_get("phone")?,
        stage: r.try_get("stage")?,
        device_id: r.try_get("device_id")?,
        status: derive_status(
            &state,
            delivered_at.is_some(),
            read_at.is_some(),
            replied_at.is_some(),
        )
        .to_owned(),
        attempts: r.try_get("attempts")?,
        provider_message_id: r.try_get("provider_message_id")?,
        used_template: used_template != 0,
        error: r.try_get("error")?,
        not_before: if state == "queued" {
            Some(r.try_get("not_before")?)
        } else {
            None
        },
        sent_at: r.try_get("sent_at")?,
        delivered_at,
        read_at,
        replied_at,
        failed_at: r.try_get("failed_at")?,
    })
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
    Path(id): Path<String>,
    Query(q): Query<RecipientQuery>,
) -> ApiResult<Vec<RecipientView>> {
    let _ = load(&state, &member.tenant_id, &id).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let offset = q.offset.unwrap_or(0).max(0);
    let rows = sqlx::query(&format!(
        "SELECT {RECIPIENT_COLUMNS} FROM campaign_recipients WHERE tenant_id = $1 AND campaign_id = $2 \
         AND stage = $3 AND ($4 = '' OR state = $4) ORDER BY id LIMIT {limit} OFFSET {offset}"
    ))
    .bind(&member.tenant_id)
    .bind(&id)
    .bind(q.stage.unwrap_or_else(|| "main".to_owned()))
    .bind(q.state.unwrap_or_default())
    .fetch_all(&state.pool)
    .await?;
    Ok(ok(rows
        .iter()
        .map(recipient_from_row)
        .collect::<Result<Vec<_>, _>>()?))
}
