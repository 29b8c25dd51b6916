//! SQL on `campaigns`, `campaign_devices` and the vendor-facing side of
//! `campaign_recipients` (the sender's side is in [`super::queue`]).
//! Every statement is scoped by tenant.

use sqlx::{AnyPool, Transaction};

use super::model::{
    Audience, CampaignDeviceRow, CampaignRow, CampaignStatus, Counts, DeviceAssignment, QueueState,
    RecipientEvent, RecipientRow, RecipientStage, SentRecipient,
};
use super::pacing;
use crate::db::BucketCount;
use crate::domain::{CampaignId, ContactId, DeviceId, RecipientId, TemplateId, TenantId};

type Tx = Transaction<'static, sqlx::Any>;

/// The columns of [`CampaignRow`].
const CAMPAIGN: &str = "id, name, status, template_id, audience, time_zone, scheduled_at, \
     followup_template_id, followup_after_ms, total, created_at, started_at, finished_at";

/// The columns of [`RecipientRow`].
pub(crate) const RECIPIENT: &str = "contact_id, phone, stage, device_id, state, attempts, \
     provider_message_id, used_template, error, not_before, sent_at, delivered_at, read_at, \
     replied_at, failed_at";

/// One of the tenant's campaigns.
pub(crate) async fn get(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &CampaignId,
) -> Result<Option<CampaignRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {CAMPAIGN} FROM campaigns WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// A page of the tenant's campaigns, newest first; `status` `None`: all.
pub(crate) async fn list(
    pool: &AnyPool,
    tenant_id: &TenantId,
    status: Option<CampaignStatus>,
    limit: i64,
    offset: i64,
) -> Result<Vec<CampaignRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {CAMPAIGN} FROM campaigns WHERE tenant_id = $1 AND ($2 = '' OR status = $2) \
         ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
    ))
    .bind(tenant_id)
    .bind(status.map_or("", CampaignStatus::as_str))
    .fetch_all(pool)
    .await
}

/// The sending devices of a campaign, by device id.
pub(crate) async fn devices(
    pool: &AnyPool,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
) -> Result<Vec<CampaignDeviceRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT device_id, weight, rate_per_minute, delay_min_ms, delay_max_ms, daily_cap \
         FROM campaign_devices WHERE tenant_id = $1 AND campaign_id = $2 ORDER BY device_id",
    )
    .bind(tenant_id)
    .bind(campaign_id)
    .fetch_all(pool)
    .await
}

/// One sending device of a campaign.
pub(crate) async fn device(
    pool: &AnyPool,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    device_id: &DeviceId,
) -> Result<Option<CampaignDeviceRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT device_id, weight, rate_per_minute, delay_min_ms, delay_max_ms, daily_cap \
         FROM campaign_devices WHERE tenant_id = $1 AND campaign_id = $2 AND device_id = $3",
    )
    .bind(tenant_id)
    .bind(campaign_id)
    .bind(device_id)
    .fetch_optional(pool)
    .await
}

/// Status counts of a campaign's rows of one stage.
pub(crate) async fn counts(
    pool: &AnyPool,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    stage: RecipientStage,
) -> Result<Counts, sqlx::Error> {
    sqlx::query_as(
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
    .await
}

/// A campaign to insert as a draft.
#[derive(Debug)]
pub(crate) struct NewCampaign<'a> {
    pub(crate) id: &'a CampaignId,
    pub(crate) name: &'a str,
    pub(crate) template_id: &'a TemplateId,
    /// The audience as JSON.
    pub(crate) audience: &'a str,
    pub(crate) time_zone: &'a str,
    pub(crate) scheduled_at: Option<i64>,
    /// Follow-up template and delay in milliseconds.
    pub(crate) followup: Option<(&'a TemplateId, i64)>,
    pub(crate) devices: &'a [DeviceAssignment],
    pub(crate) now: i64,
}

/// Inserts a draft campaign and its devices.
pub(crate) async fn insert(
    tx: &mut Tx,
    tenant_id: &TenantId,
    c: &NewCampaign<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO campaigns (id, tenant_id, name, template_id, audience, status, time_zone, scheduled_at, \
         followup_template_id, followup_after_ms, total, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $11)",
    )
    .bind(c.id)
    .bind(tenant_id)
    .bind(c.name)
    .bind(c.template_id)
    .bind(c.audience)
    .bind(CampaignStatus::Draft)
    .bind(c.time_zone)
    .bind(c.scheduled_at)
    .bind(c.followup.map(|f| f.0))
    .bind(c.followup.map(|f| f.1))
    .bind(c.now)
    .execute(&mut **tx)
    .await?;
    for d in c.devices {
        sqlx::query(
            "INSERT INTO campaign_devices (campaign_id, tenant_id, device_id, weight, rate_per_minute, delay_min_ms, \
             delay_max_ms, daily_cap) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.id)
        .bind(tenant_id)
        .bind(&d.device_id)
        .bind(d.weight)
        .bind(d.rate_per_minute)
        .bind(d.delay_min_ms)
        .bind(d.delay_max_ms)
        .bind(d.daily_cap)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Deletes a draft campaign and its devices.
pub(crate) async fn delete_draft(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &CampaignId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM campaign_devices WHERE tenant_id = $1 AND campaign_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM campaigns WHERE tenant_id = $1 AND id = $2 AND status = $3")
        .bind(tenant_id)
        .bind(id)
        .bind(CampaignStatus::Draft)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Enqueues the audience of a campaign: one `INSERT ... SELECT` assigning
/// devices by weight. Returns the number of rows enqueued.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    audience: &Audience,
    devices: &[(String, i64)],
    not_before: i64,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let (case, ids) = pacing::weighted_case("a.rn", devices, 5);
    let (rows, binds) = crate::contacts::store::audience_rows_sql(audience, 5 + ids.len());
    let sql = format!(
        "INSERT INTO campaign_recipients (id, tenant_id, campaign_id, contact_id, phone, device_id, stage, state, \
         not_before, attempts, used_template, created_at) \
         SELECT $2 || ':' || a.id, $1, $2, a.id, a.phone, {case}, 'main', 'queued', $3, 0, 0, $4 \
         FROM ({rows}) a \
         WHERE 1 = 1 ON CONFLICT DO NOTHING"
    );
    let mut q = sqlx::query(&sql)
        .bind(tenant_id)
        .bind(campaign_id)
        .bind(not_before)
        .bind(now);
    for id in &ids {
        q = q.bind(id);
    }
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
}

/// Moves a draft to `status` (`scheduled` or `running`) with its total.
/// Returns whether it was still a draft.
pub(crate) async fn mark_started(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &CampaignId,
    status: CampaignStatus,
    total: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE campaigns SET status = $1, total = $2, started_at = $3, updated_at = $3 \
         WHERE tenant_id = $4 AND id = $5 AND status = $6",
    )
    .bind(status)
    .bind(total)
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .bind(CampaignStatus::Draft)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Moves a campaign in one of the `from` states to `to`, setting
/// `finished_at` when given. Returns whether it was in one of them.
pub(crate) async fn change_status(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &CampaignId,
    from: &[CampaignStatus],
    to: CampaignStatus,
    now: i64,
    finished_at: Option<i64>,
) -> Result<bool, sqlx::Error> {
    // The states are the enum's fixed texts, safe to inline.
    let list = from
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let n = sqlx::query(&format!(
        "UPDATE campaigns SET status = $1, updated_at = $2, finished_at = COALESCE($3, finished_at) \
         WHERE tenant_id = $4 AND id = $5 AND status IN ({list})"
    ))
    .bind(to)
    .bind(now)
    .bind(finished_at)
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Sets a campaign's status.
pub(crate) async fn set_status(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &CampaignId,
    status: CampaignStatus,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaigns SET status = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
    )
    .bind(status)
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Cancels every queued row of a cancelled campaign. Returns how many
/// first messages were cancelled (their quota goes back).
pub(crate) async fn cancel_queued(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &CampaignId,
) -> Result<u64, sqlx::Error> {
    let main = sqlx::query(
        "UPDATE campaign_recipients SET state = 'cancelled', error = 'campaign cancelled' \
         WHERE tenant_id = $1 AND campaign_id = $2 AND state = 'queued' AND stage = 'main'",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE campaign_recipients SET state = 'cancelled', error = 'campaign cancelled' \
         WHERE tenant_id = $1 AND campaign_id = $2 AND state = 'queued'",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(main)
}

/// A page of a campaign's recipient rows of one stage, optionally in one
/// queue state.
pub(crate) async fn recipients(
    pool: &AnyPool,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    stage: RecipientStage,
    state: Option<QueueState>,
    limit: i64,
    offset: i64,
) -> Result<Vec<RecipientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {RECIPIENT} FROM campaign_recipients WHERE tenant_id = $1 AND campaign_id = $2 \
         AND stage = $3 AND ($4 = '' OR state = $4) ORDER BY id LIMIT {limit} OFFSET {offset}"
    ))
    .bind(tenant_id)
    .bind(campaign_id)
    .bind(stage)
    .bind(state.map_or("", QueueState::as_str))
    .fetch_all(pool)
    .await
}

/// Every recipient row of a campaign, first messages then follow-ups.
pub async fn recipient_report(
    pool: &AnyPool,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
) -> Result<Vec<RecipientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {RECIPIENT} FROM campaign_recipients WHERE tenant_id = $1 AND campaign_id = $2 \
         ORDER BY stage, id"
    ))
    .bind(tenant_id)
    .bind(campaign_id)
    .fetch_all(pool)
    .await
}

/// How many first messages of the campaign had `event` in each bucket of
/// `bucket_ms` (bucket start, unix ms), oldest first.
pub async fn event_timeline(
    pool: &AnyPool,
    tenant_id: &TenantId,
    campaign_id: &CampaignId,
    event: RecipientEvent,
    bucket_ms: i64,
) -> Result<Vec<BucketCount>, sqlx::Error> {
    let col = event.column();
    sqlx::query_as(&format!(
        "SELECT ({col} / {bucket_ms}) * {bucket_ms} AS b, COUNT(*) AS n FROM campaign_recipients \
         WHERE tenant_id = $1 AND campaign_id = $2 AND stage = 'main' AND {col} IS NOT NULL GROUP BY b ORDER BY b"
    ))
    .bind(tenant_id)
    .bind(campaign_id)
    .fetch_all(pool)
    .await
}

/// Campaign messages the vendor sent since `since` (unix ms), per day
/// number of `(sent_at + offset_ms) / 1 day`.
pub async fn sent_per_day(
    pool: &AnyPool,
    tenant_id: &TenantId,
    offset_ms: i64,
    since: i64,
) -> Result<Vec<BucketCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT (sent_at + $2) / 86400000 AS b, COUNT(*) AS n FROM campaign_recipients \
         WHERE tenant_id = $1 AND sent_at IS NOT NULL AND sent_at >= $3 GROUP BY b",
    )
    .bind(tenant_id)
    .bind(offset_ms)
    .bind(since)
    .fetch_all(pool)
    .await
}

/// How many of the tenant's unfinished campaigns (draft, scheduled,
/// running, paused) use the template, as first message or follow-up.
pub async fn unfinished_using_template(
    pool: &AnyPool,
    tenant_id: &TenantId,
    template_id: &TemplateId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaigns WHERE tenant_id = $1 AND (template_id = $2 OR followup_template_id = $2) \
         AND status IN ('draft', 'scheduled', 'running', 'paused')",
    )
    .bind(tenant_id)
    .bind(template_id)
    .fetch_one(pool)
    .await
}

/// Marks the vendor's sent message with this provider id delivered (and
/// read when `read`). Returns the number of rows changed.
pub(crate) async fn mark_delivered(
    pool: &AnyPool,
    tenant_id: &TenantId,
    provider_message_id: &str,
    read: bool,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let read = if read {
        "read_at = COALESCE(read_at, $1), "
    } else {
        ""
    };
    Ok(sqlx::query(&format!(
        "UPDATE campaign_recipients SET {read}delivered_at = COALESCE(delivered_at, $1) \
         WHERE tenant_id = $2 AND provider_message_id = $3 AND state = 'sent'"
    ))
    .bind(now)
    .bind(tenant_id)
    .bind(provider_message_id)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Applies a status to the message with this provider id, whichever
/// vendor sent it: see [`super::on_status`].
pub(crate) async fn apply_status_any_tenant(
    pool: &AnyPool,
    provider_message_id: &str,
    status: &str,
    error: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let q = match status {
        "delivered" => sqlx::query(
            "UPDATE campaign_recipients SET delivered_at = COALESCE(delivered_at, $1) \
             WHERE provider_message_id = $2 AND state = 'sent'",
        )
        .bind(now)
        .bind(provider_message_id),
        "read" => sqlx::query(
            "UPDATE campaign_recipients SET read_at = COALESCE(read_at, $1), delivered_at = COALESCE(delivered_at, $1) \
             WHERE provider_message_id = $2 AND state = 'sent'",
        )
        .bind(now)
        .bind(provider_message_id),
        "failed" => sqlx::query(
            "UPDATE campaign_recipients SET state = 'failed', failed_at = $1, error = $2 \
             WHERE provider_message_id = $3 AND state = 'sent' AND delivered_at IS NULL",
        )
        .bind(now)
        .bind(error)
        .bind(provider_message_id),
        _ => return Ok(0),
    };
    Ok(q.execute(pool).await?.rows_affected())
}

/// The vendor's sent, undelivered row with this provider message id, with
/// its campaign's status and the template of its stage.
pub(crate) async fn sent_recipient(
    pool: &AnyPool,
    tenant_id: &TenantId,
    provider_message_id: &str,
) -> Result<Option<SentRecipient>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id, r.stage, r.used_template, c.status AS campaign_status, \
         CASE WHEN r.stage = 'followup' THEN c.followup_template_id ELSE c.template_id END AS template_id \
         FROM campaign_recipients r \
         JOIN campaigns c ON c.id = r.campaign_id AND c.tenant_id = r.tenant_id \
         WHERE r.tenant_id = $1 AND r.provider_message_id = $2 AND r.state = 'sent' AND r.delivered_at IS NULL",
    )
    .bind(tenant_id)
    .bind(provider_message_id)
    .fetch_optional(pool)
    .await
}

/// Runs the completed campaign of a requeued row again.
pub(crate) async fn reopen_completed(
    tx: &mut Tx,
    tenant_id: &TenantId,
    recipient_id: &RecipientId,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaigns SET status = 'running', finished_at = NULL, updated_at = $1 \
         WHERE tenant_id = $2 AND id = (SELECT campaign_id FROM campaign_recipients WHERE id = $3) \
         AND status = 'completed'",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(recipient_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Fails a sent, undelivered row with the provider's error. Returns the
/// number of rows changed.
pub(crate) async fn fail_sent(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &RecipientId,
    provider_message_id: &str,
    error: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE campaign_recipients SET state = 'failed', failed_at = $1, error = $2 \
         WHERE tenant_id = $3 AND id = $4 AND provider_message_id = $5 AND state = 'sent' AND delivered_at IS NULL",
    )
    .bind(now)
    .bind(error)
    .bind(tenant_id)
    .bind(id)
    .bind(provider_message_id)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Cancels one queued row (a follow-up whose first message failed).
pub(crate) async fn cancel_queued_row(
    tx: &mut Tx,
    tenant_id: &TenantId,
    id: &RecipientId,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaign_recipients SET state = 'cancelled', error = $1 \
         WHERE tenant_id = $2 AND id = $3 AND state = 'queued'",
    )
    .bind(reason)
    .bind(tenant_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks the messages sent to `phone` since `since` replied. Returns how
/// many.
pub(crate) async fn mark_replied(
    pool: &AnyPool,
    tenant_id: &TenantId,
    phone: &str,
    since: i64,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE campaign_recipients SET replied_at = $1 \
         WHERE tenant_id = $2 AND phone = $3 AND sent_at IS NOT NULL AND sent_at >= $4 AND replied_at IS NULL",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(phone)
    .bind(since)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Cancels the queued follow-ups to `phone`: the recipient replied.
pub(crate) async fn cancel_followups_to(
    pool: &AnyPool,
    tenant_id: &TenantId,
    phone: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaign_recipients SET state = 'cancelled', error = 'replied' \
         WHERE tenant_id = $1 AND phone = $2 AND stage = 'followup' AND state = 'queued'",
    )
    .bind(tenant_id)
    .bind(phone)
    .execute(pool)
    .await?;
    Ok(())
}

/// Cancels a contact's queued rows with a reason. Returns how many.
pub(crate) async fn cancel_queued_for_contact(
    pool: &AnyPool,
    tenant_id: &TenantId,
    contact_id: &ContactId,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE campaign_recipients SET state = 'cancelled', error = $1 \
         WHERE tenant_id = $2 AND contact_id = $3 AND state = 'queued'",
    )
    .bind(reason)
    .bind(tenant_id)
    .bind(contact_id)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Whether the main row of a follow-up was replied to.
pub(crate) async fn replied(
    pool: &AnyPool,
    tenant_id: &TenantId,
    id: &RecipientId,
) -> Result<bool, sqlx::Error> {
    let replied: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT replied_at FROM campaign_recipients WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant_id)
    .fetch_optional(pool)
    .await?;
    Ok(matches!(replied, Some(Some(_))))
}

/// A contact's row in one of the tenant's campaigns.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ContactRecipientRow {
    /// The campaign.
    pub(crate) campaign_id: CampaignId,
    /// The row.
    #[sqlx(flatten)]
    pub(crate) row: RecipientRow,
}

/// A contact's rows in the tenant's campaigns, oldest first.
pub(crate) async fn rows_of_contact(
    pool: &AnyPool,
    tenant_id: &TenantId,
    contact_id: &ContactId,
) -> Result<Vec<ContactRecipientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT campaign_id, {RECIPIENT} FROM campaign_recipients \
         WHERE tenant_id = $1 AND contact_id = $2 ORDER BY created_at, id"
    ))
    .bind(tenant_id)
    .bind(contact_id)
    .fetch_all(pool)
    .await
}

/// Deletes a contact's rows in the tenant's campaigns; answers how many.
pub(crate) async fn erase_rows_of_contact(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    contact_id: &ContactId,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM campaign_recipients WHERE tenant_id = $1 AND contact_id = $2")
            .bind(tenant_id)
            .bind(contact_id)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}

/// Deletes every campaign of a tenant with its devices, recipients and
/// the sending leases of its devices.
pub(crate) async fn purge_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM campaign_recipients WHERE tenant_id = $1",
        "DELETE FROM campaign_device_leases WHERE device_id IN \
         (SELECT device_id FROM campaign_devices WHERE tenant_id = $1)",
        "DELETE FROM campaign_devices WHERE tenant_id = $1",
        "DELETE FROM campaigns WHERE tenant_id = $1",
    ] {
        sqlx::query(sql).bind(tenant_id).execute(&mut *conn).await?;
    }
    Ok(())
}
