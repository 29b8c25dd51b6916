//! The campaigns' types: requests and answers, stored states, row types
//! and the pure validation of a new campaign.

// utoipa's `IntoParams` expansion for `Query<T>` arguments writes fully
// qualified paths that trip this lint.
#![allow(unused_qualifications)]

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::contacts::Audience;
use crate::domain::{CampaignId, ContactId, DeviceId, RecipientId, TemplateId};
use crate::http::AppError;
use crate::http::i18n::{Text, tr};

crate::text_enum! {
    /// Where a campaign is in its life cycle (`campaigns.status`).
    pub enum CampaignStatus {
        /// Created, not started; can be edited away (deleted).
        Draft = "draft",
        /// Started with a schedule time still to come.
        Scheduled = "scheduled",
        /// Sending.
        Running = "running",
        /// Paused by the vendor (or because the vendor is inactive).
        Paused = "paused",
        /// Nothing left to send.
        Completed = "completed",
        /// Cancelled by the vendor.
        Cancelled = "cancelled",
    }
}

impl CampaignStatus {
    /// The statuses a vendor's pause (to `Paused`), resume (to `Running`)
    /// or cancel (to `Cancelled`) moves a campaign from; none for the
    /// other targets, which the sender and the start reach on their own.
    pub(crate) fn reached_from(self) -> &'static [CampaignStatus] {
        use CampaignStatus::{Cancelled, Draft, Paused, Running, Scheduled};
        match self {
            Paused => &[Running, Scheduled],
            Running => &[Paused],
            Cancelled => &[Draft, Scheduled, Running, Paused],
            _ => &[],
        }
    }
}

crate::text_enum! {
    /// The queue state of a recipient row (`campaign_recipients.state`).
    pub enum QueueState {
        /// Waiting for its `not_before` time and a sender.
        Queued = "queued",
        /// Claimed by a sender; the provider may be answering right now.
        Sending = "sending",
        /// Accepted by the provider.
        Sent = "sent",
        /// Failed (provider error, or the outcome could not be known).
        Failed = "failed",
        /// Left out: the contact opted out after enqueueing.
        Skipped = "skipped",
        /// Dropped: campaign cancelled, contact deleted, reply before a
        /// follow-up, first message failed.
        Cancelled = "cancelled",
    }
}

crate::text_enum! {
    /// Which message of a campaign a recipient row is (`campaign_recipients.stage`).
    pub enum RecipientStage {
        /// The campaign's message.
        Main = "main",
        /// The follow-up to recipients who did not reply.
        Followup = "followup",
    }
}

crate::text_enum! {
    /// The status of one recipient as shown: the queue state, and for sent
    /// rows the furthest of delivered, read and replied.
    pub enum RecipientStatus {
        /// Waiting to be sent.
        Queued = "queued",
        /// Being sent right now.
        Sending = "sending",
        /// Accepted by the provider.
        Sent = "sent",
        /// Delivered to the phone.
        Delivered = "delivered",
        /// Read.
        Read = "read",
        /// The recipient wrote back.
        Replied = "replied",
        /// Failed.
        Failed = "failed",
        /// Skipped (opted out after enqueueing).
        Skipped = "skipped",
        /// Cancelled.
        Cancelled = "cancelled",
    }
}

impl RecipientStatus {
    /// The status of a row, most advanced first.
    pub fn of(state: QueueState, delivered: bool, read: bool, replied: bool) -> Self {
        match state {
            QueueState::Queued => Self::Queued,
            QueueState::Sending => Self::Sending,
            QueueState::Failed => Self::Failed,
            QueueState::Skipped => Self::Skipped,
            QueueState::Cancelled => Self::Cancelled,
            QueueState::Sent if replied => Self::Replied,
            QueueState::Sent if read => Self::Read,
            QueueState::Sent if delivered => Self::Delivered,
            QueueState::Sent => Self::Sent,
        }
    }
}

/// A sending device of a campaign, its rotation weight and pacing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceAssignment {
    /// The device (one of the vendor's).
    pub device_id: DeviceId,
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
    pub template_id: TemplateId,
    /// Minutes after the first message, 1..=10080 (7 days).
    pub after_minutes: i64,
}

/// A new campaign (created as a draft; start it with `/start`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCampaign {
    /// Name.
    pub name: String,
    /// The message template.
    pub template_id: TemplateId,
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

crate::text_enum! {
    /// A moment in a first campaign message's life, counted by the
    /// campaign timeline.
    pub enum RecipientEvent {
        /// Accepted by the provider.
        Sent = "sent",
        /// Delivered to the phone.
        Delivered = "delivered",
        /// Read.
        Read = "read",
        /// The recipient wrote back.
        Replied = "replied",
        /// Failed.
        Failed = "failed",
    }
}

impl RecipientEvent {
    /// The `campaign_recipients` column holding when it happened.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::Sent => "sent_at",
            Self::Delivered => "delivered_at",
            Self::Read => "read_at",
            Self::Replied => "replied_at",
            Self::Failed => "failed_at",
        }
    }
}

/// Per-recipient status counts (first messages; follow-ups separately).
#[derive(Debug, Clone, Default, Serialize, ToSchema, sqlx::FromRow)]
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
    #[sqlx(rename = "read_n")]
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
    pub id: CampaignId,
    /// Name.
    pub name: String,
    /// Where the campaign is in its life cycle.
    pub status: CampaignStatus,
    /// Template.
    pub template_id: TemplateId,
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

/// Paging of campaign lists.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Page size, 1..=500 (default 50).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
    /// Only this status (`draft`, `scheduled`, `running`, `paused`,
    /// `completed`, `cancelled`; any other value matches nothing).
    pub status: Option<String>,
}

/// One recipient of a campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecipientView {
    /// Contact.
    pub contact_id: ContactId,
    /// Number.
    pub phone: String,
    /// The first message or the follow-up.
    pub stage: RecipientStage,
    /// Device sending it.
    pub device_id: DeviceId,
    /// Where the message is.
    pub status: RecipientStatus,
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

/// Recipient filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecipientQuery {
    /// Only rows in this queue state (`queued`, `sending`, `sent`,
    /// `failed`, `skipped`, `cancelled`; any other value matches nothing).
    pub state: Option<String>,
    /// `main` (default) or `followup` (any other value matches nothing).
    pub stage: Option<String>,
    /// Page size, 1..=1000 (default 100).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// A `campaigns` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CampaignRow {
    pub(crate) id: CampaignId,
    pub(crate) name: String,
    pub(crate) status: CampaignStatus,
    pub(crate) template_id: TemplateId,
    /// The audience as JSON.
    pub(crate) audience: String,
    pub(crate) time_zone: String,
    pub(crate) scheduled_at: Option<i64>,
    pub(crate) followup_template_id: Option<TemplateId>,
    pub(crate) followup_after_ms: Option<i64>,
    pub(crate) total: i64,
    pub(crate) created_at: i64,
    pub(crate) started_at: Option<i64>,
    pub(crate) finished_at: Option<i64>,
}

/// A `campaign_devices` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CampaignDeviceRow {
    pub(crate) device_id: DeviceId,
    pub(crate) weight: i64,
    pub(crate) rate_per_minute: i64,
    pub(crate) delay_min_ms: i64,
    pub(crate) delay_max_ms: i64,
    pub(crate) daily_cap: Option<i64>,
}

/// The shown columns of a `campaign_recipients` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecipientRow {
    /// Contact.
    pub contact_id: ContactId,
    /// E.164 number.
    pub phone: String,
    /// First message or follow-up.
    pub stage: RecipientStage,
    /// Sending device.
    pub device_id: DeviceId,
    /// Queue state.
    pub state: QueueState,
    /// Tries so far.
    pub attempts: i64,
    /// Provider message id once sent.
    pub provider_message_id: Option<String>,
    /// 1 when sent as the mapped Cloud API template.
    pub used_template: i64,
    /// Last error.
    pub error: Option<String>,
    /// Not sent before (unix ms).
    pub not_before: i64,
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

impl From<RecipientRow> for RecipientView {
    fn from(r: RecipientRow) -> Self {
        Self {
            status: RecipientStatus::of(
                r.state,
                r.delivered_at.is_some(),
                r.read_at.is_some(),
                r.replied_at.is_some(),
            ),
            not_before: (r.state == QueueState::Queued).then_some(r.not_before),
            contact_id: r.contact_id,
            phone: r.phone,
            stage: r.stage,
            device_id: r.device_id,
            attempts: r.attempts,
            provider_message_id: r.provider_message_id,
            used_template: r.used_template != 0,
            error: r.error,
            sent_at: r.sent_at,
            delivered_at: r.delivered_at,
            read_at: r.read_at,
            replied_at: r.replied_at,
            failed_at: r.failed_at,
        }
    }
}

/// The row a failed-status webhook acts on: a sent, undelivered recipient
/// row with its campaign's status and the template it was sent from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SentRecipient {
    pub(crate) id: RecipientId,
    pub(crate) stage: RecipientStage,
    pub(crate) used_template: i64,
    pub(crate) campaign_status: CampaignStatus,
    pub(crate) template_id: Option<TemplateId>,
}

/// The id of the follow-up row of a first-message row.
pub(crate) fn followup_of(main: &RecipientId) -> RecipientId {
    RecipientId::from(format!("{main}:f"))
}

/// The id of the first-message row of a follow-up row.
pub(crate) fn main_of(followup: &RecipientId) -> RecipientId {
    RecipientId::from(followup.as_str().trim_end_matches(":f"))
}

/// 400 with a code.
fn bad(code: &'static str, msg: Text) -> AppError {
    AppError::bad_request(code, msg)
}

/// A campaign name: trimmed, 1 to 200 characters.
pub(crate) fn validate_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(bad(
            "invalid_name",
            Text::new(
                "nama harus terdiri dari 1 sampai 200 karakter",
                "the name must have 1 to 200 characters",
            ),
        ));
    }
    Ok(name.to_owned())
}

/// A follow-up delay: 1 to 10080 minutes; answers milliseconds.
pub(crate) fn validate_followup_delay(after_minutes: i64) -> Result<i64, AppError> {
    if !(1..=10_080).contains(&after_minutes) {
        return Err(bad(
            "invalid_followup",
            Text::new(
                "after_minutes harus 1..=10080",
                "after_minutes must be 1..=10080",
            ),
        ));
    }
    Ok(after_minutes * 60_000)
}

/// 1 to 20 distinct devices with weights, rates and delays in range.
pub(crate) fn validate_devices(devices: &[DeviceAssignment]) -> Result<(), AppError> {
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
        if !seen.insert(&d.device_id) {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn recipient_status_is_the_furthest_step() {
        use QueueState as Q;
        use RecipientStatus as S;
        assert_eq!(S::of(Q::Sent, true, true, true), S::Replied);
        assert_eq!(S::of(Q::Sent, true, true, false), S::Read);
        assert_eq!(S::of(Q::Sent, true, false, false), S::Delivered);
        assert_eq!(S::of(Q::Sent, false, false, false), S::Sent);
        assert_eq!(S::of(Q::Failed, true, false, false), S::Failed);
        assert_eq!(S::of(Q::Queued, false, false, true), S::Queued);
    }

    #[test]
    fn states_show_their_values_in_the_openapi_document() {
        let doc = serde_json::to_value(crate::http::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let values = |name: &str| schemas[name]["enum"].clone();
        assert_eq!(
            values("CampaignStatus"),
            serde_json::json!([
                "draft",
                "scheduled",
                "running",
                "paused",
                "completed",
                "cancelled"
            ])
        );
        assert_eq!(
            values("RecipientStatus"),
            serde_json::json!([
                "queued",
                "sending",
                "sent",
                "delivered",
                "read",
                "replied",
                "failed",
                "skipped",
                "cancelled"
            ])
        );
        assert_eq!(
            values("RecipientStage"),
            serde_json::json!(["main", "followup"])
        );
        // The answers refer to the enums rather than to plain strings.
        let text = doc.to_string();
        for name in ["CampaignStatus", "RecipientStatus", "RecipientStage"] {
            let reference = format!("\"#/components/schemas/{name}\"");
            assert!(text.contains(&reference), "{name} is not referred to");
        }
    }

    #[test]
    fn empty_audience_and_bad_devices_are_refused() {
        assert!(Audience::default().validate().is_err());
        let device = |id: &str| DeviceAssignment {
            device_id: DeviceId::from(id),
            weight: 1,
            rate_per_minute: 20,
            delay_min_ms: 0,
            delay_max_ms: 0,
            daily_cap: None,
            effective_rate_per_minute: None,
        };
        assert!(validate_devices(&[device("a"), device("b")]).is_ok());
        let err = validate_devices(&[device("a"), device("a")]).unwrap_err();
        assert_eq!(err.code(), "invalid_devices");
        assert!(validate_devices(&[]).is_err());
        assert_eq!(validate_followup_delay(2).ok(), Some(120_000));
        assert!(validate_followup_delay(0).is_err());
    }
}
