//! The billing pages in headless Chromium: billing details with a bad NPWP
//! shown next to its field, the billing page with usage bars and the
//! payment history, the printable invoice; screenshots at 360 px and at
//! desktop width in `target/screenshots/`, and nothing wider than a phone.

use crate::billing::{SERVER_KEY, app_with_midtrans, notify, plan_id, status_says};
use crate::browser::Browser;
use crate::common::{DbKind, data};

use midtrans_client::testing::signed_notification;
use serde_json::json;

const SIZES: [(&str, u32, u32); 2] = [("phone360", 360, 740), ("desktop", 1280, 860)];

async fn fits_a_phone(b: &Browser, page: &str) {
    b.resize(360, 740).await;
    let wide = b.overflowing().await;
    assert!(wide.is_empty(), "{page} is wider than 360 px: {wide:?}");
}

#[tokio::test]
async fn billing_and_invoice_in_the_browser() {
    let (app, mock) = app_with_midtrans(DbKind::Sqlite).await;
    let v = app.signup_vendor("Toko Faktur Cantik").await;

    let b = Browser::start(&app.base).await;
    b.goto("/login").await;
    b.fill("#f-email", &v.email).await;
    b.fill("#f-password", &v.password).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.find("nav.menu").await;

    // Billing details: a bad NPWP is shown next to the field, the rest kept.
    b.goto("/console/settings/billing").await;
    b.fill("#f-legal_name", "PT Faktur Cantik Sejahtera").await;
    b.fill("#f-address", "Jl. Braga No. 12\nBandung 40111")
        .await;
    b.fill("#f-npwp", "01.234.567").await;
    b.click("#billing-details button[type=submit]").await;
    let error = b.text("#e-npwp").await;
    assert!(error.contains("15 atau 16 angka"), "{error}");
    assert_eq!(
        b.find("#f-legal_name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("PT Faktur Cantik Sejahtera")
    );
    fits_a_phone(&b, "billing details with an error").await;
    b.shot_sizes("billing-details-error", &SIZES).await;
    b.fill("#f-npwp", "01.234.567.8-901.234").await;
    b.click("#billing-details button[type=submit]").await;
    b.find("#saved").await;

    // A paid order, confirmed by Midtrans.
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
    data(
        notify(
            &app,
            signed_notification(&order_id, "settlement", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;

    b.goto("/console/billing").await;
    b.find("#usage progress").await;
    assert!(
        b.text("#usage").await.contains("0 / 10.000"),
        "messages against the basic plan"
    );
    fits_a_phone(&b, "billing").await;
    b.shot_sizes("billing-invoices", &SIZES).await;

    b.click("a.invoice-link").await;
    let number = b.text("#invoice-number").await;
    assert!(number.starts_with("INV/"), "{number}");
    assert!(
        b.text("#invoice-buyer")
            .await
            .contains("01.234.567.8-901.234")
    );
    fits_a_phone(&b, "invoice").await;
    b.shot_sizes("invoice", &SIZES).await;
    b.close().await;
}
