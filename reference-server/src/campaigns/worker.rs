//! The campaign sender: one engine per server process, one task per device
//! that has work, holding the device's lease while it sends.
//!
//! Each device task paces its sends on a [`Timeline`] (rate plus random
//! delay), claims one row per slot, and hands the provider call to a
//! sub-task so a slow provider does not lower the rate (at most
//! `max_in_flight` calls per device at once).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use whatsapp_client::{ApiErrorKind, Error as SendError, PhoneNumber};

use super::pacing::{DevicePacing, Timeline, backoff_ms, day_bounds_ms};
use super::queue::{self, Claimed};
use crate::AppState;
use crate::billing::limits::{self, Limit};
use crate::config::CampaignConfig;
use crate::db::new_id;
use crate::templates::{Compiled, contact_vars, seed_for};

/// What a device task needs to know about one campaign.
#[derive(Debug)]
struct CampaignInfo {
    pacing: DevicePacing,
    time_zone: chrono_tz::Tz,
    main: Arc<Compiled>,
    followup: Option<Arc<Compiled>>,
    followup_after_ms: Option<i64>,
    loaded_at: i64,
}

/// The sender of one process.
#[derive(Debug)]
pub struct Engine {
    state: AppState,
    config: CampaignConfig,
    holder: String,
    running: Mutex<HashSet<String>>,
}

impl Engine {
    /// An engine with a fresh holder id (one per process start).
    pub fn new(state: AppState, config: CampaignConfig) -> Arc<Self> {
        Arc::new(Self {
            state,
            config,
            holder: new_id(),
            running: Mutex::new(HashSet::new()),
        })
    }

    fn now_ms(&self) -> i64 {
        self.config.clock.now_ms()
    }

    fn poll(&self) -> Duration {
        Duration::from_millis(self.config.poll_ms)
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // The set is only inserted into and removed from; a panic elsewhere
        // cannot leave it inconsistent.
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One scheduling round: start due campaigns, complete finished ones,
    /// and start a task for every device with work that has none here.
    pub async fn tick(self: &Arc<Self>) -> Result<(), sqlx::Error> {
        let now = self.now_ms();
        queue::advance_campaigns(&self.state.pool, now).await?;
        for device in queue::devices_with_work(&self.state.pool, now).await? {
            if !self.running().insert(device.clone()) {
                continue;
            }
            let me = Arc::clone(self);
            tokio::spawn(async move {
                if let Err(e) = me.run_device(&device).await {
                    tracing::warn!(device = %device, error = %e, "campaign device task failed");
                }
                me.running().remove(&device);
            });
        }
        Ok(())
    }

    /// Runs the engine until shutdown.
    pub async fn run(self: Arc<Self>) {
        let mut stop = self.state.services.shutdown.subscribe();
        let mut tick = tokio::time::interval(self.poll());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = self.tick().await {
                        tracing::warn!(error = %e, "campaign engine tick failed");
                    }
                }
                () = stopped(&mut stop) => break,
            }
        }
        // Let device tasks see the shutdown and finish their in-flight sends.
        for _ in 0..100 {
            if self.running().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn campaign_info(
        &self,
        campaign_id: &str,
        device_id: &str,
        tenant_id: &str,
    ) -> Result<CampaignInfo, String> {
        let pool = &self.state.pool;
        let row: Option<(
            String,
            Option<String>,
            Option<i64>,
            String,
            i64,
            i64,
            i64,
            Option<i64>,
        )> = sqlx::query_as(
            "SELECT c.template_id, c.followup_template_id, c.followup_after_ms, c.time_zone, \
             d.rate_per_minute, d.delay_min_ms, d.delay_max_ms, d.daily_cap \
             FROM campaigns c JOIN campaign_devices d ON d.campaign_id = c.id AND d.device_id = $2 \
             WHERE c.id = $1 AND c.tenant_id = $3",
        )
        .bind(campaign_id)
        .bind(device_id)
        .bind(tenant_id)
        .fetch_optional(pool)
        .await
        .map_err(|e| e.to_string())?;
        let (tpl, fu_tpl, fu_after, tz, rate, dmin, dmax, cap) =
            row.ok_or("campaign or device assignment missing")?;
        let main = crate::templates::compile_stored(pool, tenant_id, &tpl)
            .await
            .map_err(|e| e.to_string())?;
        let followup = match &fu_tpl {
            Some(t) => Some(Arc::new(
                crate::templates::compile_stored(pool, tenant_id, t)
                    .await
                    .map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        Ok(CampaignInfo {
            pacing: DevicePacing {
                rate_per_minute: rate,
                delay_min_ms: dmin,
                delay_max_ms: dmax,
                daily_cap: cap,
            },
            time_zone: tz.parse().unwrap_or(chrono_tz::Asia::Jakarta),
            main: Arc::new(main),
            followup,
            followup_after_ms: fu_after.filter(|_| fu_tpl.is_some()),
            loaded_at: self.now_ms(),
        })
    }

    /// Sends for one device while it holds the device's lease.
    async fn run_device(self: &Arc<Self>, device_id: &str) -> Result<(), sqlx::Error> {
        let pool = self.state.pool.clone();
        let lease_ms = self.config.lease_ms;
        let Some(next_send_at) =
            queue::acquire_lease(&pool, device_id, &self.holder, self.now_ms(), lease_ms).await?
        else {
            return Ok(());
        };
        let orphans = queue::requeue_orphans(&pool, device_id, &self.holder).await?;
        if orphans > 0 {
            tracing::warn!(device = %device_id, rows = orphans, "requeued rows left in flight by a stopped process");
        }
        let mut stop = self.state.services.shutdown.subscribe();
        let mut timeline = Timeline::new(next_send_at.saturating_mul(1000), 1_000_000);
        let mut rng = StdRng::from_os_rng();
        let permits = Arc::new(Semaphore::new(self.config.max_in_flight));
        let mut in_flight: JoinSet<()> = JoinSet::new();
        let mut campaigns: HashMap<String, Arc<CampaignInfo>> = HashMap::new();
        // (campaign, day start) -> sends counted today.
        let mut daily: HashMap<String, (i64, i64)> = HashMap::new();
        let mut last_renew = self.now_ms();
        let mut idle_rounds = 0u32;
        loop {
            while in_flight.try_join_next().is_some() {}
            if *stop.borrow() {
                break;
            }
            let now_us = self.config.clock.now_us();
            timeline.catch_up(now_us);
            let wait = timeline.next_us() - now_us;
            if wait > 0 {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_micros(wait.unsigned_abs())) => {}
                    () = stopped(&mut stop) => break,
                }
            }
            let now = self.now_ms();
            if now - last_renew >= lease_ms / 3 {
                if !queue::renew_lease(
                    &pool,
                    device_id,
                    &self.holder,
                    now,
                    lease_ms,
                    timeline.next_us() / 1000,
                )
                .await?
                {
                    tracing::warn!(device = %device_id, "campaign lease lost; stopping this device's sender");
                    break;
                }
                last_renew = now;
            }
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                break;
            };
            let Some(row) =
                queue::claim(&pool, self.state.db, device_id, &self.holder, now).await?
            else {
                drop(permit);
                // Nothing due: wait a little for retries and follow-ups,
                // then give the device up until the engine sees work again.
                idle_rounds += 1;
                if idle_rounds > 3
                    && in_flight.is_empty()
                    && !queue::device_has_due(&pool, device_id, self.now_ms()).await?
                {
                    break;
                }
                tokio::select! {
                    () = tokio::time::sleep(self.poll()) => {}
                    () = stopped(&mut stop) => break,
                }
                continue;
            };
            idle_rounds = 0;
            let info = match campaigns.get(&row.campaign_id) {
                Some(i) if now - i.loaded_at < 10_000 => Arc::clone(i),
                _ => match self
                    .campaign_info(&row.campaign_id, device_id, &row.tenant_id)
                    .await
                {
                    Ok(i) => {
                        let i = Arc::new(i);
                        campaigns.insert(row.campaign_id.clone(), Arc::clone(&i));
                        i
                    }
                    Err(e) => {
                        queue::finish(
                            &pool,
                            &row.id,
                            &self.holder,
                            "failed",
                            &format!("campaign unusable: {e}"),
                            now,
                        )
                        .await?;
                        continue;
                    }
                },
            };
            if let Some(cap) = info.pacing.daily_cap {
                let (day_start, day_end) = day_bounds_ms(now, info.time_zone);
                let entry = match daily.get(&row.campaign_id) {
                    Some(&(start, count)) if start == day_start => (start, count),
                    _ => (
                        day_start,
                        queue::sent_since(&pool, &row.campaign_id, device_id, day_start).await? - 1,
                    ),
                };
                if entry.1 >= cap {
                    queue::unclaim(&pool, &row.id, &self.holder, day_end).await?;
                    queue::defer_device_rows(&pool, &row.campaign_id, device_id, day_end).await?;
                    daily.insert(row.campaign_id.clone(), entry);
                    continue;
                }
                daily.insert(row.campaign_id.clone(), (entry.0, entry.1 + 1));
            }
            let me = Arc::clone(self);
            let device = device_id.to_owned();
            let info2 = Arc::clone(&info);
            in_flight.spawn(async move {
                let id = row.id.clone();
                if let Err(e) = me.send_one(&device, row, &info2).await {
                    tracing::warn!(row = %id, error = %e, "campaign send bookkeeping failed");
                }
                drop(permit);
            });
            timeline.advance(now_us, info.pacing.gap_us(&mut rng));
        }
        while in_flight.join_next().await.is_some() {}
        queue::release_lease(&pool, device_id, &self.holder, timeline.next_us() / 1000).await?;
        Ok(())
    }

    /// Renders and sends one claimed row and records the outcome.
    async fn send_one(
        &self,
        device_id: &str,
        row: Claimed,
        info: &CampaignInfo,
    ) -> Result<(), sqlx::Error> {
        let pool = &self.state.pool;
        let holder = self.holder.as_str();
        let now = self.now_ms();
        // The contact may have opted out or been deleted since enqueueing.
        let contact: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT name, fields, opted_out FROM contacts WHERE tenant_id = $1 AND id = $2",
        )
        .bind(&row.tenant_id)
        .bind(&row.contact_id)
        .fetch_optional(pool)
        .await?;
        let Some((name, fields, opted_out)) = contact else {
            return queue::finish(pool, &row.id, holder, "cancelled", "contact_deleted", now).await;
        };
        if opted_out != 0 {
            return queue::finish(pool, &row.id, holder, "skipped", "opted_out", now).await;
        }
        let compiled = if row.stage == "followup" {
            let replied: Option<Option<i64>> = sqlx::query_scalar(
                "SELECT replied_at FROM campaign_recipients WHERE id = $1 AND tenant_id = $2",
            )
            .bind(row.id.trim_end_matches(":f"))
            .bind(&row.tenant_id)
            .fetch_optional(pool)
            .await?;
            if matches!(replied, Some(Some(_))) {
                return queue::finish(pool, &row.id, holder, "cancelled", "replied", now).await;
            }
            match &info.followup {
                Some(f) => Arc::clone(f),
                None => {
                    return queue::finish(
                        pool,
                        &row.id,
                        holder,
                        "cancelled",
                        "follow-up removed",
                        now,
                    )
                    .await;
                }
            }
        } else {
            Arc::clone(&info.main)
        };
        let vars = contact_vars(
            &name,
            &row.phone,
            &crate::contacts::store::parse_fields(&fields),
        );
        let seed = seed_for(&row.id);
        let message = match compiled.render(&vars, seed) {
            Ok(m) => m,
            Err(e) => {
                return queue::finish(
                    pool,
                    &row.id,
                    holder,
                    "failed",
                    &format!("render: {e}"),
                    now,
                )
                .await;
            }
        };
        let to = match PhoneNumber::parse(&row.phone) {
            Ok(p) => p,
            Err(e) => {
                return queue::finish(
                    pool,
                    &row.id,
                    holder,
                    "failed",
                    &format!("invalid number: {e}"),
                    now,
                )
                .await;
            }
        };
        let provider = match super::device_provider(&self.state, &row.tenant_id, device_id).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                // The vendor is not active (banned / unapproved): pause the
                // campaign and keep the row for a later resume.
                queue::unclaim(pool, &row.id, holder, now).await?;
                super::set_status(pool, &row.tenant_id, &row.campaign_id, "paused").await?;
                return Ok(());
            }
            Err(e) => {
                return queue::finish(
                    pool,
                    &row.id,
                    holder,
                    "failed",
                    &format!("device unavailable: {e}"),
                    now,
                )
                .await;
            }
        };
        let mut used_template = false;
        let mut result = provider.send(&to, &message).await;
        if let Err(e) = &result
            && e.as_api()
                .is_some_and(|a| a.kind == ApiErrorKind::NeedsTemplate)
            && let Ok(Some(fallback)) = compiled.render_cloud(&vars, seed)
        {
            used_template = true;
            result = provider.send(&to, &fallback).await;
        }
        self.record(device_id, &row, info, result, used_template)
            .await
    }

    async fn record(
        &self,
        device_id: &str,
        row: &Claimed,
        info: &CampaignInfo,
        result: Result<whatsapp_client::SendReceipt, SendError>,
        used_template: bool,
    ) -> Result<(), sqlx::Error> {
        let pool = &self.state.pool;
        let now = self.now_ms();
        match result {
            Ok(receipt) => {
                let recorded = queue::mark_sent(
                    pool,
                    self.state.db,
                    row,
                    &self.holder,
                    receipt.message_id.as_deref(),
                    used_template,
                    now,
                    info.followup_after_ms,
                    device_id,
                )
                .await?;
                if recorded && row.stage == "followup" {
                    // Main messages were counted when the campaign started.
                    if let Err(e) =
                        limits::record(pool, &row.tenant_id, Limit::MessagesPerMonth, 1).await
                    {
                        tracing::warn!(error = %e, "usage counter not updated");
                    }
                }
                Ok(())
            }
            Err(e) if e.is_retryable() && row.attempts < self.config.max_attempts => {
                let retry_after = e
                    .retry_after()
                    .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                let delay = backoff_ms(row.attempts, self.config.backoff_ms, retry_after);
                queue::retry_later(pool, &row.id, &self.holder, now + delay, &e.to_string()).await
            }
            Err(e) => {
                queue::finish(pool, &row.id, &self.holder, "failed", &e.to_string(), now).await
            }
        }
    }
}

/// Resolves once the server is shutting down.
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    // An error means the sender is gone: the server is going away too.
    let _ = stop.wait_for(|s| *s).await;
}
