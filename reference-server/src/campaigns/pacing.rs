//! Pure pacing and rotation arithmetic: send intervals, random delays,
//! retry backoff, weighted device assignment and day boundaries for daily
//! caps. No I/O here, so every rule is unit-tested.

use chrono::{Datelike, TimeZone};
use chrono_tz::Tz;
use rand::Rng;

/// Pacing of one device within one campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevicePacing {
    /// Sends per minute (at least 1).
    pub rate_per_minute: i64,
    /// Smallest random extra delay between two sends, milliseconds.
    pub delay_min_ms: i64,
    /// Largest random extra delay between two sends, milliseconds.
    pub delay_max_ms: i64,
    /// Sends per day, if capped.
    pub daily_cap: Option<i64>,
}

impl DevicePacing {
    /// Base interval between two sends in microseconds (60 s / rate).
    pub fn interval_us(&self) -> i64 {
        60_000_000 / self.rate_per_minute.max(1)
    }

    /// The gap to wait after one send before the next, in microseconds:
    /// the base interval plus a uniform random delay in
    /// `delay_min_ms..=delay_max_ms`.
    pub fn gap_us<R: Rng + ?Sized>(&self, rng: &mut R) -> i64 {
        let lo = self.delay_min_ms.max(0);
        let hi = self.delay_max_ms.max(lo);
        let extra_ms = if hi > lo {
            rng.random_range(lo..=hi)
        } else {
            lo
        };
        self.interval_us() + extra_ms * 1000
    }
}

/// A send timeline that keeps the average rate even when single steps run
/// late: the next slot is the previous slot plus the gap, not "now plus the
/// gap". When the sender falls more than `max_lag_us` behind (paused,
/// nothing to send, a slow provider) the timeline restarts at `now` so it
/// never bursts to catch up on a long idle period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    next_us: i64,
    max_lag_us: i64,
}

impl Timeline {
    /// A timeline whose first slot is `first_us`.
    pub fn new(first_us: i64, max_lag_us: i64) -> Self {
        Self {
            next_us: first_us,
            max_lag_us,
        }
    }

    /// The next slot (unix microseconds).
    pub fn next_us(&self) -> i64 {
        self.next_us
    }

    /// Uses the current slot at time `now_us` and schedules the next one
    /// `gap_us` later.
    pub fn advance(&mut self, now_us: i64, gap_us: i64) {
        let base = if now_us - self.next_us > self.max_lag_us {
            now_us
        } else {
            self.next_us
        };
        self.next_us = base + gap_us;
    }

    /// Moves the next slot to `now_us` when it is further behind than
    /// the allowed lag (after an idle period).
    pub fn catch_up(&mut self, now_us: i64) {
        if now_us - self.next_us > self.max_lag_us {
            self.next_us = now_us;
        }
    }
}

/// Retry delay after the `attempt`-th failed try (1-based): the provider's
/// `retry_after` when it gave one, else exponential backoff from `base_ms`
/// (base, 2x, 4x ...) capped at 15 minutes.
pub fn backoff_ms(attempt: i64, base_ms: i64, retry_after_ms: Option<i64>) -> i64 {
    const CAP_MS: i64 = 15 * 60 * 1000;
    let exp = base_ms.saturating_mul(1i64 << (attempt.clamp(1, 20) - 1));
    match retry_after_ms {
        Some(r) => r.clamp(0, CAP_MS),
        None => exp.min(CAP_MS),
    }
}

/// A SQL `CASE` expression assigning each row to a device by weight, from
/// the row number expression `rn` (1, 2, 3 ...): with weights 2 and 1 the
/// pattern is A, A, B, A, A, B, ... Device ids are bound as parameters
/// starting at `$first_param`; weights are validated integers inlined into
/// the SQL. Returns the expression and the ids in parameter order.
pub fn weighted_case(
    rn: &str,
    devices: &[(String, i64)],
    first_param: usize,
) -> (String, Vec<String>) {
    let total: i64 = devices.iter().map(|(_, w)| (*w).max(1)).sum::<i64>().max(1);
    let mut sql = String::from("CASE");
    let mut acc = 0;
    let mut ids = Vec::new();
    for (i, (id, w)) in devices.iter().enumerate() {
        acc += (*w).max(1);
        let p = first_param + i;
        if i + 1 == devices.len() {
            sql.push_str(&format!(" ELSE ${p} END"));
        } else {
            sql.push_str(&format!(" WHEN (({rn} - 1) % {total}) < {acc} THEN ${p}"));
        }
        ids.push(id.clone());
    }
    if devices.len() == 1 {
        sql = format!("${first_param}");
    }
    (sql, ids)
}

/// The same assignment as [`weighted_case`] computed in Rust, for tests and
/// single inserts: the device index of row number `rn` (1-based).
pub fn weighted_pick(rn: i64, weights: &[i64]) -> usize {
    let total: i64 = weights.iter().map(|w| (*w).max(1)).sum::<i64>().max(1);
    let slot = (rn - 1).rem_euclid(total);
    let mut acc = 0;
    for (i, w) in weights.iter().enumerate() {
        acc += (*w).max(1);
        if slot < acc {
            return i;
        }
    }
    weights.len().saturating_sub(1)
}

/// Start and end (unix milliseconds) of the calendar day containing
/// `now_ms` in `tz`, for daily caps.
pub fn day_bounds_ms(now_ms: i64, tz: Tz) -> (i64, i64) {
    let Some(now) = chrono::DateTime::from_timestamp_millis(now_ms) else {
        return (now_ms, now_ms + 86_400_000);
    };
    let local = now.with_timezone(&tz);
    let start_of = |y: i32, m: u32, d: u32| {
        tz.with_ymd_and_hms(y, m, d, 0, 0, 0)
            .earliest()
            .map(|t| t.timestamp_millis())
    };
    let start = start_of(local.year(), local.month(), local.day()).unwrap_or(now_ms);
    let tomorrow = local.date_naive().succ_opt();
    let end = tomorrow
        .and_then(|d| start_of(d.year(), d.month(), d.day()))
        .unwrap_or(start + 86_400_000);
    (start, end)
}

/// Parses a schedule time: RFC 3339 with an offset (`2026-11-24T09:00:00+07:00`)
/// or a local time without offset (`2026-11-24T09:00` or with seconds),
/// read in the vendor's time zone `tz`. Returns unix milliseconds.
pub fn parse_schedule(input: &str, tz: Tz) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(input.trim()) {
        return Some(t.timestamp_millis());
    }
    let naive = chrono::NaiveDateTime::parse_from_str(input.trim(), "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(input.trim(), "%Y-%m-%dT%H:%M"))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(input.trim(), "%Y-%m-%d %H:%M"))
        .ok()?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn interval_and_random_gap() {
        let p = DevicePacing {
            rate_per_minute: 4800,
            delay_min_ms: 0,
            delay_max_ms: 0,
            daily_cap: None,
        };
        assert_eq!(p.interval_us(), 12_500);
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(p.gap_us(&mut rng), 12_500);
        let p = DevicePacing {
            rate_per_minute: 60,
            delay_min_ms: 2000,
            delay_max_ms: 5000,
            daily_cap: None,
        };
        for _ in 0..200 {
            let g = p.gap_us(&mut rng);
            assert!((3_000_000..=6_000_000).contains(&g), "{g}");
        }
    }

    #[test]
    fn timeline_keeps_average_rate_but_never_bursts_after_idle() {
        let mut t = Timeline::new(0, 1_000_000);
        // Each step runs 2 ms late; slots stay on the 12.5 ms grid.
        for i in 0..100 {
            let now = t.next_us() + 2_000;
            t.advance(now, 12_500);
            assert_eq!(t.next_us(), (i + 1) * 12_500);
        }
        // Idle for 10 s: the next slot restarts from now.
        let now = t.next_us() + 10_000_000;
        t.catch_up(now);
        assert_eq!(t.next_us(), now);
    }

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        assert_eq!(backoff_ms(1, 1000, None), 1000);
        assert_eq!(backoff_ms(3, 1000, None), 4000);
        assert_eq!(backoff_ms(30, 1000, None), 15 * 60 * 1000);
        assert_eq!(backoff_ms(3, 1000, Some(6000)), 6000);
    }

    #[test]
    fn weighted_rotation() {
        let picks: Vec<usize> = (1..=6).map(|rn| weighted_pick(rn, &[2, 1])).collect();
        assert_eq!(picks, vec![0, 0, 1, 0, 0, 1]);
        let (sql, ids) = weighted_case("rn", &[("a".into(), 2), ("b".into(), 1)], 4);
        assert_eq!(sql, "CASE WHEN ((rn - 1) % 3) < 2 THEN $4 ELSE $5 END");
        assert_eq!(ids, vec!["a".to_owned(), "b".to_owned()]);
        let (sql, _) = weighted_case("rn", &[("a".into(), 5)], 2);
        assert_eq!(sql, "$2");
    }

    #[test]
    fn day_bounds_in_jakarta() {
        // 2026-11-23T20:00:00Z is 2026-11-24T03:00 in Jakarta (UTC+7).
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T20:00:00Z")
            .unwrap()
            .timestamp_millis();
        let (start, end) = day_bounds_ms(now, chrono_tz::Asia::Jakarta);
        let s = chrono::DateTime::parse_from_rfc3339("2026-11-23T17:00:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(start, s);
        assert_eq!(end, s + 86_400_000);
    }

    #[test]
    fn schedule_in_vendor_time_zone() {
        let jkt = chrono_tz::Asia::Jakarta;
        let a = parse_schedule("2026-11-24T09:00", jkt).unwrap();
        let b = parse_schedule("2026-11-24T02:00:00Z", jkt).unwrap();
        assert_eq!(a, b);
        assert_eq!(parse_schedule("2026-11-24 09:00", jkt), Some(a));
        assert_eq!(parse_schedule("besok pagi", jkt), None);
    }
}
