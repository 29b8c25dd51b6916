//! Inbound webhooks: verification, signatures, and one normalized event type
//! for every provider.
//!
//! The flow for a Cloud API webhook is: answer the GET handshake with
//! [`verify_subscription`]; for each POST, check the `X-Hub-Signature-256`
//! header with [`verify_signature`] over the raw body bytes, then parse with
//! [`parse_cloud`]. Fonnte posts are parsed with [`parse_fonnte`] (Fonnte
//! does not sign its webhooks; protect the URL with a secret path segment).
//!
//! # De-duplicating deliveries
//!
//! Both providers deliver a webhook again when the receiver was slow or
//! failed, so handlers must be idempotent. Store [`Event::dedup_key`] (or
//! [`Event::message_id`]) under a unique constraint scoped to the receiving
//! number (`recipient` of the message: the Cloud API `phone_number_id` or
//! the Fonnte device) and skip an event whose key is already there.
//!
//! - **Cloud API**: the key is built from the `wamid`, which Meta assigns
//!   once per message, so it is unique on its own. Status updates use
//!   `status:<wamid>:<status>` because one message passes through several
//!   statuses.
//! - **Fonnte**: `inboxid` is the message id when the gateway fills it, but
//!   real deliveries often carry `"inboxid": 0` (or none). Then the id is
//!   derived from the message itself ([`InboundMessage::id`] starts with
//!   `fonnte:`): a SHA-256 over the device, sender, group member,
//!   timestamp and content. A redelivery of the same body gets the same id;
//!   two different messages get different ids. Two identical texts from the
//!   same sender in one second (or, when Fonnte sends no timestamp, ever)
//!   are indistinguishable from a redelivery and count as one. Message
//!   status updates carry Fonnte's own message id.
//! - Device status events ([`Event::DeviceStatus`]) have no key: they are
//!   idempotent state changes; keep the newest by timestamp.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::message::{Contact, MediaKind};
use crate::phone::PhoneNumber;
pub use crate::recipient::{Recipient, UserId};

mod cloud;
mod cloud_fast;
mod fonnte;

pub use cloud::parse_cloud;
pub use fonnte::{parse_fonnte, parse_fonnte_form};

/// The name of the header Meta signs webhook bodies with.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// One thing that happened, normalized across providers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A customer sent a message.
    Message(InboundMessage),
    /// A customer WhatsApp identifies only by a business-scoped user id
    /// (no phone number; Meta's usernames rollout) sent a message. Reply
    /// with [`crate::Provider::send_to`] (or
    /// [`crate::cloud::CloudApi::send_message_to_user_id`]); only the Cloud
    /// API can address a user id.
    UserIdMessage(InboundMessage<UserId>),
    /// A message we sent changed state (sent, delivered, read, failed).
    Status(StatusUpdate),
    /// A device (Fonnte) connected or disconnected.
    DeviceStatus(DeviceStatus),
    /// Something this crate does not model (another webhook field, an
    /// entry whose sender could not be read), kept as data.
    Other(OtherEvent),
}

impl Event {
    /// The provider's id for what this event is about: the inbound message
    /// id, or the id of the message whose status changed. Use it (with
    /// [`Event::dedup_key`]) to drop provider retries.
    pub fn message_id(&self) -> Option<&str> {
        match self {
            Self::Message(m) => Some(&m.id),
            Self::UserIdMessage(m) => Some(&m.id),
            Self::Status(s) => Some(&s.message_id),
            Self::DeviceStatus(_) | Self::Other(_) => None,
        }
    }

    /// A key unique per logical event: `msg:<id>` for messages,
    /// `status:<id>:<status>` for status updates (one message goes through
    /// several statuses). `None` for events without a provider id. Scope it
    /// to the receiving number (see the [module docs](self) on
    /// de-duplicating each provider's deliveries).
    pub fn dedup_key(&self) -> Option<String> {
        match self {
            Self::Message(m) => Some(format!("msg:{}", m.id)),
            Self::UserIdMessage(m) => Some(format!("msg:{}", m.id)),
            Self::Status(s) => Some(format!("status:{}:{}", s.message_id, s.status.as_str())),
            Self::DeviceStatus(_) | Self::Other(_) => None,
        }
    }

    /// The provider kind that produced the event (`cloud_api`, `fonnte`).
    pub fn provider(&self) -> &'static str {
        match self {
            Self::Message(m) => m.provider,
            Self::UserIdMessage(m) => m.provider,
            Self::Status(s) => s.provider,
            Self::DeviceStatus(d) => d.provider,
            Self::Other(o) => o.provider,
        }
    }

    /// Who sent the message, for [`Event::Message`] and
    /// [`Event::UserIdMessage`].
    pub fn sender(&self) -> Option<Sender> {
        match self {
            Self::Message(m) => Some(m.sender()),
            Self::UserIdMessage(m) => Some(m.sender()),
            _ => None,
        }
    }

    /// The customer message of an [`Event::Message`] or
    /// [`Event::UserIdMessage`] with its sender as a [`Recipient`], so one
    /// code path handles both (a bot, an inbox); `None` for other events.
    ///
    /// ```
    /// use whatsapp_client::webhook::{parse_cloud, Event};
    ///
    /// let body = br#"{"entry":[{"changes":[{"field":"messages","value":{
    ///   "contacts":[{"profile":{"name":"Budi"},"user_id":"ID.1502576394655843"}],
    ///   "messages":[{"from_user_id":"ID.1502576394655843","id":"wamid.B1","type":"text","text":{"body":"halo"}}]}}]}]}"#;
    /// let event = parse_cloud(body).unwrap().remove(0);
    /// let m = event.into_message().unwrap();
    /// assert_eq!(m.from.to_string(), "ID.1502576394655843");
    /// assert_eq!(m.from.phone(), None);
    /// ```
    pub fn into_message(self) -> Option<InboundMessage<Recipient>> {
        match self {
            Self::Message(m) => Some(m.into()),
            Self::UserIdMessage(m) => Some(m.into()),
            _ => None,
        }
    }
}

/// Who sent an inbound message: a phone number, or only a business-scoped
/// user id when WhatsApp does not share the number. The sender of a
/// message is whom the reply goes to, so this is [`Recipient`]: pass it to
/// [`crate::Provider::send_to`].
pub type Sender = Recipient;

/// An inbound customer message.
///
/// `S` is how the sender is identified: a [`PhoneNumber`] (the default,
/// [`Event::Message`]) or only a [`UserId`] ([`Event::UserIdMessage`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct InboundMessage<S = PhoneNumber> {
    /// The provider kind (`cloud_api`, `fonnte`, ...).
    pub provider: &'static str,
    /// The provider's message id: Cloud API `wamid...`; Fonnte `inboxid`
    /// when it is set and not 0, otherwise an id derived from the message
    /// (`fonnte:<hex>`, see the [module docs](self)).
    pub id: String,
    /// The sender.
    pub from: S,
    /// The sender's business-scoped user id, when the provider gives one
    /// (Cloud API `from_user_id`, or `user_id` of the sender's contact).
    pub user_id: Option<UserId>,
    /// The sender's WhatsApp profile name, if given (Cloud API: only from
    /// the contact entry that names this sender).
    pub from_name: Option<String>,
    /// When the customer sent it, if the provider says.
    pub timestamp: Option<DateTime<Utc>>,
    /// Which of our numbers received it: Cloud API `phone_number_id`, or
    /// the Fonnte device number. Routes the message to a tenant.
    pub recipient: Option<String>,
    /// The group the message was posted in, if any (Fonnte).
    pub group: Option<String>,
    /// The message it replies to (Cloud API `context.id`).
    pub reply_to: Option<String>,
    /// True if WhatsApp marked it as forwarded.
    pub forwarded: bool,
    /// What was sent.
    pub content: MessageContent,
}

impl<S> InboundMessage<S> {
    /// A message with only the required parts; for tests and simulators.
    pub fn new(
        provider: &'static str,
        id: impl Into<String>,
        from: S,
        content: MessageContent,
    ) -> Self {
        Self {
            provider,
            id: id.into(),
            from,
            user_id: None,
            from_name: None,
            timestamp: None,
            recipient: None,
            group: None,
            reply_to: None,
            forwarded: false,
            content,
        }
    }

    /// Sets the sender's profile name.
    #[must_use]
    pub fn with_from_name(mut self, name: impl Into<String>) -> Self {
        self.from_name = Some(name.into());
        self
    }

    /// Sets the receiving number / device id.
    #[must_use]
    pub fn with_recipient(mut self, recipient: impl Into<String>) -> Self {
        self.recipient = Some(recipient.into());
        self
    }

    /// Sets the sender's business-scoped user id.
    #[must_use]
    pub fn with_user_id(mut self, user_id: UserId) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// Sets the timestamp.
    #[must_use]
    pub fn with_timestamp(mut self, at: DateTime<Utc>) -> Self {
        self.timestamp = Some(at);
        self
    }

    /// Sets the replied-to message id.
    #[must_use]
    pub fn with_reply_to(mut self, id: impl Into<String>) -> Self {
        self.reply_to = Some(id.into());
        self
    }

    /// The text a keyword matcher should look at: the body of a text
    /// message, a media caption, or the title of a tapped button / row.
    pub fn text(&self) -> Option<&str> {
        self.content.text()
    }

    /// Replaces the sender with another kind of sender identification,
    /// keeping every other field.
    pub fn map_from<T>(self, f: impl FnOnce(S) -> T) -> InboundMessage<T> {
        InboundMessage {
            provider: self.provider,
            id: self.id,
            from: f(self.from),
            user_id: self.user_id,
            from_name: self.from_name,
            timestamp: self.timestamp,
            recipient: self.recipient,
            group: self.group,
            reply_to: self.reply_to,
            forwarded: self.forwarded,
            content: self.content,
        }
    }

    /// The sender as a [`Sender`].
    pub fn sender(&self) -> Sender
    where
        S: Clone + Into<Sender>,
    {
        self.from.clone().into()
    }
}

impl From<InboundMessage<PhoneNumber>> for InboundMessage<Recipient> {
    fn from(m: InboundMessage<PhoneNumber>) -> Self {
        m.map_from(Recipient::Phone)
    }
}

impl From<InboundMessage<UserId>> for InboundMessage<Recipient> {
    fn from(m: InboundMessage<UserId>) -> Self {
        m.map_from(Recipient::UserId)
    }
}

/// What an inbound message contains.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MessageContent {
    /// Text.
    Text {
        /// The text.
        body: String,
    },
    /// Image, video, audio, document or sticker.
    Media(InboundMedia),
    /// A shared location.
    Location {
        /// Latitude in degrees.
        latitude: f64,
        /// Longitude in degrees.
        longitude: f64,
        /// Place name.
        name: Option<String>,
        /// Address.
        address: Option<String>,
    },
    /// Shared contact cards.
    Contacts(Vec<Contact>),
    /// The customer tapped one of our reply buttons.
    ButtonReply {
        /// The button id we sent.
        id: String,
        /// The title shown.
        title: String,
    },
    /// The customer picked a row from our list.
    ListReply {
        /// The row id we sent.
        id: String,
        /// The row title.
        title: String,
        /// The row description.
        description: Option<String>,
    },
    /// The customer tapped a quick-reply button of a template (Cloud API),
    /// or a button of a Fonnte button message (Fonnte gives only the
    /// button's text, in its `text` field; `payload` is then `None`).
    TemplateButton {
        /// The payload we set on the button.
        payload: Option<String>,
        /// The button text.
        text: String,
    },
    /// The customer reacted to a message.
    Reaction {
        /// The message reacted to.
        message_id: String,
        /// The emoji; `None` when the reaction was removed.
        emoji: Option<String>,
    },
    /// A message type this crate does not model, kept as data.
    Unknown {
        /// The provider's type name (`order`, `system`, `unsupported`, ...).
        kind: String,
        /// The whole message object as received.
        raw: serde_json::Value,
    },
}

impl MessageContent {
    /// A text content.
    pub fn text_body(body: impl Into<String>) -> Self {
        Self::Text { body: body.into() }
    }

    /// Short stable name of the content kind: `text`, `image`, ...,
    /// `location`, `contacts`, `button_reply`, `list_reply`,
    /// `template_button`, `reaction`, or the provider's name for unknown
    /// kinds.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::Media(m) => m.kind.as_str(),
            Self::Location { .. } => "location",
            Self::Contacts(_) => "contacts",
            Self::ButtonReply { .. } => "button_reply",
            Self::ListReply { .. } => "list_reply",
            Self::TemplateButton { .. } => "template_button",
            Self::Reaction { .. } => "reaction",
            Self::Unknown { kind, .. } => kind,
        }
    }

    /// The text a keyword matcher should look at (see
    /// [`InboundMessage::text`]).
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text { body } => Some(body),
            Self::Media(m) => m.caption.as_deref(),
            Self::ButtonReply { title, .. } | Self::ListReply { title, .. } => Some(title),
            Self::TemplateButton { text, .. } => Some(text),
            _ => None,
        }
    }
}

impl InboundMessage<()> {
    /// Wraps a message whose sender is not yet filled in as the [`Event`]
    /// variant for `sender`.
    pub(crate) fn with_sender(self, sender: Sender) -> Event {
        match sender {
            Sender::Phone(p) => Event::Message(self.map_from(|()| p)),
            Sender::UserId(u) => Event::UserIdMessage(self.map_from(|()| u)),
        }
    }
}

/// Media in an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboundMedia {
    /// The media kind.
    pub kind: MediaKind,
    /// Cloud API media id (download with [`crate::cloud::CloudApi::download_media`]).
    pub id: Option<String>,
    /// A direct URL (Fonnte, top-level `url` or nested `media.url`).
    pub url: Option<String>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// SHA-256 of the file, as given by the provider.
    pub sha256: Option<String>,
    /// Caption.
    pub caption: Option<String>,
    /// File name (documents).
    pub filename: Option<String>,
    /// True for voice notes (audio recorded in WhatsApp).
    pub voice: bool,
}

impl InboundMedia {
    /// Media with only a kind; fill in the rest by field.
    pub fn new(kind: MediaKind) -> Self {
        Self {
            kind,
            id: None,
            url: None,
            mime_type: None,
            sha256: None,
            caption: None,
            filename: None,
            voice: false,
        }
    }
}

/// A status change of a message we sent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StatusUpdate {
    /// The provider kind.
    pub provider: &'static str,
    /// Id of the message we sent (the one in its [`crate::SendReceipt`]).
    pub message_id: String,
    /// The recipient, if the provider names it and it parses.
    pub recipient: Option<PhoneNumber>,
    /// The new state.
    pub status: DeliveryStatus,
    /// When it changed.
    pub timestamp: Option<DateTime<Utc>>,
    /// Which of our numbers sent it (Cloud API `phone_number_id`).
    pub sender: Option<String>,
    /// Errors, for `failed`.
    pub errors: Vec<WebhookError>,
}

impl StatusUpdate {
    /// A status update with only the required parts; for tests.
    pub fn new(
        provider: &'static str,
        message_id: impl Into<String>,
        status: DeliveryStatus,
    ) -> Self {
        Self {
            provider,
            message_id: message_id.into(),
            recipient: None,
            status,
            timestamp: None,
            sender: None,
            errors: Vec::new(),
        }
    }
}

/// Delivery state of a sent message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Accepted by WhatsApp's servers.
    Sent,
    /// Delivered to the phone.
    Delivered,
    /// Read by the customer.
    Read,
    /// Could not be delivered; see [`StatusUpdate::errors`].
    Failed,
    /// A status this crate does not know (`deleted`, `warning`, ...).
    Unknown(String),
}

impl DeliveryStatus {
    /// Parses the provider's status word.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" | "error" => Self::Failed,
            _ => Self::Unknown(s.to_owned()),
        }
    }

    /// The status word.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Unknown(s) => s,
        }
    }
}

/// An error attached to a status update.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookError {
    /// Provider error code (e.g. 131047).
    pub code: Option<i64>,
    /// Short title.
    pub title: Option<String>,
    /// Longer message.
    pub message: Option<String>,
    /// Details.
    pub details: Option<String>,
}

impl WebhookError {
    /// Whether the code means "outside the 24-hour window, send a template".
    pub fn needs_template(&self) -> bool {
        self.code == Some(131047)
    }
}

/// A device connected or disconnected (Fonnte).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceStatus {
    /// The provider kind.
    pub provider: &'static str,
    /// The device (its WhatsApp number as the provider gives it).
    pub device: String,
    /// The new state.
    pub state: DeviceState,
    /// Why, if the provider says.
    pub reason: Option<String>,
    /// When, if the provider says.
    pub timestamp: Option<DateTime<Utc>>,
}

/// Connection state of a device.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceState {
    /// Connected and able to send.
    Connected,
    /// Disconnected; messages will not go out.
    Disconnected,
    /// A state word this crate does not know.
    Unknown(String),
}

/// A webhook item this crate does not model.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OtherEvent {
    /// The provider kind.
    pub provider: &'static str,
    /// What it is (Cloud API change `field`, or why it was not normalized).
    pub kind: String,
    /// The item as received.
    pub raw: serde_json::Value,
}

/// A webhook body that is not a webhook of the expected provider at all.
/// (Unknown message types and fields inside a valid payload are never an
/// error; they become [`MessageContent::Unknown`] or [`Event::Other`].)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The body is not valid JSON (or form data).
    #[error("webhook body is not valid {format}: {message}")]
    Syntax {
        /// `JSON` or `form`.
        format: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The body is valid but has the wrong overall shape.
    #[error("webhook body has an unexpected shape: {0}")]
    Shape(String),
}

/// Why a signature check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No signature header value.
    #[error("signature header is missing or empty")]
    Missing,
    /// The header is not `sha256=<64 hex digits>`.
    #[error("signature header is malformed")]
    Malformed,
    /// The signature does not match the body.
    #[error("signature does not match")]
    Mismatch,
}

type HmacSha256 = Hmac<Sha256>;

/// Checks a Cloud API `X-Hub-Signature-256` header (`sha256=<hex>`): the
/// HMAC-SHA256 of the exact raw body bytes under the app secret, compared
/// in constant time. Verify before parsing.
///
/// ```
/// use whatsapp_client::webhook::{sign, verify_signature, SignatureError};
///
/// let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
/// let header = sign(b"app-secret", body);
/// assert!(verify_signature(b"app-secret", &header, body).is_ok());
/// assert_eq!(verify_signature(b"other", &header, body), Err(SignatureError::Mismatch));
/// ```
pub fn verify_signature(
    app_secret: &[u8],
    signature_header: &str,
    raw_body: &[u8],
) -> Result<(), SignatureError> {
    let header = signature_header.trim();
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    let hex_part = header
        .strip_prefix("sha256=")
        .or_else(|| header.strip_prefix("SHA256="))
        .ok_or(SignatureError::Malformed)?;
    if hex_part.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let mut expected = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut expected).map_err(|_| SignatureError::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(app_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(raw_body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// Produces a valid `X-Hub-Signature-256` header value for `raw_body`;
/// for tests and simulators.
pub fn sign(app_secret: &[u8], raw_body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an
    // empty-key MAC rather than panic to keep the function total.
    let mut mac = HmacSha256::new_from_slice(app_secret)
        .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()));
    mac.update(raw_body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why a subscription handshake was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// `hub.mode` is missing or not `subscribe`.
    #[error("hub.mode must be \"subscribe\"")]
    BadMode,
    /// `hub.verify_token` is missing or wrong.
    #[error("hub.verify_token does not match")]
    TokenMismatch,
    /// `hub.challenge` is missing.
    #[error("hub.challenge is missing")]
    MissingChallenge,
}

/// The Cloud API GET verification handshake: when Meta calls the webhook
/// URL with `hub.mode=subscribe`, the right `hub.verify_token` and a
/// `hub.challenge`, answer 200 with the challenge as the body. Pure: pass
/// the three query values (or `None` when absent).
///
/// ```
/// use whatsapp_client::webhook::verify_subscription;
///
/// let ok = verify_subscription(Some("subscribe"), Some("s3cret"), Some("1158201444"), "s3cret");
/// assert_eq!(ok.as_deref(), Ok("1158201444"));
/// assert!(verify_subscription(Some("subscribe"), Some("nope"), Some("1"), "s3cret").is_err());
/// ```
pub fn verify_subscription<'a>(
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&'a str>,
    expected_token: &str,
) -> Result<&'a str, HandshakeError> {
    if mode != Some("subscribe") {
        return Err(HandshakeError::BadMode);
    }
    let given = verify_token.ok_or(HandshakeError::TokenMismatch)?;
    use subtle::ConstantTimeEq;
    if expected_token.is_empty() || !bool::from(given.as_bytes().ct_eq(expected_token.as_bytes())) {
        return Err(HandshakeError::TokenMismatch);
    }
    challenge.ok_or(HandshakeError::MissingChallenge)
}

/// [`verify_subscription`] over a raw query string
/// (`hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`), returning
/// the challenge to echo.
pub fn verify_subscription_query(
    query: &str,
    expected_token: &str,
) -> Result<String, HandshakeError> {
    let mut mode = None;
    let mut token = None;
    let mut challenge = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "hub.mode" => mode = Some(v.into_owned()),
            "hub.verify_token" => token = Some(v.into_owned()),
            "hub.challenge" => challenge = Some(v.into_owned()),
            _ => {}
        }
    }
    verify_subscription(
        mode.as_deref(),
        token.as_deref(),
        challenge.as_deref(),
        expected_token,
    )
    .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_rejects_tampering() {
        let body = b"{\"a\":1}";
        let h = sign(b"k", body);
        assert_eq!(verify_signature(b"k", &h, body), Ok(()));
        assert_eq!(
            verify_signature(b"k", &h, b"{\"a\":2}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"k", "", body),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(b"k", "sha1=abc", body),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_signature(b"k", "sha256=zz", body),
            Err(SignatureError::Malformed)
        );
        let bad_hex = format!("sha256={}", "g".repeat(64));
        assert_eq!(
            verify_signature(b"k", &bad_hex, body),
            Err(SignatureError::Malformed)
        );
        // Flip one hex digit.
        let mut flipped = h.clone();
        let last = if flipped.ends_with('0') { "1" } else { "0" };
        flipped.replace_range(flipped.len() - 1.., last);
        assert_eq!(
            verify_signature(b"k", &flipped, body),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn handshake() {
        assert_eq!(
            verify_subscription(None, Some("t"), Some("c"), "t"),
            Err(HandshakeError::BadMode)
        );
        assert_eq!(
            verify_subscription(Some("subscribe"), None, Some("c"), "t"),
            Err(HandshakeError::TokenMismatch)
        );
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("t"), None, "t"),
            Err(HandshakeError::MissingChallenge)
        );
        assert_eq!(
            verify_subscription(Some("subscribe"), Some(""), Some("c"), ""),
            Err(HandshakeError::TokenMismatch)
        );
        assert_eq!(
            verify_subscription_query(
                "hub.mode=subscribe&hub.challenge=42&hub.verify_token=a%20b",
                "a b"
            ),
            Ok("42".to_owned())
        );
    }
}
