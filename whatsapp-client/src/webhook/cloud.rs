//! Cloud API webhook payloads (`object: whatsapp_business_account`).
//!
//! Parsed leniently from a `serde_json::Value`: unknown fields are ignored,
//! unknown message types become [`MessageContent::Unknown`], unknown change
//! fields become [`Event::Other`]; only a body that is not JSON or has no
//! `entry` array fails as a whole.

use serde_json::Value;

use super::{
    DeliveryStatus, Event, InboundMedia, InboundMessage, MessageContent, OtherEvent, ParseError,
    Sender, StatusUpdate, UserId, WebhookError,
};
use crate::message::{Contact, ContactEmail, ContactName, ContactPhone, MediaKind};
use crate::phone::PhoneNumber;

pub(super) const PROVIDER: &str = "cloud_api";

/// Parses a Cloud API webhook body into events, in payload order.
///
/// Verify the signature first ([`super::verify_signature`]).
///
/// ```
/// use whatsapp_client::webhook::{parse_cloud, Event, MessageContent};
///
/// let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
///   "messaging_product":"whatsapp",
///   "metadata":{"display_phone_number":"6281100000000","phone_number_id":"1065"},
///   "contacts":[{"profile":{"name":"Budi"},"wa_id":"6281234567890"}],
///   "messages":[{"from":"6281234567890","id":"wamid.A1","timestamp":"1700000000","type":"text","text":{"body":"halo"}}]}}]}]}"#;
/// let events = parse_cloud(body).unwrap();
/// let Event::Message(m) = &events[0] else { panic!() };
/// assert_eq!(m.id, "wamid.A1");
/// assert_eq!(m.from_name.as_deref(), Some("Budi"));
/// assert_eq!(m.recipient.as_deref(), Some("1065"));
/// assert_eq!(m.content, MessageContent::Text { body: "halo".into() });
/// ```
pub fn parse_cloud(body: &[u8]) -> Result<Vec<Event>, ParseError> {
    if let Some(events) = super::cloud_fast::parse(body) {
        return Ok(events);
    }
    parse_lenient(body)
}

/// The reference parser: walks a `serde_json::Value`, tolerating any shape.
pub(super) fn parse_lenient(body: &[u8]) -> Result<Vec<Event>, ParseError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| ParseError::Syntax {
        format: "JSON",
        message: e.to_string(),
    })?;
    let entries = root
        .get("entry")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::Shape("missing `entry` array".into()))?;
    let mut events = Vec::new();
    for entry in entries {
        let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
            continue;
        };
        for change in changes {
            parse_change(change, &mut events);
        }
    }
    Ok(events)
}

fn parse_change(change: &Value, out: &mut Vec<Event>) {
    let field = str_of(change, "field").unwrap_or_default();
    let value = change.get("value").unwrap_or(&Value::Null);
    if field != "messages" {
        out.push(other(
            if field.is_empty() {
                "unknown_change"
            } else {
                field
            },
            change,
        ));
        return;
    }
    let phone_number_id = value
        .get("metadata")
        .and_then(|m| str_of(m, "phone_number_id"))
        .map(str::to_owned);
    let contacts = value.get("contacts").and_then(Value::as_array);
    if let Some(messages) = value.get("messages").and_then(Value::as_array) {
        for msg in messages {
            out.push(parse_message(msg, contacts, phone_number_id.as_deref()));
        }
    }
    if let Some(statuses) = value.get("statuses").and_then(Value::as_array) {
        for st in statuses {
            out.push(parse_status(st, phone_number_id.as_deref()));
        }
    }
    // Message-level errors without messages (e.g. webhook-level failures).
    if value
        .get("errors")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty())
    {
        out.push(other("errors", value));
    }
}

fn other(kind: &str, raw: &Value) -> Event {
    Event::Other(OtherEvent {
        provider: PROVIDER,
        kind: kind.to_owned(),
        raw: raw.clone(),
    })
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn string_of(v: &Value, key: &str) -> Option<String> {
    str_of(v, key).map(str::to_owned)
}

fn f64_of(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn timestamp_of(v: &Value, key: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let secs = match v.get(key)? {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    chrono::DateTime::from_timestamp(secs, 0)
}

/// WhatsApp ids are digits without `+`, of accounts WhatsApp verified.
pub(super) fn wa_id_to_phone(wa_id: &str) -> Option<PhoneNumber> {
    PhoneNumber::from_wa_id(wa_id).ok()
}

fn parse_message(
    msg: &Value,
    contacts: Option<&Vec<Value>>,
    phone_number_id: Option<&str>,
) -> Event {
    let Some(id) = str_of(msg, "id").filter(|s| !s.is_empty()) else {
        return other("message_without_id", msg);
    };
    let contacts: &[Value] = contacts.map_or(&[], Vec::as_slice);
    let from_raw = str_of(msg, "from").filter(|s| !s.trim().is_empty());
    let from_user_raw = str_of(msg, "from_user_id").filter(|s| !s.trim().is_empty());
    // The contact entry that describes this sender: the one whose `wa_id`
    // is the sender's number, or whose `user_id` is the sender's user id.
    // A message that names its sender in neither field (BSUID-only
    // webhooks) can only belong to the payload's single contact.
    let contact = if from_raw.is_none() && from_user_raw.is_none() {
        match contacts {
            [only] => Some(only),
            _ => None,
        }
    } else {
        contacts.iter().find(|c| {
            from_raw.is_some_and(|f| str_of(c, "wa_id") == Some(f))
                || from_user_raw.is_some_and(|u| str_of(c, "user_id") == Some(u))
        })
    };
    let from_raw = from_raw.or_else(|| {
        from_user_raw
            .is_none()
            .then(|| contact.and_then(|c| str_of(c, "wa_id")))
            .flatten()
    });
    let user_raw = from_user_raw.or_else(|| {
        contact
            .and_then(|c| str_of(c, "user_id"))
            .filter(|s| !s.trim().is_empty())
    });
    // A user id that does not have the documented shape is dropped; the
    // message still counts when it has a phone number.
    let user_id = user_raw.and_then(|u| UserId::parse(u).ok());
    let from_name = contact
        .and_then(|c| c.get("profile"))
        .and_then(|p| string_of(p, "name"));
    let content = parse_content(msg);
    let context = msg.get("context");
    let reply_to = context.and_then(|c| string_of(c, "id"));
    let forwarded = context
        .map(|c| {
            c.get("forwarded").and_then(Value::as_bool).unwrap_or(false)
                || c.get("frequently_forwarded")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
        })
        .unwrap_or(false);
    let fill = |from: Sender| -> Event {
        let mut m = InboundMessage::new(PROVIDER, id, (), content);
        m.user_id = user_id.clone();
        m.from_name = from_name;
        m.timestamp = timestamp_of(msg, "timestamp");
        m.recipient = phone_number_id.map(str::to_owned);
        m.reply_to = reply_to;
        m.forwarded = forwarded;
        m.with_sender(from)
    };
    match (from_raw, user_raw, &user_id) {
        (Some(raw), _, _) => match wa_id_to_phone(raw) {
            Some(from) => fill(Sender::Phone(from)),
            None => other("message_with_unparseable_sender", msg),
        },
        (None, _, Some(u)) => fill(Sender::UserId(u.clone())),
        (None, Some(_), None) => other("message_with_unparseable_sender", msg),
        (None, None, _) => other("message_without_sender", msg),
    }
}

fn unknown(kind: &str, raw: &Value) -> MessageContent {
    MessageContent::Unknown {
        kind: kind.to_owned(),
        raw: raw.clone(),
    }
}

fn parse_content(msg: &Value) -> MessageContent {
    let kind = str_of(msg, "type").unwrap_or("unknown");
    let part = msg.get(kind);
    match (kind, part) {
        ("text", Some(t)) => match str_of(t, "body") {
            Some(body) => MessageContent::Text {
                body: body.to_owned(),
            },
            None => unknown(kind, msg),
        },
        ("image" | "video" | "audio" | "document" | "sticker", Some(p)) => {
            let media_kind = match kind {
                "image" => MediaKind::Image,
                "video" => MediaKind::Video,
                "audio" => MediaKind::Audio,
                "document" => MediaKind::Document,
                _ => MediaKind::Sticker,
            };
            let mut media = InboundMedia::new(media_kind);
            media.id = string_of(p, "id");
            media.url = string_of(p, "url");
            media.mime_type = string_of(p, "mime_type");
            media.sha256 = string_of(p, "sha256");
            media.caption = string_of(p, "caption");
            media.filename = string_of(p, "filename");
            media.voice = p.get("voice").and_then(Value::as_bool).unwrap_or(false);
            MessageContent::Media(media)
        }
        ("location", Some(l)) => match (f64_of(l, "latitude"), f64_of(l, "longitude")) {
            (Some(latitude), Some(longitude)) => MessageContent::Location {
                latitude,
                longitude,
                name: string_of(l, "name"),
                address: string_of(l, "address"),
            },
            _ => unknown(kind, msg),
        },
        ("contacts", Some(Value::Array(cards))) => {
            MessageContent::Contacts(cards.iter().map(parse_contact).collect())
        }
        ("interactive", Some(i)) => {
            let sub = str_of(i, "type").unwrap_or_default();
            match (sub, i.get(sub)) {
                ("button_reply", Some(b)) => match (str_of(b, "id"), str_of(b, "title")) {
                    (Some(id), Some(title)) => MessageContent::ButtonReply {
                        id: id.to_owned(),
                        title: title.to_owned(),
                    },
                    _ => unknown(kind, msg),
                },
                ("list_reply", Some(r)) => match (str_of(r, "id"), str_of(r, "title")) {
                    (Some(id), Some(title)) => MessageContent::ListReply {
                        id: id.to_owned(),
                        title: title.to_owned(),
                        description: string_of(r, "description"),
                    },
                    _ => unknown(kind, msg),
                },
                _ => unknown(&format!("interactive.{sub}"), msg),
            }
        }
        ("button", Some(b)) => match str_of(b, "text") {
            Some(text) => MessageContent::TemplateButton {
                payload: string_of(b, "payload"),
                text: text.to_owned(),
            },
            None => unknown(kind, msg),
        },
        ("reaction", Some(r)) => match str_of(r, "message_id") {
            Some(message_id) => MessageContent::Reaction {
                message_id: message_id.to_owned(),
                emoji: string_of(r, "emoji").filter(|e| !e.is_empty()),
            },
            None => unknown(kind, msg),
        },
        _ => unknown(kind, msg),
    }
}

fn parse_contact(card: &Value) -> Contact {
    let name = card.get("name").unwrap_or(&Value::Null);
    let mut contact = Contact {
        name: ContactName {
            formatted_name: string_of(name, "formatted_name").unwrap_or_default(),
            first_name: string_of(name, "first_name"),
            last_name: string_of(name, "last_name"),
        },
        ..Contact::default()
    };
    if let Some(phones) = card.get("phones").and_then(Value::as_array) {
        contact.phones = phones
            .iter()
            .filter_map(|p| {
                Some(ContactPhone {
                    phone: string_of(p, "phone")?,
                    kind: string_of(p, "type"),
                    wa_id: string_of(p, "wa_id"),
                })
            })
            .collect();
    }
    if let Some(emails) = card.get("emails").and_then(Value::as_array) {
        contact.emails = emails
            .iter()
            .filter_map(|e| {
                Some(ContactEmail {
                    email: string_of(e, "email")?,
                    kind: string_of(e, "type"),
                })
            })
            .collect();
    }
    contact.company = card.get("org").and_then(|o| string_of(o, "company"));
    contact
}

fn parse_status(st: &Value, phone_number_id: Option<&str>) -> Event {
    let (Some(id), Some(status)) = (str_of(st, "id"), str_of(st, "status")) else {
        return other("status_without_id", st);
    };
    let mut update = StatusUpdate::new(PROVIDER, id, DeliveryStatus::parse(status));
    update.recipient = str_of(st, "recipient_id").and_then(wa_id_to_phone);
    update.timestamp = timestamp_of(st, "timestamp");
    update.sender = phone_number_id.map(str::to_owned);
    if let Some(errors) = st.get("errors").and_then(Value::as_array) {
        update.errors = errors.iter().map(parse_error).collect();
    }
    Event::Status(update)
}

fn parse_error(e: &Value) -> WebhookError {
    WebhookError {
        code: e.get("code").and_then(Value::as_i64),
        title: string_of(e, "title"),
        message: string_of(e, "message"),
        details: e.get("error_data").and_then(|d| string_of(d, "details")),
    }
}
