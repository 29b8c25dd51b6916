//! Snap create transaction against a mock.

use crate::common;

use common::*;
use midtrans_client::snap::{ExpiryUnit, SnapPayment};
use midtrans_client::{
    Address, CustomerDetails, Error, Idr, ItemDetail, OrderId, RequestOptions, SnapRequest,
};
use serde_json::json;
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path};

fn request() -> SnapRequest {
    SnapRequest::new(OrderId::new("ORDER-101").unwrap(), Idr::new(150_000))
        .items(vec![
            ItemDetail::new("Paket Pro", Idr::new(100_000), 1).id("pro"),
            ItemDetail::new("Stiker", Idr::new(25_000), 2)
                .brand("Toko")
                .category("Merch"),
        ])
        .customer(CustomerDetails {
            first_name: Some("Budi".into()),
            last_name: Some("Utomo".into()),
            email: Some("budi@example.com".into()),
            phone: Some("+628123456".into()),
            billing_address: Some(Address {
                address: Some("Sudirman".into()),
                city: Some("Jakarta".into()),
                postal_code: Some("12190".into()),
                country_code: Some("IDN".into()),
                ..Address::default()
            }),
            shipping_address: None,
        })
        .enabled_payments(vec![
            SnapPayment::Gopay,
            SnapPayment::BcaVa,
            SnapPayment::Unknown("new_pay".into()),
        ])
        .expiry(60, ExpiryUnit::Minute)
        .finish_url("https://shop.example/finish")
        .custom_fields(Some("tenant-7".into()), None, None)
}

#[tokio::test]
async fn create_transaction_sends_documented_body_and_reads_201() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/snap/v1/transactions"))
        .and(header("authorization", basic_auth(SERVER_KEY).as_str()))
        .and(header("accept", "application/json"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "transaction_details": {"order_id": "ORDER-101", "gross_amount": 150000},
            "item_details": [
                {"id": "pro", "price": 100000, "quantity": 1, "name": "Paket Pro"},
                {"price": 25000, "quantity": 2, "name": "Stiker", "brand": "Toko", "category": "Merch"}
            ],
            "customer_details": {
                "first_name": "Budi", "last_name": "Utomo", "email": "budi@example.com",
                "phone": "+628123456",
                "billing_address": {"address": "Sudirman", "city": "Jakarta",
                    "postal_code": "12190", "country_code": "IDN"}
            },
            "enabled_payments": ["gopay", "bca_va", "new_pay"],
            "expiry": {"unit": "minute", "duration": 60},
            "callbacks": {"finish": "https://shop.example/finish"},
            "custom_field1": "tenant-7"
        })))
        .respond_with(json_response(201, &fixture("snap/create_201.json")))
        .expect(1)
        .mount(&server)
        .await;

    let resp = client(&server)
        .create_snap_transaction(&request())
        .await
        .unwrap();
    assert_eq!(resp.token, "66e4fa55-fdac-4ef9-91b5-733b97d1b862");
    assert!(
        resp.redirect_url
            .ends_with("/vtweb/66e4fa55-fdac-4ef9-91b5-733b97d1b862")
    );
}

#[tokio::test]
async fn item_sum_mismatch_is_rejected_before_sending() {
    let server = server().await;
    let req = SnapRequest::new(OrderId::new("ORDER-101").unwrap(), Idr::new(150_000))
        .items(vec![ItemDetail::new("Paket Pro", Idr::new(100_000), 1)]);
    let err = client(&server)
        .create_snap_transaction(&req)
        .await
        .unwrap_err();
    match err {
        Error::AmountMismatch {
            gross_amount,
            items_sum,
        } => {
            assert_eq!(gross_amount, Idr::new(150_000));
            assert_eq!(items_sum, Idr::new(100_000));
        }
        other => panic!("expected AmountMismatch, got {other:?}"),
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_requests_are_rejected_locally() {
    let server = server().await;
    let c = client(&server);
    let zero = SnapRequest::new(OrderId::new("A").unwrap(), Idr::new(0));
    assert!(matches!(
        c.create_snap_transaction(&zero).await,
        Err(Error::InvalidRequest(_))
    ));
    let qty0 = SnapRequest::new(OrderId::new("A").unwrap(), Idr::new(10))
        .items(vec![ItemDetail::new("x", Idr::new(10), 0)]);
    assert!(matches!(
        c.create_snap_transaction(&qty0).await,
        Err(Error::InvalidRequest(_))
    ));
    let long = SnapRequest::new(OrderId::new("A").unwrap(), Idr::new(10)).custom_fields(
        Some("x".repeat(256)),
        None,
        None,
    );
    assert!(matches!(
        c.create_snap_transaction(&long).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn discount_lines_may_be_negative() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/snap/v1/transactions"))
        .respond_with(json_response(201, &fixture("snap/create_201.json")))
        .expect(1)
        .mount(&server)
        .await;
    let req = SnapRequest::new(OrderId::new("ORDER-7").unwrap(), Idr::new(90_000)).items(vec![
        ItemDetail::new("Paket", Idr::new(100_000), 1),
        ItemDetail::new("Diskon", Idr::new(-10_000), 1),
    ]);
    client(&server).create_snap_transaction(&req).await.unwrap();
}

#[tokio::test]
async fn snap_errors_keep_status_and_messages() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/snap/v1/transactions"))
        .respond_with(json_response(401, &fixture("snap/error_401.json")))
        .mount(&server)
        .await;
    let err = client(&server)
        .create_snap_transaction(&request())
        .await
        .unwrap_err();
    let api = err.api().expect("api error");
    assert_eq!(api.http_status, 401);
    assert_eq!(api.status_code, None);
    assert_eq!(api.error_messages.len(), 2);
    assert!(api.error_messages[0].starts_with("Access denied"));
    assert!(!err.is_retryable());
    // The error text never contains the key.
    assert!(!format!("{err} {err:?}").contains(SERVER_KEY));
}

#[tokio::test]
async fn snap_400_is_not_retried_even_with_idempotency_key() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/snap/v1/transactions"))
        .respond_with(json_response(400, &fixture("snap/error_400.json")))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .with_options(RequestOptions::default().idempotency_key("k1"))
        .create_snap_transaction(&request())
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().http_status, 400);
    assert_eq!(
        err.api().unwrap().error_messages,
        vec!["transaction_details.gross_amount is not equal to the sum of item_details"]
    );
}
