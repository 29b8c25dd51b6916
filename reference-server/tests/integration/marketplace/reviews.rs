//! Reviews: only after delivery, once per product, rating 1-5; the
//! product's rating figures follow.

use serde_json::json;

use super::support::{deliver, paid_orders};
use super::{app, buyer, product};
use crate::common::{DbKind, data, error_code};

async fn reviews_need_delivery(kind: DbKind) {
    let (app, mock) = app(kind).await;
    let shop = app.signup_vendor("Toko Ulasan").await;
    let (p, v) = product(&app, &shop.token, "Kaos Ulasan", "REV-1", 20_000, 50).await;
    let (other_p, _) = product(&app, &shop.token, "Topi Lain", "REV-2", 15_000, 50).await;
    let x = buyer(&app, "Sari").await;
    let y = buyer(&app, "Tono").await;
    let review = |token: String, product: String, rating: i64| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/marketplace/products/{product}/reviews"),
                &token,
                json!({"rating": rating, "text": "Bahannya bagus, pengiriman cepat"}),
            )
            .await
        }
    };

    // Paid but not delivered: refused.
    let orders = paid_orders(&app, &mock, &x, &[(&v, 1)], "rev-x").await;
    let order = orders[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        error_code(review(x.token.clone(), p.clone(), 5).await, 403).await,
        "review_not_allowed"
    );
    deliver(&app, &shop.token, &x, &order).await;

    // Bad ratings change nothing.
    for bad in [0, 6] {
        assert_eq!(
            error_code(review(x.token.clone(), p.clone(), bad).await, 400).await,
            "invalid_rating"
        );
    }
    // Another buyer (whose own order is not delivered) and a product not
    // in the order: refused.
    paid_orders(&app, &mock, &y, &[(&v, 1)], "rev-y").await;
    assert_eq!(
        error_code(review(y.token.clone(), p.clone(), 4).await, 403).await,
        "review_not_allowed"
    );
    assert_eq!(
        error_code(review(x.token.clone(), other_p.clone(), 4).await, 403).await,
        "review_not_allowed"
    );
    // A vendor token opens no buyer route.
    assert_eq!(review(shop.token.clone(), p.clone(), 4).await.status(), 401);

    let written = data(review(x.token.clone(), p.clone(), 4).await, 201).await;
    assert_eq!(written["rating"], 4);
    assert_eq!(written["reviewer_name"], "Sari");
    assert_eq!(
        error_code(review(x.token.clone(), p.clone(), 5).await, 409).await,
        "already_reviewed"
    );

    // A second buyer after delivery: the average is kept (4 and 5 -> 4.5).
    let y_order = data(app.get("/api/v1/marketplace/orders", &y.token).await, 200).await[0]
        ["orders"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    deliver(&app, &shop.token, &y, &y_order).await;
    data(review(y.token.clone(), p.clone(), 5).await, 201).await;

    let page = data(
        app.client
            .get(app.url(&format!("/api/v1/marketplace/products/{p}/reviews?limit=1")))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(page["rating_count"], 2);
    assert_eq!(page["rating_avg_x100"], 450);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = data(
        app.client
            .get(app.url(&format!(
                "/api/v1/marketplace/products/{p}/reviews?limit=1&cursor={cursor}"
            )))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    let mut ratings: Vec<i64> = [&page, &rest]
        .iter()
        .map(|p| p["items"][0]["rating"].as_i64().unwrap())
        .collect();
    ratings.sort_unstable();
    assert_eq!(ratings, [4, 5]);

    // The catalog sorts and filters by the kept figures.
    let rated = data(
        app.client
            .get(app.url("/api/v1/marketplace/products?min_rating=4"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let ids: Vec<&str> = rated["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [p.as_str()]);
    let stored: (i64, i64) =
        sqlx::query_as("SELECT rating_count, rating_sum FROM mkt_products WHERE id = $1")
            .bind(&p)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(stored, (2, 9));
    assert_eq!(
        error_code(
            app.client
                .get(app.url(&format!("/api/v1/marketplace/products/{p}/reviews?limit=0")))
                .send()
                .await
                .unwrap(),
            400
        )
        .await,
        "invalid_limit"
    );
    app.stop().await;
}
both_dbs!(reviews_need_delivery);
