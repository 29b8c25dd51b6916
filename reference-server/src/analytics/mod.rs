//! Analytics: per campaign (counts, rates, timeline, per-recipient report)
//! and per vendor (messages in and out per day, bot vs human replies,
//! campaign sends, AI usage, top matched bot keywords, most frequent
//! inbound texts), as JSON or as CSV / XLSX downloads.
//!
//! Vendor figures read the inbox tables of the BOTS area (`messages`:
//! `direction` in/out, `sender` contact/bot/agent/api/system),
//! `llm_usage` and `bot_keyword_hits` (hits per vendor-local day and
//! matched rule id), plus this area's `campaign_recipients`.

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentMember;
use crate::campaigns::Counts;
use crate::db::now_ms;
use crate::http::export::{self, ExportFormat, Table};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiResult, AppError, Data, ErrorBody, ok};

/// The analytics routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(campaign_analytics))
        .routes(routes!(campaign_report))
        .routes(routes!(overview))
        .routes(routes!(overview_export))
}

/// Rates relative to the messages sent (failure: failed / (sent + failed)).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Rates {
    /// delivered / sent.
    pub delivered: f64,
    /// read / sent.
    pub read: f64,
    /// replied / sent.
    pub replied: f64,
    /// failed / (sent + failed before sending).
    pub failed: f64,
}

/// Events in one time bucket.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Bucket {
    /// Bucket start, unix ms.
    pub start: i64,
    /// Messages sent.
    pub sent: i64,
    /// Delivered.
    pub delivered: i64,
    /// Read.
    pub read: i64,
    /// Replied.
    pub replied: i64,
    /// Failed.
    pub failed: i64,
}

/// A campaign's analytics.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignAnalytics {
    /// Campaign id.
    pub campaign_id: String,
    /// Status counts of the first messages.
    pub counts: Counts,
    /// Rates of the first messages.
    pub rates: Rates,
    /// Status counts of the follow-ups.
    pub followup_counts: Counts,
    /// Events over time.
    pub timeline: Vec<Bucket>,
    /// Bucket length in ms.
    pub bucket_ms: i64,
}

/// Bucket choice.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TimelineQuery {
    /// `hour` (default) or `day`.
    pub bucket: Option<String>,
}

fn ratio(a: i64, b: i64) -> f64 {
    if b <= 0 {
        0.0
    } else {
        (a as f64 / b as f64 * 10_000.0).round() / 10_000.0
    }
}

/// Rates from counts.
pub fn rates(c: &Counts) -> Rates {
    Rates {
        delivered: ratio(c.delivered, c.sent),
        read: ratio(c.read, c.sent),
        replied: ratio(c.replied, c.sent),
        failed: ratio(c.failed, c.sent + c.failed),
    }
}

async fn timeline(
    state: &AppState,
    tenant: &str,
    campaign: &str,
    bucket_ms: i64,
) -> Result<Vec<Bucket>, sqlx::Error> {
    let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
    for col in [
        "sent_at",
        "delivered_at",
        "read_at",
        "replied_at",
        "failed_at",
    ] {
        let rows = sqlx::query(&format!(
            "SELECT ({col} / {bucket_ms}) * {bucket_ms} AS b, COUNT(*) AS n FROM campaign_recipients \
             WHERE tenant_id = $1 AND campaign_id = $2 AND stage = 'main' AND {col} IS NOT NULL GROUP BY b ORDER BY b"
        ))
        .bind(tenant)
        .bind(campaign)
        .fetch_all(&state.pool)
        .await?;
        for r in rows {
            let b: i64 = r.try_get("b")?;
            let n: i64 = r.try_get("n")?;
            let e = buckets.entry(b).or_insert_with(|| Bucket {
                start: b,
                ..Bucket::default()
            });
            match col {
                "sent_at" => e.sent = n,
                "delivered_at" => e.delivered = n,
                "read_at" => e.read = n,
                "replied_at" => e.replied = n,
                _ => e.failed = n,
            }
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
async fn campaign_analytics(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(q): Query<TimelineQuery>,
) -> ApiResult<CampaignAnalytics> {
    let c = crate::campaigns::load(&state, &member.tenant_id, &id).await?;
    let bucket_ms = match q.bucket.as_deref() {
        None | Some("hour") => 3_600_000,
        Some("day") => 86_400_000,
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

/// Export format.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FormatQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

fn ms_text(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Per-recipient report of a campaign as CSV or XLSX.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/report", tag = "analytics",
    security(("session" = []), ("api_key" = [])),
    params(("campaign_id" = String, Path, description = "Campaign id"), FormatQuery),
    responses(
        (status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 404, description = "No such campaign", body = ErrorBody)))]
async fn campaign_report(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, AppError> {
    let format = ExportFormat::from_query(q.format.as_deref())?;
    let _ = crate::campaigns::load(&state, &member.tenant_id, &id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {} FROM campaign_recipients WHERE tenant_id = $1 AND campaign_id = $2 ORDER BY stage, id",
        crate::campaigns::RECIPIENT_COLUMNS
    ))
    .bind(&member.tenant_id)
    .bind(&id)
    .fetch_all(&state.pool)
    .await?;
    let header: Vec<String> = [
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
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut table = Vec::with_capacity(rows.len());
    for r in &rows {
        let v = crate::campaigns::recipient_from_row(r)?;
        table.push(vec![
            v.phone,
            v.stage,
            v.status,
            v.device_id,
            v.attempts.to_string(),
            v.provider_message_id.unwrap_or_default(),
            ms_text(v.sent_at),
            ms_text(v.delivered_at),
            ms_text(v.read_at),
            ms_text(v.replied_at),
            ms_text(v.failed_at),
            v.error.unwrap_or_default(),
        ]);
    }
    export::download(
        format,
        &format!("campaign-{id}"),
        vec![Table::new("Laporan", header, table)],
    )
    .await
}

/// One day of a vendor's traffic.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Day {
    /// The date in the vendor's time zone, `YYYY-MM-DD`.
    pub date: String,
    /// Messages received from customers.
    pub messages_in: i64,
    /// Messages sent (inbox replies, API sends and campaign sends).
    pub messages_out: i64,
    /// Replies written by the bot.
    pub bot_replies: i64,
    /// Replies written by a human agent.
    pub human_replies: i64,
    /// Campaign messages sent.
    pub campaign_sent: i64,
    /// LLM requests.
    pub ai_requests: i64,
    /// LLM tokens (input + output).
    pub ai_tokens: i64,
}

/// An inbound text and how often it came.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TextCount {
    /// The text, lowercase.
    pub text: String,
    /// Occurrences.
    pub count: i64,
}

/// A bot keyword rule and how often it matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KeywordCount {
    /// The matched rule id.
    pub keyword: String,
    /// Matches over the period.
    pub hits: i64,
}

/// A vendor's traffic overview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Overview {
    /// One entry per day, oldest first.
    pub days: Vec<Day>,
    /// Sums over the period.
    pub totals: Day,
    /// The bot keyword rules that matched most over the period, most hits
    /// first (ties by keyword).
    pub top_keywords: Vec<KeywordCount>,
    /// The most frequent inbound texts (what customers ask; the keywords
    /// worth an auto-reply).
    pub top_inbound_texts: Vec<TextCount>,
}

/// Period and time zone of the overview.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OverviewQuery {
    /// Days back from today, 1..=366 (default 30).
    pub days: Option<i64>,
    /// IANA time zone for day boundaries (default: the vendor's time zone).
    pub time_zone: Option<String>,
    /// How many top keywords, 1..=100 (default 10).
    pub top: Option<i64>,
    /// For the export: `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

const DAY_MS: i64 = 86_400_000;

/// `YYYY-MM-DD` of a day number (days since 1970-01-01, vendor-local).
fn day_label(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The `n` rules with the most hits from `first` to `last` (inclusive,
/// `YYYY-MM-DD` vendor-local days, which compare correctly as text).
async fn top_keywords(
    state: &AppState,
    tenant: &str,
    first: &str,
    last: &str,
    n: i64,
) -> Result<Vec<KeywordCount>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT keyword, CAST(SUM(hits) AS BIGINT) AS n FROM bot_keyword_hits \
         WHERE tenant_id = $1 AND day >= $2 AND day <= $3 \
         GROUP BY keyword ORDER BY n DESC, keyword LIMIT $4",
    )
    .bind(tenant)
    .bind(first)
    .bind(last)
    .bind(n)
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(keyword, hits)| KeywordCount { keyword, hits })
        .collect())
}

async fn build_overview(
    state: &AppState,
    tenant: &str,
    q: &OverviewQuery,
) -> Result<Overview, AppError> {
    overview_of(state, tenant, q, true).await
}

/// The vendor's traffic per day over the period of `q` and its totals, as
/// in `GET /api/v1/analytics/overview`, without the top keywords and
/// texts (left empty): what the console's overview draws.
pub(crate) async fn traffic(
    state: &AppState,
    tenant: &str,
    q: &OverviewQuery,
) -> Result<Overview, AppError> {
    overview_of(state, tenant, q, false).await
}

async fn overview_of(
    state: &AppState,
    tenant: &str,
    q: &OverviewQuery,
    tops: bool,
) -> Result<Overview, AppError> {
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
    let tz_name = match &q.time_zone {
        Some(t) => t.clone(),
        // The vendor's own zone: keyword hits are counted by its days.
        None => sqlx::query_scalar("SELECT time_zone FROM tenants WHERE id = $1")
            .bind(tenant)
            .fetch_optional(&state.pool)
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

    let rows = sqlx::query(
        "SELECT (created_at + $2) / 86400000 AS d, direction, sender, COUNT(*) AS n FROM messages \
         WHERE tenant_id = $1 AND created_at >= $3 GROUP BY d, direction, sender",
    )
    .bind(tenant)
    .bind(offset_ms)
    .bind(since)
    .fetch_all(&state.pool)
    .await?;
    for r in rows {
        let d: i64 = r.try_get("d")?;
        let direction: String = r.try_get("direction")?;
        let sender: String = r.try_get("sender")?;
        let n: i64 = r.try_get("n")?;
        let Some(day) = map.get_mut(&d) else { continue };
        if direction == "in" {
            day.messages_in += n;
        } else {
            day.messages_out += n;
            match sender.as_str() {
                "bot" => day.bot_replies += n,
                "agent" => day.human_replies += n,
                _ => {}
            }
        }
    }
    let rows = sqlx::query(
        "SELECT (sent_at + $2) / 86400000 AS d, COUNT(*) AS n FROM campaign_recipients \
         WHERE tenant_id = $1 AND sent_at IS NOT NULL AND sent_at >= $3 GROUP BY d",
    )
    .bind(tenant)
    .bind(offset_ms)
    .bind(since)
    .fetch_all(&state.pool)
    .await?;
    for r in rows {
        let d: i64 = r.try_get("d")?;
        let n: i64 = r.try_get("n")?;
        if let Some(day) = map.get_mut(&d) {
            day.campaign_sent += n;
            day.messages_out += n;
        }
    }
    let rows = sqlx::query(
        "SELECT (created_at + $2) / 86400000 AS d, COUNT(*) AS n, \
         COALESCE(CAST(SUM(input_tokens + output_tokens) AS BIGINT), 0) AS t FROM llm_usage \
         WHERE tenant_id = $1 AND created_at >= $3 GROUP BY d",
    )
    .bind(tenant)
    .bind(offset_ms)
    .bind(since)
    .fetch_all(&state.pool)
    .await?;
    for r in rows {
        let d: i64 = r.try_get("d")?;
        if let Some(day) = map.get_mut(&d) {
            day.ai_requests += r.try_get::<i64, _>("n")?;
            day.ai_tokens += r.try_get::<i64, _>("t")?;
        }
    }
    let (top, top_keywords) = if tops {
        let top: Vec<(String, i64)> = sqlx::query_as(
            "SELECT LOWER(body) AS t, COUNT(*) AS n FROM messages \
             WHERE tenant_id = $1 AND direction = 'in' AND created_at >= $2 AND body IS NOT NULL AND body <> '' \
             GROUP BY LOWER(body) ORDER BY n DESC, t LIMIT 10",
        )
        .bind(tenant)
        .bind(since)
        .fetch_all(&state.pool)
        .await?;
        let keywords = top_keywords(
            state,
            tenant,
            &day_label(first_day),
            &day_label(today),
            top_n,
        )
        .await?;
        (top, keywords)
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
            totals.messages_in += day.messages_in;
            totals.messages_out += day.messages_out;
            totals.bot_replies += day.bot_replies;
            totals.human_replies += day.human_replies;
            totals.campaign_sent += day.campaign_sent;
            totals.ai_requests += day.ai_requests;
            totals.ai_tokens += day.ai_tokens;
            day
        })
        .collect();
    Ok(Overview {
        days,
        totals,
        top_keywords,
        top_inbound_texts: top
            .into_iter()
            .map(|(text, count)| TextCount { text, count })
            .collect(),
    })
}

/// The vendor's traffic per day.
#[utoipa::path(get, path = "/api/v1/analytics/overview", tag = "analytics",
    security(("session" = []), ("api_key" = [])),
    params(OverviewQuery),
    responses(
        (status = 200, description = "Overview", body = inline(Data<Overview>)),
        (status = 400, description = "Bad period or time zone", body = ErrorBody)))]
async fn overview(
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
async fn overview_export(
    State(state): State<AppState>,
    member: CurrentMember,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, AppError> {
    let format = ExportFormat::from_query(q.format.as_deref())?;
    let o = build_overview(&state, &member.tenant_id, &q).await?;
    let header: Vec<String> = [
        "date",
        "messages_in",
        "messages_out",
        "bot_replies",
        "human_replies",
        "campaign_sent",
        "ai_requests",
        "ai_tokens",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
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
    let kw_header = vec!["keyword".to_owned(), "hits".to_owned()];
    let kw_rows: Vec<Vec<String>> = o
        .top_keywords
        .iter()
        .map(|k| vec![k.keyword.clone(), k.hits.to_string()])
        .collect();
    export::download(
        format,
        "overview",
        vec![
            Table::new("Ringkasan", header, rows),
            Table::new("Kata kunci", kw_header, kw_rows),
        ],
    )
    .await
}
