//! The weekly sales summary: every Monday from 07:00 in the vendor's time
//! zone, each vendor with a product or an order gets last week's (Monday
//! to Sunday) orders, revenue, best product and low-stock count over the
//! platform's WhatsApp number, in the vendor's language.
//!
//! Once per vendor and week: a run first inserts the claim row
//! `(tenant_id, week_start)` of `mkt_weekly_reports` and sends only when
//! its insert created the row, so two server processes on one database
//! (or a retried run) never send a week twice. A send that fails is
//! recorded on the row and not retried: a late duplicate is worse than a
//! missing summary.

use chrono::{Datelike, Days, Timelike, Weekday};
use chrono_tz::Tz;
use whatsapp_client::{OutgoingMessage, PhoneNumber, Provider as _};

use super::model::{Period, SalesQuery, SalesReport};
use super::store;
use crate::AppState;
use crate::domain::TenantId;
use crate::http::AppError;
use crate::http::i18n::{Lang, Text, tr};
use crate::marketplace::notify::rupiah;

/// The local hour on Monday from which the summary is due.
pub const SEND_FROM_HOUR: u32 = 7;

/// The Monday (`YYYY-MM-DD`) of the week to report at `now` in `tz`: the
/// week before, when it is Monday from [`SEND_FROM_HOUR`]; else none.
#[must_use]
pub fn due_week(tz: Tz, now: i64) -> Option<chrono::NaiveDate> {
    let local = chrono::TimeZone::timestamp_millis_opt(&tz, now).single()?;
    (local.weekday() == Weekday::Mon && local.hour() >= SEND_FROM_HOUR)
        .then(|| local.date_naive() - Days::new(7))
}

/// The summary text of a week's report.
#[must_use]
pub fn summary(r: &SalesReport, vendor: &str) -> Text {
    let (from, to, orders, revenue) = (&r.from, &r.to, r.total_orders, rupiah(r.total_revenue_idr));
    let low = r.low_stock.len();
    let mut text = tr!(
        "Ringkasan penjualan {vendor} minggu lalu ({from} s.d. {to}): {orders} pesanan, pendapatan {revenue}.",
        "{vendor}'s sales last week ({from} to {to}): {orders} orders, revenue {revenue}."
    );
    if let Some(p) = r.top_products.first() {
        let (name, units) = (&p.name, p.units);
        text = join(
            text,
            tr!(
                "Produk terlaris: {name} ({units} unit).",
                "Best seller: {name} ({units} units)."
            ),
        );
    }
    if low > 0 {
        text = join(
            text,
            tr!(
                "{low} varian stoknya menipis.",
                "{low} variants are low on stock."
            ),
        );
    }
    text
}

fn join(a: Text, b: Text) -> Text {
    Text::new(
        format!("{} {}", a.get(Lang::Id), b.get(Lang::Id)),
        format!("{} {}", a.get(Lang::En), b.get(Lang::En)),
    )
}

/// Sends every due weekly summary at `now` (unix ms); answers how many
/// this run sent. The background job calls it; tests pass their clock.
pub async fn run(state: &AppState, now: i64) -> Result<usize, AppError> {
    let mut sent = 0;
    for tenant in store::selling_vendors(&state.pool).await? {
        if send_one(state, &tenant, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

async fn send_one(state: &AppState, tenant: &TenantId, now: i64) -> Result<bool, AppError> {
    let tz = super::time_zone(&state.pool, tenant).await?;
    let Some(monday) = due_week(tz, now) else {
        return Ok(false);
    };
    let week = monday.to_string();
    let mut tx = state.begin_write().await?;
    let claimed = store::claim_week(&mut tx, tenant, &week, now).await?;
    tx.commit().await?;
    if !claimed {
        return Ok(false);
    }
    let q = SalesQuery {
        period: Some(Period::Week.to_string()),
        from: Some(week.clone()),
        to: Some((monday + Days::new(6)).to_string()),
        format: None,
    };
    let report = super::report(
        &state.pool,
        tenant,
        tz,
        &q,
        now,
        state.config.marketplace.low_stock_threshold,
    )
    .await?;
    let Some(vendor) = crate::tenants::store::get(&state.pool, tenant).await? else {
        return Ok(false);
    };
    let body = summary(&report, &vendor.name)
        .get(Lang::of(&vendor.locale))
        .to_owned();
    let outcome = match PhoneNumber::parse(&vendor.whatsapp) {
        Ok(to) => state
            .services
            .platform_sender
            .send(&to, &OutgoingMessage::text(body))
            .await
            .map(|r| r.message_id.unwrap_or_default())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = &outcome {
        tracing::warn!(tenant = %tenant, error = %e, "weekly sales summary not sent");
    }
    store::finish_week(
        &state.pool,
        tenant,
        &week,
        outcome.as_deref().map_err(String::as_str),
        now,
    )
    .await?;
    Ok(outcome.is_ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::TimeZone as _;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        chrono::Utc
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn due_from_monday_seven_local() {
        let jkt = chrono_tz::Asia::Jakarta;
        // Monday 2026-12-07 06:59 in Jakarta is 2026-12-06 23:59 UTC.
        assert_eq!(due_week(jkt, at(2026, 12, 6, 23, 59)), None);
        assert_eq!(
            due_week(jkt, at(2026, 12, 7, 0, 0)).unwrap().to_string(),
            "2026-11-30"
        );
        // Monday 07:00 UTC is Monday 14:00 in Jakarta but Sunday in Los Angeles.
        assert_eq!(
            due_week(chrono_tz::America::Los_Angeles, at(2026, 12, 7, 7, 0)),
            None
        );
        // Tuesday: nothing due.
        assert_eq!(due_week(jkt, at(2026, 12, 8, 3, 0)), None);
    }
}
