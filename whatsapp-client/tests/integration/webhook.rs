//! Webhook parsing against fixtures shaped like the providers' documented payloads.

use whatsapp_client::MediaKind;
use whatsapp_client::webhook::{
    DeliveryStatus, DeviceState, Event, InboundMessage, MessageContent, ParseError, parse_cloud,
    parse_fonnte, parse_fonnte_form, sign, verify_signature,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn messages(events: &[Event]) -> Vec<&InboundMessage> {
    events
        .iter()
        .map(|e| match e {
            Event::Message(m) => m,
            other => panic!("expected a message, got {other:?}"),
        })
        .collect()
}

#[test]
fn cloud_text_message() {
    let events = parse_cloud(&fixture("cloud_text.json")).unwrap();
    assert_eq!(events.len(), 1);
    let m = messages(&events)[0];
    assert_eq!(m.provider, "cloud_api");
    assert_eq!(
        m.id,
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    );
    assert_eq!(m.from.e164(), "+16505551234");
    assert_eq!(m.from_name.as_deref(), Some("Sheena Nelson"));
    assert_eq!(m.recipient.as_deref(), Some("106540352242922"));
    assert_eq!(m.timestamp.unwrap().timestamp(), 1_749_416_383);
    assert_eq!(m.text(), Some("Does it come in another color?"));
    assert_eq!(m.reply_to, None);
    assert_eq!(events[0].dedup_key().unwrap(), format!("msg:{}", m.id));
}

#[test]
fn cloud_image_with_reply_context() {
    let events = parse_cloud(&fixture("cloud_image_reply.json")).unwrap();
    let m = messages(&events)[0];
    assert_eq!(
        m.reply_to.as_deref(),
        Some("wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1QjJGRjI1NUZCQzc4RTk1RTMA")
    );
    let MessageContent::Media(media) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(media.kind, MediaKind::Image);
    assert_eq!(media.id.as_deref(), Some("1003383421387256"));
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.caption.as_deref(), Some("Ini yang warna merah?"));
    assert_eq!(m.text(), Some("Ini yang warna merah?"));
}

#[test]
fn cloud_media_kinds() {
    let events = parse_cloud(&fixture("cloud_media_mix.json")).unwrap();
    let ms = messages(&events);
    let kinds: Vec<&str> = ms.iter().map(|m| m.content.kind()).collect();
    assert_eq!(kinds, ["audio", "document", "sticker"]);
    let MessageContent::Media(audio) = &ms[0].content else {
        panic!()
    };
    assert!(audio.voice);
    let MessageContent::Media(doc) = &ms[1].content else {
        panic!()
    };
    assert_eq!(doc.filename.as_deref(), Some("invoice-123.pdf"));
}

#[test]
fn cloud_interactive_replies() {
    let events = parse_cloud(&fixture("cloud_interactive.json")).unwrap();
    let ms = messages(&events);
    assert_eq!(
        ms[0].content,
        MessageContent::ButtonReply {
            id: "pay-now".into(),
            title: "Bayar sekarang".into()
        }
    );
    assert_eq!(ms[0].reply_to.as_deref(), Some("wamid.BUTTONS_SENT"));
    assert_eq!(
        ms[1].content,
        MessageContent::ListReply {
            id: "jne-reg".into(),
            title: "JNE REG".into(),
            description: Some("2-3 hari".into())
        }
    );
}

#[test]
fn cloud_template_button_and_reactions() {
    let events = parse_cloud(&fixture("cloud_button_reaction.json")).unwrap();
    let ms = messages(&events);
    assert_eq!(
        ms[0].content,
        MessageContent::TemplateButton {
            payload: Some("STOP_PROMOS".into()),
            text: "Stop promosi".into()
        }
    );
    assert_eq!(
        ms[1].content,
        MessageContent::Reaction {
            message_id: "wamid.ORIGINAL".into(),
            emoji: Some("👍".into())
        }
    );
    assert_eq!(
        ms[2].content,
        MessageContent::Reaction {
            message_id: "wamid.ORIGINAL".into(),
            emoji: None
        }
    );
}

#[test]
fn cloud_location_and_contacts() {
    let events = parse_cloud(&fixture("cloud_location_contacts.json")).unwrap();
    let ms = messages(&events);
    let MessageContent::Location {
        latitude,
        longitude,
        name,
        address,
    } = &ms[0].content
    else {
        panic!()
    };
    assert!((latitude + 6.175392).abs() < 1e-9);
    assert!((longitude - 106.827153).abs() < 1e-9);
    assert_eq!(name.as_deref(), Some("Monas"));
    assert_eq!(address.as_deref(), Some("Jl. Medan Merdeka"));
    let MessageContent::Contacts(cards) = &ms[1].content else {
        panic!()
    };
    assert_eq!(cards[0].name.formatted_name, "Budi Santoso");
    assert_eq!(cards[0].phones[0].wa_id.as_deref(), Some("6281234567890"));
    assert_eq!(cards[0].emails[0].email, "budi@example.com");
    assert_eq!(cards[0].company.as_deref(), Some("Toko Budi"));
}

#[test]
fn cloud_unknown_types_are_kept() {
    let events = parse_cloud(&fixture("cloud_unknown.json")).unwrap();
    let ms = messages(&events);
    let MessageContent::Unknown { kind, raw } = &ms[0].content else {
        panic!()
    };
    assert_eq!(kind, "unsupported");
    assert_eq!(raw["errors"][0]["code"], 131051);
    let MessageContent::Unknown { kind, raw } = &ms[1].content else {
        panic!()
    };
    assert_eq!(kind, "order");
    assert_eq!(
        raw["order"]["product_items"][0]["product_retailer_id"],
        "sku-1"
    );
    assert_eq!(raw["brand_new_field"]["nested"][2], 3);
    // Ids are still there for de-duplication.
    assert_eq!(ms[1].id, "wamid.ORDER");
}

#[test]
fn cloud_statuses() {
    let events = parse_cloud(&fixture("cloud_status_delivered_read.json")).unwrap();
    let statuses: Vec<_> = events
        .iter()
        .map(|e| match e {
            Event::Status(s) => s,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(statuses[0].status, DeliveryStatus::Delivered);
    assert_eq!(statuses[1].status, DeliveryStatus::Read);
    assert_eq!(
        statuses[0].recipient.as_ref().unwrap().e164(),
        "+16505551234"
    );
    assert_eq!(statuses[0].sender.as_deref(), Some("106540352242922"));
    // Same message, different statuses: distinct dedup keys.
    assert_ne!(events[0].dedup_key(), events[1].dedup_key());
    assert_eq!(events[0].message_id(), events[1].message_id());
}

#[test]
fn cloud_failed_status_has_errors() {
    let events = parse_cloud(&fixture("cloud_status_failed.json")).unwrap();
    let Event::Status(s) = &events[0] else {
        panic!()
    };
    assert_eq!(s.status, DeliveryStatus::Failed);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].code, Some(131047));
    assert!(s.errors[0].needs_template());
    assert!(s.errors[0].details.as_deref().unwrap().contains("24 hours"));
}

#[test]
fn cloud_other_fields_are_kept() {
    let events = parse_cloud(&fixture("cloud_other_field.json")).unwrap();
    let Event::Other(o) = &events[0] else {
        panic!()
    };
    assert_eq!(o.kind, "message_template_status_update");
    assert_eq!(o.raw["value"]["event"], "APPROVED");
}

#[test]
fn cloud_rejects_non_webhooks() {
    assert!(matches!(
        parse_cloud(b"not json"),
        Err(ParseError::Syntax { .. })
    ));
    assert!(matches!(
        parse_cloud(b"{\"object\":\"page\"}"),
        Err(ParseError::Shape(_))
    ));
    assert!(matches!(parse_cloud(b"[]"), Err(ParseError::Shape(_))));
    // An empty entry list is valid and yields nothing.
    assert_eq!(parse_cloud(b"{\"entry\":[]}").unwrap(), vec![]);
}

#[test]
fn cloud_bad_sender_becomes_other() {
    let body = br#"{"entry":[{"changes":[{"field":"messages","value":{"messages":[
        {"from":"not-a-number","id":"wamid.X","type":"text","text":{"body":"x"}},
        {"from":"6281234567890","id":"wamid.Y","type":"text","text":{"body":"y"}}]}}]}]}"#;
    let events = parse_cloud(body).unwrap();
    assert!(matches!(&events[0], Event::Other(o) if o.kind == "message_with_unparseable_sender"));
    assert!(matches!(&events[1], Event::Message(m) if m.id == "wamid.Y"));
}

#[test]
fn verify_then_parse() {
    let body = fixture("cloud_text.json");
    let header = sign(b"app-secret", &body);
    verify_signature(b"app-secret", &header, &body).unwrap();
    let mut tampered = body.clone();
    let pos = tampered.iter().position(|b| *b == b'?').unwrap();
    tampered[pos] = b'!';
    assert!(verify_signature(b"app-secret", &header, &tampered).is_err());
}

#[test]
fn fonnte_message() {
    let Event::Message(m) = parse_fonnte(&fixture("fonnte_message.json")).unwrap() else {
        panic!()
    };
    assert_eq!(m.provider, "fonnte");
    assert_eq!(m.id, "18273645");
    assert_eq!(m.from.e164(), "+6281234567890");
    assert_eq!(m.from_name.as_deref(), Some("Budi"));
    assert_eq!(m.recipient.as_deref(), Some("6282227097005"));
    assert_eq!(m.text(), Some("halo kak, ready?"));
    assert_eq!(m.group, None);
    assert_eq!(m.timestamp.unwrap().timestamp(), 1_700_000_000);
}

#[test]
fn fonnte_group_message() {
    let Event::Message(m) = parse_fonnte(&fixture("fonnte_group.json")).unwrap() else {
        panic!()
    };
    assert_eq!(m.from.digits(), "6281234567890");
    assert_eq!(m.group.as_deref(), Some("120363025343298765@g.us"));
}

#[test]
fn fonnte_media_and_location() {
    let Event::Message(m) = parse_fonnte(&fixture("fonnte_media.json")).unwrap() else {
        panic!()
    };
    let MessageContent::Media(media) = &m.content else {
        panic!()
    };
    assert_eq!(media.kind, MediaKind::Image);
    assert_eq!(
        media.url.as_deref(),
        Some("https://md.fonnte.com/webhook/abc.jpg")
    );
    assert_eq!(media.caption.as_deref(), Some("bukti transfer"));
    let Event::Message(m) = parse_fonnte(&fixture("fonnte_location.json")).unwrap() else {
        panic!()
    };
    let MessageContent::Location {
        latitude,
        longitude,
        ..
    } = m.content
    else {
        panic!()
    };
    assert!((latitude + 7.983908).abs() < 1e-9 && (longitude - 112.621391).abs() < 1e-9);
}

#[test]
fn fonnte_device_status_drops_token() {
    let event = parse_fonnte(&fixture("fonnte_device_status.json")).unwrap();
    let Event::DeviceStatus(d) = &event else {
        panic!()
    };
    assert_eq!(d.device, "6282227097005");
    assert_eq!(d.state, DeviceState::Disconnected);
    assert_eq!(d.reason.as_deref(), Some("logged out from phone"));
    assert!(!format!("{event:?}").contains("SECRET-DEVICE-TOKEN"));
}

#[test]
fn fonnte_message_status() {
    let Event::Status(s) = parse_fonnte(&fixture("fonnte_message_status.json")).unwrap() else {
        panic!()
    };
    assert_eq!(s.message_id, "80367170");
    assert_eq!(s.status, DeliveryStatus::Read);
    assert_eq!(s.sender.as_deref(), Some("6282227097005"));
}

#[test]
fn fonnte_form_bodies() {
    let body = b"device=6282227097005&sender=6281234567890&message=halo+kak&inboxid=9&token=SECRET";
    let event = parse_fonnte(body).unwrap();
    let Event::Message(m) = &event else { panic!() };
    assert_eq!(m.text(), Some("halo kak"));
    let same = parse_fonnte_form([
        ("device", "6282227097005"),
        ("sender", "6281234567890"),
        ("message", "halo kak"),
        ("inboxid", "9"),
        ("token", "SECRET"),
    ]);
    assert_eq!(event, same);
}

#[test]
fn fonnte_without_id_gets_an_id_derived_from_the_message() {
    let body = br#"{"device":"1","sender":"6281234567890","message":"x"}"#;
    let Event::Message(m) = parse_fonnte(body).unwrap() else {
        panic!("a message without inboxid is still a message")
    };
    assert!(m.id.starts_with("fonnte:"), "{}", m.id);
    // A redelivery of the same body maps to the same key ...
    assert_eq!(
        parse_fonnte(body).unwrap().dedup_key(),
        Some(format!("msg:{}", m.id))
    );
    // ... a different text from the same sender does not.
    let other = parse_fonnte(br#"{"device":"1","sender":"6281234567890","message":"y"}"#).unwrap();
    assert_ne!(other.message_id(), Some(m.id.as_str()));
    // `inboxid: 0` is no id either.
    let zero =
        parse_fonnte(br#"{"device":"1","sender":"6281234567890","message":"x","inboxid":0}"#)
            .unwrap();
    assert!(
        zero.message_id()
            .is_some_and(|id| id.starts_with("fonnte:"))
    );
    assert!(parse_fonnte(b"").is_err());
    assert!(parse_fonnte(b"{not json").is_err());
}
