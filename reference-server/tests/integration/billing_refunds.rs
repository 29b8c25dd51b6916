//! Refunds and chargebacks of plan orders take back the subscription time
//! the refunded share bought: once per notification, proportionally for
//! partial refunds, recorded and audited.

use crate::billing::{
    DAY_MS, SERVER_KEY, app_with_midtrans, notify, plan_id, status_says, subscription,
};
use crate::common;

use common::{DbKind, TestApp, VendorSession, data};
use midtrans_client::testing::signed_notification;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Makes GET status of `order` answer `status` with the given refunds.
async fn refunded_at_midtrans(mock: &MockServer, order: &str, status: &str, refunds: &[i64]) {
    mock.reset().await;
    let refunds: Vec<Value> = refunds
        .iter()
        .enumerate()
        .map(|(i, a)| json!({"refund_chargeback_id": i + 1, "refund_amount": format!("{a}.00")}))
        .collect();
    let mut body = json!({
        "status_code": "200",
        "status_message": "Success, transaction is found",
        "transaction_id": format!("tx-{order}"),
        "order_id": order,
        "gross_amount": "99000.00",
        "currency": "IDR",
        "payment_type": "gopay",
        "transaction_time": "2026-01-01 10:00:00",
        "transaction_status": status,
        "fraud_status": "accept"
    });
    if !refunds.is_empty() {
        body["refunds"] = Value::Array(refunds);
    }
    Mock::given(method("GET"))
        .and(path(format!("/v2/{order}/status")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(mock)
        .await;
}

async fn paid_order(app: &TestApp, mock: &MockServer, v: &VendorSession) -> String {
    let basic = plan_id(app, "basic").await;
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
    let id = order["id"].as_str().unwrap().to_owned();
    status_says(mock, &id, "settlement", 99_000).await;
    let r = data(
        notify(
            app,
            signed_notification(&id, "settlement", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["status"], "paid");
    id
}

async fn expiry(app: &TestApp, v: &VendorSession) -> i64 {
    subscription(app, &v.token).await["expires_at"]
        .as_i64()
        .unwrap()
}

async fn refund_takes_back_the_time(kind: DbKind) {
    let (app, mock) = app_with_midtrans(kind).await;
    let a = app.signup_vendor("Toko Refund").await;
    let b = app.signup_vendor("Toko Chargeback").await;
    let trial_a = expiry(&app, &a).await;
    let trial_b = expiry(&app, &b).await;
    let order_a = paid_order(&app, &mock, &a).await;
    let order_b = paid_order(&app, &mock, &b).await;
    assert_eq!(expiry(&app, &a).await, trial_a + 30 * DAY_MS);

    // A third refunded: a third of the 30 days goes.
    refunded_at_midtrans(&mock, &order_a, "partial_refund", &[33_000]).await;
    let body = signed_notification(&order_a, "partial_refund", 99_000, SERVER_KEY);
    let r = data(notify(&app, body.clone()).await, 200).await;
    assert_eq!(r["status"], "refunded");
    assert_eq!(expiry(&app, &a).await, trial_a + 20 * DAY_MS);
    // The same notification again takes nothing more.
    data(notify(&app, body).await, 200).await;
    assert_eq!(expiry(&app, &a).await, trial_a + 20 * DAY_MS);

    // A second partial refund: only the difference.
    refunded_at_midtrans(&mock, &order_a, "partial_refund", &[33_000, 33_000]).await;
    data(
        notify(
            &app,
            signed_notification(&order_a, "partial_refund", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(expiry(&app, &a).await, trial_a + 10 * DAY_MS);

    // The rest refunded: all 30 days are gone, not more.
    refunded_at_midtrans(&mock, &order_a, "refund", &[33_000, 33_000, 33_000]).await;
    data(
        notify(
            &app,
            signed_notification(&order_a, "refund", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(expiry(&app, &a).await, trial_a);
    let grace_until = subscription(&app, &a.token).await["grace_until"]
        .as_i64()
        .unwrap();
    assert_eq!(grace_until, trial_a + app.state.config.billing.grace_ms());

    // A chargeback without a refund list takes the whole period.
    refunded_at_midtrans(&mock, &order_b, "chargeback", &[]).await;
    data(
        notify(
            &app,
            signed_notification(&order_b, "chargeback", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(expiry(&app, &b).await, trial_b);

    // Recorded per order, audited per take-back, and the invoice says so.
    let (refunded, taken): (i64, i64) =
        sqlx::query_as("SELECT refunded_idr, taken_back_ms FROM order_refunds WHERE order_id = $1")
            .bind(&order_a)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!((refunded, taken), (99_000, 30 * DAY_MS));
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'billing.subscription_time_taken_back' \
         AND tenant_id = $1",
    )
    .bind(&a.tenant_id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(audited, 3);
    let invoices = data(app.get("/api/v1/billing/invoices", &a.token).await, 200).await;
    assert_eq!(invoices[0]["order_status"], "refunded");
}
both_dbs!(refund_takes_back_the_time);
