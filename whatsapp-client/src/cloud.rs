//! Meta WhatsApp Cloud API (the official API).
//!
//! `POST {base}/{version}/{phone_number_id}/messages` with a bearer token.
//! Every message kind of [`OutgoingMessage`] is supported, plus mark-as-read
//! with a typing indicator and the media endpoints.

use std::fmt;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, Error};
use crate::http::{self, Response, Secret};
use crate::message::{
    InteractiveAction, InteractiveHeader, MediaKind, MediaSource, OutgoingMessage,
    TemplateComponent, TemplateParameter,
};
use crate::phone::PhoneNumber;
use crate::provider::{Provider, SendReceipt};
use crate::recipient::{Recipient, UserId};

/// The default Graph API host.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// The default Graph API version.
pub const DEFAULT_VERSION: &str = "v23.0";

const PROVIDER: &str = "cloud_api";

/// A Cloud API client for one business phone number.
///
/// Cheap to clone (the HTTP connection pool is shared). `Debug` never
/// prints the token.
///
/// ```no_run
/// # async fn demo() -> Result<(), whatsapp_client::Error> {
/// use whatsapp_client::cloud::CloudApi;
/// use whatsapp_client::{OutgoingMessage, PhoneNumber, Provider};
///
/// let api = CloudApi::new("106540352242922", "EAAG...token");
/// let to = PhoneNumber::parse("0812-3456-7890")?;
/// let receipt = api.send(&to, &OutgoingMessage::text("Halo!")).await?;
/// println!("sent {:?}", receipt.message_id);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CloudApi {
    http: reqwest::Client,
    base_url: url::Url,
    version: String,
    phone_number_id: String,
    token: Secret,
}

impl fmt::Debug for CloudApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudApi")
            .field("base_url", &self.base_url.as_str())
            .field("version", &self.version)
            .field("phone_number_id", &self.phone_number_id)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl CloudApi {
    /// A client for `phone_number_id` (from the WhatsApp Manager, not the
    /// phone number itself) using a system-user or temporary access token.
    pub fn new(phone_number_id: impl Into<String>, access_token: impl Into<String>) -> Self {
        Self {
            http: http::default_http_client(),
            base_url: url::Url::parse(DEFAULT_BASE_URL).expect("DEFAULT_BASE_URL is a valid URL"),
            version: DEFAULT_VERSION.to_owned(),
            phone_number_id: phone_number_id.into(),
            token: Secret::new(access_token),
        }
    }

    /// Points the client at another host (a mock server or a proxy):
    /// requests go to `{base_url}/{version}/{phone_number_id}/...`. Fails
    /// with [`Error::InvalidInput`] unless `base_url` is an absolute URL.
    /// The crate docs' "Testing" section sends to a `wiremock` server.
    ///
    /// ```
    /// # fn main() -> Result<(), whatsapp_client::Error> {
    /// use whatsapp_client::cloud::CloudApi;
    /// let api = CloudApi::new("106540352242922", "token").with_base_url("http://127.0.0.1:8080")?;
    /// assert!(CloudApi::new("1", "t").with_base_url("not a url").is_err());
    /// # let _ = api; Ok(()) }
    /// ```
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, Error> {
        self.base_url = http::parse_base_url(base_url)?;
        Ok(self)
    }

    /// Uses another Graph API version (`v21.0`, `v23.0`, ...).
    #[must_use]
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Uses a caller-configured HTTP client (timeouts, proxy, ...).
    #[must_use]
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// The business phone number id messages are sent from.
    pub fn phone_number_id(&self) -> &str {
        &self.phone_number_id
    }

    fn url(&self, segments: &[&str]) -> Result<url::Url, Error> {
        let mut all = Vec::with_capacity(segments.len() + 1);
        all.push(self.version.as_str());
        all.extend_from_slice(segments);
        http::join(&self.base_url, &all)
    }

    async fn call(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Response, Error> {
        let resp = http::execute(
            PROVIDER,
            operation,
            request.bearer_auth(self.token.expose()),
        )
        .await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(api_error(&resp))
        }
    }

    /// Sends a message and returns the `wamid` (same as [`Provider::send`]).
    pub async fn send_message(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.post_message(To::Phone(to), message).await
    }

    /// Sends a message to a customer known only by a business-scoped user
    /// id ([`crate::webhook::Event::UserIdMessage`]); the request names
    /// them in `recipient` instead of `to`. Prefer [`Self::send_message`]
    /// when the phone number is known. Some messages (e.g. authentication
    /// templates) cannot go to a user id: Meta answers error 131062.
    pub async fn send_message_to_user_id(
        &self,
        to: &UserId,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.post_message(To::UserId(to), message).await
    }

    async fn post_message(
        &self,
        to: To<'_>,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        message.validate()?;
        let payload = message_payload(to, message)?;
        let url = self.url(&[&self.phone_number_id, "messages"])?;
        let resp = self
            .call("send_message", self.http.post(url).json(&payload))
            .await?;
        let parsed: SendResponse = serde_json::from_slice(&resp.body)
            .map_err(|e| resp.decode_error(PROVIDER, e.to_string()))?;
        let id = parsed.messages.into_iter().next().map(|m| m.id);
        if id.is_none() {
            return Err(resp.decode_error(PROVIDER, "response has no message id"));
        }
        Ok(SendReceipt::new(id))
    }

    /// Marks an inbound message as read (blue ticks). With
    /// `typing_indicator`, WhatsApp also shows "typing..." to the customer
    /// until we reply or 25 seconds pass.
    pub async fn mark_as_read(
        &self,
        message_id: &str,
        typing_indicator: bool,
    ) -> Result<(), Error> {
        if message_id.trim().is_empty() {
            return Err(Error::InvalidInput("message_id must not be empty".into()));
        }
        let mut payload = json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": message_id,
        });
        if typing_indicator {
            payload["typing_indicator"] = json!({ "type": "text" });
        }
        let url = self.url(&[&self.phone_number_id, "messages"])?;
        let resp = self
            .call("mark_as_read", self.http.post(url).json(&payload))
            .await?;
        expect_success(&resp)
    }

    /// Uploads media (multipart) and returns its id, usable with
    /// [`MediaSource::Id`] for 30 days.
    pub async fn upload_media(
        &self,
        data: impl Into<Bytes>,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, Error> {
        let data: Bytes = data.into();
        if data.is_empty() {
            return Err(Error::InvalidInput("media must not be empty".into()));
        }
        let part = reqwest::multipart::Part::stream(data)
            .file_name(filename.to_owned())
            .mime_str(mime_type)
            .map_err(|_| Error::InvalidInput(format!("invalid MIME type {mime_type:?}")))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_owned())
            .part("file", part);
        let url = self.url(&[&self.phone_number_id, "media"])?;
        let resp = self
            .call("upload_media", self.http.post(url).multipart(form))
            .await?;
        #[derive(Deserialize)]
        struct Uploaded {
            id: String,
        }
        let up: Uploaded = serde_json::from_slice(&resp.body)
            .map_err(|e| resp.decode_error(PROVIDER, e.to_string()))?;
        Ok(up.id)
    }

    /// Looks up a media id: a short-lived download URL, type, hash, size.
    pub async fn media_info(&self, media_id: &str) -> Result<MediaInfo, Error> {
        if media_id.trim().is_empty() {
            return Err(Error::InvalidInput("media_id must not be empty".into()));
        }
        let url = self.url(&[media_id])?;
        let resp = self.call("media_info", self.http.get(url)).await?;
        let raw: RawMediaInfo = serde_json::from_slice(&resp.body)
            .map_err(|e| resp.decode_error(PROVIDER, e.to_string()))?;
        Ok(MediaInfo {
            id: raw.id,
            url: raw.url,
            mime_type: raw.mime_type,
            sha256: raw.sha256,
            file_size: raw.file_size.and_then(|v| match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            }),
        })
    }

    /// Downloads the media a [`MediaInfo`] describes. The URL needs the
    /// same bearer token, which is why `MediaInfo` only comes from
    /// [`CloudApi::media_info`]: the token is never sent to a URL from
    /// elsewhere.
    pub async fn download_media(&self, info: &MediaInfo) -> Result<Bytes, Error> {
        let url = url::Url::parse(&info.url)
            .map_err(|e| Error::InvalidInput(format!("invalid media URL: {e}")))?;
        let resp = self.call("download_media", self.http.get(url)).await?;
        Ok(resp.body)
    }

    /// [`CloudApi::media_info`] followed by [`CloudApi::download_media`].
    pub async fn download_media_by_id(&self, media_id: &str) -> Result<(MediaInfo, Bytes), Error> {
        let info = self.media_info(media_id).await?;
        let data = self.download_media(&info).await?;
        Ok((info, data))
    }

    /// Deletes uploaded media.
    pub async fn delete_media(&self, media_id: &str) -> Result<(), Error> {
        if media_id.trim().is_empty() {
            return Err(Error::InvalidInput("media_id must not be empty".into()));
        }
        let url = self.url(&[media_id])?;
        let resp = self.call("delete_media", self.http.delete(url)).await?;
        expect_success(&resp)
    }
}

fn expect_success(resp: &Response) -> Result<(), Error> {
    let v: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| resp.decode_error(PROVIDER, e.to_string()))?;
    if v.get("success").and_then(Value::as_bool) == Some(true) {
        Ok(())
    } else {
        Err(resp.decode_error(PROVIDER, "expected {\"success\": true}"))
    }
}

/// Metadata of uploaded or received media.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaInfo {
    /// The media id.
    pub id: String,
    /// Short-lived download URL (needs the access token).
    pub url: String,
    /// MIME type.
    pub mime_type: Option<String>,
    /// SHA-256 of the file.
    pub sha256: Option<String>,
    /// Size in bytes.
    pub file_size: Option<u64>,
}

#[derive(Deserialize)]
struct RawMediaInfo {
    id: String,
    url: String,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    file_size: Option<Value>,
}

#[derive(Deserialize)]
struct SendResponse {
    #[serde(default)]
    messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: Option<i32>,
    #[serde(default)]
    error_subcode: Option<i32>,
    #[serde(default)]
    error_data: Option<Value>,
    #[serde(default)]
    error_user_msg: Option<String>,
}

fn api_error(resp: &Response) -> Error {
    match serde_json::from_slice::<ErrorEnvelope>(&resp.body) {
        Ok(env) => {
            let g = env.error;
            let details = g
                .error_data
                .as_ref()
                .and_then(|d| d.get("details"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or(g.error_user_msg);
            let mut e = ApiError::new(PROVIDER, resp.status, g.message)
                .with_details(details)
                .with_retry_after(resp.retry_after());
            if let Some(code) = g.code {
                e = e.with_cloud_code(code, g.error_subcode);
            }
            Error::Api(e)
        }
        Err(_) => resp.decode_error(
            PROVIDER,
            format!("HTTP {} without a Graph error body", resp.status),
        ),
    }
}

fn media_object(source: &MediaSource) -> Map<String, Value> {
    let mut m = Map::new();
    match source {
        MediaSource::Link(l) => m.insert("link".into(), Value::String(l.clone())),
        MediaSource::Id(i) => m.insert("id".into(), Value::String(i.clone())),
    };
    m
}

fn template_parameter(p: &TemplateParameter) -> Value {
    match p {
        TemplateParameter::Text { text } => json!({ "type": "text", "text": text }),
        TemplateParameter::Currency {
            fallback_value,
            code,
            amount_1000,
        } => json!({
            "type": "currency",
            "currency": { "fallback_value": fallback_value, "code": code, "amount_1000": amount_1000 }
        }),
        TemplateParameter::DateTime { fallback_value } => {
            json!({ "type": "date_time", "date_time": { "fallback_value": fallback_value } })
        }
        TemplateParameter::Image { source } => {
            json!({ "type": "image", "image": media_object(source) })
        }
        TemplateParameter::Video { source } => {
            json!({ "type": "video", "video": media_object(source) })
        }
        TemplateParameter::Document { source, filename } => {
            let mut doc = media_object(source);
            if let Some(f) = filename {
                doc.insert("filename".into(), Value::String(f.clone()));
            }
            json!({ "type": "document", "document": doc })
        }
        TemplateParameter::Payload { payload } => json!({ "type": "payload", "payload": payload }),
    }
}

/// Whom a message goes to.
#[derive(Clone, Copy)]
enum To<'a> {
    Phone(&'a PhoneNumber),
    UserId(&'a UserId),
}

/// Builds the documented `/messages` request body.
fn message_payload(to: To<'_>, message: &OutgoingMessage) -> Result<Value, Error> {
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    body.insert("recipient_type".into(), json!("individual"));
    match to {
        To::Phone(phone) => body.insert("to".into(), json!(phone.digits())),
        To::UserId(user) => body.insert("recipient".into(), json!(user.as_str())),
    };
    let (kind, part): (&str, Value) =
        match message {
            OutgoingMessage::Text(t) => (
                "text",
                json!({ "body": t.body, "preview_url": t.preview_url }),
            ),
            OutgoingMessage::Media(m) => {
                let mut obj = media_object(&m.source);
                let captions = !matches!(m.kind, MediaKind::Audio | MediaKind::Sticker);
                if let (Some(c), true) = (&m.caption, captions) {
                    obj.insert("caption".into(), json!(c));
                }
                if let (Some(f), MediaKind::Document) = (&m.filename, m.kind) {
                    obj.insert("filename".into(), json!(f));
                }
                (m.kind.as_str(), Value::Object(obj))
            }
            OutgoingMessage::Template(t) => {
                let components: Vec<Value> = t
                .components
                .iter()
                .map(|c| match c {
                    TemplateComponent::Header { parameters } => json!({
                        "type": "header",
                        "parameters": parameters.iter().map(template_parameter).collect::<Vec<_>>(),
                    }),
                    TemplateComponent::Body { parameters } => json!({
                        "type": "body",
                        "parameters": parameters.iter().map(template_parameter).collect::<Vec<_>>(),
                    }),
                    TemplateComponent::Button { sub_type, index, parameters } => json!({
                        "type": "button",
                        "sub_type": sub_type,
                        "index": index.to_string(),
                        "parameters": parameters.iter().map(template_parameter).collect::<Vec<_>>(),
                    }),
                })
                .collect();
                let mut tpl = json!({ "name": t.name, "language": { "code": t.language } });
                if !components.is_empty() {
                    tpl["components"] = Value::Array(components);
                }
                ("template", tpl)
            }
            OutgoingMessage::Interactive(i) => {
                let mut obj = Map::new();
                let action = match &i.action {
                    InteractiveAction::Buttons(buttons) => {
                        obj.insert("type".into(), json!("button"));
                        json!({
                            "buttons": buttons.iter().map(|b| json!({
                                "type": "reply",
                                "reply": { "id": b.id, "title": b.title },
                            })).collect::<Vec<_>>()
                        })
                    }
                    InteractiveAction::List { button, sections } => {
                        obj.insert("type".into(), json!("list"));
                        json!({
                            "button": button,
                            "sections": sections.iter().map(|s| {
                                let mut sec = Map::new();
                                if let Some(t) = &s.title {
                                    sec.insert("title".into(), json!(t));
                                }
                                sec.insert("rows".into(), Value::Array(s.rows.iter().map(|r| {
                                    let mut row = json!({ "id": r.id, "title": r.title });
                                    if let Some(d) = &r.description {
                                        row["description"] = json!(d);
                                    }
                                    row
                                }).collect()));
                                Value::Object(sec)
                            }).collect::<Vec<_>>()
                        })
                    }
                };
                if let Some(h) = &i.header {
                    let header = match h {
                        InteractiveHeader::Text { text } => json!({ "type": "text", "text": text }),
                        InteractiveHeader::Image { source } => {
                            json!({ "type": "image", "image": media_object(source) })
                        }
                        InteractiveHeader::Video { source } => {
                            json!({ "type": "video", "video": media_object(source) })
                        }
                        InteractiveHeader::Document { source } => {
                            json!({ "type": "document", "document": media_object(source) })
                        }
                    };
                    obj.insert("header".into(), header);
                }
                obj.insert("body".into(), json!({ "text": i.body }));
                if let Some(f) = &i.footer {
                    obj.insert("footer".into(), json!({ "text": f }));
                }
                obj.insert("action".into(), action);
                ("interactive", Value::Object(obj))
            }
            OutgoingMessage::Location(l) => {
                let mut obj = json!({ "latitude": l.latitude, "longitude": l.longitude });
                if let Some(n) = &l.name {
                    obj["name"] = json!(n);
                }
                if let Some(a) = &l.address {
                    obj["address"] = json!(a);
                }
                ("location", obj)
            }
            OutgoingMessage::Contacts(c) => {
                let cards: Vec<Value> = c
                    .contacts
                    .iter()
                    .map(|card| {
                        let mut v = json!({ "name": card.name });
                        if !card.phones.is_empty() {
                            v["phones"] = json!(card.phones);
                        }
                        if !card.emails.is_empty() {
                            v["emails"] = json!(card.emails);
                        }
                        if let Some(company) = &card.company {
                            v["org"] = json!({ "company": company });
                        }
                        v
                    })
                    .collect();
                ("contacts", Value::Array(cards))
            }
            OutgoingMessage::Reaction(r) => (
                "reaction",
                json!({ "message_id": r.message_id, "emoji": r.emoji }),
            ),
        };
    body.insert("type".into(), json!(kind));
    body.insert(kind.into(), part);
    if let Some(reply) = message.reply_to_id() {
        body.insert("context".into(), json!({ "message_id": reply }));
    }
    Ok(Value::Object(body))
}

#[async_trait::async_trait]
impl Provider for CloudApi {
    fn kind(&self) -> &'static str {
        PROVIDER
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.send_message(to, message).await
    }

    /// Sends to a phone number in `to`, or to a business-scoped user id in
    /// `recipient`.
    async fn send_to(
        &self,
        to: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        match to {
            Recipient::Phone(phone) => self.post_message(To::Phone(phone), message).await,
            Recipient::UserId(user) => self.post_message(To::UserId(user), message).await,
        }
    }
}
