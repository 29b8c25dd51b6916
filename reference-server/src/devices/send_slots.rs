//! A device's send rate shared by every server process: each send reserves
//! the device's next free slot in `device_send_slots` with one atomic
//! upsert (a GCRA over the database), then waits for it.
//!
//! Slots are spaced by [`whatsapp_client::pacing::send_spacing`], so no
//! one-second window holds more than the provider's limit whichever
//! processes send. A throughput error from the provider (Cloud API 130429)
//! moves the device's next slot past the provider's `retry_after` (one
//! second when it gives none) for every process, after which sends go on
//! at the full rate; the refused send takes a new turn (at most
//! `DEFAULT_RATE_LIMIT_RETRIES` times). Slot times are read from each process's clock, so the
//! processes' clocks must agree to within a few milliseconds (NTP).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use whatsapp_client::pacing::{DEFAULT_RATE_LIMIT_RETRIES, send_spacing, throughput_pause};
use whatsapp_client::{
    Error as SendError, OutgoingMessage, PhoneNumber, Provider, Recipient, SendReceipt,
};

use crate::domain::DeviceId;

/// A sender whose slots are reserved in the database.
pub(crate) struct SharedSlots {
    inner: Arc<dyn Provider>,
    pool: AnyPool,
    device_id: DeviceId,
    spacing_us: i64,
}

impl std::fmt::Debug for SharedSlots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSlots")
            .field("device_id", &self.device_id)
            .field("spacing_us", &self.spacing_us)
            .finish_non_exhaustive()
    }
}

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

impl SharedSlots {
    /// Wraps `inner` (paced for the pair limit only) with `per_second`
    /// shared between processes.
    pub(crate) fn new(
        inner: Arc<dyn Provider>,
        pool: AnyPool,
        device_id: DeviceId,
        per_second: u32,
    ) -> Self {
        let spacing = send_spacing(NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN));
        Self {
            inner,
            pool,
            device_id,
            spacing_us: i64::try_from(spacing.as_micros()).unwrap_or(i64::MAX),
        }
    }

    /// Takes the next slot no earlier than `earliest_us` and returns its
    /// time: the stored next slot moves one spacing past it.
    async fn reserve(&self, earliest_us: i64) -> Result<i64, sqlx::Error> {
        let next: i64 = sqlx::query_scalar(
            "INSERT INTO device_send_slots (device_id, next_at_us) VALUES ($1, $2 + $3) \
             ON CONFLICT (device_id) DO UPDATE \
             SET next_at_us = GREATEST(device_send_slots.next_at_us, $2) + $3 \
             RETURNING next_at_us",
        )
        .bind(&self.device_id)
        .bind(earliest_us)
        .bind(self.spacing_us)
        .fetch_one(&self.pool)
        .await?;
        Ok(next - self.spacing_us)
    }

    /// Waits for this process's turn on the device.
    async fn wait_turn(&self) {
        let now = now_us();
        match self.reserve(now).await {
            Ok(slot) => {
                let wait = slot - now_us();
                if wait > 0 {
                    tokio::time::sleep(Duration::from_micros(wait.unsigned_abs())).await;
                }
            }
            Err(e) => {
                // Without the shared slot, keep this process's own share
                // of the rate: one spacing between its sends.
                tracing::warn!(device = %self.device_id, error = %e, "send slot not reserved; spacing locally");
                tokio::time::sleep(Duration::from_micros(self.spacing_us.unsigned_abs())).await;
            }
        }
    }

    /// After a throughput error: no process sends for the device before
    /// `pause` has passed.
    async fn pause(&self, pause: Duration) {
        let until = now_us().saturating_add(i64::try_from(pause.as_micros()).unwrap_or(i64::MAX));
        if let Err(e) = self.reserve(until).await {
            tracing::warn!(device = %self.device_id, error = %e, "send pause not stored");
        }
    }
}

#[async_trait::async_trait]
impl Provider for SharedSlots {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, SendError> {
        self.send_to(&Recipient::from(to), message).await
    }

    async fn send_to(
        &self,
        to: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, SendError> {
        let mut retries = 0;
        loop {
            self.wait_turn().await;
            let result = self.inner.send_to(to, message).await;
            let Some(pause) = throughput_pause(&result) else {
                return result;
            };
            tracing::warn!(device = %self.device_id, pause_ms = pause.as_millis() as u64, "throughput limit reached: pausing the device");
            self.pause(pause).await;
            if retries == DEFAULT_RATE_LIMIT_RETRIES {
                return result;
            }
            retries += 1;
        }
    }
}
