//! Broadcast campaigns: audience x template -> a durable send queue in the
//! database, drained by a paced, lease-holding sender per device.
//!
//! See `docs/src/campaigns.md` for the queue design and the crash-safety
//! guarantee (at-least-once for the sends in flight at a crash, exactly
//! once for everything else).
//!
//! Functions for the WhatsApp webhook handler (BOTS area):
//! [`on_device_status`] for delivery statuses (including the Cloud API's
//! late 24-hour-window failures) and [`on_reply`] for inbound messages from
//! a number.

pub mod audience;
mod clock;
mod http;
pub mod pacing;
pub mod queue;
pub mod texts;
pub mod worker;

use std::sync::Arc;

use sqlx::AnyPool;
use tokio::task::JoinHandle;
use utoipa_axum::router::OpenApiRouter;
use whatsapp_client::Provider;

use crate::AppState;
use crate::db::now_ms;
use crate::http::AppError;

pub use clock::Clock;
pub use http::{
    CampaignView, Counts, CreateCampaign, DeviceAssignment, Followup, PageQuery, RecipientQuery,
    RecipientView,
};
pub(crate) use http::{RECIPIENT_COLUMNS, load, recipient_from_row};
pub use worker::Engine;

/// The campaigns routes (`/api/v1/campaigns...`).
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// Starts this process's campaign sender (stops on server shutdown).
/// Settings come from [`crate::config::CampaignConfig`] (`state.config.campaigns`).
pub fn spawn_jobs(state: &AppState) -> Vec<JoinHandle<()>> {
    let engine = Engine::new(state.clone(), state.config.campaigns.clone());
    vec![tokio::spawn(engine.run())]
}

/// The sender of a tenant's device; `None` while the tenant is not active.
pub(crate) async fn device_provider(
    state: &AppState,
    tenant_id: &str,
    device_id: &str,
) -> Result<Option<Arc<dyn Provider>>, AppError> {
    let (rt, active) =
        crate::devices::registry::get_for_tenant(state, tenant_id, device_id).await?;
    if !active {
        return Ok(None);
    }
    Ok(Some(Arc::clone(&rt.provider)))
}

/// Sets a campaign's status.
pub(crate) async fn set_status(
    pool: &AnyPool,
    tenant_id: &str,
    campaign_id: &str,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE campaigns SET status = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
    )
    .bind(status)
    .bind(now_ms())
    .bind(tenant_id)
    .bind(campaign_id)
    .execute(pool)
    .await?;
    Ok(())
}

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
    let now = now_ms();
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
        .bind(error.unwrap_or("failed (reported by the provider)"))
        .bind(provider_message_id),
        _ => return Ok(0),
    };
    Ok(q.execute(pool).await?.rows_affected())
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
    tenant_id: &str,
    provider_message_id: &str,
    status: &str,
    error: Option<&str>,
    needs_template: bool,
) -> Result<u64, sqlx::Error> {
    let pool = &state.pool;
    let now = state.config.campaigns.clock.now_ms();
    match status {
        "delivered" | "read" => {
            let read = if status == "read" {
                "read_at = COALESCE(read_at, $1), "
            } else {
                ""
            };
            let n = sqlx::query(&format!(
                "UPDATE campaign_recipients SET {read}delivered_at = COALESCE(delivered_at, $1) \
                 WHERE tenant_id = $2 AND provider_message_id = $3 AND state = 'sent'"
            ))
            .bind(now)
            .bind(tenant_id)
            .bind(provider_message_id)
            .execute(pool)
            .await?
            .rows_affected();
            return Ok(n);
        }
        "failed" => {}
        _ => return Ok(0),
    }
    let row: Option<(String, String, i64, String, Option<String>, String)> = sqlx::query_as(
        "SELECT r.id, r.stage, r.used_template, c.status, t.cloud_template, tn.locale \
         FROM campaign_recipients r \
         JOIN campaigns c ON c.id = r.campaign_id AND c.tenant_id = r.tenant_id \
         JOIN tenants tn ON tn.id = r.tenant_id \
         LEFT JOIN message_templates t ON t.tenant_id = r.tenant_id \
           AND t.id = CASE WHEN r.stage = 'followup' THEN c.followup_template_id ELSE c.template_id END \
         WHERE r.tenant_id = $1 AND r.provider_message_id = $2 AND r.state = 'sent' AND r.delivered_at IS NULL",
    )
    .bind(tenant_id)
    .bind(provider_message_id)
    .fetch_optional(pool)
    .await?;
    let Some((id, stage, used_template, campaign_status, cloud_template, locale)) = row else {
        return Ok(0);
    };
    let lang = texts::Lang::of(&locale);
    let provider_error = error.unwrap_or("failed (reported by the provider)");
    let mapped = cloud_template.is_some_and(|c| !c.trim().is_empty());
    let mut tx = crate::db::begin_write(pool, state.db).await?;
    if needs_template && used_template == 0 && mapped && campaign_status != "cancelled" {
        let note = texts::requeued_for_template(lang, provider_error);
        if queue::requeue_for_template(&mut tx, tenant_id, &id, provider_message_id, now, &note)
            .await?
        {
            // The campaign may have completed in the meantime.
            sqlx::query(
                "UPDATE campaigns SET status = 'running', finished_at = NULL, updated_at = $1 \
                 WHERE tenant_id = $2 AND id = (SELECT campaign_id FROM campaign_recipients WHERE id = $3) \
                 AND status = 'completed'",
            )
            .bind(now)
            .bind(tenant_id)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(1);
        }
    }
    let text = match (needs_template, used_template != 0) {
        (true, true) => format!("{provider_error} ({})", texts::template_refused(lang)),
        (true, false) if !mapped => {
            format!("{provider_error} ({})", texts::no_cloud_template(lang))
        }
        _ => provider_error.to_owned(),
    };
    let n = sqlx::query(
        "UPDATE campaign_recipients SET state = 'failed', failed_at = $1, error = $2 \
         WHERE tenant_id = $3 AND id = $4 AND provider_message_id = $5 AND state = 'sent' AND delivered_at IS NULL",
    )
    .bind(now)
    .bind(&text)
    .bind(tenant_id)
    .bind(&id)
    .bind(provider_message_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n > 0 && stage == "main" {
        sqlx::query(
            "UPDATE campaign_recipients SET state = 'cancelled', error = $1 \
             WHERE tenant_id = $2 AND id = $3 AND state = 'queued'",
        )
        .bind(texts::first_message_failed(lang))
        .bind(tenant_id)
        .bind(format!("{id}:f"))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// How long after a campaign message a reply still counts as a reply to it.
pub const REPLY_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// Records that `phone` (E.164) wrote to the vendor: campaign messages sent
/// to it in the last 7 days count as replied, and its queued follow-ups
/// are cancelled. Returns the number of messages marked replied.
pub async fn on_reply(pool: &AnyPool, tenant_id: &str, phone: &str) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let n = sqlx::query(
        "UPDATE campaign_recipients SET replied_at = $1 \
         WHERE tenant_id = $2 AND phone = $3 AND sent_at IS NOT NULL AND sent_at >= $4 AND replied_at IS NULL",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(phone)
    .bind(now - REPLY_WINDOW_MS)
    .execute(pool)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE campaign_recipients SET state = 'cancelled', error = 'replied' \
         WHERE tenant_id = $1 AND phone = $2 AND stage = 'followup' AND state = 'queued'",
    )
    .bind(tenant_id)
    .bind(phone)
    .execute(pool)
    .await?;
    Ok(n)
}

/// Cancels a contact's queued campaign messages (opt-out, deletion).
pub async fn cancel_queued_for_contact(
    pool: &AnyPool,
    tenant_id: &str,
    contact_id: &str,
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
