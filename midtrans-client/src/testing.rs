//! Helpers for tests of code that receives Midtrans notifications: build
//! bodies with a valid signature so a test server can exercise the real
//! verification path.

use serde_json::{Map, Value, json};

use crate::notification::Notification;

/// A JSON notification body for `order_id`, signed with `server_key` as
/// Midtrans would sign it.
///
/// `status_code` is derived the way Midtrans reports it: `"200"` for
/// `settlement`/`capture`/`refund`-like statuses, `"201"` for `pending`,
/// `"202"` for `deny`/`cancel`/`expire`/`failure`. `gross_amount` is written
/// as the two-decimal string Midtrans uses (`10000` -> `"10000.00"`).
#[must_use]
pub fn signed_notification(
    order_id: &str,
    transaction_status: &str,
    gross_amount_rupiah: i64,
    server_key: &str,
) -> String {
    let status_code = match transaction_status {
        "pending" | "authorize" => "201",
        "deny" | "cancel" | "expire" | "failure" => "202",
        _ => "200",
    };
    signed_notification_with(
        order_id,
        status_code,
        &format!("{gross_amount_rupiah}.00"),
        transaction_status,
        server_key,
        Map::new(),
    )
}

/// Like [`signed_notification`], with every signed field given verbatim and
/// `extra` fields (e.g. `fraud_status`, `payment_type`) merged in.
#[must_use]
pub fn signed_notification_with(
    order_id: &str,
    status_code: &str,
    gross_amount: &str,
    transaction_status: &str,
    server_key: &str,
    extra: Map<String, Value>,
) -> String {
    let mut body = json!({
        "transaction_time": "2026-01-01 10:00:00",
        "transaction_status": transaction_status,
        "transaction_id": "513f1f01-c9da-474c-9fc9-d5c64364b709",
        "status_message": "midtrans payment notification",
        "status_code": status_code,
        "signature_key": Notification::sign(order_id, status_code, gross_amount, server_key),
        "payment_type": "bank_transfer",
        "order_id": order_id,
        "merchant_id": "G000000000",
        "gross_amount": gross_amount,
        "fraud_status": "accept",
        "currency": "IDR",
    });
    if let Value::Object(m) = &mut body {
        m.extend(extra);
    }
    body.to_string()
}

/// The `Iris-Signature` header value for `body` with `merchant_key`.
#[must_use]
pub fn iris_signature(body: &[u8], merchant_key: &str) -> String {
    crate::iris::sign_notification(body, merchant_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_notification_verifies() {
        let body = signed_notification("ORDER-1", "settlement", 10_000, "SB-key");
        let n = Notification::from_json(&body).unwrap();
        assert_eq!(n.gross_amount, "10000.00");
        assert_eq!(n.status_code, "200");
        assert!(n.verify_signature("SB-key").is_ok());
        assert!(n.verify_signature("other").is_err());
    }
}
