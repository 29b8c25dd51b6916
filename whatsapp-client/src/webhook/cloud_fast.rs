//! Fast path for Cloud API webhooks: typed, borrowing deserialization of
//! the common shapes (text, media, interactive replies, template buttons,
//! reactions, locations, statuses).
//!
//! It either handles the whole body or returns `None`, and the caller then
//! runs the lenient `Value`-based parser, which defines the semantics.
//! Anything unusual (another change field, an unknown message type, a field
//! of an unexpected JSON type) therefore takes the slow path, and both
//! paths give identical events for what the fast one accepts (checked by
//! tests over every fixture and by a property test).

use std::borrow::Cow;

use serde::Deserialize;

use super::cloud::{PROVIDER, wa_id_to_phone};
use super::{
    DeliveryStatus, Event, InboundMedia, InboundMessage, MessageContent, StatusUpdate, UserId,
    WebhookError,
};
use crate::message::MediaKind;

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    entry: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(default, borrow)]
    changes: Option<Vec<Change<'a>>>,
}

#[derive(Deserialize)]
struct Change<'a> {
    #[serde(borrow)]
    field: Str<'a>,
    #[serde(borrow)]
    value: ChangeValue<'a>,
}

#[derive(Deserialize)]
struct ChangeValue<'a> {
    #[serde(default, borrow)]
    metadata: Option<Metadata<'a>>,
    #[serde(default, borrow)]
    contacts: Option<Vec<ContactProfile<'a>>>,
    #[serde(default, borrow)]
    messages: Option<Vec<Msg<'a>>>,
    #[serde(default, borrow)]
    statuses: Option<Vec<Status<'a>>>,
    #[serde(default)]
    errors: Option<Vec<serde::de::IgnoredAny>>,
}

#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(default, borrow)]
    phone_number_id: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct ContactProfile<'a> {
    #[serde(default, borrow)]
    wa_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    user_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    profile: Option<Profile<'a>>,
}

#[derive(Deserialize)]
struct Profile<'a> {
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(default, borrow)]
    id: Option<Str<'a>>,
    #[serde(default, borrow)]
    from: Option<Str<'a>>,
    #[serde(default, borrow)]
    from_user_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    timestamp: Option<Str<'a>>,
    #[serde(default, borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(default, borrow)]
    context: Option<Context<'a>>,
    #[serde(default, borrow)]
    text: Option<TextPart<'a>>,
    #[serde(default, borrow)]
    image: Option<MediaPart<'a>>,
    #[serde(default, borrow)]
    video: Option<MediaPart<'a>>,
    #[serde(default, borrow)]
    audio: Option<MediaPart<'a>>,
    #[serde(default, borrow)]
    document: Option<MediaPart<'a>>,
    #[serde(default, borrow)]
    sticker: Option<MediaPart<'a>>,
    #[serde(default, borrow)]
    location: Option<LocationPart<'a>>,
    #[serde(default, borrow)]
    interactive: Option<InteractivePart<'a>>,
    #[serde(default, borrow)]
    button: Option<ButtonPart<'a>>,
    #[serde(default, borrow)]
    reaction: Option<ReactionPart<'a>>,
}

#[derive(Deserialize)]
struct Context<'a> {
    #[serde(default, borrow)]
    id: Option<Str<'a>>,
    #[serde(default)]
    forwarded: Option<bool>,
    #[serde(default)]
    frequently_forwarded: Option<bool>,
}

#[derive(Deserialize)]
struct TextPart<'a> {
    #[serde(default, borrow)]
    body: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct MediaPart<'a> {
    #[serde(default, borrow)]
    id: Option<Str<'a>>,
    #[serde(default, borrow)]
    url: Option<Str<'a>>,
    #[serde(default, borrow)]
    mime_type: Option<Str<'a>>,
    #[serde(default, borrow)]
    sha256: Option<Str<'a>>,
    #[serde(default, borrow)]
    caption: Option<Str<'a>>,
    #[serde(default, borrow)]
    filename: Option<Str<'a>>,
    #[serde(default)]
    voice: Option<bool>,
}

#[derive(Deserialize)]
struct LocationPart<'a> {
    latitude: f64,
    longitude: f64,
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
    #[serde(default, borrow)]
    address: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct InteractivePart<'a> {
    #[serde(default, borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(default, borrow)]
    button_reply: Option<Reply<'a>>,
    #[serde(default, borrow)]
    list_reply: Option<Reply<'a>>,
}

#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    title: Str<'a>,
    #[serde(default, borrow)]
    description: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct ButtonPart<'a> {
    #[serde(default, borrow)]
    payload: Option<Str<'a>>,
    #[serde(borrow)]
    text: Str<'a>,
}

#[derive(Deserialize)]
struct ReactionPart<'a> {
    #[serde(borrow)]
    message_id: Str<'a>,
    #[serde(default, borrow)]
    emoji: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    status: Str<'a>,
    #[serde(default, borrow)]
    timestamp: Option<Str<'a>>,
    #[serde(default, borrow)]
    recipient_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    errors: Option<Vec<ErrorPart<'a>>>,
}

#[derive(Deserialize)]
struct ErrorPart<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default, borrow)]
    title: Option<Str<'a>>,
    #[serde(default, borrow)]
    message: Option<Str<'a>>,
    #[serde(default, borrow)]
    error_data: Option<ErrorData<'a>>,
}

#[derive(Deserialize)]
struct ErrorData<'a> {
    #[serde(default, borrow)]
    details: Option<Str<'a>>,
}

fn owned(s: Option<Str<'_>>) -> Option<String> {
    s.map(Cow::into_owned)
}

fn timestamp(s: Option<&Str<'_>>) -> Option<chrono::DateTime<chrono::Utc>> {
    let secs = s?.trim().parse::<i64>().ok()?;
    chrono::DateTime::from_timestamp(secs, 0)
}

/// The fast path; `None` means "use the lenient parser".
pub(super) fn parse(body: &[u8]) -> Option<Vec<Event>> {
    // `from_slice` skips ignored strings without checking their UTF-8, so
    // it would accept bodies the lenient parser (which defines the
    // semantics) rejects as not JSON; check the whole body first.
    let text = std::str::from_utf8(body).ok()?;
    let env: Envelope<'_> = serde_json::from_str(text).ok()?;
    let mut events = Vec::new();
    for entry in env.entry {
        for change in entry.changes.into_iter().flatten() {
            if change.field != "messages" {
                return None;
            }
            let value = change.value;
            if value.errors.as_ref().is_some_and(|e| !e.is_empty()) {
                return None;
            }
            let pnid = value.metadata.and_then(|m| m.phone_number_id);
            let contacts = value.contacts.unwrap_or_default();
            for msg in value.messages.into_iter().flatten() {
                events.push(Event::Message(message(msg, &contacts, pnid.as_deref())?));
            }
            for st in value.statuses.into_iter().flatten() {
                events.push(Event::Status(status(st, pnid.as_deref())?));
            }
        }
    }
    Some(events)
}

fn message(
    m: Msg<'_>,
    contacts: &[ContactProfile<'_>],
    pnid: Option<&str>,
) -> Option<InboundMessage> {
    let id = m.id.filter(|s| !s.is_empty())?;
    // Senders named only by a user id (or only by their contact entry)
    // take the lenient path.
    let from_raw = m.from.filter(|s| !s.trim().is_empty())?;
    let from = wa_id_to_phone(&from_raw)?;
    let from_user_raw = m.from_user_id.as_deref().filter(|s| !s.trim().is_empty());
    // Only the contact entry that names this sender (see `cloud.rs`).
    let contact = contacts.iter().find(|c| {
        c.wa_id.as_deref() == Some(&*from_raw)
            || from_user_raw.is_some_and(|u| c.user_id.as_deref() == Some(u))
    });
    let user_id = from_user_raw
        .or_else(|| {
            contact
                .and_then(|c| c.user_id.as_deref())
                .filter(|s| !s.trim().is_empty())
        })
        .and_then(|u| UserId::parse(u).ok());
    let from_name = contact
        .and_then(|c| c.profile.as_ref())
        .and_then(|p| p.name.clone())
        .map(Cow::into_owned);
    let kind = m.kind.as_deref().unwrap_or("unknown");
    let content = match kind {
        "text" => MessageContent::Text {
            body: m.text?.body?.into_owned(),
        },
        "image" | "video" | "audio" | "document" | "sticker" => {
            let (media_kind, part) = match kind {
                "image" => (MediaKind::Image, m.image),
                "video" => (MediaKind::Video, m.video),
                "audio" => (MediaKind::Audio, m.audio),
                "document" => (MediaKind::Document, m.document),
                _ => (MediaKind::Sticker, m.sticker),
            };
            let p = part?;
            let mut media = InboundMedia::new(media_kind);
            media.id = owned(p.id);
            media.url = owned(p.url);
            media.mime_type = owned(p.mime_type);
            media.sha256 = owned(p.sha256);
            media.caption = owned(p.caption);
            media.filename = owned(p.filename);
            media.voice = p.voice.unwrap_or(false);
            MessageContent::Media(media)
        }
        "location" => {
            let l = m.location?;
            MessageContent::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: owned(l.name),
                address: owned(l.address),
            }
        }
        "interactive" => {
            let i = m.interactive?;
            match i.kind.as_deref() {
                Some("button_reply") => {
                    let r = i.button_reply?;
                    MessageContent::ButtonReply {
                        id: r.id.into_owned(),
                        title: r.title.into_owned(),
                    }
                }
                Some("list_reply") => {
                    let r = i.list_reply?;
                    MessageContent::ListReply {
                        id: r.id.into_owned(),
                        title: r.title.into_owned(),
                        description: owned(r.description),
                    }
                }
                _ => return None,
            }
        }
        "button" => {
            let b = m.button?;
            MessageContent::TemplateButton {
                payload: owned(b.payload),
                text: b.text.into_owned(),
            }
        }
        "reaction" => {
            let r = m.reaction?;
            MessageContent::Reaction {
                message_id: r.message_id.into_owned(),
                emoji: owned(r.emoji).filter(|e| !e.is_empty()),
            }
        }
        _ => return None,
    };
    let mut out = InboundMessage::new(PROVIDER, id.into_owned(), from, content);
    out.user_id = user_id;
    out.from_name = from_name;
    out.timestamp = timestamp(m.timestamp.as_ref());
    out.recipient = pnid.map(str::to_owned);
    if let Some(c) = m.context {
        out.reply_to = owned(c.id);
        out.forwarded = c.forwarded.unwrap_or(false) || c.frequently_forwarded.unwrap_or(false);
    }
    Some(out)
}

fn status(s: Status<'_>, pnid: Option<&str>) -> Option<StatusUpdate> {
    let mut u = StatusUpdate::new(
        PROVIDER,
        s.id.into_owned(),
        DeliveryStatus::parse(&s.status),
    );
    u.recipient = s.recipient_id.as_deref().and_then(wa_id_to_phone);
    u.timestamp = timestamp(s.timestamp.as_ref());
    u.sender = pnid.map(str::to_owned);
    u.errors = s
        .errors
        .unwrap_or_default()
        .into_iter()
        .map(|e| WebhookError {
            code: e.code,
            title: owned(e.title),
            message: owned(e.message),
            details: e.error_data.and_then(|d| owned(d.details)),
        })
        .collect();
    Some(u)
}

#[cfg(test)]
mod tests {
    use super::super::cloud::parse_lenient;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn fast_path_agrees_with_lenient_parser() {
        let common = [
            "cloud_text.json",
            "cloud_image_reply.json",
            "cloud_media_mix.json",
            "cloud_interactive.json",
            "cloud_button_reaction.json",
            "cloud_status_delivered_read.json",
            "cloud_status_failed.json",
        ];
        for name in common {
            let body = fixture(name);
            let fast = super::parse(&body).unwrap_or_else(|| panic!("{name} took the slow path"));
            assert_eq!(Ok(fast), parse_lenient(&body), "{name}");
        }
        // Shapes the fast path leaves to the lenient parser.
        for name in [
            "cloud_unknown.json",
            "cloud_other_field.json",
            "cloud_location_contacts.json",
        ] {
            assert!(super::parse(&fixture(name)).is_none(), "{name}");
        }
    }

    #[test]
    fn odd_types_fall_back() {
        // Numeric timestamp and string coordinates: lenient parser only.
        let body = br#"{"entry":[{"changes":[{"field":"messages","value":{"messages":[
            {"from":"6281234567890","id":"w1","timestamp":1700000000,"type":"location",
             "location":{"latitude":"-6.2","longitude":"106.8"}}]}}]}]}"#;
        assert!(super::parse(body).is_none());
        let events = crate::webhook::parse_cloud(body).unwrap_or_default();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].message_id(), Some("w1"));
    }

    fn arb_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::{Value, json};
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-1000i64..2_000_000_000).prop_map(|n| json!(n)),
            prop::sample::select(vec![
                "",
                "x",
                "6281234567890",
                "button_reply",
                "list_reply",
                "1700000000",
                "-6.2"
            ])
            .prop_map(|s| Value::String(s.to_owned())),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map(
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
                        "payload",
                        "caption",
                        "voice",
                    ]),
                    inner,
                    0..5,
                )
                .prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn fast_path_never_disagrees(
            kind in proptest::sample::select(vec!["text", "image", "audio", "interactive", "button", "reaction", "location"]),
            part in arb_json(),
            ts in arb_json(),
            status in arb_json(),
        ) {
            let body = serde_json::to_vec(&serde_json::json!({"entry": [{"changes": [{"field": "messages", "value": {
                "metadata": {"phone_number_id": "42"},
                "messages": [{"from": "6281234567890", "id": "w", "timestamp": ts, "type": kind, kind: part}],
                "statuses": [{"id": "s", "status": status, "recipient_id": "6281234567890"}]
            }}]}]})).unwrap_or_default();
            if let Some(fast) = super::parse(&body) {
                proptest::prop_assert_eq!(Ok(fast), parse_lenient(&body));
            }
        }
    }
}
