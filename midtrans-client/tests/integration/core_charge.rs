//! Core API charge for each payment method against a mock.

use crate::common;

use common::*;
use midtrans_client::snap::ExpiryUnit;
use midtrans_client::{
    Bank, ChargeRequest, Error, Idr, ItemDetail, OrderId, PaymentMethod, PaymentState, PaymentType,
    RequestOptions, Store, TransactionStatus,
};
use serde_json::json;
use wiremock::Mock;
use wiremock::matchers::{body_json, body_partial_json, header, method, path};

fn order() -> OrderId {
    OrderId::new("ORDER-101").unwrap()
}

async fn charge_with(
    method_: PaymentMethod,
    expected_part: serde_json::Value,
    fixture_path: &str,
) -> midtrans_client::Transaction {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/charge"))
        .and(header("authorization", basic_auth(SERVER_KEY).as_str()))
        .and(body_partial_json(expected_part))
        .respond_with(json_response(200, &fixture(fixture_path)))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .charge(&ChargeRequest::new(order(), Idr::new(44_000), method_))
        .await
        .unwrap()
}

#[tokio::test]
async fn bank_transfer_va_for_each_bank() {
    for (bank, name, va) in [
        (Bank::Bca, "bca", "812785002530231"),
        (Bank::Bni, "bni", "9888500212345678"),
        (Bank::Bri, "bri", "888502000071234"),
        (Bank::Cimb, "cimb", "1899000012345678"),
    ] {
        let tx = charge_with(
            PaymentMethod::bank_transfer(bank),
            json!({"payment_type": "bank_transfer", "bank_transfer": {"bank": name},
                   "transaction_details": {"order_id": "ORDER-101", "gross_amount": 44000}}),
            &format!("core/charge_{name}_va.json"),
        )
        .await;
        assert_eq!(tx.status_code, "201");
        assert_eq!(tx.transaction_status, Some(TransactionStatus::Pending));
        assert_eq!(tx.va_numbers.as_ref().unwrap()[0].bank, name);
        assert_eq!(tx.va_number(), Some(va));
        assert_eq!(tx.payment_state(), PaymentState::Pending);
        assert_eq!(tx.gross_amount_idr(), Some(Idr::new(44_000)));
    }
}

#[tokio::test]
async fn permata_with_recipient_name() {
    let m = PaymentMethod::BankTransfer {
        bank: Bank::Permata,
        va_number: Some("1234567890".into()),
        bca_sub_company_code: None,
        permata_recipient_name: Some("SUDARSONO".into()),
    };
    let tx = charge_with(
        m,
        json!({"bank_transfer": {"bank": "permata", "va_number": "1234567890",
               "permata": {"recipient_name": "SUDARSONO"}}}),
        "core/charge_permata_va.json",
    )
    .await;
    assert_eq!(tx.permata_va_number.as_deref(), Some("8562000087926752"));
    assert_eq!(tx.va_number(), Some("8562000087926752"));
}

#[tokio::test]
async fn mandiri_bill() {
    let tx = charge_with(
        PaymentMethod::MandiriBill {
            bill_info1: "Payment:".into(),
            bill_info2: "Online purchase".into(),
        },
        json!({"payment_type": "echannel",
               "echannel": {"bill_info1": "Payment:", "bill_info2": "Online purchase"}}),
        "core/charge_echannel.json",
    )
    .await;
    assert_eq!(tx.bill_key.as_deref(), Some("990000000260"));
    assert_eq!(tx.biller_code.as_deref(), Some("70012"));
    assert_eq!(tx.payment_type, Some(PaymentType::Echannel));
}

#[tokio::test]
async fn gopay_actions() {
    let tx = charge_with(
        PaymentMethod::Gopay {
            enable_callback: true,
            callback_url: Some("someapps://callback".into()),
        },
        json!({"payment_type": "gopay",
               "gopay": {"enable_callback": true, "callback_url": "someapps://callback"}}),
        "core/charge_gopay.json",
    )
    .await;
    assert!(tx.qr_code_url().unwrap().ends_with("/qr-code"));
    assert!(tx.deeplink_url().unwrap().contains("gopay/ui/checkout"));
    assert_eq!(tx.actions.as_ref().unwrap().len(), 4);
}

#[tokio::test]
async fn qris_string() {
    let tx = charge_with(
        PaymentMethod::Qris {
            acquirer: Some("gopay".into()),
        },
        json!({"payment_type": "qris", "qris": {"acquirer": "gopay"}}),
        "core/charge_qris.json",
    )
    .await;
    assert!(tx.qr_string.as_deref().unwrap().starts_with("000201"));
    assert_eq!(tx.acquirer.as_deref(), Some("gopay"));
}

#[tokio::test]
async fn shopeepay_deeplink() {
    let tx = charge_with(
        PaymentMethod::Shopeepay { callback_url: Some("https://shop.example/back".into()) },
        json!({"payment_type": "shopeepay", "shopeepay": {"callback_url": "https://shop.example/back"}}),
        "core/charge_shopeepay.json",
    )
    .await;
    assert!(tx.deeplink_url().unwrap().contains("airpay"));
    assert_eq!(tx.channel_response_code.as_deref(), Some("0"));
}

#[tokio::test]
async fn credit_card_3ds_returns_redirect() {
    let tx = charge_with(
        PaymentMethod::credit_card_3ds("481111-1114-token"),
        json!({"payment_type": "credit_card",
               "credit_card": {"token_id": "481111-1114-token", "authentication": true}}),
        "core/charge_credit_card_3ds.json",
    )
    .await;
    assert_eq!(tx.status_code, "201");
    assert!(tx.redirect_url.as_deref().unwrap().contains("/redirect/"));
    assert_eq!(tx.masked_card.as_deref(), Some("48111111-1114"));
}

#[tokio::test]
async fn convenience_stores() {
    let tx = charge_with(
        PaymentMethod::Cstore {
            store: Store::Indomaret,
            message: Some("Toko Budi".into()),
        },
        json!({"payment_type": "cstore", "cstore": {"store": "indomaret", "message": "Toko Budi"}}),
        "core/charge_indomaret.json",
    )
    .await;
    assert_eq!(tx.payment_code.as_deref(), Some("8127466382748866"));
    assert_eq!(tx.store.as_deref(), Some("indomaret"));
    let tx = charge_with(
        PaymentMethod::Cstore {
            store: Store::Alfamart,
            message: None,
        },
        json!({"payment_type": "cstore", "cstore": {"store": "alfamart"}}),
        "core/charge_alfamart.json",
    )
    .await;
    assert_eq!(tx.store.as_deref(), Some("alfamart"));
}

#[tokio::test]
async fn full_body_with_items_and_expiry() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/charge"))
        .and(body_json(json!({
            "payment_type": "bank_transfer",
            "transaction_details": {"order_id": "ORDER-101", "gross_amount": 44000},
            "bank_transfer": {"bank": "bca", "bca": {"sub_company_code": "00000"}},
            "item_details": [{"id": "a1", "price": 22000, "quantity": 2, "name": "Apel"}],
            "custom_expiry": {"expiry_duration": 60, "unit": "minute"}
        })))
        .respond_with(json_response(201, &fixture("core/charge_bca_va.json")))
        .expect(1)
        .mount(&server)
        .await;
    let req = ChargeRequest::new(
        order(),
        Idr::new(44_000),
        PaymentMethod::BankTransfer {
            bank: Bank::Bca,
            va_number: None,
            bca_sub_company_code: Some("00000".into()),
            permata_recipient_name: None,
        },
    )
    .items(vec![ItemDetail::new("Apel", Idr::new(22_000), 2).id("a1")])
    .expiry(60, ExpiryUnit::Minute);
    client(&server).charge(&req).await.unwrap();
}

#[tokio::test]
async fn body_status_code_errors_with_http_200() {
    // Midtrans may answer HTTP 200 with an error status_code in the body.
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/charge"))
        .respond_with(json_response(
            200,
            &fixture("core/error_406_duplicate.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .charge(&ChargeRequest::new(
            order(),
            Idr::new(1),
            PaymentMethod::bank_transfer(Bank::Bca),
        ))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.http_status, 200);
    assert_eq!(api.status_code.as_deref(), Some("406"));
    assert_eq!(api.code(), "406");
    assert!(api.status_message.as_deref().unwrap().contains("conflict"));
    assert!(api.id.is_some());
}

#[tokio::test]
async fn validation_messages_are_kept() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/charge"))
        .respond_with(json_response(
            400,
            &fixture("core/error_400_validation.json"),
        ))
        .mount(&server)
        .await;
    let err = client(&server)
        .charge(&ChargeRequest::new(
            order(),
            Idr::new(1),
            PaymentMethod::bank_transfer(Bank::Bca),
        ))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(
        (api.http_status, api.status_code.as_deref()),
        (400, Some("400"))
    );
    assert_eq!(api.validation_messages.len(), 2);
    assert!(err.to_string().contains("payment_type is not supported"));
}

#[tokio::test]
async fn charge_without_idempotency_key_is_never_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/charge"))
        .respond_with(json_response(500, &fixture("core/error_500.json")))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .charge(&ChargeRequest::new(
            order(),
            Idr::new(1),
            PaymentMethod::bank_transfer(Bank::Bca),
        ))
        .await
        .unwrap_err();
    assert!(err.is_retryable());
}

#[tokio::test]
async fn charge_with_idempotency_key_is_retried_with_the_same_key() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/charge"))
        .and(header("idempotency-key", "charge-ORDER-101"))
        .respond_with(json_response(503, "{\"status_code\":\"503\"}"))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/charge"))
        .and(header("idempotency-key", "charge-ORDER-101"))
        .respond_with(json_response(201, &fixture("core/charge_bca_va.json")))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let tx = client(&server)
        .with_options(RequestOptions::default().idempotency_key("charge-ORDER-101"))
        .charge(&ChargeRequest::new(
            order(),
            Idr::new(44_000),
            PaymentMethod::bank_transfer(Bank::Bca),
        ))
        .await
        .unwrap();
    assert_eq!(tx.status_code, "201");
}

#[tokio::test]
async fn invalid_method_options_are_rejected_locally() {
    let server = server().await;
    let c = client(&server);
    let bad_token = ChargeRequest::new(order(), Idr::new(1), PaymentMethod::credit_card_3ds(" "));
    assert!(matches!(
        c.charge(&bad_token).await,
        Err(Error::InvalidRequest(_))
    ));
    let bad_va = ChargeRequest::new(
        order(),
        Idr::new(1),
        PaymentMethod::BankTransfer {
            bank: Bank::Bni,
            va_number: Some("12ab".into()),
            bca_sub_company_code: None,
            permata_recipient_name: None,
        },
    );
    assert!(matches!(
        c.charge(&bad_va).await,
        Err(Error::InvalidRequest(_))
    ));
    let mismatch = ChargeRequest::new(
        order(),
        Idr::new(10),
        PaymentMethod::bank_transfer(Bank::Bca),
    )
    .items(vec![ItemDetail::new("x", Idr::new(3), 3)]);
    assert!(matches!(
        c.charge(&mismatch).await,
        Err(Error::AmountMismatch { .. })
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}
