//! Time source, injectable so tests cover expiry and cooldown without sleeping.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where the engine reads "now" from.
///
/// Production code uses [`SystemClock`]; tests use [`ManualClock`] and move
/// time forward explicitly.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// A clock standing at a fixed, arbitrary instant (2026-01-01T00:00:00Z).
    pub fn at_epoch_2026() -> Self {
        Self::new(DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        let step = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        *now = now.checked_add_signed(step).unwrap_or(*now);
    }

    /// Sets the clock to `to` (which may be earlier than the current time).
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_time() {
        let clock = ManualClock::at_epoch_2026();
        let other = clock.clone();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        other.advance(Duration::from_secs(90));
        assert_eq!((clock.now() - start).num_seconds(), 90);
        clock.set(start);
        assert_eq!(other.now(), start);
    }
}
