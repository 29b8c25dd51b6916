//! Transaction management (status, approve, deny, cancel, expire, refunds,
//! capture) against a mock.

use crate::common;

use common::*;
use midtrans_client::{
    Error, FraudStatus, Idr, OrderId, PaymentState, RefundRequest, TransactionRef,
    TransactionStatus,
};
use serde_json::json;
use wiremock::Mock;
use wiremock::matchers::{body_json, method, path, query_param};

fn order() -> OrderId {
    OrderId::new("ORDER-101").unwrap()
}

#[tokio::test]
async fn status_settlement() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(
            200,
            &fixture("transactions/status_settlement.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let tx = client(&server).status(&order()).await.unwrap();
    assert_eq!(tx.transaction_status, Some(TransactionStatus::Settlement));
    assert_eq!(tx.payment_state(), PaymentState::Paid);
    assert_eq!(tx.settlement_time.as_deref(), Some("2026-01-23 16:40:12"));
}

#[tokio::test]
async fn status_407_expired_is_not_an_error() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(
            407,
            &fixture("transactions/status_expired_407.json"),
        ))
        .mount(&server)
        .await;
    let tx = client(&server).status(&order()).await.unwrap();
    assert_eq!(tx.status_code, "407");
    assert_eq!(tx.payment_state(), PaymentState::Failed);
}

#[tokio::test]
async fn status_404_is_an_error_whatever_the_http_status() {
    for http in [200u16, 404] {
        let server = server().await;
        Mock::given(method("GET"))
            .and(path("/v2/ORDER-101/status"))
            .respond_with(json_response(
                http,
                &fixture("transactions/status_404.json"),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server).status(&order()).await.unwrap_err();
        let api = err.api().unwrap();
        assert_eq!(api.http_status, http);
        assert_eq!(api.status_code.as_deref(), Some("404"));
        assert_eq!(
            api.status_message.as_deref(),
            Some("Transaction doesn't exist.")
        );
    }
}

#[tokio::test]
async fn status_by_transaction_id_is_percent_encoded() {
    let server = server().await;
    // A transaction id with characters that must be escaped in a path.
    Mock::given(method("GET"))
        .and(path("/v2/a%2Fb%20c/status"))
        .respond_with(json_response(
            200,
            &fixture("transactions/status_settlement.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .status(TransactionRef::Transaction("a/b c".into()))
        .await
        .unwrap();
}

#[tokio::test]
async fn status_get_is_retried_on_5xx() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(502, "<html>bad gateway</html>"))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(
            200,
            &fixture("transactions/status_settlement.json"),
        ))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    client(&server).status(&order()).await.unwrap();
}

#[tokio::test]
async fn status_b2b_pages() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status/b2b"))
        .and(query_param("page", "0"))
        .and(query_param("per_page", "10"))
        .respond_with(json_response(200, &fixture("transactions/status_b2b.json")))
        .expect(1)
        .mount(&server)
        .await;
    let b2b = client(&server).status_b2b(&order(), 0, 10).await.unwrap();
    assert_eq!(b2b.transactions.len(), 2);
    assert_eq!(b2b.transactions[1].status_code, "407");
}

#[tokio::test]
async fn approve_deny_cancel() {
    let server = server().await;
    for (action, file) in [
        ("approve", "transactions/approve.json"),
        ("deny", "transactions/deny.json"),
        ("cancel", "transactions/cancel.json"),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v2/ORDER-101/{action}")))
            .respond_with(json_response(200, &fixture(file)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let a = c.approve(&order()).await.unwrap();
    assert_eq!(a.payment_state(), PaymentState::Paid);
    let d = c.deny(&order()).await.unwrap();
    assert_eq!(d.fraud_status, Some(FraudStatus::Deny));
    assert_eq!(d.payment_state(), PaymentState::Failed);
    let x = c.cancel(&order()).await.unwrap();
    assert_eq!(x.transaction_status, Some(TransactionStatus::Cancel));
}

#[tokio::test]
async fn cancel_412_is_an_error_and_not_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/ORDER-101/cancel"))
        .respond_with(json_response(200, &fixture("transactions/cancel_412.json")))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).cancel(&order()).await.unwrap_err();
    assert_eq!(err.api().unwrap().code(), "412");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn expire_407_is_success() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/ORDER-101/expire"))
        .respond_with(json_response(200, &fixture("transactions/expire_407.json")))
        .expect(1)
        .mount(&server)
        .await;
    let tx = client(&server).expire(&order()).await.unwrap();
    assert_eq!(tx.status_code, "407");
    assert_eq!(tx.transaction_status, Some(TransactionStatus::Expire));
}

#[tokio::test]
async fn refund_and_direct_refund() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/ORDER-101/refund"))
        .and(body_json(
            json!({"refund_key": "reference1", "amount": 5000, "reason": "rusak"}),
        ))
        .respond_with(json_response(200, &fixture("transactions/refund.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/ORDER-101/refund/online/direct"))
        .and(body_json(json!({"refund_key": "refund-ORDER-101-1"})))
        .respond_with(json_response(
            200,
            &fixture("transactions/direct_refund.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let r = c
        .refund(
            &order(),
            &RefundRequest::partial("reference1", Idr::new(5000)).reason("rusak"),
        )
        .await
        .unwrap();
    assert_eq!(r.refund_amount, Some(Idr::new(5000)));
    assert_eq!(r.refund_chargeback_id.as_deref(), Some("9123")); // number in the body
    assert_eq!(r.transaction_status, Some(TransactionStatus::PartialRefund));
    assert_eq!(r.payment_state(), PaymentState::Refunded);
    let d = c
        .direct_refund(&order(), &RefundRequest::full("refund-ORDER-101-1"))
        .await
        .unwrap();
    assert_eq!(d.refund_chargeback_id.as_deref(), Some("10287"));
    assert_eq!(d.refund_amount, Some(Idr::new(44_000)));
}

#[tokio::test]
async fn refund_amount_must_be_positive() {
    let server = server().await;
    let err = client(&server)
        .refund(&order(), &RefundRequest::partial("k", Idr::new(-1)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn capture() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/capture"))
        .and(body_json(json!({
            "transaction_id": "1a1a66f7-27a7-4844-ba1f-d86dcc16ab27",
            "gross_amount": 145000
        })))
        .respond_with(json_response(200, &fixture("transactions/capture.json")))
        .expect(1)
        .mount(&server)
        .await;
    let tx = client(&server)
        .capture("1a1a66f7-27a7-4844-ba1f-d86dcc16ab27", Idr::new(145_000))
        .await
        .unwrap();
    assert_eq!(tx.transaction_status, Some(TransactionStatus::Capture));
    assert_eq!(tx.approval_code.as_deref(), Some("1382"));
}

#[tokio::test]
async fn unknown_statuses_do_not_fail_parsing() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(
            200,
            r#"{"status_code":200,"transaction_status":"frozen","fraud_status":"review",
                "payment_type":"new_wallet","order_id":"ORDER-101","gross_amount":10000,
                "brand_new_field":{"x":1}}"#,
        ))
        .mount(&server)
        .await;
    let tx = client(&server).status(&order()).await.unwrap();
    assert_eq!(tx.status_code, "200");
    assert_eq!(
        tx.transaction_status,
        Some(TransactionStatus::Unknown("frozen".into()))
    );
    assert_eq!(tx.fraud_status, Some(FraudStatus::Unknown("review".into())));
    assert_eq!(tx.gross_amount.as_deref(), Some("10000"));
    assert_eq!(tx.payment_state(), PaymentState::Unknown);
}

#[tokio::test]
async fn undecodable_success_body_keeps_raw_body() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(200, "not json at all"))
        .mount(&server)
        .await;
    match client(&server).status(&order()).await.unwrap_err() {
        Error::Decode {
            http_status, body, ..
        } => {
            assert_eq!(http_status, 200);
            assert_eq!(body, "not json at all");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}
