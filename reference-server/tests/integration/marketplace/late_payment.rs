//! A payment that arrives after its checkout expired: revived when every
//! unit is still in stock, refunded through Midtrans when one was sold
//! meanwhile; a repeat of the notification changes nothing.

use super::{app, buyer, checkout, notify, product, put_cart, status_says, stock_of};
use crate::common::{DbKind, TestApp, data};

/// Checks out `qty` of `variant` for `b` and lets the checkout expire;
/// answers (group id, payment order id, total).
async fn expired_checkout(
    app: &TestApp,
    b: &super::Buyer,
    variant: &str,
    qty: i64,
    key: &str,
) -> (String, String, i64) {
    data(put_cart(app, b, variant, qty).await, 200).await;
    let group = data(checkout(app, b, key).await, 201).await;
    let id = group["id"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE mkt_order_groups SET expires_at = 0 WHERE id = $1")
        .bind(&id)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let swept = reference_server::marketplace::orders::sweep(&app.state)
        .await
        .unwrap();
    assert_eq!(swept.expired, 1);
    (
        id,
        group["payment_order_id"].as_str().unwrap().to_owned(),
        group["total_idr"].as_i64().unwrap(),
    )
}

async fn group_of(app: &TestApp, b: &super::Buyer, id: &str) -> serde_json::Value {
    data(
        app.get(&format!("/api/v1/marketplace/order-groups/{id}"), &b.token)
            .await,
        200,
    )
    .await
}

async fn late_payment_is_revived_or_refunded(kind: DbKind) {
    let (app, mock) = app(kind).await;
    let shop = app.signup_vendor("Toko Telat").await;
    let (p, v) = product(&app, &shop.token, "Tas", "TAS-1", 50_000, 3).await;
    let x = buyer(&app, "Sari").await;
    let y = buyer(&app, "Tono").await;

    // Paid late with the units still there: the checkout is paid after all.
    let (id, pay, total) = expired_checkout(&app, &x, &v, 2, "late-1").await;
    assert_eq!(stock_of(&app, &shop.token, &p).await, 3);
    status_says(&mock, &pay, "settlement", total).await;
    assert_eq!(
        data(notify(&app, &pay, "settlement", total).await, 200).await["changed"],
        true
    );
    let g = group_of(&app, &x, &id).await;
    assert_eq!(g["status"], "paid", "{g}");
    assert_eq!(g["orders"][0]["status"], "processing", "{g}");
    assert_eq!(stock_of(&app, &shop.token, &p).await, 1);
    let again = data(notify(&app, &pay, "settlement", total).await, 200).await;
    assert_eq!(again["changed"], false);
    assert_eq!(stock_of(&app, &shop.token, &p).await, 1);

    // Paid late after the last unit went to another buyer: refunded.
    let (id, pay, total) = expired_checkout(&app, &y, &v, 1, "late-2").await;
    data(put_cart(&app, &x, &v, 1).await, 200).await;
    data(checkout(&app, &x, "late-3").await, 201).await;
    assert_eq!(stock_of(&app, &shop.token, &p).await, 0);
    status_says(&mock, &pay, "settlement", total).await;
    let late = data(notify(&app, &pay, "settlement", total).await, 200).await;
    assert_eq!(late["changed"], true, "{late}");
    let g = group_of(&app, &y, &id).await;
    assert_eq!(g["status"], "expired", "{g}");
    assert_eq!(g["orders"][0]["status"], "cancelled", "{g}");
    assert_eq!(stock_of(&app, &shop.token, &p).await, 0, "nothing oversold");
    let refunds: Vec<String> = mock
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == format!("/v2/{pay}/refund"))
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert!(refunds[0].contains(&total.to_string()), "{refunds:?}");
    let told = app.platform_messages_to(&y.whatsapp).await;
    assert!(
        told.iter()
            .any(|m| m.message.to_string().contains("Dana dikembalikan")),
        "{told:?}"
    );
    // A repeat neither refunds again nor revives.
    let again = data(notify(&app, &pay, "settlement", total).await, 200).await;
    assert_eq!(again["changed"], false);
    let count = mock
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == format!("/v2/{pay}/refund"))
        .count();
    assert_eq!(count, 1);
    app.stop().await;
}
both_dbs!(late_payment_is_revived_or_refunded);
