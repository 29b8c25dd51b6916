//! Iris payouts against a mock, and the Iris notification signature.

use crate::common;

use common::*;
use midtrans_client::iris::{self, Beneficiary, IrisNotification, NewPayout, PayoutStatus};
use midtrans_client::{Error, Idr, SignatureError};
use serde_json::json;
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path};

const CREATOR: &str = "IRIS-creator-key";
const APPROVER: &str = "IRIS-approver-key";
const MERCHANT_KEY: &str = "IRIS-merchant-key";

fn beneficiary() -> Beneficiary {
    Beneficiary {
        name: "Budi Susanti".into(),
        bank: "bca".into(),
        account: "5432198760".into(),
        alias_name: "budisusanti".into(),
        email: Some("budi.susanti@example.com".into()),
    }
}

#[tokio::test]
async fn beneficiaries_list_create_update() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/iris/api/v1/beneficiaries"))
        .and(header("authorization", basic_auth(CREATOR).as_str()))
        .respond_with(json_response(200, &fixture("iris/beneficiaries.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/beneficiaries"))
        .and(body_json(
            json!({"name": "Budi Susanti", "bank": "bca", "account": "5432198760",
                              "alias_name": "budisusanti", "email": "budi.susanti@example.com"}),
        ))
        .respond_with(json_response(
            201,
            &fixture("iris/beneficiary_created.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/iris/api/v1/beneficiaries/budisusanti"))
        .respond_with(json_response(
            200,
            &fixture("iris/beneficiary_updated.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = iris(&server, CREATOR);
    let list = c.beneficiaries().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].email, None);
    assert_eq!(
        c.create_beneficiary(&beneficiary()).await.unwrap().status,
        "created"
    );
    assert_eq!(
        c.update_beneficiary("budisusanti", &beneficiary())
            .await
            .unwrap()
            .status,
        "updated"
    );
}

#[tokio::test]
async fn payouts_create_approve_reject_details_balance() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/payouts"))
        .and(header("authorization", basic_auth(CREATOR).as_str()))
        .and(body_json(json!({"payouts": [{
            "beneficiary_name": "Ryan Renolds", "beneficiary_account": "33287352",
            "beneficiary_bank": "bca", "beneficiary_email": "beneficiary@example.com",
            "amount": "200000.00", "notes": "Payout June 17"}]})))
        .respond_with(json_response(201, &fixture("iris/payouts_created.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/payouts/approve"))
        .and(header("authorization", basic_auth(APPROVER).as_str()))
        .and(body_json(
            json!({"reference_nos": ["1d4f8c387ebcab2be4"], "otp": "335163"}),
        ))
        .respond_with(json_response(202, &fixture("iris/ok.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/payouts/reject"))
        .and(header("authorization", basic_auth(APPROVER).as_str()))
        .and(body_json(
            json!({"reference_nos": ["2e5a9d498fcdbc3cf5"], "reject_reason": "salah rekening"}),
        ))
        .respond_with(json_response(202, &fixture("iris/ok.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/iris/api/v1/payouts/1d4f8c387ebcab2be4"))
        .respond_with(json_response(200, &fixture("iris/payout.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/iris/api/v1/balance"))
        .respond_with(json_response(200, &fixture("iris/balance.json")))
        .expect(1)
        .mount(&server)
        .await;

    let creator = iris(&server, CREATOR);
    let approver = iris(&server, APPROVER);
    let created = creator
        .create_payouts(&[NewPayout {
            beneficiary_name: "Ryan Renolds".into(),
            beneficiary_account: "33287352".into(),
            beneficiary_bank: "bca".into(),
            beneficiary_email: Some("beneficiary@example.com".into()),
            amount: Idr::new(200_000),
            notes: "Payout June 17".into(),
        }])
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].status, PayoutStatus::Queued);
    approver
        .approve_payouts(&[created[0].reference_no.clone()], Some("335163"))
        .await
        .unwrap();
    approver
        .reject_payouts(&[created[1].reference_no.clone()], "salah rekening")
        .await
        .unwrap();
    let p = creator.payout("1d4f8c387ebcab2be4").await.unwrap();
    assert_eq!(p.amount, Idr::new(200_000));
    assert_eq!(p.status, PayoutStatus::Queued);
    assert_eq!(
        creator.balance().await.unwrap().balance,
        Idr::new(10_000_000)
    );
}

#[tokio::test]
async fn iris_errors_keep_messages() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/payouts"))
        .respond_with(json_response(400, &fixture("iris/error_400.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/iris/api/v1/balance"))
        .respond_with(json_response(401, &fixture("iris/error_401.json")))
        .expect(1)
        .mount(&server)
        .await;
    let c = iris(&server, CREATOR);
    let err = c
        .create_payouts(&[NewPayout {
            beneficiary_name: "X".into(),
            beneficiary_account: "1".into(),
            beneficiary_bank: "nope".into(),
            beneficiary_email: None,
            amount: Idr::new(10_000),
            notes: "n".into(),
        }])
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.http_status, 400);
    assert_eq!(
        api.status_message.as_deref(),
        Some("An error occured when creating payouts")
    );
    assert_eq!(api.error_messages.len(), 2);
    let err = c.balance().await.unwrap_err();
    assert_eq!(
        err.api().unwrap().error_messages,
        vec!["api_key: is invalid"]
    );
}

#[tokio::test]
async fn invalid_iris_requests_are_rejected_locally() {
    let server = server().await;
    let c = iris(&server, CREATOR);
    assert!(matches!(
        c.create_payouts(&[]).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        c.approve_payouts(&[], None).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        c.reject_payouts(&["r".into()], " ").await,
        Err(Error::InvalidRequest(_))
    ));
    let mut b = beneficiary();
    b.alias_name = "budi susanti".into();
    assert!(matches!(
        c.create_beneficiary(&b).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn iris_notification_signature_over_raw_body() {
    for file in [
        "iris/notification_completed.json",
        "iris/notification_failed.json",
    ] {
        let body = fixture(file);
        let sig = iris::sign_notification(body.as_bytes(), MERCHANT_KEY);
        let n =
            IrisNotification::verify_and_parse(body.as_bytes(), Some(&sig), MERCHANT_KEY).unwrap();
        assert_eq!(n.reference_no, "1d4f8c387ebcab2be4");
        assert_eq!(n.amount, Some(Idr::new(200_000)));
        // Any change to the body, or another key, fails.
        let tampered = body.replace("200000.00", "900000.00");
        assert!(matches!(
            IrisNotification::verify_and_parse(tampered.as_bytes(), Some(&sig), MERCHANT_KEY),
            Err(Error::Signature(SignatureError::Mismatch))
        ));
        assert!(iris::verify_notification(body.as_bytes(), Some(&sig), "other").is_err());
        assert_eq!(
            iris::verify_notification(body.as_bytes(), None, MERCHANT_KEY),
            Err(SignatureError::Missing)
        );
    }
    let failed = fixture("iris/notification_failed.json");
    let sig = iris::sign_notification(failed.as_bytes(), MERCHANT_KEY);
    let n =
        IrisNotification::verify_and_parse(failed.as_bytes(), Some(&sig), MERCHANT_KEY).unwrap();
    assert_eq!(n.status, PayoutStatus::Failed);
    assert_eq!(n.error_message.as_deref(), Some("Account does not exist"));
}

#[test]
fn iris_debug_redacts_key() {
    let c = midtrans_client::IrisClient::new(CREATOR, midtrans_client::Environment::Production);
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(CREATOR), "{dbg}");
    assert!(dbg.contains("app.midtrans.com/iris"));
}

#[tokio::test]
async fn payout_creation_with_key_uses_x_idempotency_key_and_retries() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/payouts"))
        .and(header("x-idempotency-key", "payout-2026-01-batch-1"))
        .respond_with(json_response(500, r#"{"error_message":"internal"}"#))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/payouts"))
        .and(header("x-idempotency-key", "payout-2026-01-batch-1"))
        .respond_with(json_response(201, &fixture("iris/payouts_created.json")))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let created = iris(&server, CREATOR)
        .with_options(
            midtrans_client::RequestOptions::default().idempotency_key("payout-2026-01-batch-1"),
        )
        .create_payouts(&[NewPayout {
            beneficiary_name: "Ryan Renolds".into(),
            beneficiary_account: "33287352".into(),
            beneficiary_bank: "bca".into(),
            beneficiary_email: None,
            amount: Idr::new(200_000),
            notes: "n".into(),
        }])
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
}

#[tokio::test]
async fn payout_creation_without_key_is_not_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/iris/api/v1/payouts"))
        .respond_with(json_response(503, r#"{"error_message":"unavailable"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let err = iris(&server, CREATOR)
        .create_payouts(&[NewPayout {
            beneficiary_name: "Ryan Renolds".into(),
            beneficiary_account: "33287352".into(),
            beneficiary_bank: "bca".into(),
            beneficiary_email: None,
            amount: Idr::new(200_000),
            notes: "n".into(),
        }])
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(
        err.api().unwrap().status_message.as_deref(),
        Some("unavailable")
    );
}
