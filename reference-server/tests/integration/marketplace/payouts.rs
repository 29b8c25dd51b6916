//! Commission and payouts: the ledger of delivered orders after
//! commission and refunds, and an admin payout through Iris (wiremock)
//! that pays each entry once under double clicks and retries.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{deliver, paid_orders};
use super::{app, buyer, product};
use crate::common::{DbKind, TestApp, data, error_code};

async fn iris_requests(mock: &MockServer) -> Vec<wiremock::Request> {
    mock.received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/iris/api/v1/payouts")
        .collect()
}

async fn ledger(app: &TestApp, token: &str) -> Value {
    data(
        app.get("/api/v1/marketplace/vendor/payouts", token).await,
        200,
    )
    .await
}

async fn payouts_pay_once(kind: DbKind) {
    let (app, mock) = app(kind).await;
    let shop = app.signup_vendor("Toko Bayar").await;
    let other = app.signup_vendor("Toko Lain").await;
    let (_, v) = product(&app, &shop.token, "Kopi Gayo", "KOPI-1", 50_000, 100).await;
    let x = buyer(&app, "Dewi").await;
    let a = paid_orders(&app, &mock, &x, &[(&v, 2)], "p-a").await;
    let b = paid_orders(&app, &mock, &x, &[(&v, 1)], "p-b").await;
    let c = paid_orders(&app, &mock, &x, &[(&v, 1)], "p-c").await;
    let (a, b, c) = (
        a[0]["id"].as_str().unwrap().to_owned(),
        b[0]["id"].as_str().unwrap().to_owned(),
        c[0]["id"].as_str().unwrap().to_owned(),
    );
    deliver(&app, &shop.token, &x, &a).await;
    deliver(&app, &shop.token, &x, &b).await;
    // B was partly refunded after delivery.
    sqlx::query("UPDATE mkt_orders SET refunded_idr = 20000 WHERE id = $1")
        .bind(&b)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let plan: String = sqlx::query_scalar(
        "SELECT p.code FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.tenant_id = $1",
    )
    .bind(&shop.tenant_id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(plan, "trial");

    // Trial: 10 % commission. A: 100,000 -> 90,000; B: 30,000 -> 27,000;
    // C is not delivered.
    let l = ledger(&app, &shop.token).await;
    assert_eq!(l["owed_idr"], 117_000);
    let entries = l["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for e in entries {
        assert_eq!(e["commission_bps"], 1000);
        let (want_commission, want_net) = if e["order_id"] == a.as_str() {
            (10_000, 90_000)
        } else {
            assert_eq!(e["order_id"], b.as_str());
            (3_000, 27_000)
        };
        assert_eq!(e["commission_idr"], want_commission);
        assert_eq!(e["net_idr"], want_net);
        assert_eq!(e["status"], "owed");
    }

    let admin = app.admin_token().await;
    let pay = |key: &'static str| {
        let (app, admin, tenant) = (&app, admin.clone(), shop.tenant_id.clone());
        async move {
            app.post(
                &format!("/api/v1/admin/marketplace/vendors/{tenant}/payouts"),
                &admin,
                json!({"idempotency_key": key}),
            )
            .await
        }
    };
    assert_eq!(
        error_code(pay("p1").await, 409).await,
        "payout_account_missing"
    );
    let put_account = |body: Value| {
        app.request(
            reqwest::Method::PUT,
            "/api/v1/marketplace/vendor/payout-account",
            Some(&shop.token),
            Some(body),
        )
    };
    assert_eq!(
        error_code(
            put_account(
                json!({"bank": "bca!", "account": "1234567890", "holder_name": "Toko Bayar"})
            )
            .await,
            400
        )
        .await,
        "invalid_bank"
    );
    assert_eq!(
        error_code(
            put_account(json!({"bank": "bca", "account": "12-34", "holder_name": "Toko Bayar"}))
                .await,
            400
        )
        .await,
        "invalid_account"
    );
    data(
        put_account(json!({"bank": "BCA", "account": "1234567890", "holder_name": "Toko Bayar"}))
            .await,
        200,
    )
    .await;

    // Iris is down: 502, the payout stays pending with its entries set aside.
    assert_eq!(pay("p1").await.status(), 502);
    let l = ledger(&app, &shop.token).await;
    assert_eq!(l["owed_idr"], 0);
    assert_eq!(l["payouts"][0]["status"], "pending");
    assert_eq!(l["payouts"][0]["amount_idr"], 117_000);
    assert!(
        l["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] == "in_payout")
    );
    assert_eq!(error_code(pay("p2").await, 409).await, "nothing_owed");

    // Iris is back; a double click retries p1 once more.
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/payouts"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "payouts": [{"status": "queued", "reference_no": "iris-ref-1"}]
        })))
        .mount(&mock)
        .await;
    let (r1, r2) = tokio::join!(pay("p1"), pay("p1"));
    let p1 = data(r1, 200).await;
    let p1_again = data(r2, 200).await;
    assert_eq!(p1["id"], p1_again["id"]);
    assert_eq!(p1["status"], "sent");
    assert_eq!(p1["reference_no"], "iris-ref-1");
    let calls = iris_requests(&mock).await;
    assert!(!calls.is_empty());
    for call in &calls {
        assert_eq!(
            call.headers["x-idempotency-key"].to_str().unwrap(),
            p1["id"].as_str().unwrap(),
            "every Iris call of p1 carries its id"
        );
        let body: Value = serde_json::from_slice(&call.body).unwrap();
        assert_eq!(body["payouts"][0]["amount"], "117000.00");
        assert_eq!(body["payouts"][0]["beneficiary_bank"], "bca");
    }
    // A later repeat answers the sent payout without calling Iris.
    let seen = calls.len();
    let repeat = data(pay("p1").await, 200).await;
    assert_eq!(repeat["status"], "sent");
    assert_eq!(iris_requests(&mock).await.len(), seen);
    let l = ledger(&app, &shop.token).await;
    assert!(
        l["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] == "paid")
    );
    assert_eq!(l["payouts"].as_array().unwrap().len(), 1);

    // C delivered later: owed again, paid by a new key.
    deliver(&app, &shop.token, &x, &c).await;
    assert_eq!(ledger(&app, &shop.token).await["owed_idr"], 45_000);
    let p3 = data(pay("p3").await, 201).await;
    assert_eq!(p3["amount_idr"], 45_000);
    let paid: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(net_idr), 0) AS BIGINT) FROM mkt_payout_entries \
         WHERE tenant_id = $1 AND status = 'paid'",
    )
    .bind(&shop.tenant_id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(paid, 162_000);

    // Others: a vendor token opens no admin route; another vendor owes nothing.
    assert_eq!(
        app.post(
            &format!(
                "/api/v1/admin/marketplace/vendors/{}/payouts",
                shop.tenant_id
            ),
            &other.token,
            json!({"idempotency_key": "x"}),
        )
        .await
        .status(),
        401
    );
    assert_eq!(ledger(&app, &other.token).await["owed_idr"], 0);
    app.stop().await;
}
both_dbs!(payouts_pay_once);
