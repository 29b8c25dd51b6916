//! Opt-in retries with exponential backoff and jitter.

use std::time::Duration;

use rand::Rng;

use crate::error::Error;
use crate::message::OutgoingMessage;
use crate::phone::PhoneNumber;
use crate::provider::{Provider, SendReceipt};
use crate::recipient::Recipient;

/// How [`Retrying`] retries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts).
    pub max_retries: u32,
    /// Backoff before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Upper bound of one wait. A provider asking for a longer
    /// `retry_after` makes the error final instead of stalling the caller.
    pub max_delay: Duration,
    /// Randomize each backoff within its upper half, so many senders that
    /// failed together do not retry together.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Sets the number of retries.
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the first backoff.
    #[must_use]
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// Sets the longest single wait.
    #[must_use]
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Turns jitter on or off.
    #[must_use]
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// The backoff before retry number `retry` (0-based), before jitter:
    /// `base_delay * 2^retry`, capped at `max_delay`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    fn delay_for(&self, retry: u32, error: &Error) -> Option<Duration> {
        if let Some(after) = error.retry_after() {
            return (after <= self.max_delay).then_some(after);
        }
        let full = self.backoff(retry);
        if !self.jitter || full.is_zero() {
            return Some(full);
        }
        // "Equal jitter": half fixed, half random.
        let half = full / 2;
        let extra = rand::rng().random_range(Duration::ZERO..=half);
        Some(half + extra)
    }
}

/// A provider wrapper that retries retryable errors
/// ([`Error::is_retryable`]) with exponential backoff and jitter, and
/// waits exactly `retry_after` when the provider gives one. Terminal
/// errors (bad token, outside the 24-hour window, invalid message) return
/// at once.
///
/// Put it outside [`crate::Paced`] (`Retrying<Paced<P>>`) so retries are
/// paced too.
#[derive(Debug)]
pub struct Retrying<P> {
    inner: P,
    policy: RetryPolicy,
}

impl<P> Retrying<P> {
    /// Wraps `inner`.
    pub fn new(inner: P, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

#[async_trait::async_trait]
impl<P: Provider> Provider for Retrying<P> {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.retried(|| self.inner.send(to, message)).await
    }

    async fn send_to(
        &self,
        to: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.retried(|| self.inner.send_to(to, message)).await
    }
}

impl<P: Provider> Retrying<P> {
    /// Calls `send` until it succeeds, fails terminally or the retries are
    /// used up.
    async fn retried<F, Fut>(&self, send: F) -> Result<SendReceipt, Error>
    where
        F: Fn() -> Fut + Send + Sync,
        Fut: Future<Output = Result<SendReceipt, Error>> + Send,
    {
        let mut retry = 0;
        loop {
            match send().await {
                Ok(r) => return Ok(r),
                Err(e) if e.is_retryable() && retry < self.policy.max_retries => {
                    let Some(delay) = self.policy.delay_for(retry, &e) else {
                        return Err(e);
                    };
                    tracing::warn!(
                        provider = self.inner.kind(),
                        retry = retry + 1,
                        delay_ms = delay.as_millis() as u64,
                        error = %e,
                        "retrying send"
                    );
                    tokio::time::sleep(delay).await;
                    retry += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
