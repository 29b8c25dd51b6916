//! The durable send queue and the per-device leases, in SQL.
//!
//! Row states: `queued` -> `sending` (claimed: `claimed_at` and
//! `claim_token` written BEFORE the provider is called) -> `sent` (provider
//! message id recorded) or `failed`; `queued` -> `cancelled` / `skipped`.
//! A row goes back from `sending` to `queued` only when a new sender task
//! takes the device's lease and finds rows no live send owns (see
//! [`requeue_orphans`]). A `sent` row goes back to `queued` once, marked to
//! be sent as the mapped Cloud API template, when the provider reports the
//! 24-hour window closed after accepting it (see [`requeue_for_template`]).

use sqlx::AnyPool;

use super::model::{QueueState, RecipientStage, followup_of};
use crate::db::DbKind;
use crate::domain::{CampaignId, ContactId, DeviceId, RecipientId, TenantId};

/// A claimed queue row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Row id (`{campaign}:{contact}` or `...:f` for a follow-up).
    pub id: RecipientId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Campaign.
    pub campaign_id: CampaignId,
    /// Contact.
    pub contact_id: ContactId,
    /// E.164 number.
    pub phone: String,
    /// First message or follow-up.
    pub stage: RecipientStage,
    /// Tries so far, this one included.
    pub attempts: i64,
    /// Send the mapped Cloud API template instead of the free-form text
    /// (the provider reported the 24-hour window closed for the text).
    pub used_template: bool,
}

/// The row [`claim`] returns.
#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: RecipientId,
    tenant_id: TenantId,
    campaign_id: CampaignId,
    contact_id: ContactId,
    phone: String,
    stage: RecipientStage,
    attempts: i64,
    used_template: i64,
}

impl From<ClaimedRow> for Claimed {
    fn from(r: ClaimedRow) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            campaign_id: r.campaign_id,
            contact_id: r.contact_id,
            phone: r.phone,
            stage: r.stage,
            attempts: r.attempts,
            used_template: r.used_template != 0,
        }
    }
}

/// Takes the device's lease for `holder` when it is free, expired, or
/// already ours. Returns the persisted next send time when acquired.
pub async fn acquire_lease(
    pool: &AnyPool,
    device_id: &DeviceId,
    holder: &str,
    now: i64,
    lease_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO campaign_device_leases (device_id, holder, expires_at, next_send_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (device_id) DO UPDATE SET holder = $2, expires_at = $3 \
         WHERE campaign_device_leases.expires_at < $4 OR campaign_device_leases.holder = $2",
    )
    .bind(device_id)
    .bind(holder)
    .bind(now + lease_ms)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(None);
    }
    let next: Option<i64> = sqlx::query_scalar(
        "SELECT next_send_at FROM campaign_device_leases WHERE device_id = $1 AND holder = $2",
    )
    .bind(device_id)
    .bind(holder)
    .fetch_optional(pool)
    .await?;
    Ok(next)
}

/// Extends our lease and stores the pacing position. `false` when the
/// lease is no longer ours (it expired and another process took it).
pub async fn renew_lease(
    pool: &AnyPool,
    device_id: &DeviceId,
    holder: &str,
    now: i64,
    lease_ms: i64,
    next_send_at: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE campaign_device_leases SET expires_at = $1, next_send_at = $2 \
         WHERE device_id = $3 AND holder = $4 AND expires_at >= $5",
    )
    .bind(now + lease_ms)
    .bind(next_send_at)
    .bind(device_id)
    .bind(holder)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Gives the lease up (keeping the pacing position for the next holder).
pub async fn release_lease(
    pool: &AnyPool,
    device_id: &DeviceId,
    holder: &str,
    next_send_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaign_device_leases SET expires_at = 0, next_send_at = $1 WHERE device_id = $2 AND holder = $3",
    )
    .bind(next_send_at)
    .bind(device_id)
    .bind(holder)
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts back every row of the device left in `sending`: rows of an
/// earlier holder of its lease that died (or lost the lease) mid-send, and
/// rows of this process whose send result could not be written (the
/// database failed for longer than the sender's retries). Whether the
/// provider got those messages is unknown, so they are sent again
/// (at-least-once): these rows, and only these, may reach the recipient
/// twice. A row that has had `max_attempts` tries already fails instead,
/// so a result that can never be written cannot make the recipient get the
/// message over and over. Returns (requeued, failed).
///
/// Call right after acquiring the lease, before claiming: a device has at
/// most one sender task per process, and a task waits for all its sends
/// before it ends, so no live send of this process owns a `sending` row of
/// the device at that moment.
pub async fn requeue_orphans(
    pool: &AnyPool,
    device_id: &DeviceId,
    max_attempts: i64,
    now: i64,
) -> Result<(u64, u64), sqlx::Error> {
    let failed = sqlx::query(
        "UPDATE campaign_recipients SET state = 'failed', claim_token = NULL, failed_at = $1, \
         error = 'outcome unknown: the sending process stopped (or could not record the result) on every try; not sent again' \
         WHERE device_id = $2 AND state = 'sending' AND attempts >= $3",
    )
    .bind(now)
    .bind(device_id)
    .bind(max_attempts)
    .execute(pool)
    .await?
    .rows_affected();
    let requeued = sqlx::query(
        "UPDATE campaign_recipients SET state = 'queued', claim_token = NULL, \
         error = 'requeued after the sending process stopped mid-send (possible duplicate)' \
         WHERE device_id = $1 AND state = 'sending'",
    )
    .bind(device_id)
    .execute(pool)
    .await?
    .rows_affected();
    Ok((requeued, failed))
}

/// Puts a `sent` (not yet delivered) row back in the queue to be sent again
/// as the mapped Cloud API template, once: only a row not sent as a
/// template yet qualifies. Clears the provider message id and `sent_at`
/// (the status webhooks of the template message find the row by its new
/// id) and records `note` as the row's last error. Returns whether the row
/// was requeued.
pub async fn requeue_for_template(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant_id: &TenantId,
    id: &RecipientId,
    provider_message_id: &str,
    not_before: i64,
    note: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE campaign_recipients SET state = 'queued', used_template = 1, not_before = $1, \
         provider_message_id = NULL, sent_at = NULL, claim_token = NULL, error = $2 \
         WHERE tenant_id = $3 AND id = $4 AND provider_message_id = $5 AND state = 'sent' \
         AND delivered_at IS NULL AND used_template = 0",
    )
    .bind(not_before)
    .bind(note)
    .bind(tenant_id)
    .bind(id)
    .bind(provider_message_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Claims the device's next due row of a running campaign, if our lease is
/// still valid. PostgreSQL locks the candidate with `FOR UPDATE SKIP
/// LOCKED`; SQLite relies on the conditional `UPDATE ... AND state =
/// 'queued'` (one writer at a time).
pub async fn claim(
    pool: &AnyPool,
    kind: DbKind,
    device_id: &DeviceId,
    holder: &str,
    now: i64,
) -> Result<Option<Claimed>, sqlx::Error> {
    let lock = match kind {
        DbKind::Postgres => " FOR UPDATE OF r SKIP LOCKED",
        DbKind::Sqlite => "",
    };
    let sql = format!(
        "UPDATE campaign_recipients SET state = 'sending', claimed_at = $1, claim_token = $2, attempts = attempts + 1 \
         WHERE id = (SELECT r.id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
                     WHERE r.device_id = $3 AND r.state = 'queued' AND r.not_before <= $1 AND c.status = 'running' \
                     ORDER BY r.not_before, r.id LIMIT 1{lock}) \
           AND state = 'queued' \
           AND EXISTS (SELECT 1 FROM campaign_device_leases l WHERE l.device_id = $3 AND l.holder = $2 AND l.expires_at > $1) \
         RETURNING id, tenant_id, campaign_id, contact_id, phone, stage, attempts, used_template"
    );
    let row: Option<ClaimedRow> = sqlx::query_as(&sql)
        .bind(now)
        .bind(holder)
        .bind(device_id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(Claimed::from))
}

/// Records a successful send. Also accepts a row that was requeued while
/// we were sending (our lease lapsed) so the send is not repeated.
/// Inserts the follow-up row when the campaign has one. `false` when the
/// row was taken over and already handled by another holder.
#[allow(clippy::too_many_arguments)]
pub async fn mark_sent(
    pool: &AnyPool,
    kind: DbKind,
    row: &Claimed,
    holder: &str,
    provider_message_id: Option<&str>,
    used_template: bool,
    now: i64,
    followup_after_ms: Option<i64>,
    device_id: &DeviceId,
) -> Result<bool, sqlx::Error> {
    let mut tx = crate::db::begin_write(pool, kind).await?;
    let n = sqlx::query(
        "UPDATE campaign_recipients SET state = 'sent', provider_message_id = $1, sent_at = $2, error = NULL, \
         used_template = $3, claim_token = NULL \
         WHERE id = $4 AND ((state = 'sending' AND claim_token = $5) OR state = 'queued')",
    )
    .bind(provider_message_id)
    .bind(now)
    .bind(i64::from(used_template))
    .bind(&row.id)
    .bind(holder)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n > 0
        && row.stage == RecipientStage::Main
        && let Some(after) = followup_after_ms
    {
        sqlx::query(
            "INSERT INTO campaign_recipients (id, tenant_id, campaign_id, contact_id, phone, device_id, stage, state, \
             not_before, attempts, used_template, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'followup', 'queued', $7, 0, 0, $8) ON CONFLICT DO NOTHING",
        )
        .bind(followup_of(&row.id))
        .bind(&row.tenant_id)
        .bind(&row.campaign_id)
        .bind(&row.contact_id)
        .bind(&row.phone)
        .bind(device_id)
        .bind(now + after)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(n > 0)
}

/// Puts a claimed row back in the queue to try again at `not_before`.
pub async fn retry_later(
    pool: &AnyPool,
    id: &RecipientId,
    holder: &str,
    not_before: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaign_recipients SET state = 'queued', not_before = $1, error = $2, claim_token = NULL \
         WHERE id = $3 AND state = 'sending' AND claim_token = $4",
    )
    .bind(not_before)
    .bind(error)
    .bind(id)
    .bind(holder)
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives a claimed row back without counting the try (daily cap reached,
/// vendor inactive): it is due again at `not_before`.
pub async fn unclaim(
    pool: &AnyPool,
    id: &RecipientId,
    holder: &str,
    not_before: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaign_recipients SET state = 'queued', not_before = $1, claim_token = NULL, attempts = attempts - 1 \
         WHERE id = $2 AND state = 'sending' AND claim_token = $3",
    )
    .bind(not_before)
    .bind(id)
    .bind(holder)
    .execute(pool)
    .await?;
    Ok(())
}

/// Ends a claimed row in `state` (failed, skipped or cancelled) with a
/// reason.
pub async fn finish(
    pool: &AnyPool,
    id: &RecipientId,
    holder: &str,
    state: QueueState,
    error: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaign_recipients SET state = $1, error = $2, failed_at = CASE WHEN $1 = 'failed' THEN $3 ELSE NULL END, \
         claim_token = NULL WHERE id = $4 AND state = 'sending' AND claim_token = $5",
    )
    .bind(state)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(holder)
    .execute(pool)
    .await?;
    Ok(())
}

/// Moves every queued row of a campaign on a device due before `until` to
/// `until` (daily cap reached: continue tomorrow).
pub async fn defer_device_rows(
    pool: &AnyPool,
    campaign_id: &CampaignId,
    device_id: &DeviceId,
    until: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE campaign_recipients SET not_before = $1 \
         WHERE campaign_id = $2 AND device_id = $3 AND state = 'queued' AND not_before < $1",
    )
    .bind(until)
    .bind(campaign_id)
    .bind(device_id)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Sends of a campaign on a device since `since` (sent or being sent), for
/// the daily cap.
pub async fn sent_since(
    pool: &AnyPool,
    campaign_id: &CampaignId,
    device_id: &DeviceId,
    since: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND device_id = $2 \
         AND (state = 'sending' OR (sent_at IS NOT NULL AND sent_at >= $3))",
    )
    .bind(campaign_id)
    .bind(device_id)
    .bind(since)
    .fetch_one(pool)
    .await
}

/// Devices of running campaigns that have due rows, or rows left in
/// `sending` (to recover after a crash).
pub async fn devices_with_work(pool: &AnyPool, now: i64) -> Result<Vec<DeviceId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT d.device_id FROM campaign_devices d JOIN campaigns c ON c.id = d.campaign_id \
         WHERE c.status = 'running' AND EXISTS (SELECT 1 FROM campaign_recipients r \
           WHERE r.device_id = d.device_id AND r.campaign_id = c.id \
           AND ((r.state = 'queued' AND r.not_before <= $1) OR r.state = 'sending'))",
    )
    .bind(now)
    .fetch_all(pool)
    .await
}

/// Whether the device still has due rows of a running campaign.
pub async fn device_has_due(
    pool: &AnyPool,
    device_id: &DeviceId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n: Option<String> = sqlx::query_scalar(
        "SELECT r.id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
         WHERE r.device_id = $1 AND r.state = 'queued' AND r.not_before <= $2 AND c.status = 'running' LIMIT 1",
    )
    .bind(device_id)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(n.is_some())
}

/// Starts scheduled campaigns whose time has come and completes running
/// campaigns with nothing left to send.
pub async fn advance_campaigns(pool: &AnyPool, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaigns SET status = 'running', updated_at = $1 WHERE status = 'scheduled' AND scheduled_at <= $1",
    )
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query(
        "UPDATE campaigns SET status = 'completed', finished_at = $1, updated_at = $1 WHERE status = 'running' \
         AND NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = campaigns.id \
                         AND r.state IN ('queued', 'sending'))",
    )
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}
