//! Notification parsing, verification and confirmation, with fixtures of
//! documented payloads for each payment type.

use crate::common;

use common::*;
use midtrans_client::{
    Error, FraudStatus, Idr, IncomingNotification, Notification, PaymentState, PaymentType,
    SignatureError, TransactionStatus, testing,
};
use wiremock::Mock;
use wiremock::matchers::{method, path};

const PAYMENT_FIXTURES: &[(&str, PaymentType, PaymentState)] = &[
    (
        "bca_va_settlement",
        PaymentType::BankTransfer,
        PaymentState::Paid,
    ),
    (
        "bni_va_pending",
        PaymentType::BankTransfer,
        PaymentState::Pending,
    ),
    (
        "bri_va_expire",
        PaymentType::BankTransfer,
        PaymentState::Failed,
    ),
    (
        "permata_va_settlement",
        PaymentType::BankTransfer,
        PaymentState::Paid,
    ),
    (
        "cimb_va_settlement",
        PaymentType::BankTransfer,
        PaymentState::Paid,
    ),
    (
        "echannel_settlement",
        PaymentType::Echannel,
        PaymentState::Paid,
    ),
    ("gopay_settlement", PaymentType::Gopay, PaymentState::Paid),
    ("qris_settlement", PaymentType::Qris, PaymentState::Paid),
    (
        "shopeepay_settlement",
        PaymentType::Shopeepay,
        PaymentState::Paid,
    ),
    (
        "credit_card_capture_accept",
        PaymentType::CreditCard,
        PaymentState::Paid,
    ),
    (
        "credit_card_capture_challenge",
        PaymentType::CreditCard,
        PaymentState::Challenge,
    ),
    (
        "credit_card_deny",
        PaymentType::CreditCard,
        PaymentState::Failed,
    ),
    (
        "indomaret_pending",
        PaymentType::Cstore,
        PaymentState::Pending,
    ),
    (
        "alfamart_settlement",
        PaymentType::Cstore,
        PaymentState::Paid,
    ),
    ("gopay_cancel", PaymentType::Gopay, PaymentState::Failed),
    (
        "credit_card_refund",
        PaymentType::CreditCard,
        PaymentState::Refunded,
    ),
    (
        "gopay_partial_refund",
        PaymentType::Gopay,
        PaymentState::Refunded,
    ),
];

#[test]
fn every_fixture_parses_verifies_and_classifies() {
    for (name, pt, state) in PAYMENT_FIXTURES {
        let body = fixture(&format!("notifications/{name}.json"));
        let n = Notification::from_slice(body.as_bytes()).unwrap();
        assert_eq!(n.payment_type.as_ref(), Some(pt), "{name}");
        assert_eq!(n.payment_state(), *state, "{name}");
        assert_eq!(n.verify_signature(SERVER_KEY), Ok(()), "{name}");
        assert_eq!(
            n.verify_signature("SB-Mid-server-OTHER"),
            Err(SignatureError::Mismatch),
            "{name}"
        );
        // The amount stays the exact string that was signed.
        assert!(n.gross_amount.ends_with(".00"), "{name}");
        assert!(matches!(
            IncomingNotification::from_slice(body.as_bytes()).unwrap(),
            IncomingNotification::Transaction(_)
        ));
    }
}

#[test]
fn tampering_with_any_signed_field_fails() {
    let body = fixture("notifications/bca_va_settlement.json");
    for (from, to) in [
        ("\"ORDER-101\"", "\"ORDER-102\""),
        ("\"44000.00\"", "\"44000.0\""),
        ("\"44000.00\"", "\"440000.00\""),
        ("\"status_code\": \"200\"", "\"status_code\": \"201\""),
    ] {
        let changed = body.replace(from, to);
        assert_ne!(changed, body, "{from}");
        let n = Notification::from_slice(changed.as_bytes()).unwrap();
        assert_eq!(
            n.verify_signature(SERVER_KEY),
            Err(SignatureError::Mismatch),
            "{from}"
        );
    }
}

#[test]
fn lenient_parsing() {
    // Numbers instead of strings, unknown statuses and extra fields.
    let body = r#"{"order_id":"A-1","status_code":200,"gross_amount":"10000.00",
        "transaction_status":"something_new","fraud_status":"accept","payment_type":"new_pay",
        "signature_key":"00","whatever":[1,2,3],"va_numbers":[{"bank":"bca","va_number":12345}]}"#;
    let n = Notification::from_json(body).unwrap();
    assert_eq!(n.status_code, "200");
    assert_eq!(
        n.transaction_status,
        TransactionStatus::Unknown("something_new".into())
    );
    assert_eq!(n.payment_type, Some(PaymentType::Unknown("new_pay".into())));
    assert_eq!(n.payment_state(), PaymentState::Unknown);
    assert_eq!(n.va_numbers.unwrap()[0].va_number, "12345");
    assert_eq!(n.fraud_status, Some(FraudStatus::Accept));
    // Missing signed fields are a parse error, not a panic.
    assert!(matches!(
        Notification::from_json(r#"{"order_id":"A"}"#),
        Err(Error::InvalidNotification(_))
    ));
    assert!(Notification::from_json("not json").is_err());
}

#[test]
fn subscription_notification_is_routed() {
    let body = fixture("notifications/subscription_inactive.json");
    match IncomingNotification::from_slice(body.as_bytes()).unwrap() {
        IncomingNotification::Subscription(s) => {
            assert_eq!(s.subscription.id, "d98a63b8-97e4-4059-825f-0f62340407e9");
            assert_eq!(s.subscription.amount, Some(Idr::new(14_000)));
        }
        other => panic!("expected subscription, got {other:?}"),
    }
}

#[tokio::test]
async fn confirm_verifies_then_gets_status() {
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
    // A stale "pending" notification: the confirmed state is what counts.
    let body = fixture("notifications/bni_va_pending.json");
    let confirmed = client(&server)
        .verify_and_confirm(body.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        confirmed.notification.transaction_status,
        TransactionStatus::Pending
    );
    assert_eq!(confirmed.state, PaymentState::Paid);
    assert_eq!(
        confirmed.status.transaction_status,
        Some(TransactionStatus::Settlement)
    );
}

#[tokio::test]
async fn bad_signature_never_reaches_midtrans() {
    let server = server().await;
    let body = testing::signed_notification("ORDER-101", "settlement", 44_000, "wrong-key");
    let err = client(&server)
        .verify_and_confirm(body.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Signature(SignatureError::Mismatch)));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn confirm_rejects_a_different_amount() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(
            200,
            &fixture("transactions/status_settlement.json"),
        ))
        .mount(&server)
        .await;
    // Signed correctly but for 1.000 rupiah; Midtrans says 44.000.
    let body = testing::signed_notification("ORDER-101", "settlement", 1_000, SERVER_KEY);
    let err = client(&server)
        .verify_and_confirm(body.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConfirmationMismatch(_)), "{err:?}");
}

#[tokio::test]
async fn confirm_of_expired_transaction() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/ORDER-101/status"))
        .respond_with(json_response(
            200,
            &fixture("transactions/status_expired_407.json"),
        ))
        .mount(&server)
        .await;
    let body = fixture("notifications/bri_va_expire.json");
    let confirmed = client(&server)
        .verify_and_confirm(body.as_bytes())
        .await
        .unwrap();
    assert_eq!(confirmed.state, PaymentState::Failed);
}

#[tokio::test]
async fn confirm_subscription_gets_it() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(
            "/v1/subscriptions/d98a63b8-97e4-4059-825f-0f62340407e9",
        ))
        .respond_with(json_response(200, &fixture("subscriptions/get.json")))
        .expect(1)
        .mount(&server)
        .await;
    let body = fixture("notifications/subscription_inactive.json");
    let IncomingNotification::Subscription(s) =
        IncomingNotification::from_slice(body.as_bytes()).unwrap()
    else {
        panic!("not a subscription notification");
    };
    let confirmed = client(&server).confirm_subscription(&s).await.unwrap();
    // The notification said inactive; the confirmed object is what counts.
    assert_eq!(
        confirmed.status,
        Some(midtrans_client::subscription::SubscriptionStatus::Active)
    );
}

#[test]
fn repeated_and_out_of_order_delivery() {
    // Simulates an order's stored state fed notifications in a bad order.
    let mut stored = PaymentState::Pending;
    let mut activations = 0;
    for incoming in [
        PaymentState::Paid,
        PaymentState::Paid,    // repeat
        PaymentState::Pending, // stale
        PaymentState::Refunded,
        PaymentState::Paid, // stale after refund
    ] {
        if incoming.supersedes(stored) {
            if incoming == PaymentState::Paid {
                activations += 1;
            }
            stored = incoming;
        }
    }
    assert_eq!(activations, 1);
    assert_eq!(stored, PaymentState::Refunded);
}
