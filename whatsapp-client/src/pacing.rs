//! Pacing: per-sender and per-recipient rate limits around any provider.
//!
//! [`Paced`] wraps a [`Provider`] the way teloxide's `Throttle` wraps a bot:
//! each send first waits for the recipient's pair limit (so one chatty
//! conversation does not hold up others), then for the sender's overall
//! rate. Waiting uses `tokio::time`, so tests with a paused clock are
//! deterministic. Limits hold within one process; across replicas, lease
//! each sender to one worker or reserve send slots in shared storage.
//!
//! The sender rate is a strict one: `per_second(n)` never lets more than
//! `n` sends into any window of one second plus [`WINDOW_MARGIN`] (a
//! provider such as the Cloud API counts its throughput limit over a
//! sliding second and answers 130429 above it; the margin absorbs a few
//! milliseconds of network jitter), and spaces them about `1/n` s apart
//! rather than in bursts. When the provider still answers with a
//! throughput error, every send of the sender waits for the provider's
//! `retry_after` (one second when it gives none) and then goes on at the
//! full rate; the refused send itself is tried again after the pause
//! ([`PacingConfig::rate_limit_retries`]).

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
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
use crate::recipient::Recipient;

/// Cloud API default sender throughput: 80 messages per second.
pub const CLOUD_DEFAULT_PER_SECOND: u32 = 80;

/// Cloud API pair rate limit: about one message every 6 seconds to the same
/// recipient (bursts are tolerated, sustained traffic triggers 131056).
pub const CLOUD_PAIR_INTERVAL: Duration = Duration::from_secs(6);

/// How much longer than one second the window is in which a sender makes
/// at most `n` sends: 1%, so a few milliseconds of network jitter cannot
/// put `n + 1` requests into one second at the provider.
pub const WINDOW_MARGIN: Duration = Duration::from_millis(10);

/// Sends a sender may make back to back before the `1/n` s spacing
/// applies; the window still caps them at `n`. Two let a send that woke a
/// little late (timers fire on whole milliseconds) keep the average rate.
const SENDER_BURST: u32 = 2;

/// How long every send waits after a throughput error that came without a
/// `retry_after`: one window of the provider's limit.
pub const RATE_LIMITED_PAUSE: Duration = Duration::from_secs(1);

/// The spacing of `per_second` evenly spaced sends such that no window of
/// one second plus [`WINDOW_MARGIN`] holds more than `per_second`: for
/// schedulers that reserve one slot per send (a shared slot table).
pub fn send_spacing(per_second: NonZeroU32) -> Duration {
    (Duration::from_secs(1) + WINDOW_MARGIN) / per_second.get()
}

/// The sender rate: at most `per_window` sends in any `window`, spaced by
/// a GCRA that allows [`SENDER_BURST`] at once.
struct SenderLimit {
    per_window: usize,
    window: Duration,
    smooth: DirectLimiter,
    /// Times of the sends in the last `window`, oldest first.
    recent: Mutex<VecDeque<Duration>>,
}

impl SenderLimit {
    fn new(per_second: NonZeroU32, clock: TokioClock) -> Option<Self> {
        let quota = Quota::with_period(Duration::from_secs(1) / per_second.get())?
            .allow_burst(NonZeroU32::new(SENDER_BURST).unwrap_or(NonZeroU32::MIN));
        Some(Self {
            per_window: per_second.get() as usize,
            window: Duration::from_secs(1) + WINDOW_MARGIN,
            smooth: RateLimiter::direct_with_clock(quota, clock),
            recent: Mutex::new(VecDeque::with_capacity(per_second.get() as usize)),
        })
    }

    /// Takes a send at `now`, or says how long to wait before trying again.
    fn try_acquire(&self, now: Duration) -> Result<(), Duration> {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        while recent
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= self.window)
        {
            recent.pop_front();
        }
        if recent.len() >= self.per_window
            && let Some(oldest) = recent.front()
        {
            return Err((*oldest + self.window).saturating_sub(now));
        }
        match self.smooth.check() {
            Ok(()) => {
                recent.push_back(now);
                Ok(())
            }
            Err(not_until) => Err(not_until.wait_time_from(now)),
        }
    }
}

/// How often [`PacingConfig::cloud_api`] tries a send again that the
/// provider refused for throughput: a refused message was not sent, so
/// sending it after the pause cannot duplicate it.
pub const DEFAULT_RATE_LIMIT_RETRIES: u32 = 2;

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
    /// Messages per second for the whole sender: at most this many in any
    /// window of one second plus [`WINDOW_MARGIN`]; `None` for no limit.
    pub per_second: Option<NonZeroU32>,
    /// Minimum spacing between messages to one recipient once the burst is
    /// used; `None` for no pair limit.
    pub pair_interval: Option<Duration>,
    /// Messages one recipient may get back-to-back.
    pub pair_burst: NonZeroU32,
    /// How often a send the provider refused for throughput (Cloud API
    /// 130429) is tried again, after the sender's pause.
    pub rate_limit_retries: u32,
}

impl PacingConfig {
    /// Cloud API defaults: 80 msg/s per sender, one message per 6 s per
    /// recipient after a burst of [`DEFAULT_PAIR_BURST`].
    pub fn cloud_api() -> Self {
        Self {
            per_second: NonZeroU32::new(CLOUD_DEFAULT_PER_SECOND),
            pair_interval: Some(CLOUD_PAIR_INTERVAL),
            pair_burst: NonZeroU32::new(DEFAULT_PAIR_BURST).unwrap_or(NonZeroU32::MIN),
            rate_limit_retries: DEFAULT_RATE_LIMIT_RETRIES,
        }
    }

    /// No limits (wrap a provider only to add them later).
    pub fn unlimited() -> Self {
        Self {
            per_second: None,
            pair_interval: None,
            pair_burst: NonZeroU32::MIN,
            rate_limit_retries: 0,
        }
    }

    /// Sets the sender rate. Zero means no limit.
    #[must_use]
    pub fn per_second(mut self, n: u32) -> Self {
        self.per_second = NonZeroU32::new(n);
        self
    }

    /// Sets how often a send refused for throughput is tried again after
    /// the pause (0: the error goes to the caller at once).
    #[must_use]
    pub fn rate_limit_retries(mut self, n: u32) -> Self {
        self.rate_limit_retries = n;
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
    RateLimiter<Recipient, DashMapStateStore<Recipient>, TokioClock, NoOpMiddleware<Duration>>;

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
/// // 2 per second: the 3rd and 4th message waited until the first two
/// // left the window (one second plus `WINDOW_MARGIN`).
/// assert_eq!(start.elapsed(), Duration::from_millis(1010));
/// # });
/// ```
pub struct Paced<P> {
    inner: P,
    clock: TokioClock,
    sender: Option<SenderLimit>,
    pair: Option<KeyedLimiter>,
    sends: AtomicU64,
    rate_limit_retries: u32,
    /// After a throughput error: no send before this many microseconds
    /// of `clock` (0: no pause).
    paused_until_us: AtomicU64,
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
        let sender = config.per_second.and_then(|n| SenderLimit::new(n, clock));
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
            rate_limit_retries: config.rate_limit_retries,
            paused_until_us: AtomicU64::new(0),
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

    async fn wait_pair(&self, to: &Recipient) {
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

    /// Holds every following send back for `pause` from now.
    fn pause_for(&self, pause: Duration) {
        let until = self.clock.now().saturating_add(pause);
        let until = u64::try_from(until.as_micros()).unwrap_or(u64::MAX);
        self.paused_until_us.fetch_max(until, Ordering::Relaxed);
    }

    async fn wait_pause(&self) {
        loop {
            let until = Duration::from_micros(self.paused_until_us.load(Ordering::Relaxed));
            let now = self.clock.now();
            if until <= now {
                return;
            }
            tokio::time::sleep(until - now).await;
        }
    }

    async fn wait_sender(&self) {
        self.wait_pause().await;
        let Some(sender) = &self.sender else { return };
        while let Err(wait) = sender.try_acquire(self.clock.now()) {
            tokio::time::sleep(wait).await;
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
        self.paced(&Recipient::from(to), || self.inner.send(to, message))
            .await
    }

    async fn send_to(
        &self,
        to: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.paced(to, || self.inner.send_to(to, message)).await
    }
}

impl<P: Provider> Paced<P> {
    /// Waits for `to`'s pair limit and the sender rate, then sends with
    /// `send`, pausing and trying again after a throughput refusal.
    async fn paced<F, Fut>(&self, to: &Recipient, send: F) -> Result<SendReceipt, Error>
    where
        F: Fn() -> Fut + Send + Sync,
        Fut: Future<Output = Result<SendReceipt, Error>> + Send,
    {
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
        let mut retries = 0;
        loop {
            let result = send().await;
            let Some(pause) = throughput_pause(&result) else {
                return result;
            };
            tracing::warn!(
                provider = self.inner.kind(),
                pause_ms = pause.as_millis() as u64,
                "sender throughput limit reached: pausing this sender"
            );
            self.pause_for(pause);
            if retries == self.rate_limit_retries {
                return result;
            }
            retries += 1;
            self.wait_sender().await;
        }
    }
}

/// How long to pause after `result`, when the provider refused the send
/// for throughput (its `retry_after`, else [`RATE_LIMITED_PAUSE`]).
pub fn throughput_pause<T>(result: &Result<T, Error>) -> Option<Duration> {
    let api = result.as_ref().err()?.as_api()?;
    (api.kind == crate::error::ApiErrorKind::RateLimited)
        .then(|| api.retry_after.unwrap_or(RATE_LIMITED_PAUSE))
}
