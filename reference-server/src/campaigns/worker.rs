//! The campaign sender: one engine per server process, one task per device
//! that has work, holding the device's lease while it sends.
//!
//! Each device task paces its sends on a [`Timeline`] (rate plus random
//! delay), claims one row per slot, and hands the provider call to a
//! sub-task so a slow provider does not lower the rate (at most
//! `max_in_flight` calls per device at once). What happens to one claimed
//! row (render, send, record the outcome) is in [`send`].

mod send;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::model::QueueState;
use super::pacing::{DevicePacing, Timeline, day_bounds_ms};
use super::queue;
use super::store;
use super::texts::Lang;
use crate::AppState;
use crate::config::CampaignConfig;
use crate::db::new_id;
use crate::domain::{CampaignId, DeviceId, TemplateId, TenantId};
use crate::http::AppError;
use crate::templates::Compiled;

/// Why the sender could not prepare or record a send.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// The campaign or its assignment of the device is gone.
    #[error("campaign or device assignment missing")]
    MissingAssignment,
    /// A template of the campaign no longer loads or compiles.
    #[error("template {template} unusable")]
    Template {
        /// The template.
        template: TemplateId,
        /// Why.
        #[source]
        source: AppError,
    },
    /// The plan's quota could not be checked.
    #[error("checking the monthly message quota")]
    Quota(#[source] AppError),
}

/// An error and every cause under it, `: `-separated, for logs and for the
/// error recorded on a row.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// What a device task needs to know about one campaign.
#[derive(Debug)]
struct CampaignInfo {
    pacing: DevicePacing,
    time_zone: chrono_tz::Tz,
    main: Arc<Compiled>,
    followup: Option<Arc<Compiled>>,
    followup_after_ms: Option<i64>,
    /// Language of the texts written for the vendor.
    lang: Lang,
    loaded_at: i64,
}

/// The sender of one process.
#[derive(Debug)]
pub struct Engine {
    state: AppState,
    config: CampaignConfig,
    holder: String,
    running: Mutex<HashSet<DeviceId>>,
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

    fn running(&self) -> std::sync::MutexGuard<'_, HashSet<DeviceId>> {
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
                    tracing::warn!(device = %device, error = %chain(&e), "campaign device task failed");
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
                        tracing::warn!(error = %chain(&e), "campaign engine tick failed");
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
        campaign_id: &CampaignId,
        device_id: &DeviceId,
        tenant_id: &TenantId,
    ) -> Result<CampaignInfo, WorkerError> {
        let pool = &self.state.pool;
        let campaign = store::get(pool, tenant_id, campaign_id).await?;
        let assignment = store::device(pool, tenant_id, campaign_id, device_id).await?;
        let locale = crate::tenants::store::locale_of(pool, tenant_id).await?;
        let device = crate::devices::store::get(pool, tenant_id, device_id).await?;
        let (Some(campaign), Some(d), Some(locale), Some(device)) =
            (campaign, assignment, locale, device)
        else {
            return Err(WorkerError::MissingAssignment);
        };
        // Whatever the campaign asks for, the device never goes faster
        // than its provider takes.
        let rate = device.kind.effective_per_minute(d.rate_per_minute);
        let compile = |template: TemplateId| async move {
            crate::templates::compile_stored(pool, tenant_id, &template)
                .await
                .map_err(|source| WorkerError::Template { template, source })
        };
        let main = compile(campaign.template_id).await?;
        let followup = match campaign.followup_template_id.clone() {
            Some(t) => Some(Arc::new(compile(t).await?)),
            None => None,
        };
        Ok(CampaignInfo {
            pacing: DevicePacing {
                rate_per_minute: rate,
                delay_min_ms: d.delay_min_ms,
                delay_max_ms: d.delay_max_ms,
                daily_cap: d.daily_cap,
            },
            time_zone: campaign
                .time_zone
                .parse()
                .unwrap_or(chrono_tz::Asia::Jakarta),
            main: Arc::new(main),
            followup_after_ms: campaign
                .followup_after_ms
                .filter(|_| campaign.followup_template_id.is_some()),
            followup,
            lang: Lang::of(&locale),
            loaded_at: self.now_ms(),
        })
    }

    /// Sends for one device while it holds the device's lease.
    ///
    /// A separate task renews the lease every third of `lease_ms` for as
    /// long as this runs, so sends that hang do not let the lease expire
    /// while their rows are in flight. When a renewal fails the loop stops
    /// claiming. Every send started here is awaited before the lease is
    /// released, also when the loop ends with an error.
    async fn run_device(self: &Arc<Self>, device_id: &DeviceId) -> Result<(), sqlx::Error> {
        let pool = self.state.pool.clone();
        let Some(next_send_at) = queue::acquire_lease(
            &pool,
            device_id,
            &self.holder,
            self.now_ms(),
            self.config.lease_ms,
        )
        .await?
        else {
            return Ok(());
        };
        let (lost, _) = watch::channel(false);
        let run = Arc::new(DeviceRun {
            next_send_ms: AtomicI64::new(next_send_at),
            lost,
            restart: AtomicBool::new(false),
        });
        let (done_tx, done_rx) = watch::channel(false);
        let renewer =
            tokio::spawn(Arc::clone(self).keep_lease(device_id.clone(), Arc::clone(&run), done_rx));
        let mut in_flight: JoinSet<()> = JoinSet::new();
        let result = self.send_loop(device_id, &run, &mut in_flight).await;
        while in_flight.join_next().await.is_some() {}
        done_tx.send_replace(true);
        if let Err(e) = renewer.await {
            tracing::warn!(device = %device_id, error = %e, "campaign lease renewer failed");
        }
        queue::release_lease(
            &pool,
            device_id,
            &self.holder,
            run.next_send_ms.load(Ordering::Relaxed),
        )
        .await?;
        result
    }

    /// Renews the device's lease until `done`, storing the pacing position
    /// each time; marks the lease lost when it is no longer ours or could
    /// not be renewed for a whole lease length.
    async fn keep_lease(
        self: Arc<Self>,
        device_id: DeviceId,
        run: Arc<DeviceRun>,
        mut done: watch::Receiver<bool>,
    ) {
        let lease_ms = self.config.lease_ms;
        let every = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(1).max(1));
        let mut last_renewed = self.now_ms();
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = stopped(&mut done) => return,
            }
            let now = self.now_ms();
            match queue::renew_lease(
                &self.state.pool,
                &device_id,
                &self.holder,
                now,
                lease_ms,
                run.next_send_ms.load(Ordering::Relaxed),
            )
            .await
            {
                Ok(true) => last_renewed = now,
                Ok(false) => {
                    tracing::warn!(device = %device_id, "campaign lease lost; stopping this device's sender");
                    run.lost.send_replace(true);
                    return;
                }
                Err(e) => {
                    tracing::warn!(device = %device_id, error = %e, "campaign lease not renewed");
                    if now - last_renewed >= lease_ms {
                        run.lost.send_replace(true);
                        return;
                    }
                }
            }
        }
    }

    /// Claims and starts sends on the device's pacing timeline until there
    /// is nothing due, the server stops, or the lease is lost.
    async fn send_loop(
        self: &Arc<Self>,
        device_id: &DeviceId,
        run: &Arc<DeviceRun>,
        in_flight: &mut JoinSet<()>,
    ) -> Result<(), sqlx::Error> {
        let pool = self.state.pool.clone();
        let (requeued, failed) =
            queue::requeue_orphans(&pool, device_id, self.config.max_attempts, self.now_ms())
                .await?;
        if requeued > 0 || failed > 0 {
            tracing::warn!(device = %device_id, requeued, failed, "rows left in flight by a stopped sender");
        }
        let mut stop = self.state.services.shutdown.subscribe();
        let mut lost = run.lost.subscribe();
        let mut timeline = Timeline::new(
            run.next_send_ms
                .load(Ordering::Relaxed)
                .saturating_mul(1000),
            1_000_000,
        );
        let mut rng = StdRng::from_os_rng();
        let permits = Arc::new(Semaphore::new(self.config.max_in_flight));
        let mut campaigns: HashMap<CampaignId, Arc<CampaignInfo>> = HashMap::new();
        // Campaign -> (day start, sends counted that day).
        let mut daily: HashMap<CampaignId, (i64, i64)> = HashMap::new();
        let mut idle_rounds = 0u32;
        loop {
            while in_flight.try_join_next().is_some() {}
            if *stop.borrow() || *lost.borrow() || run.restart.load(Ordering::Relaxed) {
                break;
            }
            let now_us = self.config.clock.now_us();
            timeline.catch_up(now_us);
            let wait = timeline.next_us() - now_us;
            if wait > 0 {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_micros(wait.unsigned_abs())) => {}
                    () = stopped(&mut stop) => break,
                    () = stopped(&mut lost) => break,
                }
            }
            // A slow provider holds every permit: wait for one, but give up
            // as soon as the lease is gone (the claim would fail anyway).
            let permit = tokio::select! {
                p = Arc::clone(&permits).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                () = stopped(&mut lost) => break,
                () = stopped(&mut stop) => break,
            };
            let now = self.now_ms();
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
                    () = stopped(&mut lost) => break,
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
                            QueueState::Failed,
                            &format!("campaign unusable: {}", chain(&e)),
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
            let device = device_id.clone();
            let info2 = Arc::clone(&info);
            let run2 = Arc::clone(run);
            in_flight.spawn(async move {
                me.process(&device, row, &info2, &run2).await;
                drop(permit);
            });
            timeline.advance(now_us, info.pacing.gap_us(&mut rng));
            run.next_send_ms
                .store(timeline.next_us() / 1000, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// What a device's send loop, its lease renewer and its sends share.
#[derive(Debug)]
struct DeviceRun {
    /// The pacing position stored with each renewal and at release (unix ms).
    next_send_ms: AtomicI64,
    /// Flips to `true` when the lease is lost: stop claiming.
    lost: watch::Sender<bool>,
    /// A send's outcome could not be written: end the task so the next one
    /// requeues the row.
    restart: AtomicBool,
}

/// Resolves once the server is shutting down.
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    // An error means the sender is gone: the server is going away too.
    let _ = stop.wait_for(|s| *s).await;
}
