//! What other features tell campaigns: delivery statuses and replies from
//! the WhatsApp webhooks, a contact's opt-out or deletion.
//!
//! These functions take plain or typed ids (`impl AsRef<str>`) while their
//! callers move to typed ids.

use sqlx::AnyPool;

use super::model::{CampaignStatus, RecipientStage, followup_of};
use super::{queue, store, texts};
use crate::AppState;
use crate::db::now_ms;
use crate::domain::{ContactId, TenantId};

/// The error a `failed` status without one of its own is recorded with.
const REPORTED_FAILED: &str = "failed (reported by the provider)";

/// How long after a campaign message a reply still counts as a reply to it.
pub const REPLY_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// Applies a provider status webhook to the campaign message with this
/// provider message id: `delivered`, `read` (also implies delivered) or
/// `failed` (with the provider's error). Other statuses (`sent`, unknown)
/// change nothing. Returns the number of rows updated (0 when the id is
/// not a campaign message). A status never moves backwards.
///
/// Not scoped by vendor and without the 24-hour-window fallback: the
/// webhook handler calls [`on_device_status`].
pub async fn on_status(
    pool: &AnyPool,
    provider_message_id: &str,
    status: &str,
    error: Option<&str>,
) -> Result<u64, sqlx::Error> {
    store::apply_status_any_tenant(
        pool,
        provider_message_id,
        status,
        error.unwrap_or(REPORTED_FAILED),
        now_ms(),
    )
    .await
}

/// Applies a status webhook of one of the vendor's devices to the
/// vendor's campaign message with this provider message id, like
/// [`on_status`], with two additions for `failed`:
///
/// * `needs_template` (the provider's error says the 24-hour window is
///   closed, Cloud API 131047): the Cloud API accepts a free-form text and
///   reports the closed window later in this webhook. The recipient is put
///   back in the queue, once, to be sent as the template's mapped approved
///   Cloud API template (a completed campaign runs again for it). Without
///   a mapping, or when the template itself was refused, it fails with an
///   error saying so in the vendor's language.
/// * a failed first message cancels its queued follow-up.
///
/// Returns the number of rows changed.
pub async fn on_device_status(
    state: &AppState,
    tenant_id: impl AsRef<str>,
    provider_message_id: &str,
    status: &str,
    error: Option<&str>,
    needs_template: bool,
) -> Result<u64, sqlx::Error> {
    let tenant = TenantId::from(tenant_id.as_ref());
    let pool = &state.pool;
    let now = state.config.campaigns.clock.now_ms();
    match status {
        "delivered" | "read" => {
            return store::mark_delivered(
                pool,
                &tenant,
                provider_message_id,
                status == "read",
                now,
            )
            .await;
        }
        "failed" => {}
        _ => return Ok(0),
    }
    let Some(row) = store::sent_recipient(pool, &tenant, provider_message_id).await? else {
        return Ok(0);
    };
    let Some(locale) = crate::tenants::store::locale_of(pool, &tenant).await? else {
        return Ok(0);
    };
    let mapped = match &row.template_id {
        Some(t) => crate::templates::has_cloud_template(pool, &tenant, t).await?,
        None => false,
    };
    let lang = texts::Lang::of(&locale);
    let provider_error = error.unwrap_or(REPORTED_FAILED);
    let used_template = row.used_template != 0;
    let mut tx = crate::db::begin_write(pool, state.db).await?;
    if needs_template
        && !used_template
        && mapped
        && row.campaign_status != CampaignStatus::Cancelled
    {
        let note = texts::requeued_for_template(lang, provider_error);
        if queue::requeue_for_template(&mut tx, &tenant, &row.id, provider_message_id, now, &note)
            .await?
        {
            // The campaign may have completed in the meantime.
            store::reopen_completed(&mut tx, &tenant, &row.id, now).await?;
            tx.commit().await?;
            return Ok(1);
        }
    }
    let text = match (needs_template, used_template) {
        (true, true) => format!("{provider_error} ({})", texts::template_refused(lang)),
        (true, false) if !mapped => {
            format!("{provider_error} ({})", texts::no_cloud_template(lang))
        }
        _ => provider_error.to_owned(),
    };
    let n = store::fail_sent(&mut tx, &tenant, &row.id, provider_message_id, &text, now).await?;
    if n > 0 && row.stage == RecipientStage::Main {
        store::cancel_queued_row(
            &mut tx,
            &tenant,
            &followup_of(&row.id),
            &texts::first_message_failed(lang),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Records that `phone` (E.164) wrote to the vendor: campaign messages sent
/// to it in the last 7 days count as replied, and its queued follow-ups
/// are cancelled. Returns the number of messages marked replied.
pub async fn on_reply(
    pool: &AnyPool,
    tenant_id: impl AsRef<str>,
    phone: &str,
) -> Result<u64, sqlx::Error> {
    let tenant = TenantId::from(tenant_id.as_ref());
    let now = now_ms();
    let n = store::mark_replied(pool, &tenant, phone, now - REPLY_WINDOW_MS, now).await?;
    store::cancel_followups_to(pool, &tenant, phone).await?;
    Ok(n)
}

/// Cancels a contact's queued campaign messages (opt-out, deletion), with
/// `reason` as their error. Returns how many.
pub async fn cancel_queued_for_contact(
    pool: &AnyPool,
    tenant_id: impl AsRef<str>,
    contact_id: impl AsRef<str>,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    store::cancel_queued_for_contact(
        pool,
        &TenantId::from(tenant_id.as_ref()),
        &ContactId::from(contact_id.as_ref()),
        reason,
    )
    .await
}
