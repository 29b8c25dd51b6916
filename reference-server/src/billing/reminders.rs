//! Expiry reminders and the grace period.
//!
//! A sweep ([`remind_due`], every `billing.reminder_interval_secs`) sends
//! the vendor a WhatsApp message from the platform sender 7, 3 and 1 days
//! before its subscription expires, with a link to the billing page, and
//! one when the plan has expired and the grace period runs. A
//! subscription whose expiry is nearer than a threshold gets only the
//! nearest reminder (a plan bought with two days left is not told about
//! seven). Each reminder goes out once per expiry, also with several
//! server processes: the sweep claims it by inserting its row into
//! `subscription_reminders` (primary key on vendor, expiry and kind)
//! before sending, and gives the claim back when sending fails so a later
//! sweep tries again. A renewal moves the expiry, so the new expiry gets
//! its own reminders.
//!
//! The grace period (`billing.grace_days`, default 3): after `expires_at`
//! the plan keeps working until `grace_until`; the expiry job then marks
//! it expired as before.

use super::receipt::{send_text, wib_time};
use super::store::subscriptions::{self, Expiring};
use crate::AppState;
use crate::db::now_ms;
use crate::http::AppError;

const DAY_MS: i64 = 86_400_000;

/// Days before the expiry at which a reminder goes out, nearest first.
pub const THRESHOLD_DAYS: [i64; 3] = [1, 3, 7];

/// Which reminder is due at `now` for a subscription expiring at
/// `expires_at` with its grace period until `grace_until`: `d1`, `d3`,
/// `d7`, `grace`, or none.
pub fn due_kind(expires_at: i64, grace_until: Option<i64>, now: i64) -> Option<&'static str> {
    let left = expires_at - now;
    if left > 0 {
        return THRESHOLD_DAYS
            .iter()
            .zip(["d1", "d3", "d7"])
            .find(|(days, _)| left <= *days * DAY_MS)
            .map(|(_, kind)| kind);
    }
    grace_until.filter(|g| *g > now).map(|_| "grace")
}

/// The reminder's text in `locale` (`id` default, `en`).
pub fn text(locale: &str, kind: &str, s: &Expiring, billing_url: &str) -> String {
    let until = wib_time(s.expires_at);
    let plan = &s.plan_name;
    let en = locale == "en";
    if kind == "grace" {
        let grace = wib_time(s.grace_until.unwrap_or(s.expires_at));
        return if en {
            format!(
                "Your {plan} plan expired on {until} WIB. It keeps working until {grace} WIB; \
                 renew before then so your bots and campaigns do not stop: {billing_url}"
            )
        } else {
            format!(
                "Paket {plan} Anda berakhir pada {until} WIB. Layanan tetap berjalan sampai {grace} WIB; \
                 perpanjang sebelum itu agar bot dan kampanye tidak berhenti: {billing_url}"
            )
        };
    }
    let days = match kind {
        "d1" => 1,
        "d3" => 3,
        _ => 7,
    };
    if en {
        let unit = if days == 1 { "day" } else { "days" };
        format!(
            "Your {plan} plan expires in {days} {unit}, on {until} WIB. \
             Renew it here to keep your bots and campaigns running: {billing_url}"
        )
    } else {
        format!(
            "Paket {plan} Anda berakhir dalam {days} hari, pada {until} WIB. \
             Perpanjang di sini agar bot dan kampanye tetap berjalan: {billing_url}"
        )
    }
}

/// Sends the reminders due at `now`; returns how many this call sent.
pub async fn remind_due(state: &AppState, now: i64) -> Result<usize, AppError> {
    let grace_ms = state.config.billing.grace_ms();
    let horizon = THRESHOLD_DAYS[THRESHOLD_DAYS.len() - 1] * DAY_MS;
    let candidates = subscriptions::expiring(&state.pool, now - grace_ms, now + horizon).await?;
    let billing_url = format!(
        "{}/console/billing",
        state.config.public_base_url.trim_end_matches('/')
    );
    let mut sent = 0;
    for s in candidates {
        let Some(kind) = due_kind(s.expires_at, s.grace_until, now) else {
            continue;
        };
        if !subscriptions::claim_reminder(&state.pool, &s.tenant_id, s.expires_at, kind, now)
            .await?
        {
            continue;
        }
        let body = text(&s.locale, kind, &s, &billing_url);
        match send_text(state, &s.whatsapp, body).await {
            Ok(()) => {
                sent += 1;
                metrics::counter!("subscription_reminders_total", "kind" => kind).increment(1);
            }
            Err(e) => {
                tracing::warn!(tenant_id = %s.tenant_id, kind, error = %e.chain(), "subscription reminder not sent");
                subscriptions::release_reminder(&state.pool, &s.tenant_id, s.expires_at, kind)
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// How long the record of a sent reminder is kept after the expiry it was
/// about; far longer than any grace period, so no sweep meets it again.
const KEEP_SENT_MS: i64 = 400 * DAY_MS;

/// The job body for `crate::spawn_periodic`.
pub(crate) async fn job(state: AppState) -> Result<(), sqlx::Error> {
    let now = now_ms();
    subscriptions::prune_reminders(&state.pool, now - KEEP_SENT_MS).await?;
    match remind_due(&state, now).await {
        Ok(_) => Ok(()),
        Err(AppError::Database(e)) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e.chain(), "subscription reminders failed");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_threshold_then_grace() {
        let exp = 100 * DAY_MS;
        assert_eq!(due_kind(exp, None, exp - 8 * DAY_MS), None);
        assert_eq!(due_kind(exp, None, exp - 7 * DAY_MS), Some("d7"));
        assert_eq!(due_kind(exp, None, exp - 3 * DAY_MS - 1), Some("d7"));
        assert_eq!(due_kind(exp, None, exp - 3 * DAY_MS), Some("d3"));
        assert_eq!(due_kind(exp, None, exp - DAY_MS), Some("d1"));
        assert_eq!(due_kind(exp, None, exp - 1), Some("d1"));
        assert_eq!(due_kind(exp, None, exp), None);
        let grace = Some(exp + 3 * DAY_MS);
        assert_eq!(due_kind(exp, grace, exp), Some("grace"));
        assert_eq!(due_kind(exp, grace, exp + 3 * DAY_MS), None);
    }
}
