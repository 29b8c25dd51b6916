//! Pacing: per-sender and per-recipient rate limits around any provider.
//!
//! [`Paced`] wraps a [`Provider`] the way teloxide's `Throttle` wraps a bot:
//! each send first waits for the recipient's pair limit (so one chatty
//! conversation does not hold up others), then for the sender's overall
//! rate. Waiting uses `tokio::time`, so tests with a paused clock are
//! deterministic. Limits hold within one process; across replicas, lease
//! each sender to one worker.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::error::Error;
use crate::message::OutgoingMessage;
use crate::phone::PhoneNumber;
use crate::provider::{Provider, SendReceipt};

/// Cloud API default sender throughput: 80 messages per second.
pub const CLOUD_DEFAULT_PER_SECOND: u32 = 80;

/// Cloud API pair rate limit: about one message every 6 seconds to the same
/// recipient (bursts are tolerated, sustained traffic triggers 131056).
pub const CLOUD_PAIR_INTERVAL: Duration = Duration::from_secs(6);

/// Default burst allowed to one recipient before the pair interval applies
/// (a reply is often two or three messages in a row).
pub const DEFAULT_PAIR_BURST: u32 = 5;

/// A governor clock reading `tokio::time::Instant`, so paused tokio time
/// drives the limiter in tests.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start: tokio::time::Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        Self {
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        tokio::time::Instant::now().saturating_duration_since(self.start)
    }
}

/// Limits for [`Paced`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PacingConfig {
    /// Messages per second for the whole sender; `None` for no limit.
    pub per_second: Option<NonZeroU32>,
    /// Minimum spacing between messages to one recipient once the burst is
    /// used; `None` for no pair limit.
    pub pair_interval: Option<Duration>,
    /// Messages one recipient may get back-to-back.
    pub pair_burst: NonZeroU32,
}

impl PacingConfig {
    /// Cloud API defaults: 80 msg/s per sender, one message per 6 s per
    /// recipient after a burst of [`DEFAULT_PAIR_BURST`].
    pub fn cloud_api() -> Self {
        Self {
            per_second: NonZeroU32::new(CLOUD_DEFAULT_PER_SECOND),
            pair_interval: Some(CLOUD_PAIR_INTERVAL),
            pair_burst: NonZeroU32::new(DEFAULT_PAIR_BURST).unwrap_or(NonZeroU32::MIN),
        }
    }

    /// No limits (wrap a provider only to add them later).
    pub fn unlimited() -> Self {
        Self {
            per_second: None,
            pair_interval: None,
            pair_burst: NonZeroU32::MIN,
        }
    }

    /// Sets the sender rate. Zero means no limit.
    #[must_use]
    pub fn per_second(mut self, n: u32) -> Self {
        self.per_second = NonZeroU32::new(n);
        self
    }

    /// Sets the pair limit. A zero interval means no pair limit; a zero
    /// burst is treated as one.
    #[must_use]
    pub fn pair_limit(mut self, interval: Duration, burst: u32) -> Self {
        self.pair_interval = (!interval.is_zero()).then_some(interval);
        self.pair_burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        self
    }
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self::cloud_api()
    }
}

type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;
type KeyedLimiter =
    RateLimiter<PhoneNumber, DashMapStateStore<PhoneNumber>, TokioClock, NoOpMiddleware<Duration>>;

/// A provider wrapper that waits as needed to stay inside rate limits.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// use std::time::Duration;
/// use whatsapp_client::pacing::{Paced, PacingConfig};
/// use whatsapp_client::testing::RecordingProvider;
/// use whatsapp_client::{OutgoingMessage, PhoneNumber, Provider};
///
/// let paced = Paced::new(RecordingProvider::new(), &PacingConfig::cloud_api().per_second(2));
/// let to = PhoneNumber::parse("081234567890").unwrap();
/// let start = tokio::time::Instant::now();
/// for _ in 0..4 {
///     paced.send(&to, &OutgoingMessage::text("x")).await.unwrap();
/// }
/// // 2 per second: the 3rd and 4th message waited 0.5 s each.
/// assert_eq!(start.elapsed(), Duration::from_millis(1000));
/// # });
/// ```
pub struct Paced<P> {
    inner: P,
    clock: TokioClock,
    sender: Option<DirectLimiter>,
    pair: Option<KeyedLimiter>,
    sends: AtomicU64,
}

impl<P: std::fmt::Debug> std::fmt::Debug for Paced<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paced")
            .field("inner", &self.inner)
            .field("sender_limit", &self.sender.is_some())
            .field("pair_limit", &self.pair.is_some())
            .finish()
    }
}

impl<P> Paced<P> {
    /// Wraps `inner` with the given limits.
    pub fn new(inner: P, config: &PacingConfig) -> Self {
        let clock = TokioClock::default();
        let sender = config
            .per_second
            .map(|n| RateLimiter::direct_with_clock(Quota::per_second(n), clock));
        let pair = config
            .pair_interval
            .and_then(Quota::with_period)
            .map(|q| RateLimiter::dashmap_with_clock(q.allow_burst(config.pair_burst), clock));
        Self {
            inner,
            clock,
            sender,
            pair,
            sends: AtomicU64::new(0),
        }
    }

    /// Wraps `inner` with the Cloud API defaults.
    pub fn cloud_api(inner: P) -> Self {
        Self::new(inner, &PacingConfig::cloud_api())
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    async fn wait_pair(&self, to: &PhoneNumber) {
        let Some(pair) = &self.pair else { return };
        loop {
            match pair.check_key(to) {
                Ok(()) => return,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    tracing::debug!(
                        wait_ms = wait.as_millis() as u64,
                        "pair rate limit: waiting"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn wait_sender(&self) {
        let Some(sender) = &self.sender else { return };
        loop {
            match sender.check() {
                Ok(()) => return,
                Err(not_until) => {
                    tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl<P: Provider> Provider for Paced<P> {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.wait_pair(to).await;
        self.wait_sender().await;
        // Drop state of recipients whose limit has fully replenished, now
        // and then, so the keyed limiter does not grow without bound.
        if let (1023, Some(pair)) = (
            self.sends.fetch_add(1, Ordering::Relaxed) % 1024,
            &self.pair,
        ) {
            pair.retain_recent();
        }
        self.inner.send(to, message).await
    }
}
