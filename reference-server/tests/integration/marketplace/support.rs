//! Drives orders to a given state over HTTP (shared by the tests of
//! reviews, analytics and payouts).

use serde_json::json;
use wiremock::MockServer;

use super::{Buyer, checkout, notify, put_cart, status_says};
use crate::common::{TestApp, data};

/// Buys `qty` of each `(variant, qty)` in one checkout and pays it;
/// answers the orders (one per shop) as JSON.
pub(super) async fn paid_orders(
    app: &TestApp,
    mock: &MockServer,
    b: &Buyer,
    lines: &[(&str, i64)],
    key: &str,
) -> Vec<serde_json::Value> {
    for (v, q) in lines {
        data(put_cart(app, b, v, *q).await, 200).await;
    }
    let group = data(checkout(app, b, key).await, 201).await;
    let pay = group["payment_order_id"].as_str().unwrap().to_owned();
    let total = group["total_idr"].as_i64().unwrap();
    status_says(mock, &pay, "settlement", total).await;
    assert_eq!(
        data(notify(app, &pay, "settlement", total).await, 200).await["changed"],
        true
    );
    group["orders"].as_array().unwrap().clone()
}

/// Ships (as the vendor) and confirms (as the buyer) one order.
pub(super) async fn deliver(app: &TestApp, vendor_token: &str, b: &Buyer, order: &str) {
    data(
        app.post(
            &format!("/api/v1/marketplace/vendor/orders/{order}/ship"),
            vendor_token,
            json!({"courier": "JNE", "tracking_number": format!("JNE-{order}")}),
        )
        .await,
        200,
    )
    .await;
    let done = data(
        app.post(
            &format!("/api/v1/marketplace/orders/{order}/confirm-delivery"),
            &b.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(done["status"], "delivered");
}
