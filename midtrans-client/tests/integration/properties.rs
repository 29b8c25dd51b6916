//! Property tests: the notification signature and the item-sum rule.

use midtrans_client::types::{check_amounts, items_sum};
use midtrans_client::{
    Error, Idr, ItemDetail, Notification, OrderId, SignatureError, TransactionDetails, testing,
};
use proptest::prelude::*;
use sha2::{Digest, Sha512};

fn order_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.~-]{1,50}"
}

proptest! {
    #[test]
    fn signature_matches_reference_and_round_trips(
        oid in order_id(),
        rupiah in 1i64..10_000_000_000,
        key in "[A-Za-z0-9-]{1,60}",
        status in prop::sample::select(vec!["settlement", "pending", "expire", "capture", "refund"]),
    ) {
        let body = testing::signed_notification(&oid, status, rupiah, &key);
        let n = Notification::from_json(&body).unwrap();
        let expected = hex::encode(Sha512::digest(
            format!("{}{}{}{}", oid, n.status_code, n.gross_amount, key).as_bytes(),
        ));
        prop_assert_eq!(n.signature_key.as_deref(), Some(expected.as_str()));
        prop_assert!(n.verify_signature(&key).is_ok());
        prop_assert_eq!(n.gross_amount_idr().unwrap(), Idr::new(rupiah));
    }

    #[test]
    fn any_other_key_fails(oid in order_id(), key in "[a-z]{1,20}", other in "[a-z]{1,20}") {
        prop_assume!(key != other);
        let body = testing::signed_notification(&oid, "settlement", 10_000, &key);
        let n = Notification::from_json(&body).unwrap();
        prop_assert_eq!(n.verify_signature(&other), Err(SignatureError::Mismatch));
    }

    #[test]
    fn reformatted_amount_fails(oid in order_id(), rupiah in 1i64..1_000_000_000) {
        // Signed over "N.00"; a receiver that re-formats to "N" must not match.
        let sig = Notification::sign(&oid, "200", &rupiah.to_string(), "k");
        let body = serde_json::json!({
            "order_id": oid, "status_code": "200", "gross_amount": format!("{rupiah}.00"),
            "transaction_status": "settlement", "signature_key": sig,
        }).to_string();
        let n = Notification::from_json(&body).unwrap();
        prop_assert_eq!(n.verify_signature("k"), Err(SignatureError::Mismatch));
    }

    #[test]
    fn flipping_one_signature_digit_fails(oid in order_id(), pos in 0usize..128) {
        let body = testing::signed_notification(&oid, "settlement", 5_000, "k");
        let mut n = Notification::from_json(&body).unwrap();
        let mut sig: Vec<u8> = n.signature_key.take().unwrap().into_bytes();
        sig[pos] = if sig[pos] == b'0' { b'1' } else { b'0' };
        n.signature_key = Some(String::from_utf8(sig).unwrap());
        prop_assert_eq!(n.verify_signature("k"), Err(SignatureError::Mismatch));
    }

    #[test]
    fn items_summing_to_gross_are_accepted(
        lines in prop::collection::vec((-1_000_000i64..10_000_000, 1u32..100), 1..20),
    ) {
        let items: Vec<ItemDetail> = lines
            .iter()
            .enumerate()
            .map(|(i, (p, q))| ItemDetail::new(format!("item {i}"), Idr::new(*p), *q))
            .collect();
        let sum: i64 = lines.iter().map(|(p, q)| p * i64::from(*q)).sum();
        prop_assert_eq!(items_sum(&items), Some(Idr::new(sum)));
        let details = TransactionDetails { order_id: OrderId::new("A").unwrap(), gross_amount: Idr::new(sum) };
        let r = check_amounts(&details, Some(&items));
        if sum > 0 {
            prop_assert!(r.is_ok());
        } else {
            prop_assert!(matches!(r, Err(Error::InvalidRequest(_))));
        }
    }

    #[test]
    fn any_difference_is_rejected_and_reported(
        lines in prop::collection::vec((1i64..10_000_000, 1u32..100), 1..20),
        delta in (-1_000_000_000i64..1_000_000_000).prop_filter("non-zero", |d| *d != 0),
    ) {
        let items: Vec<ItemDetail> = lines
            .iter()
            .map(|(p, q)| ItemDetail::new("x", Idr::new(*p), *q))
            .collect();
        let sum: i64 = lines.iter().map(|(p, q)| p * i64::from(*q)).sum();
        let gross = sum + delta;
        prop_assume!(gross > 0);
        let details = TransactionDetails { order_id: OrderId::new("A").unwrap(), gross_amount: Idr::new(gross) };
        match check_amounts(&details, Some(&items)) {
            Err(Error::AmountMismatch { gross_amount, items_sum }) => {
                prop_assert_eq!(gross_amount, Idr::new(gross));
                prop_assert_eq!(items_sum, Idr::new(sum));
            }
            other => prop_assert!(false, "expected AmountMismatch, got {:?}", other),
        }
    }

    #[test]
    fn order_id_validation_matches_the_rule(s in "\\PC{0,60}") {
        let ok = !s.is_empty()
            && s.len() <= 50
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_~.".contains(c));
        prop_assert_eq!(OrderId::new(s.clone()).is_ok(), ok, "{:?}", s);
    }

    #[test]
    fn notification_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Notification::from_slice(&bytes);
        let _ = midtrans_client::IncomingNotification::from_slice(&bytes);
        let _ = midtrans_client::iris::IrisNotification::verify_and_parse(&bytes, Some("00"), "k");
    }

    #[test]
    fn mutated_notifications_never_panic_or_verify(
        cut in 0usize..400,
        byte in any::<u8>(),
    ) {
        let body = testing::signed_notification("ORDER-1", "settlement", 10_000, "k");
        let mut bytes = body.into_bytes();
        let i = cut % bytes.len();
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(n) = Notification::from_slice(&bytes) {
            // A change that still parses either left the signed fields alone
            // or must break the signature.
            let untouched = n.order_id == "ORDER-1" && n.status_code == "200"
                && n.gross_amount == "10000.00";
            if !untouched {
                prop_assert!(n.verify_signature("k").is_err());
            }
        }
    }

    #[test]
    fn idr_text_round_trip(v in -9_000_000_000_000i64..9_000_000_000_000) {
        prop_assert_eq!(Idr::parse(&Idr::new(v).to_decimal_string()), Ok(Idr::new(v)));
        prop_assert_eq!(Idr::parse(&v.to_string()), Ok(Idr::new(v)));
    }
}

#[test]
fn overflowing_items_are_an_error_not_a_panic() {
    let items = vec![ItemDetail::new("a", Idr::new(i64::MAX), 2)];
    let details = TransactionDetails {
        order_id: OrderId::new("A").unwrap(),
        gross_amount: Idr::new(1),
    };
    assert!(matches!(
        check_amounts(&details, Some(&items)),
        Err(Error::InvalidRequest(_))
    ));
}
