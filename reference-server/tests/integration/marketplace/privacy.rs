//! A buyer's own export and erasure (refused while an order is under way;
//! orders stay for the vendor without the shipping address, reviews
//! without the name), and a platform admin erasing a person everywhere.

use serde_json::json;

use super::support::{deliver, paid_orders};
use super::{app, buyer, product};
use crate::common::{DbKind, data, error_code};

async fn buyer_exports_and_erases_itself(kind: DbKind) {
    let (app, mock) = app(kind).await;
    let shop = app.signup_vendor("Toko Rahasia").await;
    let (p, v) = product(&app, &shop.token, "Kaos Privasi", "PRV-1", 30_000, 10).await;
    let x = buyer(&app, "Sari").await;

    let orders = paid_orders(&app, &mock, &x, &[(&v, 1)], "prv-x").await;
    let order = orders[0]["id"].as_str().unwrap().to_owned();
    let export = data(
        app.get("/api/v1/marketplace/me/personal-data", &x.token)
            .await,
        200,
    )
    .await;
    assert_eq!(export["buyer"]["whatsapp"], x.whatsapp.as_str(), "{export}");
    assert_eq!(export["addresses"][0]["street"], "Jl. Merdeka 1");
    assert_eq!(export["checkouts"].as_array().unwrap().len(), 1);
    assert_eq!(export["checkouts"][0]["orders"][0]["id"], order.as_str());

    // The order is being prepared: its address is still needed.
    let early = app
        .post("/api/v1/marketplace/me/erase", &x.token, json!({}))
        .await;
    assert_eq!(error_code(early, 409).await, "orders_open");
    data(app.get("/api/v1/marketplace/me", &x.token).await, 200).await;

    deliver(&app, &shop.token, &x, &order).await;
    data(
        app.post(
            &format!("/api/v1/marketplace/products/{p}/reviews"),
            &x.token,
            json!({"rating": 5, "text": "Bagus sekali"}),
        )
        .await,
        201,
    )
    .await;
    let erased = data(
        app.post("/api/v1/marketplace/me/erase", &x.token, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(erased["erased"], true);

    // Signed out, unknown by number; the vendor keeps the order without
    // the address; the review stays unsigned.
    assert_eq!(
        app.get("/api/v1/marketplace/me", &x.token).await.status(),
        401
    );
    let stored: (String, Option<String>) =
        sqlx::query_as("SELECT whatsapp, name FROM mkt_buyers WHERE whatsapp = $1 OR name = $2")
            .bind(&x.whatsapp)
            .bind("Sari")
            .fetch_optional(&app.state.pool)
            .await
            .unwrap()
            .map_or((String::new(), None), |r| r);
    assert_eq!(
        stored,
        (String::new(), None),
        "no row keeps the number or the name"
    );
    let kept = data(
        app.get(
            &format!("/api/v1/marketplace/vendor/orders/{order}"),
            &shop.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(kept["status"], "delivered");
    assert_eq!(kept["shipping"], json!({"erased": true}), "{kept}");
    let reviews = data(
        app.client
            .get(app.url(&format!("/api/v1/marketplace/products/{p}/reviews")))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(!reviews.to_string().contains("Sari"), "{reviews}");
    assert!(reviews.to_string().contains("Bagus sekali"), "{reviews}");
    app.stop().await;
}
both_dbs!(buyer_exports_and_erases_itself);

async fn admin_erases_a_person_everywhere(kind: DbKind) {
    let (app, _mock) = app(kind).await;
    let a = app.signup_vendor("Toko Satu").await;
    let b = app.signup_vendor("Toko Dua").await;
    let x = buyer(&app, "Budi").await;
    for v in [&a, &b] {
        data(
            app.post(
                "/api/v1/contacts",
                &v.token,
                json!({"phone": x.whatsapp, "name": "Budi"}),
            )
            .await,
            201,
        )
        .await;
    }
    data(
        app.post(
            "/api/v1/contacts",
            &a.token,
            json!({"phone": "0812-4444-0000", "name": "Lain"}),
        )
        .await,
        201,
    )
    .await;
    let admin = app.admin_token().await;
    let bad = app
        .post(
            "/api/v1/admin/personal-data/erase",
            &admin,
            json!({"whatsapp": "12ab"}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    let vendor_try = app
        .post(
            "/api/v1/admin/personal-data/erase",
            &a.token,
            json!({"whatsapp": x.whatsapp}),
        )
        .await;
    assert_eq!(vendor_try.status(), 401);

    let done = data(
        app.post(
            "/api/v1/admin/personal-data/erase",
            &admin,
            json!({"whatsapp": x.whatsapp}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(done["vendors"], 2, "{done}");
    assert_eq!(done["buyer"], true, "{done}");
    for v in [&a, &b] {
        let list = data(app.get("/api/v1/contacts", &v.token).await, 200).await;
        assert!(!list.to_string().contains(&x.whatsapp), "{list}");
    }
    let list = data(app.get("/api/v1/contacts", &a.token).await, 200).await;
    assert_eq!(list["total"], 1, "the other contact stays");
    assert_eq!(
        app.get("/api/v1/marketplace/me", &x.token).await.status(),
        401
    );
    app.stop().await;
}
both_dbs!(admin_erases_a_person_everywhere);
