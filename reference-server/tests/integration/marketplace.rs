//! The marketplace over HTTP on SQLite and PostgreSQL, Midtrans on
//! wiremock: buyer sign-in, catalog, search, cart, split checkout,
//! payment fan-out, lifecycle with refund, expiry, isolation and the
//! oversell race.

use crate::common;

mod browser;
mod console;
mod late_payment;
mod payouts;
mod privacy;
mod reviews;
mod sales;
mod support;

use common::{DbKind, TestApp, data, error_code, spawn_app_with, unique_whatsapp};
use midtrans_client::testing::signed_notification;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SERVER_KEY: &str = "SB-Mid-server-test-key";

async fn app(kind: DbKind) -> (TestApp, MockServer) {
    let mock = MockServer::start().await;
    let uri = mock.uri();
    let app = spawn_app_with(kind, |c| {
        c.midtrans.server_key = Some(secrecy::SecretString::from(SERVER_KEY.to_owned()));
        c.midtrans.api_base_url = Some(uri.clone());
        c.midtrans.snap_base_url = Some(format!("{uri}/snap/v1"));
        c.marketplace.sweep_interval_secs = 3600;
        c.marketplace.iris_api_key =
            Some(secrecy::SecretString::from("IRIS-creator-key".to_owned()));
        c.marketplace.iris_base_url = Some(format!("{uri}/iris"));
    })
    .await;
    Mock::given(method("POST"))
        .and(path("/snap/v1/transactions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "token": "snap-token-mkt",
            "redirect_url": "https://app.sandbox.midtrans.com/snap/v4/redirection/snap-token-mkt"
        })))
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v2/mkt-.*/refund$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status_code": "200", "status_message": "Success, refund request is approved",
            "transaction_id": "tx-refund", "order_id": "x", "gross_amount": "1.00",
            "currency": "IDR", "payment_type": "bank_transfer", "transaction_status": "refund"
        })))
        .mount(&mock)
        .await;
    (app, mock)
}

async fn status_says(mock: &MockServer, order: &str, status: &str, amount: i64) {
    Mock::given(method("GET"))
        .and(path(format!("/v2/{order}/status")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status_code": if status == "pending" { "201" } else { "200" },
            "status_message": "Success, transaction is found",
            "transaction_id": format!("tx-{order}"), "order_id": order,
            "gross_amount": format!("{amount}.00"), "currency": "IDR",
            "payment_type": "bank_transfer", "transaction_time": "2026-01-01 10:00:00",
            "transaction_status": status, "fraud_status": "accept"
        })))
        .with_priority(1)
        .mount(mock)
        .await;
}

async fn notify(app: &TestApp, order: &str, status: &str, amount: i64) -> reqwest::Response {
    let body = signed_notification(order, status, amount, SERVER_KEY);
    app.client
        .post(app.url("/webhooks/midtrans"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

struct Buyer {
    token: String,
    whatsapp: String,
    address: String,
}

async fn buyer(app: &TestApp, name: &str) -> Buyer {
    let whatsapp = unique_whatsapp();
    let sent = data(
        app.post_anon(
            "/api/v1/marketplace/auth/code",
            json!({"whatsapp": whatsapp}),
        )
        .await,
        200,
    )
    .await;
    let code = app.last_code_to(&whatsapp).await;
    let session = data(
        app.post_anon(
            "/api/v1/marketplace/auth/verify",
            json!({"challenge_id": sent["challenge_id"], "code": code, "name": name}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(session["created"], true);
    let token = session["token"].as_str().unwrap().to_owned();
    let address = data(
        app.post(
            "/api/v1/marketplace/me/addresses",
            &token,
            json!({"label": "Rumah", "recipient": name, "phone": "0812 3456 7890",
                   "street": "Jl. Merdeka 1", "city": "Bandung", "province": "Jawa Barat",
                   "postal_code": "40111"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Buyer {
        token,
        whatsapp,
        address,
    }
}

/// A published product with one variant; answers (product id, variant id).
async fn product(
    app: &TestApp,
    token: &str,
    name: &str,
    sku: &str,
    price: i64,
    stock: i64,
) -> (String, String) {
    let p = data(
        app.post(
            "/api/v1/marketplace/vendor/products",
            token,
            json!({"name": name, "description": "Kaos katun nyaman", "category": "Fashion",
                   "specs": [{"key": "Bahan", "value": "Katun"}],
                   "variants": [{"sku": sku, "name": "L / Merah", "options": {"size": "L"},
                                 "price_idr": price, "stock": stock}]}),
        )
        .await,
        201,
    )
    .await;
    let id = p["id"].as_str().unwrap().to_owned();
    data(
        app.post(
            &format!("/api/v1/marketplace/vendor/products/{id}/publish"),
            token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    (id, p["variants"][0]["id"].as_str().unwrap().to_owned())
}

async fn put_cart(app: &TestApp, b: &Buyer, variant: &str, qty: i64) -> reqwest::Response {
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/marketplace/cart/items/{variant}"),
        Some(&b.token),
        Some(json!({"quantity": qty})),
    )
    .await
}

async fn stock_of(app: &TestApp, token: &str, product: &str) -> i64 {
    data(
        app.get(
            &format!("/api/v1/marketplace/vendor/products/{product}"),
            token,
        )
        .await,
        200,
    )
    .await["variants"][0]["stock"]
        .as_i64()
        .unwrap()
}

async fn checkout(app: &TestApp, b: &Buyer, key: &str) -> reqwest::Response {
    app.post(
        "/api/v1/marketplace/checkout",
        &b.token,
        json!({"idempotency_key": key, "address_id": b.address}),
    )
    .await
}

async fn full_flow(kind: DbKind) {
    let (app, mock) = app(kind).await;
    let shop_a = app.signup_vendor("Toko A").await;
    let shop_b = app.signup_vendor("Toko B").await;
    let (pa, va) = product(&app, &shop_a.token, "Kaos Merah", "KAOS-L", 50_000, 12).await;
    let (pb, vb) = product(&app, &shop_b.token, "Topi Biru", "TOPI-1", 25_000, 3).await;
    let x = buyer(&app, "Budi").await;

    // Search finds by word prefix, filters and sorts.
    let found = data(
        app.client
            .get(app.url("/api/v1/marketplace/products?q=mera&sort=price_asc"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let ids: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [pa.as_str()]);
    let cheap = data(
        app.client
            .get(app.url("/api/v1/marketplace/products?max_price=30000"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(cheap["items"][0]["id"], pb);
    let page1 = data(
        app.client
            .get(app.url("/api/v1/marketplace/products?limit=1&sort=price_desc"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(page1["items"][0]["id"], pa);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = data(
        app.client
            .get(app.url(&format!(
                "/api/v1/marketplace/products?limit=1&sort=price_desc&cursor={cursor}"
            )))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(page2["items"][0]["id"], pb);
    assert!(page2["next_cursor"].is_null());

    // Cart across two shops, grouped by vendor.
    data(put_cart(&app, &x, &va, 3).await, 200).await;
    let cart = data(put_cart(&app, &x, &vb, 1).await, 200).await;
    assert_eq!(cart["vendors"].as_array().unwrap().len(), 2);
    assert_eq!(cart["total_idr"], 175_000);
    // Bad input changes nothing.
    assert_eq!(
        error_code(put_cart(&app, &x, &va, 0).await, 400).await,
        "invalid_quantity"
    );
    assert_eq!(
        error_code(put_cart(&app, &x, &vb, 5).await, 409).await,
        "insufficient_stock"
    );

    // A price change is reported, then accepted on retry.
    data(
        app.request(
            reqwest::Method::PATCH,
            &format!("/api/v1/marketplace/vendor/variants/{va}"),
            Some(&shop_a.token),
            Some(json!({"price_idr": 55_000})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        error_code(checkout(&app, &x, "k1").await, 409).await,
        "cart_changed"
    );
    let group = data(checkout(&app, &x, "k1").await, 201).await;
    assert_eq!(group["total_idr"], 190_000);
    assert_eq!(group["orders"].as_array().unwrap().len(), 2);
    // Same key: same checkout.
    let again = data(checkout(&app, &x, "k1").await, 200).await;
    assert_eq!(again["id"], group["id"]);
    assert_eq!(stock_of(&app, &shop_a.token, &pa).await, 9);
    assert_eq!(stock_of(&app, &shop_b.token, &pb).await, 2);
    // Low stock (threshold 10) crossed once for A's variant.
    let alerts = app.platform_messages_to(&shop_a.whatsapp).await;
    assert_eq!(
        alerts
            .iter()
            .filter(|m| m.message.to_string().contains("Stok menipis"))
            .count(),
        1
    );

    // Tampered, then real payment; a repeat changes nothing.
    let pay_id = group["payment_order_id"].as_str().unwrap().to_owned();
    status_says(&mock, &pay_id, "settlement", 190_000).await;
    let bad =
        signed_notification(&pay_id, "settlement", 190_000, SERVER_KEY).replace("190000", "1900");
    let res = app
        .client
        .post(app.url("/webhooks/midtrans"))
        .header("content-type", "application/json")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res, 401).await, "invalid_signature");
    let paid = data(notify(&app, &pay_id, "settlement", 190_000).await, 200).await;
    assert_eq!(paid["changed"], true);
    assert_eq!(paid["status"], "paid");
    let repeat = data(notify(&app, &pay_id, "settlement", 190_000).await, 200).await;
    assert_eq!(repeat["changed"], false);
    let a_orders = data(
        app.get("/api/v1/marketplace/vendor/orders", &shop_a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(a_orders.as_array().unwrap().len(), 1);
    let a_order = a_orders[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(a_orders[0]["status"], "processing");
    assert!(
        app.platform_messages_to(&shop_a.whatsapp)
            .await
            .iter()
            .any(|m| m.message.to_string().contains("sudah dibayar"))
    );

    // Lifecycle: illegal moves answer 409; ship, deliver.
    let b_orders = data(
        app.get("/api/v1/marketplace/vendor/orders", &shop_b.token)
            .await,
        200,
    )
    .await;
    let b_order = b_orders[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        error_code(
            app.post(
                &format!("/api/v1/marketplace/orders/{a_order}/confirm-delivery"),
                &x.token,
                json!({})
            )
            .await,
            409
        )
        .await,
        "illegal_transition"
    );
    let shipped = data(
        app.post(
            &format!("/api/v1/marketplace/vendor/orders/{a_order}/ship"),
            &shop_a.token,
            json!({"courier": "JNE", "tracking_number": "JNE123"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(shipped["status"], "shipped");
    assert_eq!(
        error_code(
            app.post(
                &format!("/api/v1/marketplace/orders/{a_order}/cancel"),
                &x.token,
                json!({"reason": "berubah pikiran"})
            )
            .await,
            409
        )
        .await,
        "illegal_transition"
    );
    let delivered = data(
        app.post(
            &format!("/api/v1/marketplace/orders/{a_order}/confirm-delivery"),
            &x.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(delivered["history"].as_array().unwrap().len(), 3);
    assert!(delivered["delivered_at"].is_i64());

    // The buyer cancels B's paid order: refund of B's part and restock.
    let cancelled = data(
        app.post(
            &format!("/api/v1/marketplace/orders/{b_order}/cancel"),
            &x.token,
            json!({"reason": "salah ukuran"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["refunded_idr"], 25_000);
    assert_eq!(stock_of(&app, &shop_b.token, &pb).await, 3);
    let refunds: Vec<_> = mock
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().ends_with("/refund"))
        .collect();
    assert_eq!(refunds.len(), 1);
    let body: Value = serde_json::from_slice(&refunds[0].body).unwrap();
    assert_eq!(body["amount"], 25_000);
    let buyer_msgs = app.platform_messages_to(&x.whatsapp).await;
    assert!(
        buyer_msgs
            .iter()
            .any(|m| m.message.to_string().contains("JNE123"))
    );
    assert!(
        buyer_msgs
            .iter()
            .any(|m| m.message.to_string().contains("dikembalikan"))
    );

    // The ledger has every change with its reason.
    let ledger = data(
        app.get(
            &format!("/api/v1/marketplace/vendor/variants/{vb}/stock"),
            &shop_b.token,
        )
        .await,
        200,
    )
    .await;
    let reasons: Vec<&str> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["cancel_restock", "sale", "initial"]);
    app.stop().await;
}
both_dbs!(full_flow);

async fn expiry_releases_stock(kind: DbKind) {
    let (app, _mock) = app(kind).await;
    let shop = app.signup_vendor("Toko C").await;
    let (p, v) = product(&app, &shop.token, "Sepatu", "SP-1", 100_000, 4).await;
    let x = buyer(&app, "Sari").await;
    data(put_cart(&app, &x, &v, 2).await, 200).await;
    let group = data(checkout(&app, &x, "exp").await, 201).await;
    assert_eq!(stock_of(&app, &shop.token, &p).await, 2);
    // Nothing is due yet.
    let swept = reference_server::marketplace::orders::sweep(&app.state)
        .await
        .unwrap();
    assert_eq!(swept.expired, 0);
    sqlx::query("UPDATE mkt_order_groups SET expires_at = 0 WHERE id = $1")
        .bind(group["id"].as_str().unwrap())
        .execute(&app.state.pool)
        .await
        .unwrap();
    let swept = reference_server::marketplace::orders::sweep(&app.state)
        .await
        .unwrap();
    assert_eq!(swept.expired, 1);
    assert_eq!(stock_of(&app, &shop.token, &p).await, 4);
    let again = reference_server::marketplace::orders::sweep(&app.state)
        .await
        .unwrap();
    assert_eq!(again.expired, 0);
    let view = data(
        app.get(
            &format!(
                "/api/v1/marketplace/order-groups/{}",
                group["id"].as_str().unwrap()
            ),
            &x.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(view["status"], "expired");
    assert_eq!(view["orders"][0]["status"], "cancelled");
    app.stop().await;
}
both_dbs!(expiry_releases_stock);

async fn isolation_and_bad_input(kind: DbKind) {
    let (app, _mock) = app(kind).await;
    let a = app.signup_vendor("Toko A").await;
    let b = app.signup_vendor("Toko B").await;
    let (pa, va) = product(&app, &a.token, "Kaos", "K-1", 10_000, 5).await;
    let x = buyer(&app, "X").await;
    let y = buyer(&app, "Y").await;
    data(put_cart(&app, &x, &va, 1).await, 200).await;
    let group = data(checkout(&app, &x, "iso").await, 201).await;
    let order = group["orders"][0]["id"].as_str().unwrap().to_owned();
    let gid = group["id"].as_str().unwrap().to_owned();

    // Vendor B reaches nothing of A.
    for p in [
        format!("/api/v1/marketplace/vendor/products/{pa}"),
        format!("/api/v1/marketplace/vendor/orders/{order}"),
        format!("/api/v1/marketplace/vendor/variants/{va}/stock"),
    ] {
        assert_eq!(app.get(&p, &b.token).await.status(), 404, "{p}");
    }
    assert_eq!(
        app.post(
            &format!("/api/v1/marketplace/vendor/variants/{va}/stock"),
            &b.token,
            json!({"delta": 5, "reason": "x"})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/marketplace/vendor/orders/{order}/cancel"),
            &b.token,
            json!({"reason": "x"})
        )
        .await
        .status(),
        404
    );
    // Buyer Y reaches nothing of X.
    assert_eq!(
        app.get(&format!("/api/v1/marketplace/orders/{order}"), &y.token)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/marketplace/order-groups/{gid}"), &y.token)
            .await
            .status(),
        404
    );
    assert!(
        data(app.get("/api/v1/marketplace/orders", &y.token).await, 200)
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Tokens do not cross: buyer token on vendor routes and the reverse.
    assert_eq!(
        app.get("/api/v1/marketplace/vendor/orders", &x.token)
            .await
            .status(),
        401
    );
    assert_eq!(app.get("/api/v1/me", &x.token).await.status(), 401);
    assert_eq!(
        app.get("/api/v1/marketplace/cart", &a.token).await.status(),
        401
    );

    // Bad input: clear 4xx and nothing changed.
    let bad = |body: Value| app.post("/api/v1/marketplace/vendor/products", &a.token, body);
    let v = |price: i64, stock: i64| json!({"name": "X", "category": "c", "variants": [{"sku": "S-9", "name": "v", "price_idr": price, "stock": stock}]});
    assert_eq!(error_code(bad(v(-1, 1)).await, 400).await, "invalid_price");
    assert_eq!(error_code(bad(v(10, -1)).await, 400).await, "invalid_stock");
    assert_eq!(
        error_code(
            bad(json!({"name": "X", "category": "c", "variants": []})).await,
            400
        )
        .await,
        "invalid_variants"
    );
    assert_eq!(
        error_code(
            app.post(
                &format!("/api/v1/marketplace/vendor/variants/{va}/stock"),
                &a.token,
                json!({"delta": -100, "reason": "rusak"})
            )
            .await,
            409
        )
        .await,
        "stock_below_zero"
    );
    assert_eq!(
        error_code(put_cart(&app, &y, &va, 100_000).await, 400).await,
        "invalid_quantity"
    );
    assert_eq!(put_cart(&app, &y, "no-such-variant", 1).await.status(), 404);
    let not_image = app
        .client
        .post(app.url(&format!("/api/v1/marketplace/vendor/products/{pa}/images")))
        .bearer_auth(&a.token)
        .header("content-type", "image/png")
        .body("<html>hi</html>")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(not_image, 415).await, "unsupported_image");
    let huge = vec![0xFFu8; 3 * 1024 * 1024];
    let mut jpeg = vec![0xFF, 0xD8, 0xFF];
    jpeg.extend_from_slice(&huge);
    let too_big = app
        .client
        .post(app.url(&format!("/api/v1/marketplace/vendor/products/{pa}/images")))
        .bearer_auth(&a.token)
        .body(jpeg)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(too_big, 413).await, "image_too_large");
    let png = b"\x89PNG\r\n\x1a\nfake-but-signed".to_vec();
    let img = data(
        app.client
            .post(app.url(&format!("/api/v1/marketplace/vendor/products/{pa}/images")))
            .bearer_auth(&a.token)
            .body(png.clone())
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let served = app
        .client
        .get(app.url(img["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().as_ref(), png.as_slice());
    let products = data(
        app.get("/api/v1/marketplace/vendor/products", &a.token)
            .await,
        200,
    )
    .await;
    assert_eq!(products.as_array().unwrap().len(), 1);
    assert_eq!(products[0]["variants"][0]["stock"], 4);
    app.stop().await;
}
both_dbs!(isolation_and_bad_input);

async fn no_oversell_race(kind: DbKind) {
    let (app, mock) = app(kind).await;
    let shop = app.signup_vendor("Toko Race").await;
    let (p, v) = product(&app, &shop.token, "Barang Langka", "RARE-1", 10_000, 5).await;
    let mut buyers = Vec::new();
    for i in 0..200 {
        let b = buyer(&app, &format!("Pembeli {i}")).await;
        data(put_cart(&app, &b, &v, 1).await, 200).await;
        buyers.push(b);
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for (i, b) in buyers.into_iter().enumerate() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let res = checkout(&app, &b, &format!("race-{i}")).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body)
        }));
    }
    let mut won = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            201 => won.push(
                body["data"]["payment_order_id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            409 => assert!(
                ["out_of_stock", "cart_changed"].contains(&body["error"]["code"].as_str().unwrap()),
                "{body}"
            ),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(won.len(), 5);
    assert_eq!(stock_of(&app, &shop.token, &p).await, 0);
    for pay in &won {
        status_says(&mock, pay, "settlement", 10_000).await;
        assert_eq!(
            data(notify(&app, pay, "settlement", 10_000).await, 200).await["changed"],
            true
        );
    }
    let paid = data(
        app.get(
            "/api/v1/marketplace/vendor/orders?status=processing",
            &shop.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(paid.as_array().unwrap().len(), 5);
    let sold: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM mkt_order_items",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(sold, 5, "0 oversold");
}
both_dbs!(no_oversell_race);

async fn openapi_lists_marketplace(kind: DbKind) {
    let (app, _mock) = app(kind).await;
    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/v1/marketplace/checkout",
        "/api/v1/marketplace/products",
        "/api/v1/marketplace/vendor/orders/{order_id}/ship",
        "/api/v1/marketplace/auth/verify",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing");
    }
    assert!(doc["components"]["securitySchemes"]["buyer_session"].is_object());
    assert_eq!(
        doc["components"]["schemas"]["VendorOrderStatus"]["enum"],
        json!(["pending", "processing", "shipped", "delivered", "cancelled"])
    );
}
both_dbs!(openapi_lists_marketplace);
