//! The analytics answers and queries, and the pure arithmetic over them.

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::campaigns::Counts;
use crate::domain::CampaignId;

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
    pub campaign_id: CampaignId,
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

/// Export format.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FormatQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
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

/// One day in milliseconds.
pub(crate) const DAY_MS: i64 = 86_400_000;

impl Day {
    /// Adds another day's figures to this one.
    pub(crate) fn add(&mut self, other: &Day) {
        self.messages_in += other.messages_in;
        self.messages_out += other.messages_out;
        self.bot_replies += other.bot_replies;
        self.human_replies += other.human_replies;
        self.campaign_sent += other.campaign_sent;
        self.ai_requests += other.ai_requests;
        self.ai_tokens += other.ai_tokens;
    }
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01, vendor-local).
pub(crate) fn day_label(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// An RFC 3339 time (seconds, UTC) of unix ms, empty for none.
pub(crate) fn ms_text(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}
