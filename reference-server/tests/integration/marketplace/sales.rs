//! Sales figures in the vendor's time zone (a Jakarta day boundary),
//! their exports, and the weekly WhatsApp summary sent once per vendor
//! and week by concurrent runners (two states on one database).

use chrono::TimeZone as _;
use reference_server::marketplace::sales::{self, model::SalesQuery, weekly};
use serde_json::{Value, json};

use super::support::paid_orders;
use super::{app, buyer, product};
use crate::common::{DbKind, TestApp, data, error_code};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> i64 {
    chrono::Utc
        .with_ymd_and_hms(y, m, d, h, min, s)
        .unwrap()
        .timestamp_millis()
}

async fn set_paid_at(app: &TestApp, order: &str, at: i64) {
    sqlx::query("UPDATE mkt_orders SET paid_at = $1 WHERE id = $2")
        .bind(at)
        .bind(order)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

async fn sales_of(app: &TestApp, token: &str, query: &str) -> Value {
    data(
        app.get(&format!("/api/v1/marketplace/vendor/sales?{query}"), token)
            .await,
        200,
    )
    .await
}

fn day(report: &Value, i: usize) -> (String, i64, i64) {
    let b = &report["buckets"][i];
    (
        b["start"].as_str().unwrap().to_owned(),
        b["orders"].as_i64().unwrap(),
        b["revenue_idr"].as_i64().unwrap(),
    )
}

/// Known sales: 20,000 paid on Sunday 2026-03-01 23:59:59 Jakarta,
/// 90,000 at Monday 2026-03-02 00:00:00 Jakarta (the same UTC day), and
/// a cancelled order that never counts.
async fn known_sales(
    app: &TestApp,
    mock: &wiremock::MockServer,
) -> (common::VendorSession, String, String) {
    let shop = app.signup_vendor("Toko Angka").await;
    let (p1, v1) = product(app, &shop.token, "Sabun Sereh", "SBN-1", 10_000, 100).await;
    let (p2, v2) = product(app, &shop.token, "Madu Hutan", "MADU-1", 30_000, 12).await;
    let x = buyer(app, "Rina").await;
    let a = paid_orders(app, mock, &x, &[(&v1, 2)], "s-1").await;
    let b = paid_orders(app, mock, &x, &[(&v2, 3)], "s-2").await;
    let c = paid_orders(app, mock, &x, &[(&v1, 1)], "s-3").await;
    let cancelled = c[0]["id"].as_str().unwrap();
    data(
        app.post(
            &format!("/api/v1/marketplace/orders/{cancelled}/cancel"),
            &x.token,
            json!({"reason": "tidak jadi"}),
        )
        .await,
        200,
    )
    .await;
    set_paid_at(
        app,
        a[0]["id"].as_str().unwrap(),
        utc(2026, 3, 1, 16, 59, 59),
    )
    .await;
    set_paid_at(app, b[0]["id"].as_str().unwrap(), utc(2026, 3, 1, 17, 0, 0)).await;
    set_paid_at(app, cancelled, utc(2026, 3, 1, 12, 0, 0)).await;
    (shop, p1, p2)
}

use crate::common;

async fn sales_in_vendor_time_zone(kind: DbKind) {
    let (app, mock) = app(kind).await;
    let (shop, p1, p2) = known_sales(&app, &mock).await;

    // Jakarta (the default): the two orders fall on two days and weeks.
    let r = sales_of(&app, &shop.token, "from=2026-03-01&to=2026-03-02").await;
    assert_eq!(r["time_zone"], "Asia/Jakarta");
    assert_eq!(day(&r, 0), ("2026-03-01".into(), 1, 20_000));
    assert_eq!(day(&r, 1), ("2026-03-02".into(), 1, 90_000));
    assert_eq!(
        (r["total_orders"].as_i64(), r["total_revenue_idr"].as_i64()),
        (Some(2), Some(110_000))
    );
    assert_eq!(r["top_products"][0]["product_id"], p2);
    assert_eq!(r["top_products"][0]["units"], 3);
    assert_eq!(r["top_products"][1]["product_id"], p1);
    assert_eq!(r["top_products"][1]["revenue_idr"], 20_000);
    assert_eq!(r["top_products"].as_array().unwrap().len(), 2);
    // 12 - 3 = 9 units of honey left: at or below the threshold of 10.
    let low = r["low_stock"].as_array().unwrap();
    assert_eq!(low.len(), 1);
    assert_eq!(
        (low[0]["sku"].as_str(), low[0]["stock"].as_i64()),
        (Some("MADU-1"), Some(9))
    );
    let w = sales_of(
        &app,
        &shop.token,
        "period=week&from=2026-02-23&to=2026-03-08",
    )
    .await;
    assert_eq!(day(&w, 0), ("2026-02-23".into(), 1, 20_000));
    assert_eq!(day(&w, 1), ("2026-03-02".into(), 1, 90_000));
    let m = sales_of(
        &app,
        &shop.token,
        "period=month&from=2026-03-01&to=2026-03-31",
    )
    .await;
    assert_eq!(m["buckets"].as_array().unwrap().len(), 1);
    assert_eq!(day(&m, 0), ("2026-03-01".into(), 2, 110_000));

    // The last 7 days up to an injected "now" (Monday 12:00 Jakarta).
    let tenant = shop.tenant_id.clone().into();
    let tz = sales::time_zone(&app.state.pool, &tenant).await.unwrap();
    let report = sales::report(
        &app.state.pool,
        &tenant,
        tz,
        &SalesQuery::default(),
        utc(2026, 3, 2, 5, 0, 0),
        10,
    )
    .await
    .unwrap();
    let trend: Vec<(&str, i64)> = report
        .trend
        .iter()
        .map(|b| (b.start.as_str(), b.revenue_idr))
        .collect();
    assert_eq!(
        trend,
        [
            ("2026-02-24", 0),
            ("2026-02-25", 0),
            ("2026-02-26", 0),
            ("2026-02-27", 0),
            ("2026-02-28", 0),
            ("2026-03-01", 20_000),
            ("2026-03-02", 90_000)
        ]
    );

    // In UTC both were paid on 1 March.
    data(
        app.request(
            reqwest::Method::PATCH,
            "/api/v1/tenant",
            Some(&shop.token),
            Some(json!({"time_zone": "UTC"})),
        )
        .await,
        200,
    )
    .await;
    let r = sales_of(&app, &shop.token, "from=2026-03-01&to=2026-03-02").await;
    assert_eq!(day(&r, 0), ("2026-03-01".into(), 2, 110_000));
    assert_eq!(day(&r, 1), ("2026-03-02".into(), 0, 0));

    // Exports through the shared helper.
    let csv = app
        .get(
            "/api/v1/marketplace/vendor/sales/export?from=2026-03-01&to=2026-03-02",
            &shop.token,
        )
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    assert!(text.contains("2026-03-01,2,110000"), "{text}");
    assert!(text.contains("total,2,110000"), "{text}");
    assert!(text.contains("MADU-1,Madu Hutan"), "{text}");
    let xlsx = app
        .get(
            "/api/v1/marketplace/vendor/sales/export?format=xlsx&from=2026-03-01&to=2026-03-02",
            &shop.token,
        )
        .await;
    assert_eq!(xlsx.status(), 200);
    assert!(
        xlsx.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert_eq!(&xlsx.bytes().await.unwrap()[..2], b"PK");

    // Bad input.
    for (q, code) in [
        ("period=year", "invalid_period"),
        ("from=2026-03-05&to=2026-03-01", "invalid_range"),
        ("from=1-3-2026", "invalid_date"),
    ] {
        assert_eq!(
            error_code(
                app.get(
                    &format!("/api/v1/marketplace/vendor/sales?{q}"),
                    &shop.token
                )
                .await,
                400
            )
            .await,
            code
        );
    }
    assert_eq!(
        error_code(
            app.get(
                "/api/v1/marketplace/vendor/sales/export?format=pdf",
                &shop.token
            )
            .await,
            400
        )
        .await,
        "invalid_format"
    );
    // Another vendor sees none of it.
    let other = app.signup_vendor("Toko Lain").await;
    let r = sales_of(&app, &other.token, "from=2026-03-01&to=2026-03-02").await;
    assert_eq!(r["total_orders"], 0);
    app.stop().await;
}
both_dbs!(sales_in_vendor_time_zone);

async fn weekly_summary_once(kind: DbKind) {
    let (app, mock) = app(kind).await;
    let (shop, _, _) = known_sales(&app, &mock).await;
    let english = app.signup_vendor("English Shop").await;
    product(&app, &english.token, "Tea", "TEA-1", 5_000, 50).await;
    data(
        app.request(
            reqwest::Method::PATCH,
            "/api/v1/tenant",
            Some(&english.token),
            Some(json!({"locale": "en"})),
        )
        .await,
        200,
    )
    .await;
    let week_text = "2026-03-02 s.d. 2026-03-08";
    let summaries = |to: String| {
        let app = &app;
        async move {
            app.platform_messages_to(&to)
                .await
                .into_iter()
                .map(|m| m.message.to_string())
                .filter(|m| m.contains("2026-03-02") && m.contains("2026-03-08"))
                .collect::<Vec<_>>()
        }
    };

    // Sunday evening and Monday 06:59 in Jakarta: not yet.
    assert_eq!(
        weekly::run(&app.state, utc(2026, 3, 8, 12, 0, 0))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        weekly::run(&app.state, utc(2026, 3, 8, 23, 59, 0))
            .await
            .unwrap(),
        0
    );
    assert!(summaries(shop.whatsapp.clone()).await.is_empty());

    // Monday 07:30 Jakarta: two runners of this process and one of a
    // second process on the same database, at once.
    let second = reference_server::build_state((*app.state.config).clone())
        .await
        .unwrap();
    let now = utc(2026, 3, 9, 0, 30, 0);
    let (a, b, c) = tokio::join!(
        weekly::run(&app.state, now),
        weekly::run(&app.state, now),
        weekly::run(&second, now),
    );
    assert_eq!(a.unwrap() + b.unwrap() + c.unwrap(), 2, "one per vendor");
    // Later the same Monday: nothing more.
    assert_eq!(
        weekly::run(&second, utc(2026, 3, 9, 9, 0, 0))
            .await
            .unwrap(),
        0
    );

    let sent = summaries(shop.whatsapp.clone()).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains(week_text), "{}", sent[0]);
    assert!(sent[0].contains("1 pesanan"), "{}", sent[0]);
    assert!(sent[0].contains("Rp90.000"), "{}", sent[0]);
    assert!(sent[0].contains("Madu Hutan (3 unit)"), "{}", sent[0]);
    let en = summaries(english.whatsapp.clone()).await;
    assert_eq!(en.len(), 1, "{en:?}");
    assert!(
        en[0].contains("sales last week (2026-03-02 to 2026-03-08): 0 orders"),
        "{}",
        en[0]
    );
    let claims: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mkt_weekly_reports WHERE week_start = '2026-03-02' AND message_id IS NOT NULL",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(claims, 2);
    app.stop().await;
}
both_dbs!(weekly_summary_once);
