//! Conformance over the peer corpus: Midtrans notification bodies captured
//! by other people or published by Midtrans (docs, official SDKs), read at
//! run time from `../shared/peer-corpus/midtrans/` beside the checkout (see
//! its `SOURCES.md`). The payloads are third-party data and are not copied
//! into this repository.

use std::path::{Path, PathBuf};

use midtrans_client::{
    Error, FraudStatus, IncomingNotification, Notification, PaymentState, SignatureError,
    TransactionStatus,
};
use serde_json::Value;

/// The public sandbox server key published in Midtrans' own SDK examples
/// (midtrans-nodejs-client `examples/expressApp/app.js`, midtrans-python
/// `tests/config.py`); the Node.js sample notification was signed with it.
const MIDTRANS_EXAMPLE_SANDBOX_KEY: &str = "SB-Mid-server-GwUP_WGbJPXsDzsNEBRs8IYA";

/// The corpus folder; fails loudly when the shared folder is missing, so a
/// checkout without it cannot pass silently.
pub(crate) fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/peer-corpus/midtrans");
    assert!(
        dir.is_dir(),
        "the peer corpus is missing: expected {} (the `shared/` folder beside the \
         repository checkout; CI provides it)",
        dir.display()
    );
    dir
}

/// Every payload as (file name, raw body), sorted by name.
pub(crate) fn payloads() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 39, "only {} payloads", out.len());
    out
}

/// The state the documentation's table gives for a raw status pair,
/// written out independently of `PaymentState::classify`.
fn documented_state(status: &str, fraud: Option<&str>) -> PaymentState {
    match (status, fraud) {
        ("settlement", Some("deny")) => PaymentState::Failed,
        ("settlement", _) => PaymentState::Paid,
        ("capture", None | Some("accept")) => PaymentState::Paid,
        ("capture", Some("challenge")) => PaymentState::Challenge,
        ("capture", Some("deny")) => PaymentState::Failed,
        ("pending" | "authorize", Some("deny")) => PaymentState::Failed,
        ("pending" | "authorize", _) => PaymentState::Pending,
        ("deny" | "cancel" | "expire" | "failure", _) => PaymentState::Failed,
        ("refund" | "partial_refund" | "chargeback" | "partial_chargeback", _) => {
            PaymentState::Refunded
        }
        other => panic!("no documented state for {other:?}"),
    }
}

#[test]
fn every_notification_in_the_corpus_parses_or_is_rightly_rejected() {
    let mut transactions = 0;
    let mut subscriptions = 0;
    for (name, body) in payloads() {
        let parsed = IncomingNotification::from_slice(&body);
        if name.starts_with("INVALID_") {
            // Documentation samples that are not JSON (a trailing comma):
            // a typed error saying so, never a panic or a half-parse.
            match parsed {
                Err(Error::InvalidNotification(e)) => {
                    assert!(e.is_syntax(), "{name}: {e}");
                }
                other => panic!("{name}: expected a syntax error, got {other:?}"),
            }
            continue;
        }
        if name.starts_with("NOORDERID_") {
            // An SDK sample without `order_id`: the signature is computed
            // over the order id, so no such body can be verified.
            match parsed {
                Err(Error::InvalidNotification(e)) => {
                    assert!(e.is_data(), "{name}: {e}");
                    assert!(e.to_string().contains("order_id"), "{name}: {e}");
                }
                other => panic!("{name}: expected a missing order_id, got {other:?}"),
            }
            continue;
        }
        let raw: Value = serde_json::from_slice(&body).unwrap();
        match parsed.unwrap_or_else(|e| panic!("{name}: {e}")) {
            IncomingNotification::Transaction(n) => {
                transactions += 1;
                // The signed strings are kept exactly as received.
                assert_eq!(
                    Some(n.order_id.as_str()),
                    raw["order_id"].as_str(),
                    "{name}"
                );
                assert_eq!(
                    Some(n.status_code.as_str()),
                    raw["status_code"].as_str(),
                    "{name}"
                );
                assert_eq!(
                    Some(n.gross_amount.as_str()),
                    raw["gross_amount"].as_str(),
                    "{name}"
                );
                assert!(n.gross_amount_idr().is_ok(), "{name}: {}", n.gross_amount);
                let status = raw["transaction_status"].as_str().unwrap();
                let fraud = raw["fraud_status"].as_str();
                assert!(
                    !matches!(n.transaction_status, TransactionStatus::Unknown(_)),
                    "{name}: {status}"
                );
                assert!(
                    !matches!(n.fraud_status, Some(FraudStatus::Unknown(_))),
                    "{name}: {fraud:?}"
                );
                assert_eq!(n.payment_state(), documented_state(status, fraud), "{name}");
                // Nobody's signature verifies under a key that is not the
                // merchant's; a truncated one is malformed, not a mismatch.
                let expected = match raw["signature_key"].as_str() {
                    None => SignatureError::Missing,
                    Some(s) if s.len() == 128 => SignatureError::Mismatch,
                    Some(_) => SignatureError::Malformed,
                };
                assert_eq!(n.verify_signature("not-the-key"), Err(expected), "{name}");
            }
            IncomingNotification::Subscription(s) => {
                subscriptions += 1;
                assert!(name.starts_with("subscription_"), "{name}");
                assert_eq!(
                    Some(s.subscription.id.as_str()),
                    raw["id"].as_str(),
                    "{name}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(subscriptions, 2);
    assert!(transactions >= 34, "{transactions}");
}

#[test]
fn a_signature_made_by_midtrans_verifies() {
    let body =
        std::fs::read(corpus_dir().join("sdk_nodejs_express_card_capture_REALSIG.json")).unwrap();
    let n = Notification::from_slice(&body).unwrap();
    assert_eq!(n.verify_signature(MIDTRANS_EXAMPLE_SANDBOX_KEY), Ok(()));
    assert_eq!(n.payment_state(), PaymentState::Paid);
    // One changed byte of the amount and it no longer does.
    let text = String::from_utf8(body).unwrap();
    let tampered = text.replace("\"200000.00\"", "\"200001.00\"");
    assert_ne!(tampered, text);
    let n = Notification::from_slice(tampered.as_bytes()).unwrap();
    assert_eq!(
        n.verify_signature(MIDTRANS_EXAMPLE_SANDBOX_KEY),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn the_trailing_comma_is_the_only_defect_of_the_refund_samples() {
    // The verbatim documentation sample fails; the same text without the
    // trailing comma parses as a partial refund.
    for (invalid, fixed) in [
        (
            "INVALID_docs_refund_partial_verbatim.json",
            "docs_refund_partial_trailing_comma_removed.json",
        ),
        (
            "INVALID_docs_refund_partial_bank_confirmed_verbatim.json",
            "docs_refund_partial_bank_confirmed_trailing_comma_removed.json",
        ),
    ] {
        let bad = std::fs::read(corpus_dir().join(invalid)).unwrap();
        assert!(matches!(
            Notification::from_slice(&bad),
            Err(Error::InvalidNotification(e)) if e.is_syntax()
        ));
        let good = Notification::from_slice(&std::fs::read(corpus_dir().join(fixed)).unwrap())
            .unwrap_or_else(|e| panic!("{fixed}: {e}"));
        assert_eq!(good.transaction_status, TransactionStatus::PartialRefund);
        assert_eq!(good.payment_state(), PaymentState::Refunded);
        assert!(good.refund_amount.is_some(), "{fixed}");
    }
}
