//! Analytics: per campaign (counts, rates, timeline, per-recipient report)
//! and per vendor (messages in and out per day, bot vs human replies,
//! campaign sends, AI usage, top matched bot keywords, most frequent
//! inbound texts), as JSON or as CSV / XLSX downloads.
//!
//! Tables: none of its own. The figures come from the features that own
//! them: `campaigns` (the recipients' timestamps), `inbox` (`messages`:
//! `direction` in/out, `sender` contact/bot/agent/api/system), `bots`
//! (`llm_usage` and `bot_keyword_hits`, hits per vendor-local day and
//! matched rule id) and `tenants` (the vendor's time zone).

mod http;

pub(crate) use http::{report_file, traffic};
pub mod model;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub use model::{
    Bucket, CampaignAnalytics, Day, FormatQuery, KeywordCount, Overview, OverviewQuery, Rates,
    TextCount, TimelineQuery, rates,
};

/// The analytics routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::campaign_analytics))
        .routes(routes!(http::campaign_report))
        .routes(routes!(http::overview))
        .routes(routes!(http::overview_export))
}
