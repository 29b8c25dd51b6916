//! Property tests for phone parsing and webhook parsing.

use proptest::prelude::*;
use serde_json::{Value, json};
use whatsapp_client::PhoneNumber;
use whatsapp_client::webhook::{
    Event, MessageContent, parse_cloud, parse_fonnte, sign, verify_signature,
};

/// Indonesian mobile numbers: a real operator prefix and 7 or 8 more digits.
fn id_mobile() -> impl Strategy<Value = String> {
    let prefixes = prop::sample::select(vec![
        "811", "812", "813", "821", "822", "823", "852", "853", "857", "858", "877", "878", "881",
        "895", "896",
    ]);
    (prefixes, prop::collection::vec(0u8..10, 7..=8)).prop_map(|(p, rest)| {
        let mut s = p.to_owned();
        s.extend(rest.iter().map(|d| char::from(b'0' + d)));
        s
    })
}

/// Writes `nsn` the way people do: `0812-3456-7890`, `+62 812 ...`, `(0812) ...`.
fn decorate(nsn: &str, style: u8) -> String {
    let (a, b) = nsn.split_at(3);
    let (b, c) = b.split_at(4);
    match style % 7 {
        0 => format!("0{nsn}"),
        1 => format!("0{a}-{b}-{c}"),
        2 => format!("+62 {a} {b} {c}"),
        3 => format!("62{nsn}"),
        4 => format!("(0{a}) {b}-{c}"),
        5 => format!("+62-{a}-{b}{c}"),
        _ => format!("  0{a}.{b}.{c} "),
    }
}

fn cloud_payload(messages: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "6281100000000", "phone_number_id": "42" },
            "messages": messages
        }}]}]
    }))
    .unwrap()
}

proptest! {
    #[test]
    fn every_decoration_gives_the_same_number(nsn in id_mobile(), s1 in 0u8..7, s2 in 0u8..7) {
        let a = PhoneNumber::parse(&decorate(&nsn, s1)).unwrap();
        let b = PhoneNumber::parse(&decorate(&nsn, s2)).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.e164(), format!("+62{nsn}"));
        prop_assert_eq!(a.digits(), format!("62{nsn}"));
        // The webhook fast path agrees with full parsing.
        prop_assert_eq!(PhoneNumber::from_wa_id(a.digits()).unwrap(), a.clone());
    }

    #[test]
    fn parse_never_panics_and_output_is_canonical(input in "\\PC{0,24}") {
        if let Ok(n) = PhoneNumber::parse(&input) {
            let e = n.e164();
            prop_assert!(e.starts_with('+'));
            prop_assert!(e[1..].bytes().all(|b| b.is_ascii_digit()));
            prop_assert!((8..=16).contains(&e.len()), "{}", e);
            // Idempotent: the canonical form parses to itself.
            prop_assert_eq!(PhoneNumber::parse(e).unwrap(), n.clone());
            let json = serde_json::to_string(&n).unwrap();
            prop_assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), n);
        }
    }

    #[test]
    fn digit_soup_never_panics(input in "[0-9+() .-]{0,30}") {
        let _ = PhoneNumber::parse(&input);
    }

    #[test]
    fn webhook_parsers_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_cloud(&body);
        let _ = parse_fonnte(&body);
    }

    #[test]
    fn text_messages_round_trip(nsn in id_mobile(), body in "\\PC{1,200}", id in "wamid\\.[A-Za-z0-9=]{1,40}") {
        let payload = cloud_payload(&json!([{
            "from": format!("62{nsn}"), "id": id, "timestamp": "1700000000",
            "type": "text", "text": { "body": body }
        }]));
        let events = parse_cloud(&payload).unwrap();
        prop_assert_eq!(events.len(), 1);
        let Event::Message(m) = &events[0] else { panic!("{:?}", events[0]) };
        prop_assert_eq!(&m.id, &id);
        prop_assert_eq!(m.from.digits(), format!("62{nsn}"));
        prop_assert_eq!(m.text(), Some(body.as_str()));
        prop_assert_eq!(m.recipient.as_deref(), Some("42"));
    }

    #[test]
    fn odd_message_shapes_never_fail_the_payload(
        kind in prop::sample::select(vec!["text", "image", "interactive", "button", "reaction", "location", "contacts", "order", "zzz"]),
        part in arb_json(),
    ) {
        let payload = cloud_payload(&json!([
            { "from": "6281234567890", "id": "wamid.ODD", "type": kind, kind: part },
            { "from": "6281234567890", "id": "wamid.OK", "type": "text", "text": { "body": "ok" } }
        ]));
        let events = parse_cloud(&payload).unwrap();
        prop_assert_eq!(events.len(), 2);
        prop_assert_eq!(events[0].message_id(), Some("wamid.ODD"));
        let Event::Message(ok) = &events[1] else { panic!() };
        prop_assert_eq!(&ok.content, &MessageContent::Text { body: "ok".into() });
    }

    #[test]
    fn signature_accepts_only_the_signed_body(secret in prop::collection::vec(any::<u8>(), 1..64),
                                              body in prop::collection::vec(any::<u8>(), 0..256),
                                              flip in any::<prop::sample::Index>()) {
        let header = sign(&secret, &body);
        prop_assert!(verify_signature(&secret, &header, &body).is_ok());
        if !body.is_empty() {
            let mut other = body.clone();
            let i = flip.index(other.len());
            other[i] ^= 0x01;
            prop_assert!(verify_signature(&secret, &header, &other).is_err());
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map(
                prop::sample::select(vec![
                    "body",
                    "id",
                    "title",
                    "type",
                    "button_reply",
                    "list_reply",
                    "latitude",
                    "longitude",
                    "message_id",
                    "emoji",
                    "text",
                    "payload"
                ]),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}
