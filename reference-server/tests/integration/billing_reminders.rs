//! Expiry reminders 7, 3 and 1 days before and in the grace period, each
//! once (also with two server processes sweeping at the same moment), and
//! the grace period itself. The sweeps take the time as an argument, so
//! the tests move it instead of waiting.

use crate::common;

use common::{DbKind, TestApp, VendorSession, data};
use reference_server::billing::limits::{self, Limit};
use reference_server::billing::reminders::remind_due;
use reference_server::billing::subscriptions::{expire_due, sync_grace};
use reference_server::db::now_ms;

const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

/// A server whose own jobs stay out of the way: they run once at start
/// and then not for an hour.
async fn quiet_app(kind: DbKind) -> TestApp {
    common::spawn_app_with(kind, |c| {
        c.expiry_job_interval_secs = 3600;
        c.billing.reminder_interval_secs = 3600;
    })
    .await
}

async fn set_expiry(app: &TestApp, v: &VendorSession, expires_at: i64, grace_until: Option<i64>) {
    sqlx::query("UPDATE subscriptions SET expires_at = $1, grace_until = $2 WHERE tenant_id = $3")
        .bind(expires_at)
        .bind(grace_until)
        .bind(&v.tenant_id)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

/// The reminders the vendor's number received, oldest first.
async fn reminders_to(app: &TestApp, v: &VendorSession) -> Vec<String> {
    let mut got: Vec<String> = app
        .platform_messages_to(&v.whatsapp)
        .await
        .into_iter()
        .map(|m| m.message.to_string())
        .filter(|m| m.contains("/console/billing") && m.contains("Trial"))
        .collect();
    got.reverse();
    got
}

async fn each_reminder_once(kind: DbKind) {
    let app = quiet_app(kind).await;
    // A second server process on the same database, sweeping too.
    let second = reference_server::build_state((*app.state.config).clone())
        .await
        .unwrap();
    let v = app.signup_vendor("Toko Pengingat").await;
    let en = app.signup_vendor("Toko Reminder").await;
    sqlx::query("UPDATE tenants SET locale = 'en' WHERE id = $1")
        .bind(&en.tenant_id)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let t = now_ms() + 30 * DAY_MS;
    let grace = 3 * DAY_MS;
    set_expiry(&app, &v, t, Some(t + grace)).await;
    set_expiry(&app, &en, t + 20 * DAY_MS, Some(t + 20 * DAY_MS + grace)).await;

    let sweep = |at: i64| {
        let (a, b) = (app.state.clone(), second.clone());
        async move {
            let (x, y) = tokio::join!(remind_due(&a, at), remind_due(&b, at));
            x.unwrap() + y.unwrap()
        }
    };
    assert_eq!(sweep(t - 8 * DAY_MS).await, 0);
    assert_eq!(sweep(t - 7 * DAY_MS + MINUTE_MS).await, 1, "7 days before");
    assert_eq!(sweep(t - 7 * DAY_MS + 2 * MINUTE_MS).await, 0);
    assert_eq!(sweep(t - 4 * DAY_MS).await, 0);
    assert_eq!(sweep(t - 3 * DAY_MS + MINUTE_MS).await, 1, "3 days before");
    assert_eq!(sweep(t - 2 * DAY_MS).await, 0);
    assert_eq!(sweep(t - DAY_MS + MINUTE_MS).await, 1, "1 day before");
    assert_eq!(sweep(t - MINUTE_MS).await, 0);
    assert_eq!(sweep(t + MINUTE_MS).await, 1, "grace period");
    assert_eq!(sweep(t + 2 * DAY_MS).await, 0);
    assert_eq!(sweep(t + grace + MINUTE_MS).await, 0);

    let got = reminders_to(&app, &v).await;
    assert_eq!(got.len(), 4, "{got:#?}");
    assert!(got[0].contains("berakhir dalam 7 hari"), "{}", got[0]);
    assert!(got[1].contains("berakhir dalam 3 hari"), "{}", got[1]);
    assert!(got[2].contains("berakhir dalam 1 hari"), "{}", got[2]);
    assert!(got[3].contains("tetap berjalan sampai"), "{}", got[3]);
    let link = format!("{}/console/billing", app.state.config.public_base_url);
    assert!(got.iter().all(|m| m.contains(&link)), "{got:#?}");
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM subscription_reminders WHERE tenant_id = $1")
            .bind(&v.tenant_id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(rows, 4);

    // The English vendor, 7 days before its own expiry.
    assert_eq!(sweep(t + 13 * DAY_MS + MINUTE_MS).await, 1);
    let got_en = reminders_to(&app, &en).await;
    assert_eq!(got_en.len(), 1);
    assert!(got_en[0].contains("expires in 7 days"), "{}", got_en[0]);

    // A renewal moves the expiry: the new one gets its own reminders (the
    // English vendor's grace period is over by then).
    let renewed = t + 30 * DAY_MS;
    set_expiry(&app, &v, renewed, Some(renewed + grace)).await;
    assert_eq!(sweep(renewed - 7 * DAY_MS + MINUTE_MS).await, 1);
    assert_eq!(reminders_to(&app, &v).await.len(), 5);
}
both_dbs!(each_reminder_once);

async fn grace_keeps_the_plan_working(kind: DbKind) {
    let app = quiet_app(kind).await;
    let v = app.signup_vendor("Toko Tenggang").await;
    let pool = &app.state.pool;
    let tenant = v.tenant_id.as_str().into();
    let grace_ms = app.state.config.billing.grace_ms();
    assert_eq!(grace_ms, 3 * DAY_MS, "the default grace period");

    // Expired an hour ago: the job gives it its grace period, the plan
    // still works and is not expired.
    let now = now_ms();
    set_expiry(&app, &v, now - 3_600_000, None).await;
    assert!(sync_grace(pool, grace_ms).await.unwrap() >= 1);
    limits::check_with_current(pool, &tenant, Limit::Devices, 0, 1)
        .await
        .unwrap();
    assert_eq!(expire_due(pool, now_ms()).await.unwrap(), 0);
    let sub = data(app.get("/api/v1/billing/subscription", &v.token).await, 200).await;
    assert_eq!(sub["subscription"]["status"], "active");
    assert_eq!(
        sub["subscription"]["grace_until"].as_i64().unwrap(),
        now - 3_600_000 + grace_ms
    );
    let mut web = crate::web_pages::vendor_client(&app, &v).await;
    let page = web.page("/console/billing", 200).await;
    assert!(page.contains("id=\"grace\""), "{page}");

    // Past the grace period: limits refuse and the job expires it.
    set_expiry(&app, &v, now - 4 * DAY_MS, None).await;
    sync_grace(pool, grace_ms).await.unwrap();
    let err = limits::check_with_current(pool, &tenant, Limit::Devices, 0, 1)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "subscription_required");
    assert_eq!(expire_due(pool, now_ms()).await.unwrap(), 1);
    let sub = data(app.get("/api/v1/billing/subscription", &v.token).await, 200).await;
    assert_eq!(sub["subscription"]["status"], "expired");
    assert!(
        !web.page("/console/billing", 200)
            .await
            .contains("id=\"grace\"")
    );
}
both_dbs!(grace_keeps_the_plan_working);
