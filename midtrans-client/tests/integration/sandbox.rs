//! Opt-in tests against the real Midtrans sandbox.
//!
//! Skipped (with a message) unless `MIDTRANS_SANDBOX_SERVER_KEY` is set.
//! They create real sandbox transactions (test money only) and never run in
//! CI by default. Run with:
//!
//! ```sh
//! MIDTRANS_SANDBOX_SERVER_KEY=SB-Mid-server-... cargo test -p midtrans-client --test integration sandbox:: -- --nocapture
//! ```
#![allow(clippy::unwrap_used, clippy::print_stderr, missing_docs)]

use midtrans_client::{
    Bank, ChargeRequest, Environment, Idr, ItemDetail, MidtransClient, OrderId, PaymentMethod,
    PaymentState, SnapRequest, TransactionStatus,
};

fn sandbox() -> Option<MidtransClient> {
    match std::env::var("MIDTRANS_SANDBOX_SERVER_KEY") {
        Ok(key) if key.starts_with("SB-") => Some(MidtransClient::new(key, Environment::Sandbox)),
        Ok(_) => {
            eprintln!(
                "skipping sandbox test: MIDTRANS_SANDBOX_SERVER_KEY is not a sandbox key (SB-...)"
            );
            None
        }
        Err(_) => {
            eprintln!("skipping sandbox test: MIDTRANS_SANDBOX_SERVER_KEY is not set");
            None
        }
    }
}

fn unique_order(prefix: &str) -> OrderId {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    OrderId::new(format!("{prefix}-{nanos}")).unwrap()
}

#[tokio::test]
async fn snap_create_transaction() {
    let Some(client) = sandbox() else { return };
    let req = SnapRequest::new(unique_order("rs-snap"), Idr::new(15_000))
        .items(vec![ItemDetail::new("Test item", Idr::new(15_000), 1)]);
    let resp = client.create_snap_transaction(&req).await.unwrap();
    assert!(!resp.token.is_empty());
    assert!(
        resp.redirect_url
            .starts_with("https://app.sandbox.midtrans.com/")
    );
}

#[tokio::test]
async fn bca_va_charge_status_and_expire() {
    let Some(client) = sandbox() else { return };
    let order = unique_order("rs-va");
    let tx = client
        .charge(&ChargeRequest::new(
            order.clone(),
            Idr::new(20_000),
            PaymentMethod::bank_transfer(Bank::Bca),
        ))
        .await
        .unwrap();
    assert_eq!(tx.status_code, "201");
    assert!(tx.va_number().is_some());
    let status = client.status(&order).await.unwrap();
    assert_eq!(status.payment_state(), PaymentState::Pending);
    let expired = client.expire(&order).await.unwrap();
    assert_eq!(expired.transaction_status, Some(TransactionStatus::Expire));
}

#[tokio::test]
async fn unknown_order_is_404() {
    let Some(client) = sandbox() else { return };
    let err = client
        .status(&unique_order("rs-missing"))
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().code(), "404");
}
