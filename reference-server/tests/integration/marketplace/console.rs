//! The vendor console's marketplace pages and the admin's payout page
//! over plain HTTP, on SQLite and PostgreSQL (Midtrans and Iris on
//! wiremock): a product with two variants made through the form (a field
//! error keeps what was typed), an image through the multipart form,
//! publishing, a stock adjustment, an order paid by a buyer through the
//! JSON API then shipped and another cancelled from the order page, the
//! sales page and its export, sales on the overview, reviews on the
//! product page, another vendor's URLs, and a payout.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::support::{deliver, paid_orders};
use super::{app, buyer, product};
use crate::common::{DbKind, data};
use crate::web_pages::{WebClient, admin_client, location, vendor_client};

/// The smallest PNG there is (1x1).
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Posts a multipart form with the `_csrf` field first and one file.
async fn upload(
    web: &mut WebClient<'_>,
    from: &str,
    to: &str,
    bytes: &[u8],
    name: &str,
) -> reqwest::Response {
    let token = web.token(from).await;
    let form = reqwest::multipart::Form::new().text("_csrf", token).part(
        "image",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    );
    let res = web
        .app
        .client
        .post(web.app.url(to))
        .header("accept", "text/html")
        .header("cookie", web.cookie_header())
        .multipart(form)
        .send()
        .await
        .unwrap();
    web.keep(&res);
    res
}

fn product_fields<'a>(price1: &'a str, sku1: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name", "Kaos Polos"),
        ("category", "Fashion"),
        ("description", "Kaos katun"),
        ("specs", "Bahan: Katun\nBerat: 200 g"),
        ("threshold", "3"),
        ("sku0", "POLOS-M"),
        ("vname0", "M / Putih"),
        ("price0", "75.000"),
        ("stock0", "10"),
        ("sku1", sku1),
        ("vname1", "L / Hitam"),
        ("price1", price1),
        ("stock1", "4"),
    ]
}

async fn console_pages(kind: DbKind) {
    let (app, mock) = app(kind).await;
    let a = app.signup_vendor("Toko Kaos").await;
    let b = app.signup_vendor("Toko Lain").await;
    let mut web = vendor_client(&app, &a).await;
    let list = web.page("/console/products", 200).await;
    assert!(list.contains("Belum ada produk"), "{list}");

    // A bad price: 422 next to its field, what was typed stays, nothing made.
    let res = web
        .submit(
            "/console/products/new",
            "/console/products",
            &product_fields("murah", "POLOS-L"),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-price1\""), "{body}");
    assert!(body.contains("value=\"Kaos Polos\""), "typed name kept");
    assert!(body.contains("value=\"murah\""), "typed price kept");
    assert!(
        !body.contains("id=\"e-price0\""),
        "the good row has no error"
    );
    let mine = data(
        app.get("/api/v1/marketplace/vendor/products", &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(mine.as_array().unwrap().len(), 0);
    // The same SKU twice is the catalog's refusal, shown on the form.
    let res = web
        .submit(
            "/console/products/new",
            "/console/products",
            &product_fields("80000", "POLOS-M"),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("SKU yang sama"));

    let res = web
        .submit(
            "/console/products/new",
            "/console/products",
            &product_fields("80000", "POLOS-L"),
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = location(&res);
    let id = page.trim_start_matches("/console/products/").to_owned();
    let p = data(
        app.get(
            &format!("/api/v1/marketplace/vendor/products/{id}"),
            &a.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["status"], "draft");
    assert_eq!(p["category"], "fashion");
    assert_eq!(p["specs"][1], json!({"key": "Berat", "value": "200 g"}));
    assert_eq!(p["low_stock_threshold"], 3);
    let variants = p["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    assert_eq!(variants[0]["price_idr"], 75_000);
    let v_m = variants.iter().find(|v| v["sku"] == "POLOS-M").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Images through the multipart form; a file that is not an image is
    // refused next to the field.
    let res = upload(
        &mut web,
        &page,
        &format!("{page}/images"),
        b"<html>bukan</html>",
        "a.png",
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-image\""), "{body}");
    let res = upload(&mut web, &page, &format!("{page}/images"), PNG, "kaos.png").await;
    assert_eq!(res.status(), 303);
    let p = data(
        app.get(
            &format!("/api/v1/marketplace/vendor/products/{id}"),
            &a.token,
        )
        .await,
        200,
    )
    .await;
    let image = p["images"][0]["id"].as_str().unwrap().to_owned();
    let res = web.get(&format!("/console/images/{image}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    // Publishing.
    let res = web.submit(&page, &format!("{page}/publish"), &[]).await;
    assert_eq!(res.status(), 303);
    assert!(web.page(&page, 200).await.contains("id=\"unpublish\""));

    // Stock: below zero is refused next to the change; a good one is in
    // the ledger with its reason.
    let stock = format!("/console/variants/{v_m}/stock");
    let res = web
        .submit(&stock, &stock, &[("delta", "-50"), ("reason", "rusak")])
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-delta\""), "{body}");
    assert!(body.contains("value=\"rusak\""));
    let res = web
        .submit(
            &stock,
            &stock,
            &[("delta", "+5"), ("reason", "barang datang")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let ledger = web.page(&stock, 200).await;
    assert!(ledger.contains("barang datang") && ledger.contains("penyesuaian"));
    assert!(ledger.contains("id=\"stock-now\">15<"), "{ledger}");

    // A buyer orders two things through the JSON API and pays.
    let x = buyer(&app, "Rina").await;
    let first = paid_orders(&app, &mock, &x, &[(&v_m, 2)], "web-1").await;
    let second = paid_orders(&app, &mock, &x, &[(&v_m, 1)], "web-2").await;
    let o1 = first[0]["id"].as_str().unwrap().to_owned();
    let o2 = second[0]["id"].as_str().unwrap().to_owned();
    let orders = web.page("/console/orders?status=processing", 200).await;
    assert!(orders.contains(&o1) && orders.contains(&o2), "{orders}");
    let order_page = format!("/console/orders/{o1}");
    let body = web.page(&order_page, 200).await;
    assert!(body.contains("id=\"ship-form\"") && body.contains("Jl. Merdeka 1"));

    // Ship: a missing courier is shown next to it, the tracking number stays.
    let res = web
        .submit(
            &order_page,
            &format!("{order_page}/ship"),
            &[("courier", " "), ("tracking_number", "JNE123")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"e-courier\""), "{body}");
    assert!(body.contains("value=\"JNE123\""));
    let res = web
        .submit(
            &order_page,
            &format!("{order_page}/ship"),
            &[("courier", "JNE"), ("tracking_number", "JNE123")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let body = web.page(&order_page, 200).await;
    assert!(body.contains("JNE123") && !body.contains("id=\"ship-form\""));
    assert!(
        !body.contains("id=\"cancel-form\""),
        "a shipped order is not cancelled"
    );
    let o = data(
        app.get(&format!("/api/v1/marketplace/vendor/orders/{o1}"), &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(o["status"], "shipped");

    // Cancel with refund from the other order's page.
    let other = format!("/console/orders/{o2}");
    let res = web
        .submit(
            &other,
            &format!("{other}/cancel"),
            &[("reason", "stok habis")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let o = data(
        app.get(&format!("/api/v1/marketplace/vendor/orders/{o2}"), &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(o["status"], "cancelled");
    assert!(web.page(&other, 200).await.contains("stok habis"));
    // Shipping it now is the lifecycle's refusal, shown on its page.
    let res = web
        .submit(
            &order_page,
            &format!("{other}/ship"),
            &[("courier", "JNE"), ("tracking_number", "X1")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("tidak dapat mengubah pesanan"), "{body}");

    // Delivered and reviewed: the review is on the product page.
    data(
        app.post(
            &format!("/api/v1/marketplace/orders/{o1}/confirm-delivery"),
            &x.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    data(
        app.post(
            &format!("/api/v1/marketplace/products/{id}/reviews"),
            &x.token,
            json!({"rating": 4, "text": "Bahannya adem"}),
        )
        .await,
        201,
    )
    .await;
    let body = web.page(&page, 200).await;
    assert!(
        body.contains("Bahannya adem") && body.contains("★★★★☆"),
        "{body}"
    );

    // Sales: the paid order counts (the cancelled one does not).
    let sales = web.page("/console/sales", 200).await;
    assert!(
        sales.contains("id=\"sales-revenue\">Rp 150.000<"),
        "{sales}"
    );
    assert!(sales.contains("id=\"sales-orders\">1<"));
    assert!(sales.contains("<svg"), "charts drawn");
    let res = web.get("/console/sales/export?format=csv").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("text/csv")
    );
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("start,orders,revenue_idr")
    );
    let res = web
        .get("/console/sales/export?format=xlsx&period=week")
        .await;
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    let res = web.get("/console/sales?from=2026-13-40").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"e-from\""));
    let overview = web.page("/console/overview", 200).await;
    assert!(
        overview.contains("id=\"overview-revenue\">Rp 150.000<"),
        "{overview}"
    );

    // Another vendor's product, variant, image and order are not found.
    let (bp, bv) = product(&app, &b.token, "Topi", "TOPI-1", 20_000, 5).await;
    let y = buyer(&app, "Joko").await;
    let b_orders = paid_orders(&app, &mock, &y, &[(&bv, 1)], "web-b").await;
    let bo = b_orders[0]["id"].as_str().unwrap();
    for url in [
        format!("/console/products/{bp}"),
        format!("/console/variants/{bv}/stock"),
        format!("/console/orders/{bo}"),
    ] {
        web.page(&url, 404).await;
    }
    let t = web.token("/console/orders").await;
    let res = web
        .post(
            &format!("/console/orders/{bo}/ship"),
            Some(&t),
            &[("courier", "JNE"), ("tracking_number", "X")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = web
        .post(
            &format!("/console/variants/{bv}/stock"),
            Some(&t),
            &[("delta", "5"), ("reason", "x")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let b_order = data(
        app.get(&format!("/api/v1/marketplace/vendor/orders/{bo}"), &b.token)
            .await,
        200,
    )
    .await;
    assert_eq!(b_order["status"], "processing", "nothing changed");
    let b_image = data(
        app.client
            .post(app.url(&format!("/api/v1/marketplace/vendor/products/{bp}/images")))
            .bearer_auth(&b.token)
            .body(PNG.to_vec())
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    web.page(
        &format!("/console/images/{}", b_image["id"].as_str().unwrap()),
        404,
    )
    .await;

    // The admin's payout page: the ledger, then a payout through Iris.
    deliver(&app, &b.token, &y, bo).await;
    data(
        app.request(
            reqwest::Method::PUT,
            "/api/v1/marketplace/vendor/payout-account",
            Some(&a.token),
            Some(json!({"bank": "bca", "account": "1234567890", "holder_name": "Toko Kaos"})),
        )
        .await,
        200,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/payouts"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "payouts": [{"status": "queued", "reference_no": "iris-web-1"}]
        })))
        .mount(&mock)
        .await;
    let mut admin = admin_client(&app).await;
    let payouts = format!("/admin/vendors/{}/payouts", a.tenant_id);
    let body = admin.page(&payouts, 200).await;
    assert!(body.contains(&o1), "the delivered order is in the ledger");
    // 150,000 less the trial's 10 % commission.
    assert!(body.contains("id=\"owed\">Rp 135.000<"), "{body}");
    let res = admin
        .submit(&payouts, &payouts, &[("idempotency_key", "web-pay-1")])
        .await;
    assert_eq!(res.status(), 303);
    let body = admin.page(&payouts, 200).await;
    assert!(body.contains("iris-web-1") && body.contains("id=\"owed\">Rp 0<"));
    // Nothing owed any more: the API's refusal above the button.
    let res = admin
        .submit(&payouts, &payouts, &[("idempotency_key", "web-pay-2")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("tidak ada saldo"));
    // A vendor's session does not open it.
    assert_eq!(web.get(&payouts).await.status(), 303);
    app.stop().await;
}

#[tokio::test]
async fn console_pages_sqlite() {
    console_pages(DbKind::Sqlite).await;
}

#[tokio::test]
async fn console_pages_postgres() {
    console_pages(DbKind::Postgres).await;
}
