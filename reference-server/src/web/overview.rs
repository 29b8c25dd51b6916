//! `GET /console/overview`: the vendor's figures as server-rendered SVG
//! charts: marketplace sales per day (the sales report of
//! `marketplace::sales`), messages per day in and out, delivery and read
//! rates and the results of the latest campaigns, AI usage per day. The figures are the
//! analytics API's (`analytics::traffic`, `analytics::rates`) and
//! the campaigns' own counts. The daily traffic is reused for a few
//! seconds per vendor (see [`TRAFFIC_TTL`]).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::charts::{self, Chart, Row, Series};
use super::page::{Chrome, PageResult, render};
use super::session::Console;
use crate::AppState;
use crate::analytics::{self, Overview, OverviewQuery};
use crate::auth::Role;
use crate::campaigns::Counts;
use crate::domain::TenantId;
use crate::http::AppError;
use crate::http::i18n::Lang;

/// How many of the latest campaigns the overview shows.
const CAMPAIGNS: i64 = 6;

/// How long a vendor's daily traffic figures are reused: counting a busy
/// month of messages costs milliseconds of database time, and a chart of
/// days does not need to be younger than this.
const TRAFFIC_TTL: Duration = Duration::from_secs(15);

/// Most vendors whose figures are kept; past it, expired ones are dropped
/// first and then the map is cleared.
const TRAFFIC_KEPT: usize = 10_000;

/// A vendor and a number of days.
type TrafficKey = (String, i64);

/// Figures and when they were computed.
type Computed = (Instant, Arc<Overview>);

/// The daily traffic figures computed lately, per vendor and period.
static TRAFFIC: LazyLock<Mutex<HashMap<TrafficKey, Computed>>> = LazyLock::new(Mutex::default);

/// The vendor's traffic over `days`, computed at most every
/// [`TRAFFIC_TTL`] per vendor and period.
async fn traffic(
    state: &AppState,
    tenant: &TenantId,
    days: i64,
) -> Result<Arc<Overview>, AppError> {
    let key = (tenant.as_str().to_owned(), days);
    let now = Instant::now();
    if let Ok(map) = TRAFFIC.lock()
        && let Some((at, o)) = map.get(&key)
        && now.duration_since(*at) < TRAFFIC_TTL
    {
        return Ok(Arc::clone(o));
    }
    let q = OverviewQuery {
        days: Some(days),
        time_zone: None,
        top: Some(1),
        format: None,
    };
    let o = Arc::new(analytics::traffic(state, tenant, &q).await?);
    if let Ok(mut map) = TRAFFIC.lock() {
        if map.len() >= TRAFFIC_KEPT {
            map.retain(|_, (at, _)| now.duration_since(*at) < TRAFFIC_TTL);
            if map.len() >= TRAFFIC_KEPT {
                map.clear();
            }
        }
        map.insert(key, (now, Arc::clone(&o)));
    }
    Ok(o)
}

/// A figure of the period, with its label.
struct Stat {
    label: &'static str,
    value: i64,
}

#[derive(Template)]
#[template(path = "web/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    days: i64,
    stats: Vec<Stat>,
    messages: Chart,
    rates: Chart,
    campaigns: Chart,
    ai: Chart,
    ai_tokens: i64,
    ai_requests: i64,
    sales: super::sales::SalesCharts,
    sales_total: String,
    sales_orders: i64,
}

/// The vendor's marketplace sales per day over the last `days` days of
/// its calendar.
async fn sales(
    state: &AppState,
    c: &Console,
    days: i64,
) -> Result<crate::marketplace::sales::model::SalesReport, AppError> {
    use crate::marketplace::sales;
    let tz = sales::time_zone(&state.pool, c.member.tenant()).await?;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let from = today - chrono::Days::new(u64::try_from(days - 1).unwrap_or(0));
    let q = sales::model::SalesQuery {
        period: Some("day".to_owned()),
        from: Some(from.to_string()),
        to: Some(today.to_string()),
        format: None,
    };
    sales::vendor_report(state, &c.member, &q).await
}

#[derive(Debug, Deserialize)]
pub(super) struct Period {
    days: Option<i64>,
}

/// The periods the page offers; anything else is the default.
const PERIODS: [i64; 3] = [7, 30, 90];

/// The campaign results shown per campaign, in drawing order.
fn result_segments(c: &Counts) -> Vec<(i64, usize)> {
    let read = c.read;
    let delivered = (c.delivered - c.read).max(0);
    let sent = (c.sent - c.delivered.max(c.read)).max(0);
    vec![
        (read, 0),
        (delivered, 1),
        (sent, 2),
        (c.failed, 3),
        (c.queued + c.sending, 4),
    ]
}

fn result_names(lang: Lang) -> Vec<String> {
    [
        lang.t("dibaca", "read"),
        lang.t("sampai", "delivered"),
        lang.t("terkirim", "sent"),
        lang.t("gagal", "failed"),
        lang.t("antre", "queued"),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `GET /console/overview?days=7|30|90`.
pub(super) async fn overview(
    State(state): State<AppState>,
    c: Console,
    Query(p): Query<Period>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let lang = c.chrome.lang;
    let days = p.days.filter(|d| PERIODS.contains(d)).unwrap_or(30);
    let o = traffic(&state, &c.member.tenant_id, days).await?;
    let sold = sales(&state, &c, days).await?;
    let dates: Vec<String> = o
        .days
        .iter()
        .map(|d| d.date.get(5..).unwrap_or(&d.date).to_owned())
        .collect();
    let every = (dates.len() / 6).max(1);
    let messages = charts::columns(
        &dates,
        &[
            Series {
                name: lang.t("masuk", "in").to_owned(),
                values: o.days.iter().map(|d| d.messages_in).collect(),
            },
            Series {
                name: lang.t("keluar", "out").to_owned(),
                values: o.days.iter().map(|d| d.messages_out).collect(),
            },
        ],
        every,
    );
    let ai = charts::columns(
        &dates,
        &[Series {
            name: lang.t("permintaan AI", "AI requests").to_owned(),
            values: o.days.iter().map(|d| d.ai_requests).collect(),
        }],
        every,
    );

    let rows = crate::campaigns::list(&state.pool, c.member.tenant(), None, CAMPAIGNS, 0).await?;
    let mut results = Vec::with_capacity(rows.len());
    let mut sum = Counts::default();
    for row in rows {
        let v = crate::campaigns::load(&state, &c.member.tenant_id, row.id.as_str()).await?;
        let k = &v.counts;
        sum.sent += k.sent;
        sum.delivered += k.delivered;
        sum.read += k.read;
        sum.replied += k.replied;
        sum.failed += k.failed;
        results.push(Row {
            label: v.name.clone(),
            segments: result_segments(k),
        });
    }
    let campaigns = charts::rows(&results, &result_names(lang), None, "");
    let r = analytics::rates(&sum);
    let pct = |x: f64| (x * 100.0).round() as i64;
    let rate_rows = [
        (lang.t("Sampai ke ponsel", "Delivered"), r.delivered, 1),
        (lang.t("Dibaca", "Read"), r.read, 0),
        (lang.t("Dibalas", "Replied"), r.replied, 2),
        (lang.t("Gagal", "Failed"), r.failed, 3),
    ]
    .map(|(label, rate, k)| Row {
        label: format!("{label} {}%", pct(rate)),
        segments: vec![(pct(rate), k)],
    });
    let rate_names = [
        lang.t("dibaca", "read"),
        lang.t("sampai", "delivered"),
        lang.t("dibalas", "replied"),
        lang.t("gagal", "failed"),
    ]
    .map(str::to_owned);
    let rates = charts::rows(&rate_rows, &rate_names, Some(100), "%");
    let t = &o.totals;
    let stats = vec![
        Stat {
            label: lang.t("Pesan masuk", "Messages in"),
            value: t.messages_in,
        },
        Stat {
            label: lang.t("Pesan keluar", "Messages out"),
            value: t.messages_out,
        },
        Stat {
            label: lang.t("Balasan bot", "Bot replies"),
            value: t.bot_replies,
        },
        Stat {
            label: lang.t("Balasan agen", "Agent replies"),
            value: t.human_replies,
        },
    ];
    Ok(render(&OverviewPage {
        sales: super::sales::sales_charts(&sold.buckets, lang),
        sales_total: super::format::rupiah(sold.total_revenue_idr),
        sales_orders: sold.total_orders,
        chrome: c.chrome.at("overview"),
        days,
        stats,
        messages,
        rates,
        campaigns,
        ai,
        ai_tokens: t.ai_tokens,
        ai_requests: t.ai_requests,
    })?
    .into_response())
}
