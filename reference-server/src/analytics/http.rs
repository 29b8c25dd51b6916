//! The analytics handlers: a campaign's figures and report, the vendor's
//! traffic overview and its export.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::model::{
    Bucket, CampaignAnalytics, DAY_MS, Day, FormatQuery, KeywordCount, Overview, OverviewQuery,
    TextCount, TimelineQuery, day_label, ms_text, rates,
};
use crate::AppState;
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentMember;
use crate::campaigns::RecipientEvent;
use crate::db::now_ms;
use crate::domain::{CampaignId, TenantId};
use crate::http::export::{self, ExportFormat, Table};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiResult, AppError, Data, ErrorBody, ok};
use crate::inbox::{Direction, Sender};

/// The campaign's first messages per bucket of `bucket_ms`, oldest first.
async fn timeline(
    state: &AppState,
    tenant: &TenantId,
    campaign: &CampaignId,
    bucket_ms: i64,
) -> Result<Vec<Bucket>, sqlx::Error> {
    let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
    for &event in RecipientEvent::ALL {
        let counts =
            crate::campaigns::event_timeline(&state.pool, tenant, campaign, event, bucket_ms)
                .await?;
        for c in counts {
            let e = buckets.entry(c.bucket).or_insert_with(|| Bucket {
                start: c.bucket,
                ..Bucket::default()
            });
            let slot = match event {
                RecipientEvent::Sent => &mut e.sent,
                RecipientEvent::Delivered => &mut e.delivered,
                RecipientEvent::Read => &mut e.read,
                RecipientEvent::Replied => &mut e.replied,
                RecipientEvent::Failed => &mut e.failed,
            };
            *slot = c.n;
        }
    }
    Ok(buckets.into_values().collect())
}

/// Counts, rates and timeline of a campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/analytics", tag = "analytics",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id"), TimelineQuery),
    responses(
        (status = 200, description = "Analytics", body = inline(Data<CampaignAnalytics>)),
        (status = 404, description = "No such campaign", body = ErrorBody)))]
pub(super) async fn campaign_analytics(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<CampaignId>,
    Query(q): Query<TimelineQuery>,
) -> ApiResult<CampaignAnalytics> {
    let c = crate::campaigns::load(&state, &member.tenant_id, &id).await?;
    let bucket_ms = match q.bucket.as_deref() {
        None | Some("hour") => 3_600_000,
        Some("day") => DAY_MS,
        Some(_) => {
            return Err(AppError::bad_request(
                "invalid_bucket",
                Text::new("bucket harus hour atau day", "bucket must be hour or day"),
            ));
        }
    };
    let timeline = timeline(&state, &member.tenant_id, &id, bucket_ms).await?;
    Ok(ok(CampaignAnalytics {
        campaign_id: id,
        rates: rates(&c.counts),
        counts: c.counts,
        followup_counts: c.followup_counts,
        timeline,
        bucket_ms,
    }))
}

/// Per-recipient report of a campaign as CSV or XLSX.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/report", tag = "analytics",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id"), FormatQuery),
    responses(
        (status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 404, description = "No such campaign", body = ErrorBody)))]
pub(super) async fn campaign_report(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<CampaignId>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, AppError> {
    report_file(&state, &member, &id, q.format.as_deref()).await
}

/// The per-recipient report of one of the vendor's campaigns as a file
/// download, `format` `csv` (default) or `xlsx`: the rules of
/// `GET /api/v1/campaigns/{id}/report`.
pub(crate) async fn report_file(
    state: &AppState,
    member: &CurrentMember,
    id: &CampaignId,
    format: Option<&str>,
) -> Result<Response, AppError> {
    let format = ExportFormat::from_query(format)?;
    let _ = crate::campaigns::load(state, &member.tenant_id, id).await?;
    let rows = crate::campaigns::recipient_report(&state.pool, &member.tenant_id, id).await?;
    let header = texts(&[
        "phone",
        "stage",
        "status",
        "device_id",
        "attempts",
        "provider_message_id",
        "sent_at",
        "delivered_at",
        "read_at",
        "replied_at",
        "failed_at",
        "error",
    ]);
    let table: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            let v = crate::campaigns::RecipientView::from(r);
            vec![
                v.phone,
                v.stage.as_str().to_owned(),
                v.status.as_str().to_owned(),
                v.device_id.into_string(),
                v.attempts.to_string(),
                v.provider_message_id.unwrap_or_default(),
                ms_text(v.sent_at),
                ms_text(v.delivered_at),
                ms_text(v.read_at),
                ms_text(v.replied_at),
                ms_text(v.failed_at),
                v.error.unwrap_or_default(),
            ]
        })
        .collect();
    let count = table.len();
    let file = export::download(
        format,
        &format!("campaign-{id}"),
        vec![Table::new("Laporan", header, table)],
    )
    .await?;
    let entry =
        Entry::by_member(Action::ExportDownloaded, member).export("campaign_report", format, count);
    audit::record(state, entry).await?;
    Ok(file)
}

fn texts(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// The overview's period and top size, checked.
fn period(q: &OverviewQuery) -> Result<(i64, i64), AppError> {
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(AppError::bad_request(
            "invalid_days",
            Text::new("days harus 1..=366", "days must be 1..=366"),
        ));
    }
    let top_n = q.top.unwrap_or(10);
    if !(1..=100).contains(&top_n) {
        return Err(AppError::bad_request(
            "invalid_top",
            Text::new("top harus 1..=100", "top must be 1..=100"),
        ));
    }
    Ok((days, top_n))
}

async fn build_overview(
    state: &AppState,
    tenant: &TenantId,
    q: &OverviewQuery,
) -> Result<Overview, AppError> {
    overview_of(state, tenant, q, true).await
}

/// The vendor's traffic per day over the period of `q` and its totals, as
/// in `GET /api/v1/analytics/overview`, without the top keywords and
/// texts (left empty): what the console's overview draws.
pub(crate) async fn traffic(
    state: &AppState,
    tenant: &TenantId,
    q: &OverviewQuery,
) -> Result<Overview, AppError> {
    overview_of(state, tenant, q, false).await
}

async fn overview_of(
    state: &AppState,
    tenant: &TenantId,
    q: &OverviewQuery,
    tops: bool,
) -> Result<Overview, AppError> {
    let (days, top_n) = period(q)?;
    let tz_name = match &q.time_zone {
        Some(t) => t.clone(),
        // The vendor's own zone: keyword hits are counted by its days.
        None => crate::tenants::store::time_zone_of(&state.pool, tenant)
            .await?
            .unwrap_or_else(|| "Asia/Jakarta".to_owned()),
    };
    let tz: chrono_tz::Tz = tz_name.parse().map_err(|_| {
        AppError::bad_request(
            "invalid_time_zone",
            tr!(
                "zona waktu {tz_name:?} tidak dikenal",
                "unknown time zone {tz_name:?}"
            ),
        )
    })?;
    let now = now_ms();
    // Day boundaries with the zone's current UTC offset (exact for zones
    // without daylight saving time, such as the Indonesian ones).
    let offset_ms = {
        use chrono::Offset;
        let local = chrono::Utc::now().with_timezone(&tz);
        i64::from(local.offset().fix().local_minus_utc()) * 1000
    };
    let today = (now + offset_ms).div_euclid(DAY_MS);
    let first_day = today - days + 1;
    let since = first_day * DAY_MS - offset_ms;
    let mut map: BTreeMap<i64, Day> = (first_day..=today).map(|d| (d, Day::default())).collect();

    for r in crate::inbox::store::traffic_per_day(&state.pool, tenant, offset_ms, since).await? {
        let Some(day) = map.get_mut(&r.day) else {
            continue;
        };
        if r.direction == Direction::In {
            day.messages_in += r.n;
        } else {
            day.messages_out += r.n;
            match r.sender {
                Sender::Bot => day.bot_replies += r.n,
                Sender::Agent => day.human_replies += r.n,
                _ => {}
            }
        }
    }
    for c in crate::campaigns::sent_per_day(&state.pool, tenant, offset_ms, since).await? {
        if let Some(day) = map.get_mut(&c.bucket) {
            day.campaign_sent += c.n;
            day.messages_out += c.n;
        }
    }
    for u in crate::bots::store::ai_usage_per_day(&state.pool, tenant, offset_ms, since).await? {
        if let Some(day) = map.get_mut(&u.day) {
            day.ai_requests += u.n;
            day.ai_tokens += u.tokens;
        }
    }
    let (top_inbound_texts, top_keywords) = if tops {
        let texts = crate::inbox::store::top_inbound_texts(&state.pool, tenant, since, 10)
            .await?
            .into_iter()
            .map(|t| TextCount {
                text: t.text,
                count: t.n,
            })
            .collect();
        let keywords = crate::bots::store::top_keywords(
            &state.pool,
            tenant,
            &day_label(first_day),
            &day_label(today),
            top_n,
        )
        .await?
        .into_iter()
        .map(|k| KeywordCount {
            keyword: k.keyword,
            hits: k.n,
        })
        .collect();
        (texts, keywords)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut totals = Day {
        date: "total".to_owned(),
        ..Day::default()
    };
    let days: Vec<Day> = map
        .into_iter()
        .map(|(d, mut day)| {
            day.date = day_label(d);
            totals.add(&day);
            day
        })
        .collect();
    Ok(Overview {
        days,
        totals,
        top_keywords,
        top_inbound_texts,
    })
}

/// The vendor's traffic per day.
#[utoipa::path(get, path = "/api/v1/analytics/overview", tag = "analytics",
    security(("session" = []), ("api_key" = [])),
    params(OverviewQuery),
    responses(
        (status = 200, description = "Overview", body = inline(Data<Overview>)),
        (status = 400, description = "Bad period or time zone", body = ErrorBody)))]
pub(super) async fn overview(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<OverviewQuery>,
) -> ApiResult<Overview> {
    Ok(ok(build_overview(&state, &member.tenant_id, &q).await?))
}

/// The vendor's traffic per day as CSV or XLSX, then the top matched
/// keywords (CSV: a second table after an empty line; XLSX: a second sheet).
#[utoipa::path(get, path = "/api/v1/analytics/overview/export", tag = "analytics",
    security(("session" = []), ("api_key" = [])),
    params(OverviewQuery),
    responses(
        (status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 400, description = "Bad period, time zone or format", body = ErrorBody)))]
pub(super) async fn overview_export(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, AppError> {
    let format = ExportFormat::from_query(q.format.as_deref())?;
    let o = build_overview(&state, &member.tenant_id, &q).await?;
    let header = texts(&[
        "date",
        "messages_in",
        "messages_out",
        "bot_replies",
        "human_replies",
        "campaign_sent",
        "ai_requests",
        "ai_tokens",
    ]);
    let rows: Vec<Vec<String>> = o
        .days
        .iter()
        .chain(std::iter::once(&o.totals))
        .map(|d| {
            vec![
                d.date.clone(),
                d.messages_in.to_string(),
                d.messages_out.to_string(),
                d.bot_replies.to_string(),
                d.human_replies.to_string(),
                d.campaign_sent.to_string(),
                d.ai_requests.to_string(),
                d.ai_tokens.to_string(),
            ]
        })
        .collect();
    let kw_header = texts(&["keyword", "hits"]);
    let kw_rows: Vec<Vec<String>> = o
        .top_keywords
        .iter()
        .map(|k| vec![k.keyword.clone(), k.hits.to_string()])
        .collect();
    let count = rows.len() + kw_rows.len();
    let file = export::download(
        format,
        "overview",
        vec![
            Table::new("Ringkasan", header, rows),
            Table::new("Kata kunci", kw_header, kw_rows),
        ],
    )
    .await?;
    let entry =
        Entry::by_member(Action::ExportDownloaded, &member).export("overview", format, count);
    audit::record(&state, entry).await?;
    Ok(file)
}
