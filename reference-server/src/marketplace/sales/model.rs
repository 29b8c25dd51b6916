//! Sales figures: the query, the answer and the calendar arithmetic in
//! the vendor's time zone.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{ProductId, VariantId};
use crate::http::AppError;
use crate::http::i18n::Text;

/// Longest range of a report, in days.
pub const MAX_RANGE_DAYS: u64 = 731;

crate::text_enum! {
    /// The length of a bucket of the sales report.
    pub enum Period {
        /// A calendar day in the vendor's time zone.
        Day = "day",
        /// A week from Monday.
        Week = "week",
        /// A calendar month.
        Month = "month",
    }
}

impl Period {
    /// The first day of the bucket holding `d`.
    #[must_use]
    pub fn start_of(self, d: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => d,
            Self::Week => d - Days::new(u64::from(d.weekday().num_days_from_monday())),
            Self::Month => d.with_day(1).unwrap_or(d),
        }
    }

    /// The first day of the bucket after the one starting at `start`.
    #[must_use]
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => start + Days::new(1),
            Self::Week => start + Days::new(7),
            Self::Month => start + Months::new(1),
        }
    }
}

/// Which sales to report.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SalesQuery {
    /// `day` (default), `week` or `month`.
    pub period: Option<String>,
    /// First day (`YYYY-MM-DD`, in the vendor's time zone); default 29
    /// days before `to`.
    pub from: Option<String>,
    /// Last day, included (`YYYY-MM-DD`); default today.
    pub to: Option<String>,
    /// Exports only: `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

/// Revenue and orders of one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SalesBucket {
    /// First day of the bucket (`YYYY-MM-DD`, vendor's time zone).
    pub start: String,
    /// Paid minus refunded, whole rupiah.
    pub revenue_idr: i64,
    /// Orders paid (cancelled ones not counted).
    pub orders: i64,
}

/// A product's sales in the report's range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopProduct {
    /// The product.
    pub product_id: ProductId,
    /// Its name as sold.
    pub name: String,
    /// Units sold.
    pub units: i64,
    /// What the units brought (before refunds).
    pub revenue_idr: i64,
}

/// A variant at or below its low-stock threshold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LowStock {
    /// The variant.
    pub variant_id: VariantId,
    /// Its product.
    pub product_id: ProductId,
    /// Product name.
    pub product_name: String,
    /// Variant name.
    pub variant_name: String,
    /// SKU.
    pub sku: String,
    /// Units in stock.
    pub stock: i64,
    /// The threshold it is at or below.
    pub threshold: i64,
}

/// A vendor's sales report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesReport {
    /// The vendor's time zone the days are counted in.
    pub time_zone: String,
    /// Bucket length.
    pub period: Period,
    /// First day.
    pub from: String,
    /// Last day (included).
    pub to: String,
    /// One bucket per period of the range, empty ones included.
    pub buckets: Vec<SalesBucket>,
    /// Revenue of the range.
    pub total_revenue_idr: i64,
    /// Orders of the range.
    pub total_orders: i64,
    /// The last 7 days up to today, one bucket per day.
    pub trend: Vec<SalesBucket>,
    /// Up to 10 products by revenue in the range.
    pub top_products: Vec<TopProduct>,
    /// Variants at or below their low-stock threshold now.
    pub low_stock: Vec<LowStock>,
}

fn bad_date(field: &str) -> AppError {
    AppError::bad_request(
        "invalid_date",
        crate::http::i18n::tr!(
            "{field}: tanggal harus berbentuk YYYY-MM-DD",
            "{field}: a date must look like YYYY-MM-DD"
        ),
    )
}

/// Local dates `(from, to)` of a query, `today` being the vendor's date.
pub fn date_range(q: &SalesQuery, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), AppError> {
    let parse = |field: &str, v: &Option<String>| {
        v.as_deref()
            .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad_date(field)))
            .transpose()
    };
    let to = parse("to", &q.to)?.unwrap_or(today);
    let from = parse("from", &q.from)?.unwrap_or(to - Days::new(29));
    if from > to || to - Days::new(MAX_RANGE_DAYS) > from {
        return Err(AppError::bad_request(
            "invalid_range",
            Text::new(
                "from harus sebelum to, paling lama 731 hari",
                "from must not be after to, and the range is at most 731 days",
            ),
        ));
    }
    Ok((from, to))
}

/// The bucket length of a query (`day` when absent).
pub fn period_of(q: &SalesQuery) -> Result<Period, AppError> {
    q.period.as_deref().unwrap_or("day").parse().map_err(|_| {
        AppError::bad_request(
            "invalid_period",
            Text::new(
                "period harus day, week atau month",
                "period must be day, week or month",
            ),
        )
    })
}

/// Unix ms of the local midnight starting `d` in `tz` (the first instant
/// of the day when midnight falls in a gap).
#[must_use]
pub fn midnight_ms(tz: Tz, d: NaiveDate) -> i64 {
    let mut t = d.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(at) = tz.from_local_datetime(&t).earliest() {
            return at.timestamp_millis();
        }
        t += chrono::Duration::hours(1);
    }
    tz.from_utc_datetime(&t).timestamp_millis()
}

/// The local date of `ms` in `tz`.
#[must_use]
pub fn local_date(tz: Tz, ms: i64) -> NaiveDate {
    tz.timestamp_millis_opt(ms)
        .single()
        .map_or(NaiveDate::MIN, |t| t.date_naive())
}

/// Buckets `(paid_at, revenue)` pairs by `period` over the local dates
/// `from..=to`; every bucket of the range is present, empty ones too.
#[must_use]
pub fn bucket(
    tz: Tz,
    period: Period,
    from: NaiveDate,
    to: NaiveDate,
    sales: impl IntoIterator<Item = (i64, i64)>,
) -> Vec<SalesBucket> {
    let mut out = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut start = period.start_of(from);
    while start <= to {
        index.insert(start, out.len());
        out.push(SalesBucket {
            start: start.to_string(),
            ..SalesBucket::default()
        });
        start = period.next(start);
    }
    for (at, revenue) in sales {
        let day = local_date(tz, at);
        if day < from || day > to {
            continue;
        }
        if let Some(&i) = index.get(&period.start_of(day)) {
            out[i].revenue_idr += revenue;
            out[i].orders += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn days_follow_the_vendors_time_zone() {
        let jakarta: Tz = "Asia/Jakarta".parse().unwrap();
        // 2026-03-01 17:30 UTC is 2026-03-02 00:30 in Jakarta (UTC+7).
        let late = chrono::Utc
            .with_ymd_and_hms(2026, 3, 1, 17, 30, 0)
            .unwrap()
            .timestamp_millis();
        let b = bucket(
            jakarta,
            Period::Day,
            d("2026-03-01"),
            d("2026-03-02"),
            [(late, 10)],
        );
        assert_eq!(b[0].orders, 0);
        assert_eq!(
            (b[1].start.as_str(), b[1].orders, b[1].revenue_idr),
            ("2026-03-02", 1, 10)
        );
        let b = bucket(
            chrono_tz::UTC,
            Period::Day,
            d("2026-03-01"),
            d("2026-03-02"),
            [(late, 10)],
        );
        assert_eq!(b[0].orders, 1);
        assert_eq!(midnight_ms(jakarta, d("2026-03-02")), late - 30 * 60_000);
    }

    #[test]
    fn weeks_start_monday_and_months_on_the_first() {
        assert_eq!(Period::Week.start_of(d("2026-12-06")), d("2026-11-30"));
        assert_eq!(Period::Week.start_of(d("2026-12-07")), d("2026-12-07"));
        assert_eq!(Period::Month.start_of(d("2026-02-17")), d("2026-02-01"));
        let b = bucket(
            chrono_tz::UTC,
            Period::Month,
            d("2026-01-15"),
            d("2026-03-02"),
            [],
        );
        let starts: Vec<&str> = b.iter().map(|b| b.start.as_str()).collect();
        assert_eq!(starts, ["2026-01-01", "2026-02-01", "2026-03-01"]);
    }

    #[test]
    fn ranges_are_checked() {
        let q = |from: &str, to: &str| SalesQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            ..SalesQuery::default()
        };
        let today = d("2026-12-07");
        assert_eq!(
            date_range(&SalesQuery::default(), today).unwrap(),
            (d("2026-11-08"), today)
        );
        assert_eq!(
            date_range(&q("2026-12-08", "2026-12-07"), today)
                .unwrap_err()
                .code(),
            "invalid_range"
        );
        assert_eq!(
            date_range(&q("2020-01-01", "2026-12-07"), today)
                .unwrap_err()
                .code(),
            "invalid_range"
        );
        assert_eq!(
            date_range(&q("7/12/2026", "2026-12-07"), today)
                .unwrap_err()
                .code(),
            "invalid_date"
        );
    }
}
