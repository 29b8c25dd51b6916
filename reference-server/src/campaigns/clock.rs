//! The campaign engine's time source.
//!
//! Every time the sender reads (due rows, leases, pacing slots, daily-cap
//! day boundaries, sent timestamps) comes from one [`Clock`]. In production
//! it is the system clock; a test starts it at a chosen instant and moves it
//! forward (to the next day, for daily caps) without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The system clock, optionally shifted by an adjustable offset.
///
/// Clones share the offset: advancing one clone advances all of them, so a
/// test keeps a clone of the clock it put into the configuration.
#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Option<Arc<AtomicI64>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.offset_ms {
            None => f.write_str("Clock(system)"),
            Some(o) => write!(f, "Clock(system {:+} ms)", o.load(Ordering::Relaxed)),
        }
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `start_ms` (unix milliseconds) now and then runs
    /// at the speed of the system clock; [`Clock::advance`] moves it.
    pub fn starting_at(start_ms: i64) -> Self {
        let offset = start_ms - chrono::Utc::now().timestamp_millis();
        Self {
            offset_ms: Some(Arc::new(AtomicI64::new(offset))),
        }
    }

    /// Moves an adjustable clock forward by `ms` (no effect on the system
    /// clock, which cannot be moved).
    pub fn advance(&self, ms: i64) {
        if let Some(o) = &self.offset_ms {
            o.fetch_add(ms, Ordering::Relaxed);
        }
    }

    fn offset(&self) -> i64 {
        self.offset_ms
            .as_ref()
            .map_or(0, |o| o.load(Ordering::Relaxed))
    }

    /// Now, unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + self.offset()
    }

    /// Now, unix microseconds (pacing slots).
    pub fn now_us(&self) -> i64 {
        chrono::Utc::now().timestamp_micros() + self.offset().saturating_mul(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustable_clock_moves_all_clones() {
        let start = 1_795_000_000_000;
        let c = Clock::starting_at(start);
        let c2 = c.clone();
        let t = c.now_ms();
        assert!((start..start + 60_000).contains(&t), "{t}");
        c2.advance(86_400_000);
        assert!(c.now_ms() >= start + 86_400_000);
        assert!(c.now_us() / 1000 >= start + 86_400_000);
        let sys = Clock::system();
        sys.advance(86_400_000);
        assert!((sys.now_ms() - chrono::Utc::now().timestamp_millis()).abs() < 60_000);
        assert_eq!(format!("{sys:?}"), "Clock(system)");
    }
}
