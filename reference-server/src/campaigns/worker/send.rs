//! One claimed row of the campaign sender: render it, send it through the
//! device, and write what became of it (sent, retried, given back or
//! finished); a follow-up that was not sent gives its quota back.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use whatsapp_client::{ApiErrorKind, Error as SendError, PhoneNumber, Provider};

use super::{CampaignInfo, DeviceRun, Engine, WorkerError, chain};
use crate::AppState;
use crate::billing::limits::{self, Limit};
use crate::campaigns::model::{CampaignStatus, QueueState, RecipientStage, main_of};
use crate::campaigns::pacing::backoff_ms;
use crate::campaigns::queue::{self, Claimed};
use crate::campaigns::store;
use crate::campaigns::texts::{followup_quota_exhausted, no_cloud_template, template_refused};
use crate::domain::{DeviceId, TenantId};
use crate::http::AppError;
use crate::templates::seed_for;

impl Engine {
    /// Sends one claimed row and writes the outcome, retrying the write
    /// while the database fails. A row whose outcome cannot be written at
    /// all stays `sending`; the device's sender task then restarts, and the
    /// new task requeues it (at-least-once, like a crash).
    pub(super) async fn process(
        &self,
        device_id: &DeviceId,
        row: Claimed,
        info: &CampaignInfo,
        run: &DeviceRun,
    ) {
        let mut consumed = false;
        let outcome = match self.attempt(device_id, &row, info, &mut consumed).await {
            Ok(o) => o,
            Err(e) => {
                // Reading the contact or the quota failed before anything
                // was sent: give the row back without counting the try.
                tracing::warn!(row = %row.id, error = %chain(&e), "campaign send not prepared; retrying later");
                Outcome::Unclaim {
                    not_before: self.now_ms() + self.config.backoff_ms,
                    pause_campaign: false,
                }
            }
        };
        if consumed && !matches!(outcome, Outcome::Sent { .. }) {
            // The follow-up was not sent: give its quota back.
            if let Err(e) = limits::record(
                &self.state.pool,
                &row.tenant_id,
                Limit::MessagesPerMonth,
                -1,
            )
            .await
            {
                tracing::warn!(error = %e.chain(), "usage counter not corrected");
            }
        }
        let mut delay = RECORD_FIRST_DELAY;
        for attempt in 1..=RECORD_TRIES {
            match self.write_outcome(device_id, &row, info, &outcome).await {
                Ok(()) => return,
                Err(e) if attempt == RECORD_TRIES => {
                    tracing::error!(row = %row.id, error = %e, "campaign send result not recorded; the row is requeued when the device's sender restarts (possible duplicate)");
                    run.restart.store(true, Ordering::Relaxed);
                    return;
                }
                Err(e) => {
                    tracing::warn!(row = %row.id, error = %e, attempt, "campaign send result not recorded yet; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RECORD_MAX_DELAY);
                }
            }
        }
    }

    /// Renders and sends one claimed row; returns what to write. Errors
    /// come back only from the reads and the quota check before the
    /// provider is called.
    async fn attempt(
        &self,
        device_id: &DeviceId,
        row: &Claimed,
        info: &CampaignInfo,
        consumed: &mut bool,
    ) -> Result<Outcome, WorkerError> {
        let pool = &self.state.pool;
        // The contact may have opted out or been deleted since enqueueing.
        let Some(contact) =
            crate::contacts::store::contact_for_send(pool, &row.tenant_id, &row.contact_id).await?
        else {
            return Ok(Outcome::finish(QueueState::Cancelled, "contact_deleted"));
        };
        if contact.opted_out() {
            return Ok(Outcome::finish(QueueState::Skipped, "opted_out"));
        }
        let compiled = if row.stage == RecipientStage::Followup {
            if store::replied(pool, &row.tenant_id, &main_of(&row.id)).await? {
                return Ok(Outcome::finish(QueueState::Cancelled, "replied"));
            }
            match &info.followup {
                Some(f) => Arc::clone(f),
                None => return Ok(Outcome::finish(QueueState::Cancelled, "follow-up removed")),
            }
        } else {
            Arc::clone(&info.main)
        };
        let vars = compiled.contact_vars(&contact.name, &row.phone, &contact.fields());
        let seed = seed_for(row.id.as_str());
        // A row requeued by a status webhook (24-hour window closed after
        // the text was accepted) goes out as the mapped template directly.
        let first = if row.used_template {
            match compiled.render_cloud(&vars, seed) {
                Ok(Some(m)) => m,
                Ok(None) => {
                    return Ok(Outcome::finish(
                        QueueState::Failed,
                        no_cloud_template(info.lang),
                    ));
                }
                Err(e) => return Ok(Outcome::render_failed(&e)),
            }
        } else {
            match compiled.render(&vars, seed) {
                Ok(m) => m,
                Err(e) => return Ok(Outcome::render_failed(&e)),
            }
        };
        let to = match PhoneNumber::parse(&row.phone) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Outcome::finish(
                    QueueState::Failed,
                    format!("invalid number: {e}"),
                ));
            }
        };
        let provider = match device_provider(&self.state, &row.tenant_id, device_id).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                // The vendor is not active (banned / unapproved): pause the
                // campaign and keep the row for a later resume.
                return Ok(Outcome::Unclaim {
                    not_before: self.now_ms(),
                    pause_campaign: true,
                });
            }
            Err(e) => {
                return Ok(Outcome::finish(
                    QueueState::Failed,
                    format!("device unavailable: {}", e.chain()),
                ));
            }
        };
        if row.stage == RecipientStage::Followup {
            // First messages were counted when the campaign started;
            // follow-ups count when sent and must fit the plan.
            match limits::consume(pool, &row.tenant_id, Limit::MessagesPerMonth, 1).await {
                Ok(()) => *consumed = true,
                Err(e @ AppError::PaymentRequired { .. }) => {
                    return Ok(Outcome::finish(
                        QueueState::Failed,
                        followup_quota_exhausted(info.lang, &e.to_string()),
                    ));
                }
                Err(e) => return Err(WorkerError::Quota(e)),
            }
        }
        let mut used_template = row.used_template;
        let mut result = provider.send(&to, &first).await;
        if !used_template
            && let Err(e) = &result
            && e.as_api()
                .is_some_and(|a| a.kind == ApiErrorKind::NeedsTemplate)
            && let Ok(Some(fallback)) = compiled.render_cloud(&vars, seed)
        {
            used_template = true;
            result = provider.send(&to, &fallback).await;
        }
        Ok(self.outcome_of(row, info, result, used_template))
    }

    /// What a provider answer means for the row.
    fn outcome_of(
        &self,
        row: &Claimed,
        info: &CampaignInfo,
        result: Result<whatsapp_client::SendReceipt, SendError>,
        used_template: bool,
    ) -> Outcome {
        match result {
            Ok(receipt) => Outcome::Sent {
                message_id: receipt.message_id,
                used_template,
            },
            Err(e)
                if e.as_api()
                    .is_some_and(|a| a.kind == ApiErrorKind::RateLimited) =>
            {
                // The number's throughput limit, not a fault of this
                // message: the sender pauses for the provider's window and
                // the row goes back to the queue without using a try.
                let pause = e
                    .retry_after()
                    .unwrap_or(whatsapp_client::pacing::RATE_LIMITED_PAUSE);
                Outcome::Unclaim {
                    not_before: self.now_ms()
                        + i64::try_from(pause.as_millis()).unwrap_or(i64::MAX / 2),
                    pause_campaign: false,
                }
            }
            Err(e) if e.is_retryable() && row.attempts < self.config.max_attempts => {
                let retry_after = e
                    .retry_after()
                    .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                let delay = backoff_ms(row.attempts, self.config.backoff_ms, retry_after);
                Outcome::Retry {
                    not_before: self.now_ms() + delay,
                    error: e.to_string(),
                }
            }
            Err(e) => {
                let needs_template = e
                    .as_api()
                    .is_some_and(|a| a.kind == ApiErrorKind::NeedsTemplate);
                let text = match (needs_template, used_template) {
                    (true, true) => format!("{e} ({})", template_refused(info.lang)),
                    (true, false) => format!("{e} ({})", no_cloud_template(info.lang)),
                    _ => e.to_string(),
                };
                Outcome::finish(QueueState::Failed, text)
            }
        }
    }

    /// Writes one outcome (a single try).
    async fn write_outcome(
        &self,
        device_id: &DeviceId,
        row: &Claimed,
        info: &CampaignInfo,
        outcome: &Outcome,
    ) -> Result<(), sqlx::Error> {
        let pool = &self.state.pool;
        let holder = self.holder.as_str();
        let now = self.now_ms();
        match outcome {
            Outcome::Sent {
                message_id,
                used_template,
            } => {
                let recorded = queue::mark_sent(
                    pool,
                    self.state.db,
                    row,
                    holder,
                    message_id.as_deref(),
                    *used_template,
                    now,
                    info.followup_after_ms,
                    device_id,
                )
                .await?;
                if !recorded {
                    tracing::warn!(row = %row.id, "campaign row was taken over while its send was in flight");
                }
                Ok(())
            }
            Outcome::Retry { not_before, error } => {
                queue::retry_later(pool, &row.id, holder, *not_before, error).await
            }
            Outcome::Unclaim {
                not_before,
                pause_campaign,
            } => {
                queue::unclaim(pool, &row.id, holder, *not_before).await?;
                if *pause_campaign {
                    store::set_status(
                        pool,
                        &row.tenant_id,
                        &row.campaign_id,
                        CampaignStatus::Paused,
                        crate::db::now_ms(),
                    )
                    .await?;
                }
                Ok(())
            }
            Outcome::Finish { state, error } => {
                queue::finish(pool, &row.id, holder, *state, error, now).await
            }
        }
    }
}

/// Tries to write a send's outcome before giving the row up.
const RECORD_TRIES: u32 = 10;
/// Wait before the second try; doubles per try up to [`RECORD_MAX_DELAY`]
/// (about 11 s over all tries).
const RECORD_FIRST_DELAY: Duration = Duration::from_millis(100);
/// Longest wait between two tries.
const RECORD_MAX_DELAY: Duration = Duration::from_secs(2);

/// What became of a claimed row, to be written to the queue.
#[derive(Debug)]
enum Outcome {
    /// Accepted by the provider.
    Sent {
        message_id: Option<String>,
        used_template: bool,
    },
    /// A retryable error: queued again for `not_before`.
    Retry { not_before: i64, error: String },
    /// Given back without counting the try (vendor inactive, database
    /// error before sending).
    Unclaim {
        not_before: i64,
        pause_campaign: bool,
    },
    /// Ended in `state` (failed, skipped or cancelled) with a reason.
    Finish { state: QueueState, error: String },
}

impl Outcome {
    fn finish(state: QueueState, error: impl Into<String>) -> Self {
        Self::Finish {
            state,
            error: error.into(),
        }
    }

    /// The template could not be rendered for this recipient.
    fn render_failed(e: &AppError) -> Self {
        Self::finish(QueueState::Failed, format!("render: {}", e.chain()))
    }
}

/// The sender of a tenant's device; `None` while the tenant is not active.
async fn device_provider(
    state: &AppState,
    tenant_id: &TenantId,
    device_id: &DeviceId,
) -> Result<Option<Arc<dyn Provider>>, AppError> {
    let (rt, active) =
        crate::devices::registry::get_for_tenant(state, tenant_id, device_id).await?;
    if !active {
        return Ok(None);
    }
    Ok(Some(Arc::clone(&rt.provider)))
}
