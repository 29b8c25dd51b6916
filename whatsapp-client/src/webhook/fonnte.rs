//! Fonnte webhooks: incoming messages, message status, device status.
//!
//! Fonnte posts JSON (or, from older setups, form fields). One URL may
//! receive all three kinds, so [`parse_fonnte`] tells them apart by their
//! fields. The device `token` Fonnte includes in some payloads is a secret
//! and is removed from any raw data kept in events.

use serde_json::{Map, Value};

use super::cloud::{timestamp_of, wa_id_to_phone};
use super::{
    DeliveryStatus, DeviceState, DeviceStatus, Event, InboundMedia, InboundMessage, MessageContent,
    OtherEvent, ParseError, StatusUpdate,
};
use crate::message::MediaKind;
use crate::phone::PhoneNumber;

const PROVIDER: &str = "fonnte";

/// Parses a Fonnte webhook body (JSON, or `application/x-www-form-urlencoded`)
/// into one event.
///
/// - incoming message (`sender`, `message`, `inboxid`/`id`, ...) →
///   [`Event::Message`]; media (`url`, `filename`, `extension`, or a
///   nested `media` object with `url`, `mimetype`, `filename`), `location`
///   (`"lat,long"` or `{"latitude", "longitude"}`) and button replies
///   (the button text in `text`) are recognized. When `inboxid` is missing
///   or 0, as on many real deliveries, the message id is derived from the
///   message (see the [module docs](super) on de-duplicating);
/// - message status (`id`, `stateid`, `status`, `state`) → [`Event::Status`];
/// - device status (`device`, `status: connect|disconnect`, `reason`) →
///   [`Event::DeviceStatus`];
/// - anything else, or a message whose sender is missing or unreadable →
///   [`Event::Other`].
///
/// ```
/// use whatsapp_client::webhook::{parse_fonnte, Event};
///
/// let body = br#"{"device":"6281100000000","sender":"6281234567890","message":"halo","name":"Budi","inboxid":"77"}"#;
/// let Event::Message(m) = parse_fonnte(body).unwrap() else { panic!() };
/// assert_eq!(m.id, "77");
/// assert_eq!(m.text(), Some("halo"));
/// assert_eq!(m.recipient.as_deref(), Some("6281100000000"));
/// ```
pub fn parse_fonnte(body: &[u8]) -> Result<Event, ParseError> {
    let mut obj = decode(body)?;
    // Never keep the device token in events (they end up in logs and DBs).
    obj.remove("token");
    Ok(classify(Value::Object(obj)))
}

/// Parses Fonnte form fields already decoded by a web framework (for
/// example axum's `Form<HashMap<String, String>>`).
pub fn parse_fonnte_form<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Event {
    let obj: Map<String, Value> = fields
        .into_iter()
        .filter(|(k, _)| *k != "token")
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    classify(Value::Object(obj))
}

fn decode(body: &[u8]) -> Result<Map<String, Value>, ParseError> {
    let trimmed = body.trim_ascii_start();
    if trimmed.first() == Some(&b'{') || trimmed.first() == Some(&b'[') {
        return match serde_json::from_slice::<Value>(trimmed) {
            Ok(Value::Object(o)) => Ok(o),
            Ok(_) => Err(ParseError::Shape("expected a JSON object".into())),
            Err(e) => Err(ParseError::Syntax {
                format: "JSON",
                message: e.to_string(),
            }),
        };
    }
    if std::str::from_utf8(body).is_err() {
        return Err(ParseError::Syntax {
            format: "form",
            message: "body is not UTF-8".into(),
        });
    }
    let obj: Map<String, Value> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    // Fonnte's field names are plain identifiers. Anything else is not a
    // form body (for example damaged JSON), and keeping it as a field name
    // could carry the device token into an event.
    let plain = |k: &str| {
        !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']'))
    };
    if !obj.keys().all(|k| plain(k)) {
        // The name is not echoed: it may hold anything, the token included.
        return Err(ParseError::Syntax {
            format: "form",
            message: "a field name is not a plain identifier".into(),
        });
    }
    if obj.is_empty() {
        return Err(ParseError::Shape("empty body".into()));
    }
    Ok(obj)
}

/// Reads a field as text whether Fonnte sent it as a string or a number.
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn other(kind: &str, raw: Value) -> Event {
    Event::Other(OtherEvent {
        provider: PROVIDER,
        kind: kind.to_owned(),
        raw,
    })
}

fn classify(v: Value) -> Event {
    let status = text(&v, "status").map(|s| s.to_ascii_lowercase());
    let has_sender = v.get("sender").is_some() || v.get("pengirim").is_some();
    match status.as_deref() {
        Some("connect" | "connected" | "disconnect" | "disconnected") if !has_sender => {
            device_status(&v, status.as_deref().unwrap_or_default())
        }
        _ if has_sender => message(v),
        _ if v.get("stateid").is_some() || v.get("state").is_some() || status.is_some() => {
            message_status(v)
        }
        _ => other("unknown", v),
    }
}

fn device_status(v: &Value, status: &str) -> Event {
    let Some(device) = text(v, "device") else {
        return other("device_status_without_device", v.clone());
    };
    let state = match status {
        "connect" | "connected" => DeviceState::Connected,
        "disconnect" | "disconnected" => DeviceState::Disconnected,
        s => DeviceState::Unknown(s.to_owned()),
    };
    Event::DeviceStatus(DeviceStatus {
        provider: PROVIDER,
        device,
        state,
        reason: text(v, "reason"),
        timestamp: timestamp_of(v, "timestamp"),
    })
}

fn message_status(v: Value) -> Event {
    let Some(id) = text(&v, "id") else {
        return other("status_without_id", v);
    };
    // `state` carries delivery progress (sent/delivered/read); `status` the
    // processing outcome (sent/pending/invalid/failed/expired...).
    let word = text(&v, "state")
        .or_else(|| text(&v, "status"))
        .unwrap_or_default();
    let status = match word.to_ascii_lowercase().as_str() {
        "invalid" | "expired" | "url unreachable" => DeliveryStatus::Failed,
        other => DeliveryStatus::parse(other),
    };
    let mut update = StatusUpdate::new(PROVIDER, id, status);
    update.sender = text(&v, "device");
    update.recipient = text(&v, "target").as_deref().and_then(wa_id_to_phone);
    update.timestamp = timestamp_of(&v, "timestamp");
    Event::Status(update)
}

/// Fonnte's `text` field names the tapped button; on every other message
/// it holds this placeholder.
const NOT_A_BUTTON: &str = "non-button message";

fn message(v: Value) -> Event {
    let id = text(&v, "inboxid")
        .or_else(|| text(&v, "id"))
        .filter(|id| id != "0")
        .unwrap_or_else(|| derived_id(&v));
    let sender = text(&v, "sender")
        .or_else(|| text(&v, "pengirim"))
        .unwrap_or_default();
    // `member` is the person in a group: a number, or (some setups) an
    // object `{"jid": "628...@s.whatsapp.net", "name": ...}`.
    let member_obj = v.get("member").filter(|m| m.is_object());
    let member = text(&v, "member").or_else(|| member_obj.and_then(|m| text(m, "jid")));
    let flagged_group = v.get("isgroup").and_then(Value::as_bool);
    // In groups Fonnte puts the group id in `sender` and the person in
    // `member`.
    let is_group = flagged_group.unwrap_or_else(|| sender.ends_with("@g.us"))
        || (sender.contains('@') && !sender.ends_with("@s.whatsapp.net"));
    let (from_raw, group) = match (&member, is_group) {
        (Some(member), true) => (member.clone(), Some(sender.clone())),
        (None, true) => return other("group_message_without_member", v),
        (_, false) => (sender.clone(), None),
    };
    let from_digits = from_raw.split('@').next().unwrap_or_default();
    // Fonnte normally sends `62...`; some setups send national `08...`.
    let from = wa_id_to_phone(from_digits).or_else(|| PhoneNumber::parse(from_digits).ok());
    let Some(from) = from else {
        return other("message_with_unparseable_sender", v);
    };
    let content = content(&v);
    let mut m = InboundMessage::new(PROVIDER, id, from, content);
    m.from_name = text(&v, "name")
        .or_else(|| text(&v, "pushname"))
        .or_else(|| member_obj.and_then(|o| text(o, "name")));
    m.recipient = text(&v, "device");
    m.group = group;
    m.timestamp = timestamp_of(&v, "timestamp").or_else(|| timestamp_of(&v, "messageTimestamp"));
    m.forwarded = v
        .get("isforwarded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Event::Message(m)
}

/// An id for a message Fonnte gave no usable `inboxid` for: the same body
/// always gives the same id, and bodies that differ in who sent it, to
/// which device, when, or what it says give different ids.
fn derived_id(v: &Value) -> String {
    use sha2::{Digest, Sha256};
    const FIELDS: [&str; 15] = [
        "device",
        "sender",
        "pengirim",
        "member",
        "timestamp",
        "messageTimestamp",
        "message",
        "pesan",
        "text",
        "url",
        "media",
        "location",
        "filename",
        "pollname",
        "choices",
    ];
    let mut hasher = Sha256::new();
    for field in FIELDS {
        // Length-prefixed so that moving text between fields changes the
        // digest.
        let value = v.get(field).map(Value::to_string).unwrap_or_default();
        hasher.update(field.as_bytes());
        hasher.update((value.len() as u64).to_le_bytes());
        hasher.update(value.as_bytes());
    }
    let digest = hasher.finalize();
    format!("fonnte:{}", hex::encode(&digest[..16]))
}

fn media_kind(type_word: Option<&str>, mime: Option<&str>, extension: &str) -> MediaKind {
    match type_word.map(str::to_ascii_lowercase).as_deref() {
        Some("image") => return MediaKind::Image,
        Some("video") => return MediaKind::Video,
        Some("audio" | "ptt" | "voice") => return MediaKind::Audio,
        Some("sticker") => return MediaKind::Sticker,
        Some("document" | "file") => return MediaKind::Document,
        _ => {}
    }
    if let Some(mime) = mime.map(str::to_ascii_lowercase) {
        if mime == "image/webp" {
            return MediaKind::Sticker;
        }
        for (prefix, kind) in [
            ("image/", MediaKind::Image),
            ("video/", MediaKind::Video),
            ("audio/", MediaKind::Audio),
        ] {
            if mime.starts_with(prefix) {
                return kind;
            }
        }
        return MediaKind::Document;
    }
    match extension.trim_start_matches('.') {
        "jpg" | "jpeg" | "png" | "gif" => MediaKind::Image,
        "webp" => MediaKind::Sticker,
        "mp4" | "3gp" | "mov" => MediaKind::Video,
        "mp3" | "ogg" | "opus" | "m4a" | "aac" | "amr" | "wav" => MediaKind::Audio,
        _ => MediaKind::Document,
    }
}

fn extension_of(v: &Value, filename: Option<&str>) -> String {
    text(v, "extension")
        .or_else(|| filename.and_then(|f| f.rsplit_once('.').map(|(_, e)| e.to_owned())))
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn location(v: &Value) -> Option<(f64, f64)> {
    match v.get("location")? {
        Value::String(loc) => {
            let mut parts = loc.split(',').map(|p| p.trim().parse::<f64>());
            match (parts.next(), parts.next(), parts.next()) {
                (Some(Ok(lat)), Some(Ok(long)), None) => Some((lat, long)),
                _ => None,
            }
        }
        obj @ Value::Object(_) => {
            let number = |keys: [&str; 2]| {
                keys.iter().find_map(|k| match obj.get(*k)? {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                })
            };
            Some((number(["latitude", "lat"])?, number(["longitude", "long"])?))
        }
        _ => None,
    }
    .filter(|(lat, long)| lat.is_finite() && long.is_finite())
}

fn content(v: &Value) -> MessageContent {
    let body = text(v, "message").or_else(|| text(v, "pesan"));
    if let Some(button) = text(v, "text").filter(|t| t != NOT_A_BUTTON) {
        return MessageContent::TemplateButton {
            payload: None,
            text: button,
        };
    }
    // Attachments: the file's fields at the top level (Fonnte's documented
    // shape) or in a nested `media` object (`url`, `mimetype`, `filename`).
    let nested = v.get("media").filter(|m| m.is_object());
    let url = text(v, "url").or_else(|| nested.and_then(|m| text(m, "url")));
    if let Some(url) = url {
        let filename = text(v, "filename").or_else(|| nested.and_then(|m| text(m, "filename")));
        let mime = nested
            .and_then(|m| text(m, "mimetype").or_else(|| text(m, "mime_type")))
            .or_else(|| text(v, "mimetype"));
        let extension = extension_of(v, filename.as_deref());
        let type_word = text(v, "type").or_else(|| nested.and_then(|m| text(m, "type")));
        let mut media = InboundMedia::new(media_kind(
            type_word.as_deref(),
            mime.as_deref(),
            &extension,
        ));
        media.url = Some(url);
        media.filename = filename;
        media.mime_type = mime;
        media.caption = body;
        return MessageContent::Media(media);
    }
    if let Some((latitude, longitude)) = location(v) {
        let obj = v.get("location");
        return MessageContent::Location {
            latitude,
            longitude,
            name: obj.and_then(|o| text(o, "name")),
            address: obj.and_then(|o| text(o, "address")),
        };
    }
    match body {
        Some(body) => MessageContent::Text { body },
        None => MessageContent::Unknown {
            kind: "fonnte".to_owned(),
            raw: v.clone(),
        },
    }
}
