//! How the pages write times and money.

/// Unix milliseconds as `YYYY-MM-DD HH:MM` UTC, or `-`.
pub(crate) fn when(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM` in the IANA time zone `tz`
/// followed by the zone's name (UTC when the zone is unknown), or `-`.
pub(crate) fn when_in(ms: Option<i64>, tz: &str) -> String {
    let Ok(zone) = tz.parse::<chrono_tz::Tz>() else {
        return when(ms);
    };
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || "-".to_owned(),
            |t| format!("{} {tz}", t.with_timezone(&zone).format("%Y-%m-%d %H:%M")),
        )
}

/// Rupiah with dots between thousands (`Rp 150.000`).
pub(crate) fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if amount < 0 {
        format!("-Rp {out}")
    } else {
        format!("Rp {out}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_groups_thousands() {
        assert_eq!(rupiah(0), "Rp 0");
        assert_eq!(rupiah(999), "Rp 999");
        assert_eq!(rupiah(150_000), "Rp 150.000");
        assert_eq!(rupiah(1_234_567), "Rp 1.234.567");
        assert_eq!(rupiah(-5_000), "-Rp 5.000");
    }

    #[test]
    fn times_are_utc_minutes() {
        assert_eq!(when(Some(0)), "1970-01-01 00:00 UTC");
        assert_eq!(when(None), "-");
    }

    #[test]
    fn times_in_a_zone_name_it() {
        assert_eq!(
            when_in(Some(0), "Asia/Jakarta"),
            "1970-01-01 07:00 Asia/Jakarta"
        );
        assert_eq!(when_in(Some(0), "Nowhere/Else"), "1970-01-01 00:00 UTC");
        assert_eq!(when_in(None, "Asia/Jakarta"), "-");
    }
}
