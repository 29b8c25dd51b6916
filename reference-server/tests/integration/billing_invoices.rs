//! Invoices of paid plan orders: numbering per year without gaps (also
//! with two server processes on one database), the vendor's billing
//! details and their validation, JSON, HTML and PDF, tenant isolation.

use crate::billing::{SERVER_KEY, app_with_midtrans, notify, plan_id, status_says};
use crate::common;
use crate::web_pages::vendor_client;

use common::{DbKind, TestApp, VendorSession, data, error_code};
use midtrans_client::testing::signed_notification;
use reference_server::billing::store::invoices::{jakarta_year, next_seq};
use serde_json::{Value, json};
use wiremock::MockServer;

/// Orders the basic plan for `v` and has Midtrans settle it through
/// `base` (one of the server processes); returns the order id.
async fn buy_basic(app: &TestApp, mock: &MockServer, base: &str, v: &VendorSession) -> String {
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
    let order_id = order["id"].as_str().unwrap().to_owned();
    status_says(mock, &order_id, "settlement", 99_000).await;
    let res = app
        .client
        .post(format!("{base}/webhooks/midtrans"))
        .header("content-type", "application/json")
        .body(signed_notification(
            &order_id,
            "settlement",
            99_000,
            SERVER_KEY,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    order_id
}

async fn invoices_of(app: &TestApp, v: &VendorSession) -> Vec<Value> {
    data(app.get("/api/v1/billing/invoices", &v.token).await, 200)
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn put_details(app: &TestApp, v: &VendorSession, body: Value) -> reqwest::Response {
    app.request(
        reqwest::Method::PUT,
        "/api/v1/billing/details",
        Some(&v.token),
        Some(body),
    )
    .await
}

async fn numbered_per_year_without_gaps(kind: DbKind) {
    let (app, mock) = app_with_midtrans(kind).await;
    let a = app.signup_vendor("Toko Faktur A").await;
    let b = app.signup_vendor("Toko Faktur B").await;
    data(
        put_details(
            &app,
            &a,
            json!({"legal_name": "PT Faktur Satu", "address": "Jl. Merdeka 1\nBandung",
                   "npwp": "01.234.567.8-901.234"}),
        )
        .await,
        200,
    )
    .await;
    let year = jakarta_year(reference_server::db::now_ms());

    let first = buy_basic(&app, &mock, &app.base, &a).await;
    let invoices = invoices_of(&app, &a).await;
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    let inv = &invoices[0];
    assert_eq!(inv["number"], format!("INV/{year}/000001"));
    assert_eq!(inv["order_id"], first.as_str());
    assert_eq!(inv["amount_idr"], 99_000);
    assert_eq!(inv["buyer_name"], "PT Faktur Satu");
    assert_eq!(inv["buyer_address"], "Jl. Merdeka 1\nBandung");
    assert_eq!(inv["buyer_npwp"], "012345678901234");
    assert_eq!(inv["order_status"], "paid");

    // A repeated notification issues nothing.
    let r = data(
        notify(
            &app,
            signed_notification(&first, "settlement", 99_000, SERVER_KEY),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["changed"], false);
    assert_eq!(invoices_of(&app, &a).await.len(), 1);

    // The next paid order of any vendor takes the next number; a vendor
    // without billing details is billed under its business name.
    buy_basic(&app, &mock, &app.base, &b).await;
    let inv_b = invoices_of(&app, &b).await;
    assert_eq!(inv_b[0]["number"], format!("INV/{year}/000002"));
    assert_eq!(inv_b[0]["buyer_name"], "Toko Faktur B");
    assert!(inv_b[0]["buyer_npwp"].is_null());

    // Details are copied at issue time: a later edit changes only later
    // invoices.
    data(
        put_details(
            &app,
            &a,
            json!({"legal_name": "PT Faktur Baru", "address": "Jl. Baru 2", "npwp": ""}),
        )
        .await,
        200,
    )
    .await;
    buy_basic(&app, &mock, &app.base, &a).await;
    let invoices = invoices_of(&app, &a).await;
    assert_eq!(invoices.len(), 2);
    assert_eq!(invoices[0]["number"], format!("INV/{year}/000003"));
    assert_eq!(invoices[0]["buyer_name"], "PT Faktur Baru");
    assert!(invoices[0]["buyer_npwp"].is_null());
    assert_eq!(invoices[1]["buyer_name"], "PT Faktur Satu");

    // Each year counts from 1, and a number taken by a transaction that
    // rolls back is taken again by the next one (no gap).
    let pool = &app.state.pool;
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(next_seq(&mut tx, year + 1).await.unwrap(), 1);
    tx.commit().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(next_seq(&mut tx, year + 1).await.unwrap(), 2);
    tx.rollback().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(next_seq(&mut tx, year + 1).await.unwrap(), 2);
    assert_eq!(next_seq(&mut tx, year).await.unwrap(), 4);
    tx.rollback().await.unwrap();
    let numbers: Vec<String> = sqlx::query_scalar("SELECT number FROM invoices ORDER BY year, seq")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(
        numbers,
        (1..=3)
            .map(|n| format!("INV/{year}/{n:06}"))
            .collect::<Vec<_>>()
    );
}
both_dbs!(numbered_per_year_without_gaps);

const CONCURRENT_ORDERS: usize = 8;

async fn numbered_without_gaps_across_processes(kind: DbKind) {
    let (app, mock) = app_with_midtrans(kind).await;
    let (second, _stop) = crate::bots_two_processes::second_process(&app).await;
    let mut orders = Vec::new();
    for i in 0..CONCURRENT_ORDERS {
        let v = app.signup_vendor(&format!("Toko Paralel {i}")).await;
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
        let id = order["id"].as_str().unwrap().to_owned();
        status_says(&mock, &id, "settlement", 99_000).await;
        orders.push(id);
    }
    // Every notification at once, half to each process, each twice.
    let mut tasks = Vec::new();
    for (i, id) in orders.iter().enumerate() {
        for round in 0..2 {
            let base = if (i + round) % 2 == 0 {
                app.base.clone()
            } else {
                second.clone()
            };
            let client = app.client.clone();
            let body = signed_notification(id, "settlement", 99_000, SERVER_KEY);
            tasks.push(tokio::spawn(async move {
                client
                    .post(format!("{base}/webhooks/midtrans"))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM invoices ORDER BY seq")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(
        seqs,
        (1..=i64::try_from(CONCURRENT_ORDERS).unwrap()).collect::<Vec<_>>()
    );
    let per_order: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT order_id) FROM invoices")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(per_order, i64::try_from(CONCURRENT_ORDERS).unwrap());
}
both_dbs!(numbered_without_gaps_across_processes);

async fn details_are_validated(kind: DbKind) {
    let app = common::spawn_app(kind).await;
    let v = app.signup_vendor("Toko NPWP").await;
    for (body, code) in [
        (
            json!({"legal_name": "PT A", "address": "Jl. A", "npwp": "12345"}),
            "invalid_npwp",
        ),
        (
            json!({"legal_name": "PT A", "address": "Jl. A", "npwp": "01.234.567.8-901.23X"}),
            "invalid_npwp",
        ),
        (
            json!({"legal_name": " ", "address": "Jl. A"}),
            "invalid_legal_name",
        ),
        (
            json!({"legal_name": "PT A", "address": ""}),
            "invalid_address",
        ),
    ] {
        assert_eq!(
            error_code(put_details(&app, &v, body.clone()).await, 400).await,
            code,
            "{body}"
        );
    }
    let saved = data(app.get("/api/v1/billing/details", &v.token).await, 200).await;
    assert_eq!(saved["legal_name"], "");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM billing_details")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);

    // The console form: the error next to the field, what was typed kept,
    // 422, nothing saved.
    let mut web = vendor_client(&app, &v).await;
    let res = web
        .submit(
            "/console/settings/billing",
            "/console/settings/billing",
            &[
                ("legal_name", "PT Ketik Dulu"),
                ("address", "Jl. Diketik 9"),
                ("npwp", "99.999"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-npwp\""), "{body}");
    assert!(body.contains("NPWP harus 15 atau 16 angka"), "{body}");
    assert!(body.contains("value=\"PT Ketik Dulu\""), "{body}");
    assert!(body.contains("Jl. Diketik 9</textarea>"), "{body}");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM billing_details")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);

    let res = web
        .submit(
            "/console/settings/billing",
            "/console/settings/billing",
            &[
                ("legal_name", "PT Ketik Dulu"),
                ("address", "Jl. Diketik 9"),
                ("npwp", "3171 0123 4567 8901"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = web.page("/console/settings/billing?saved=1", 200).await;
    assert!(page.contains("value=\"3171 0123 4567 8901\""), "{page}");
    let saved = data(app.get("/api/v1/billing/details", &v.token).await, 200).await;
    assert_eq!(saved["npwp"], "3171012345678901");
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'billing.details_updated' AND tenant_id = $1",
    )
    .bind(&v.tenant_id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}
both_dbs!(details_are_validated);

async fn html_pdf_and_isolation(kind: DbKind) {
    let (app, mock) = app_with_midtrans(kind).await;
    let v = app.signup_vendor("Toko Cetak").await;
    data(
        put_details(
            &app,
            &v,
            json!({"legal_name": "CV Cetak Jaya", "address": "Jl. Cetak 5", "npwp": "012345678901234"}),
        )
        .await,
        200,
    )
    .await;
    buy_basic(&app, &mock, &app.base, &v).await;
    let inv = invoices_of(&app, &v).await.remove(0);
    let id = inv["id"].as_str().unwrap();
    let number = inv["number"].as_str().unwrap();
    let one = data(
        app.get(&format!("/api/v1/billing/invoices/{id}"), &v.token)
            .await,
        200,
    )
    .await;
    assert_eq!(one["number"], number);

    // PDF, Indonesian by default, English on request.
    let res = app
        .get(&format!("/api/v1/billing/invoices/{id}/pdf"), &v.token)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains(number), "number missing");
    assert!(text.contains("FAKTUR") && text.contains("CV Cetak Jaya"));
    assert!(text.contains("01.234.567.8-901.234"));
    let en = app
        .client
        .get(app.url(&format!("/api/v1/billing/invoices/{id}/pdf")))
        .bearer_auth(&v.token)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&en).contains("BILLED TO"));

    // The console: the payment history links to the printable invoice;
    // usage is shown against the plan's limits.
    let mut web = vendor_client(&app, &v).await;
    let billing = web.page("/console/billing", 200).await;
    assert!(
        billing.contains(&format!("href=\"/console/billing/invoices/{id}\"")),
        "{billing}"
    );
    assert!(
        billing.contains("<progress value=\"0\" max=\"1\" aria-label=\"perangkat\">"),
        "the basic plan's device limit as a bar: {billing}"
    );
    let html = web
        .page(&format!("/console/billing/invoices/{id}"), 200)
        .await;
    assert!(html.contains(number) && html.contains("CV Cetak Jaya"));
    assert!(html.contains("01.234.567.8-901.234"));
    assert!(html.contains("Rp99.000"));
    web.cookies.insert("wa_lang".to_owned(), "en".to_owned());
    let html_en = web
        .page(&format!("/console/billing/invoices/{id}"), 200)
        .await;
    assert!(
        html_en.contains("Billed to") && html_en.contains("Download PDF"),
        "{html_en}"
    );
    web.cookies.remove("wa_lang");
    let res = web
        .get(&format!("/console/billing/invoices/{id}/pdf"))
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));

    // Another vendor sees none of it.
    let other = app.signup_vendor("Toko Intip").await;
    assert!(invoices_of(&app, &other).await.is_empty());
    for path in [
        format!("/api/v1/billing/invoices/{id}"),
        format!("/api/v1/billing/invoices/{id}/pdf"),
    ] {
        assert_eq!(
            error_code(app.get(&path, &other.token).await, 404).await,
            "not_found",
            "{path}"
        );
    }
    let mut web_other = vendor_client(&app, &other).await;
    let page = web_other
        .page(&format!("/console/billing/invoices/{id}"), 404)
        .await;
    assert!(!page.contains("CV Cetak Jaya"));
    assert_eq!(
        web_other
            .get(&format!("/console/billing/invoices/{id}/pdf"))
            .await
            .status(),
        404
    );
}
both_dbs!(html_pdf_and_isolation);

/// The year's counter row is locked by the transaction that took a number
/// until it ends: another process's transaction waits for it and then
/// takes the next number (a `MAX(seq) + 1` would hand out the same one).
async fn a_number_waits_for_the_transaction_before_it(kind: DbKind) {
    let app = common::spawn_app(kind).await;
    let second = reference_server::build_state((*app.state.config).clone())
        .await
        .unwrap();
    let year = 2099;
    let mut first = app.state.pool.begin().await.unwrap();
    assert_eq!(next_seq(&mut first, year).await.unwrap(), 1);
    let waiting = tokio::spawn(async move {
        let mut tx = second.pool.begin().await.unwrap();
        let n = next_seq(&mut tx, year).await.unwrap();
        tx.commit().await.unwrap();
        n
    });
    // Still waiting while the first transaction is open.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the second number did not wait");
    first.commit().await.unwrap();
    assert_eq!(waiting.await.unwrap(), 2);
}
both_dbs!(a_number_waits_for_the_transaction_before_it);
