//! Plans and billing over HTTP with Midtrans on wiremock: Snap order,
//! signed notifications confirmed by GET status, idempotent transitions,
//! receipts, expiry and plan limits.

use crate::common;

use std::time::Duration;

use common::{DbKind, TestApp, data, error_code, spawn_app_with};
use midtrans_client::testing::signed_notification;
use reference_server::billing::limits::{self, Limit};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const SERVER_KEY: &str = "SB-Mid-server-test-key";
pub(crate) const DAY_MS: i64 = 86_400_000;

pub(crate) async fn app_with_midtrans(kind: DbKind) -> (TestApp, MockServer) {
    let mock = MockServer::start().await;
    let uri = mock.uri();
    let app = spawn_app_with(kind, |c| {
        c.midtrans.server_key = Some(secrecy::SecretString::from(SERVER_KEY.to_owned()));
        c.midtrans.api_base_url = Some(uri.clone());
        c.midtrans.snap_base_url = Some(format!("{uri}/snap/v1"));
    })
    .await;
    Mock::given(method("POST"))
        .and(path("/snap/v1/transactions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "token": "snap-token-1",
            "redirect_url": "https://app.sandbox.midtrans.com/snap/v4/redirection/snap-token-1"
        })))
        .mount(&mock)
        .await;
    (app, mock)
}

/// Makes GET status of `order` answer `status` with `amount`.
pub(crate) async fn status_says(mock: &MockServer, order: &str, status: &str, amount: i64) {
    let body = json!({
        "status_code": if status == "pending" { "201" } else { "200" },
        "status_message": "Success, transaction is found",
        "transaction_id": format!("tx-{order}"),
        "order_id": order,
        "gross_amount": format!("{amount}.00"),
        "currency": "IDR",
        "payment_type": "bank_transfer",
        "transaction_time": "2026-01-01 10:00:00",
        "transaction_status": status,
        "fraud_status": "accept"
    });
    Mock::given(method("GET"))
        .and(path(format!("/v2/{order}/status")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .with_priority(1)
        .up_to_n_times(u64::MAX)
        .mount(mock)
        .await;
}

pub(crate) async fn notify(app: &TestApp, body: String) -> reqwest::Response {
    app.client
        .post(app.url("/webhooks/midtrans"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn plan_id(app: &TestApp, code: &str) -> String {
    let plans = data(
        app.client
            .get(app.url("/api/v1/plans"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    plans
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == code)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn subscription(app: &TestApp, token: &str) -> Value {
    data(app.get("/api/v1/billing/subscription", token).await, 200).await["subscription"].clone()
}

async fn order_status(app: &TestApp, token: &str, order: &str) -> String {
    data(
        app.get(&format!("/api/v1/billing/orders/{order}"), token)
            .await,
        200,
    )
    .await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn payment_flow_is_idempotent(kind: DbKind) {
    let (app, mock) = app_with_midtrans(kind).await;
    let v = app.signup_vendor("Toko Bayar").await;
    let trial = subscription(&app, &v.token).await;
    let trial_expiry = trial["expires_at"].as_i64().unwrap();
    let basic = plan_id(&app, "basic").await;

    let order = data(
        app.post(
            "/api/v1/billing/orders",
            &v.token,
            json!({"plan_id": basic}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(order["status"], "pending");
    assert_eq!(order["amount_idr"], 99_000);
    assert_eq!(order["snap_token"], "snap-token-1");
    let order_id = order["id"].as_str().unwrap().to_owned();

    // A bad signature is refused and changes nothing.
    let forged = signed_notification(&order_id, "settlement", 99_000, "wrong-key");
    assert_eq!(
        error_code(notify(&app, forged).await, 401).await,
        "invalid_signature"
    );
    assert_eq!(order_status(&app, &v.token, &order_id).await, "pending");
    let payments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(payments, 0);

    // Pending while pending: recorded, nothing changes.
    status_says(&mock, &order_id, "pending", 99_000).await;
    let r = data(
        notify(
            &app,
            signed_notification(&order_id, "pending", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["changed"], false);

    // Settlement: paid, subscription extended from the trial's expiry.
    mock.reset().await;
    status_says(&mock, &order_id, "settlement", 99_000).await;
    let r = data(
        notify(
            &app,
            signed_notification(&order_id, "settlement", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["changed"], true);
    assert_eq!(r["status"], "paid");
    let sub = subscription(&app, &v.token).await;
    assert_eq!(sub["plan_code"], "basic");
    assert_eq!(
        sub["expires_at"].as_i64().unwrap(),
        trial_expiry + 30 * DAY_MS
    );

    // Repeat: nothing changes, the subscription is not extended twice.
    let r = data(
        notify(
            &app,
            signed_notification(&order_id, "settlement", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["changed"], false);
    assert_eq!(
        subscription(&app, &v.token).await["expires_at"],
        sub["expires_at"]
    );

    // A stale pending never downgrades.
    mock.reset().await;
    status_says(&mock, &order_id, "pending", 99_000).await;
    let r = data(
        notify(
            &app,
            signed_notification(&order_id, "pending", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["changed"], false);
    assert_eq!(r["status"], "paid");
    assert_eq!(order_status(&app, &v.token, &order_id).await, "paid");

    // The receipt goes out on WhatsApp, in Indonesian (sent after commit).
    let mut receipt = None;
    for _ in 0..100 {
        receipt = app
            .platform_messages_to(&v.whatsapp)
            .await
            .into_iter()
            .find(|m| m.message.to_string().contains("Terima kasih"));
        if receipt.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let receipt = receipt.expect("no receipt sent").message.to_string();
    assert!(
        receipt.contains("Rp99.000") && receipt.contains("Basic"),
        "{receipt}"
    );

    // The admin sees the order and the payment events.
    let admin = app.admin_token().await;
    let orders = data(
        app.get(
            &format!("/api/v1/admin/orders?tenant_id={}", v.tenant_id),
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(orders.as_array().unwrap().len(), 1);
    let payments = data(app.get("/api/v1/admin/payments", &admin).await, 200).await;
    assert_eq!(payments.as_array().unwrap().len(), 2, "{payments}");
}
both_dbs!(payment_flow_is_idempotent);

async fn amount_mismatch_and_unknown_orders(kind: DbKind) {
    let (app, mock) = app_with_midtrans(kind).await;
    let v = app.signup_vendor("Toko Curang").await;
    let pro = plan_id(&app, "pro").await;
    let order = data(
        app.post("/api/v1/billing/orders", &v.token, json!({"plan_id": pro}))
            .await,
        201,
    )
    .await;
    let order_id = order["id"].as_str().unwrap().to_owned();
    // Signed correctly, but for less money than the order.
    status_says(&mock, &order_id, "settlement", 1_000).await;
    let res = notify(
        &app,
        signed_notification(&order_id, "settlement", 1_000, SERVER_KEY),
    )
    .await;
    assert_eq!(error_code(res, 400).await, "amount_mismatch");
    assert_eq!(order_status(&app, &v.token, &order_id).await, "pending");
    assert_eq!(subscription(&app, &v.token).await["plan_code"], "trial");

    let res = notify(
        &app,
        signed_notification("no-such-order", "settlement", 1_000, SERVER_KEY),
    )
    .await;
    assert_eq!(error_code(res, 404).await, "not_found");
    let res = notify(&app, "{not json".to_owned()).await;
    assert_eq!(error_code(res, 400).await, "invalid_notification");
    // Free plans cannot be bought.
    let trial = plan_id(&app, "trial").await;
    let res = app
        .post(
            "/api/v1/billing/orders",
            &v.token,
            json!({"plan_id": trial}),
        )
        .await;
    assert_eq!(error_code(res, 400).await, "plan_unavailable");
}
both_dbs!(amount_mismatch_and_unknown_orders);

async fn expiry_job_and_limits(kind: DbKind) {
    let (app, mock) = app_with_midtrans(kind).await;
    let v = app.signup_vendor("Toko Habis").await;
    let pool = &app.state.pool;

    // Monthly limits: trial allows 1000 messages.
    limits::consume(
        pool,
        &v.tenant_id.as_str().into(),
        Limit::MessagesPerMonth,
        999,
    )
    .await
    .unwrap();
    limits::consume(
        pool,
        &v.tenant_id.as_str().into(),
        Limit::MessagesPerMonth,
        1,
    )
    .await
    .unwrap();
    let err = limits::consume(
        pool,
        &v.tenant_id.as_str().into(),
        Limit::MessagesPerMonth,
        1,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "plan_limit_exceeded");
    assert!(err.to_string().contains("mengizinkan 1000"), "{err}");
    assert_eq!(
        limits::usage(pool, &v.tenant_id.as_str().into(), Limit::MessagesPerMonth)
            .await
            .unwrap(),
        1000
    );
    limits::check_with_current(pool, &v.tenant_id.as_str().into(), Limit::Devices, 0, 1)
        .await
        .unwrap();
    let err = limits::check_with_current(pool, &v.tenant_id.as_str().into(), Limit::Devices, 1, 1)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "plan_limit_exceeded");

    // The expiry job marks past subscriptions expired once their grace
    // period is over too; limits then refuse.
    sqlx::query("UPDATE subscriptions SET expires_at = $1, grace_until = $1 WHERE tenant_id = $2")
        .bind(reference_server::db::now_ms() - 1)
        .bind(&v.tenant_id)
        .execute(pool)
        .await
        .unwrap();
    let n =
        reference_server::billing::subscriptions::expire_due(pool, reference_server::db::now_ms())
            .await
            .unwrap();
    assert_eq!(n, 1);
    assert_eq!(subscription(&app, &v.token).await["status"], "expired");
    let err = limits::check_with_current(pool, &v.tenant_id.as_str().into(), Limit::Devices, 0, 1)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "subscription_required");

    // Paying now starts a fresh period from now, not from the old expiry.
    let basic = plan_id(&app, "basic").await;
    let order = data(
        app.post(
            "/api/v1/billing/orders",
            &v.token,
            json!({"plan_id": basic}),
        )
        .await,
        201,
    )
    .await;
    let order_id = order["id"].as_str().unwrap().to_owned();
    status_says(&mock, &order_id, "settlement", 99_000).await;
    let before = reference_server::db::now_ms();
    data(
        notify(
            &app,
            signed_notification(&order_id, "settlement", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    let after = reference_server::db::now_ms();
    let sub = subscription(&app, &v.token).await;
    assert_eq!(sub["status"], "active");
    let exp = sub["expires_at"].as_i64().unwrap();
    assert!(
        exp >= before + 30 * DAY_MS && exp <= after + 30 * DAY_MS,
        "{sub}"
    );
    limits::check_with_current(pool, &v.tenant_id.as_str().into(), Limit::Devices, 0, 1)
        .await
        .unwrap();
}
both_dbs!(expiry_job_and_limits);

async fn payments_not_configured(kind: DbKind) {
    let app = common::spawn_app(kind).await;
    let v = app.signup_vendor("Toko Gratis").await;
    let basic = plan_id(&app, "basic").await;
    let res = app
        .post(
            "/api/v1/billing/orders",
            &v.token,
            json!({"plan_id": basic}),
        )
        .await;
    assert_eq!(error_code(res, 503).await, "not_configured");
}
both_dbs!(payments_not_configured);

/// A failing usage query is a server error, not a usage of zero that would
/// tell the vendor there is room left on the plan.
async fn usage_errors_are_not_zero(kind: DbKind) {
    let app = common::spawn_app(kind).await;
    let v = app.signup_vendor("Toko Hitung").await;
    limits::record(
        &app.state.pool,
        &v.tenant_id.as_str().into(),
        Limit::MessagesPerMonth,
        3,
    )
    .await
    .unwrap();
    let status = data(app.get("/api/v1/billing/subscription", &v.token).await, 200).await;
    assert_eq!(status["usage"]["messages_this_month"], 3, "{status}");
    sqlx::query("ALTER TABLE usage_counters RENAME TO usage_counters_moved")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let res = app.get("/api/v1/billing/subscription", &v.token).await;
    assert_eq!(error_code(res, 500).await, "internal_error");
}
both_dbs!(usage_errors_are_not_zero);
