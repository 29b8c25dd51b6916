//! Conformance over the peer corpus: webhook bodies other people captured
//! from Meta and Fonnte (or published as examples), read at run time from
//! `../shared/peer-corpus/` beside the checkout (see its `SOURCES.md`).
//! The payloads are third-party data and are not copied into this
//! repository.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use whatsapp_client::webhook::{
    Event, InboundMessage, MessageContent, Sender, parse_cloud, parse_fonnte,
};
use whatsapp_client::{MediaKind, PhoneNumber, UserId};

/// The corpus folder for one provider; fails loudly when the shared
/// folder is missing, so a checkout without it cannot pass silently.
pub(crate) fn corpus_dir(provider: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/peer-corpus")
        .join(provider);
    assert!(
        dir.is_dir(),
        "the peer corpus is missing: expected {} (the `shared/` folder beside the \
         repository checkout; CI provides it)",
        dir.display()
    );
    dir
}

/// Every `.json` file under `dir`, recursively, sorted.
pub(crate) fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no payloads under {}", dir.display());
    out
}

/// The Cloud API payloads as (name, raw body). pywa's files hold an object
/// of named example bodies; netflie's hold one body each.
pub(crate) fn cloud_payloads() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for path in json_files(&corpus_dir("whatsapp")) {
        let raw = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let value: Value =
            serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        if value.get("entry").is_some() {
            out.push((name, raw));
        } else {
            let Value::Object(named) = value else {
                panic!("{name}: neither a webhook body nor an object of named bodies")
            };
            for (key, body) in named {
                out.push((format!("{name}#{key}"), serde_json::to_vec(&body).unwrap()));
            }
        }
    }
    out
}

pub(crate) fn fonnte_payloads() -> Vec<(String, Vec<u8>)> {
    json_files(&corpus_dir("fonnte"))
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// What a message from the raw payload must become: every message with an
/// id is a message event, unless its `from` is a documentation placeholder
/// such as `"PHONE_NUMBER"` (not a number at all), which stays
/// `Other("message_with_unparseable_sender")`.
#[test]
fn every_cloud_api_payload_parses_and_keeps_every_message() {
    let payloads = cloud_payloads();
    assert!(payloads.len() >= 100, "only {} payloads", payloads.len());
    let mut messages_seen = 0;
    let mut placeholders = 0;
    for (name, body) in &payloads {
        let events = parse_cloud(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let root: Value = serde_json::from_slice(body).unwrap();
        for change in root["entry"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e["changes"].as_array().cloned().unwrap_or_default())
        {
            if change["field"] != "messages" {
                assert!(
                    events.iter().any(
                        |e| matches!(e, Event::Other(o) if o.kind == change["field"].as_str().unwrap())
                    ),
                    "{name}: change field {} is not kept as Other",
                    change["field"]
                );
                continue;
            }
            let value = &change["value"];
            let contacts = value["contacts"].as_array().cloned().unwrap_or_default();
            for raw in value["messages"].as_array().cloned().unwrap_or_default() {
                messages_seen += 1;
                let id = str_of(&raw, "id").unwrap();
                let from = str_of(&raw, "from");
                let placeholder_user_id = from.is_none()
                    && contacts.len() == 1
                    && str_of(&contacts[0], "user_id").is_some_and(|u| UserId::parse(u).is_err());
                if from.is_some_and(|f| !f.bytes().all(|b| b.is_ascii_digit()))
                    || placeholder_user_id
                {
                    placeholders += 1;
                    assert!(
                        events.iter().any(|e| matches!(e, Event::Other(o)
                            if o.kind == "message_with_unparseable_sender" && o.raw["id"] == id)),
                        "{name}: placeholder sender {from:?}"
                    );
                    continue;
                }
                let event = events
                    .iter()
                    .find(|e| e.message_id() == Some(id) && e.sender().is_some())
                    .unwrap_or_else(|| panic!("{name}: message {id} is not a message event"));
                assert_eq!(event.dedup_key(), Some(format!("msg:{id}")), "{name}");
                // The profile name comes only from the contact that names
                // this sender.
                let contact = contacts.iter().find(|c| match from {
                    Some(f) => str_of(c, "wa_id") == Some(f),
                    None => contacts.len() == 1,
                });
                let expected_name = contact
                    .and_then(|c| c.get("profile"))
                    .and_then(|p| str_of(p, "name"));
                match event {
                    Event::Message(m) => {
                        assert_eq!(Some(m.from.digits()), from, "{name}");
                        assert_eq!(m.from_name.as_deref(), expected_name, "{name}");
                        let user_id = str_of(&raw, "from_user_id")
                            .or_else(|| contact.and_then(|c| str_of(c, "user_id")));
                        assert_eq!(m.user_id.as_ref().map(|u| u.as_str()), user_id, "{name}");
                        check_content(name, &raw, m);
                    }
                    Event::UserIdMessage(m) => {
                        assert!(from.is_none(), "{name}: had a phone number");
                        assert_eq!(m.from_name.as_deref(), expected_name, "{name}");
                        check_content(name, &raw, m);
                    }
                    other => panic!("{name}: {other:?}"),
                }
            }
            let statuses = value["statuses"].as_array().map_or(0, Vec::len);
            let parsed = events
                .iter()
                .filter(|e| matches!(e, Event::Status(_)))
                .count();
            assert!(
                parsed >= statuses,
                "{name}: {parsed} of {statuses} statuses"
            );
        }
    }
    assert!(messages_seen >= 58, "{messages_seen}");
    assert!(placeholders > 0 && placeholders < messages_seen / 2);
}

/// The content kind must follow the payload's `type` for the kinds the
/// crate models.
fn check_content<S>(name: &str, raw: &Value, m: &InboundMessage<S>) {
    let kind = str_of(raw, "type").unwrap_or_default();
    let expected = match kind {
        "text" | "image" | "video" | "audio" | "document" | "sticker" | "location" | "contacts"
        | "reaction" => kind,
        "button" => "template_button",
        "interactive" => match raw["interactive"]["type"].as_str() {
            Some(sub @ ("button_reply" | "list_reply")) => sub,
            _ => return,
        },
        _ => kind,
    };
    if kind == "text" {
        assert_eq!(m.text(), raw["text"]["body"].as_str(), "{name}");
    }
    assert_eq!(m.content.kind(), expected, "{name}: {:?}", m.content);
}

/// The corpus's BSUID-only body (netflie), with its placeholder ids
/// replaced by `user_id` / `phone_number_id`.
fn bsuid_only_body(user_id: &str, phone_number_id: &str) -> Vec<u8> {
    let path = corpus_dir("whatsapp")
        .join("netflie/can_build_a_notification_with_bsuid_only_and_no_from.json");
    std::fs::read_to_string(path)
        .unwrap()
        .replace("BSUID_123", user_id)
        .replace("PHONE_NUMBER_ID", phone_number_id)
        .into_bytes()
}

#[test]
fn a_sender_known_only_by_user_id_is_a_message_with_an_id() {
    // The sample's own id is a placeholder without the documented shape:
    // like a placeholder phone number, it names no sender.
    let path = corpus_dir("whatsapp")
        .join("netflie/can_build_a_notification_with_bsuid_only_and_no_from.json");
    let events = parse_cloud(&std::fs::read(path).unwrap()).unwrap();
    assert!(
        matches!(events.as_slice(), [Event::Other(o)] if o.kind == "message_with_unparseable_sender"),
        "{events:?}"
    );
    // With a real-shaped id (the one of the pywa samples) it is a message.
    let events = parse_cloud(&bsuid_only_body("US.13491208655302741918", "1065")).unwrap();
    let [Event::UserIdMessage(m)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(m.id, "wamid.ID");
    assert_eq!(m.from.as_str(), "US.13491208655302741918");
    assert_eq!(m.from_name.as_deref(), Some("NAME"));
    assert_eq!(m.recipient.as_deref(), Some("1065"));
    assert_eq!(m.text(), Some("MESSAGE_BODY"));
    assert_eq!(events[0].dedup_key().as_deref(), Some("msg:wamid.ID"));
    assert!(
        matches!(events[0].sender(), Some(Sender::UserId(u)) if u.as_str() == "US.13491208655302741918")
    );
    let m = events[0].clone().into_message().unwrap();
    assert_eq!(m.from.to_string(), "US.13491208655302741918");
}

#[test]
fn a_sender_with_number_and_user_id_keeps_both() {
    // pywa's text sample: `from` plus the contact's `user_id`.
    let path = corpus_dir("whatsapp").join("pywa/message.json");
    let all: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let body = serde_json::to_vec(&all["text"]).unwrap();
    let events = parse_cloud(&body).unwrap();
    let [Event::Message(m)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(m.from.digits(), "972987654321");
    assert_eq!(
        m.user_id.as_ref().map(UserId::as_str),
        Some("US.13491208655302741918")
    );
    let m = events[0].clone().into_message().unwrap();
    assert_eq!(
        m.from.phone().map(PhoneNumber::digits),
        Some("972987654321")
    );
}

#[test]
fn profile_name_only_from_the_matching_contact() {
    // One contact, but it is someone else: no name for the sender.
    let body = br#"{"entry":[{"changes":[{"field":"messages","value":{
        "contacts":[{"profile":{"name":"Not The Sender"},"wa_id":"6289999999999"}],
        "messages":[{"from":"6281234567890","id":"w1","timestamp":"1700000000","type":"text","text":{"body":"a"}}]}}]}]}"#;
    let events = parse_cloud(body).unwrap();
    let Event::Message(m) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(m.from_name, None);
    // Matched by user id when the message names one.
    let body = br#"{"entry":[{"changes":[{"field":"messages","value":{
        "contacts":[{"profile":{"name":"Other"},"wa_id":"6289999999999"},
                    {"profile":{"name":"Budi"},"user_id":"ID.1"}],
        "messages":[{"from_user_id":"ID.1","id":"w2","type":"text","text":{"body":"a"}}]}}]}]}"#;
    // (`ID.1` has the documented shape: country, period, alphanumerics.)
    let events = parse_cloud(body).unwrap();
    let Event::UserIdMessage(m) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(m.from_name.as_deref(), Some("Budi"));
    assert_eq!(m.from.as_str(), "ID.1");
}

fn fonnte_message(name: &str, body: &[u8]) -> InboundMessage {
    match parse_fonnte(body).unwrap_or_else(|e| panic!("{name}: {e}")) {
        Event::Message(m) => m,
        other => panic!("{name}: expected a message, got {other:?}"),
    }
}

#[test]
fn every_fonnte_payload_parses_into_the_right_event() {
    let mut ids = HashSet::new();
    for (name, body) in fonnte_payloads() {
        let raw: Value = serde_json::from_slice(&body).unwrap();
        if raw.get("sender").is_some() {
            let m = fonnte_message(&name, &body);
            assert_eq!(m.recipient.as_deref(), str_of(&raw, "device"), "{name}");
            // Every message has an id of its own, even with `inboxid: 0`
            // or none at all ...
            assert!(ids.insert(m.id.clone()), "{name}: id {} seen before", m.id);
            // ... and a redelivery of the same body gets the same one.
            assert_eq!(fonnte_message(&name, &body).id, m.id, "{name}");
            match raw.get("inboxid").and_then(Value::as_u64) {
                Some(n) if n != 0 => assert_eq!(m.id, n.to_string(), "{name}"),
                _ => assert!(m.id.starts_with("fonnte:"), "{name}: {}", m.id),
            }
        } else {
            let event = parse_fonnte(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
            match str_of(&raw, "status") {
                Some("connect" | "disconnect") => {
                    assert!(matches!(event, Event::DeviceStatus(_)), "{name}: {event:?}")
                }
                _ => assert!(matches!(event, Event::Status(_)), "{name}: {event:?}"),
            }
        }
    }
    assert!(ids.len() >= 9, "{ids:?}");
}

#[test]
fn fonnte_captured_messages_with_inboxid_zero_are_told_apart() {
    let dir = corpus_dir("fonnte");
    let group = std::fs::read(dir.join("captured_group_text.json")).unwrap();
    let private = std::fs::read(dir.join("captured_private_text.json")).unwrap();
    let g = fonnte_message("group", &group);
    let p = fonnte_message("private", &private);
    assert_ne!(g.id, p.id);
    assert_ne!(
        parse_fonnte(&group).unwrap().dedup_key(),
        parse_fonnte(&private).unwrap().dedup_key()
    );
    assert_eq!(g.group.as_deref(), Some("120363400835772540@g.us"));
    assert_eq!(g.from.e164(), "+6282147077374");
    assert_eq!(g.text(), Some("@6287787505413 minfo Cider party"));
    assert_eq!(p.group, None);
    assert_eq!(p.from.e164(), "+6282147077374");
    assert_eq!(p.text(), Some("Halo"));

    // The same message delivered twice, byte for byte or re-serialized,
    // is one message; the same text sent again later is another.
    let mut value: Value = serde_json::from_slice(&private).unwrap();
    let again = serde_json::to_vec(&value).unwrap();
    assert_eq!(fonnte_message("again", &again).id, p.id);
    value["timestamp"] = Value::from(1_765_000_999);
    let later = serde_json::to_vec(&value).unwrap();
    assert_ne!(fonnte_message("later", &later).id, p.id);
}

#[test]
fn fonnte_button_text_and_nested_media_are_kept() {
    let dir = corpus_dir("fonnte");
    // A button reply: Fonnte's `text` names the button tapped.
    let mut value: Value =
        serde_json::from_slice(&std::fs::read(dir.join("captured_private_text.json")).unwrap())
            .unwrap();
    value["text"] = Value::from("Ya, lanjut");
    let m = fonnte_message("button", &serde_json::to_vec(&value).unwrap());
    assert_eq!(
        m.content,
        MessageContent::TemplateButton {
            payload: None,
            text: "Ya, lanjut".into()
        }
    );
    assert_eq!(m.text(), Some("Ya, lanjut"));

    // Attachment with a nested media object.
    let body = std::fs::read(dir.join("thirdparty_cahayaphone_media_object.json")).unwrap();
    let m = fonnte_message("media", &body);
    let MessageContent::Media(media) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(media.kind, MediaKind::Image);
    assert_eq!(media.url.as_deref(), Some("https://example.com/image.jpg"));
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.filename.as_deref(), Some("image.jpg"));
    assert_eq!(media.caption.as_deref(), Some("Ini foto produk"));
    assert_eq!(m.from_name.as_deref(), Some("John Doe"));

    // The documented flat attachment shape.
    let body = std::fs::read(dir.join("constructed_docs_attachment.json")).unwrap();
    let m = fonnte_message("attachment", &body);
    let MessageContent::Media(media) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(media.kind, MediaKind::Document);
    assert_eq!(media.filename.as_deref(), Some("invoice.pdf"));
    assert_eq!(m.id, "912346");

    // `type: image` with a top-level URL.
    let body = std::fs::read(dir.join("thirdparty_absenin_image.json")).unwrap();
    let MessageContent::Media(media) = fonnte_message("image", &body).content else {
        panic!()
    };
    assert_eq!(media.kind, MediaKind::Image);

    // A location object.
    let body = std::fs::read(dir.join("thirdparty_absenin_location_object.json")).unwrap();
    let m = fonnte_message("location", &body);
    assert!(
        matches!(m.content, MessageContent::Location { latitude, longitude, .. }
            if (latitude + 6.2088).abs() < 1e-9 && (longitude - 106.8456).abs() < 1e-9),
        "{:?}",
        m.content
    );
}
