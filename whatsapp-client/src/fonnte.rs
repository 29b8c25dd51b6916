//! Fonnte (<https://fonnte.com>), the Indonesian WhatsApp gateway many
//! small businesses use.
//!
//! `POST {base}/send` with the device token in the `Authorization` header
//! (no `Bearer`). Fonnte can send text, media by URL (with a caption and a
//! file name) and locations. It cannot send Cloud API templates,
//! interactive messages, contact cards, reactions, quoted replies or media
//! by Cloud API id: those fail with [`Error::Unsupported`].

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ApiError, ApiErrorKind, Error};
use crate::http::{self, Response, Secret};
use crate::message::{MediaKind, MediaSource, OutgoingMessage};
use crate::phone::PhoneNumber;
use crate::provider::{Provider, SendReceipt};

/// The Fonnte API host.
pub const DEFAULT_BASE_URL: &str = "https://api.fonnte.com";

const PROVIDER: &str = "fonnte";

/// Per-send options Fonnte supports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendOptions {
    /// Send at this time instead of now (`schedule`).
    pub schedule: Option<DateTime<Utc>>,
    /// Delay in seconds, or a random range like `"1-10"` (`delay`).
    pub delay: Option<String>,
    /// Show a typing indicator before the message (`typing`).
    pub typing: bool,
}

impl SendOptions {
    /// Schedules the message.
    #[must_use]
    pub fn schedule(mut self, at: DateTime<Utc>) -> Self {
        self.schedule = Some(at);
        self
    }

    /// Sets the delay (`"5"` or `"1-10"`).
    #[must_use]
    pub fn delay(mut self, delay: impl Into<String>) -> Self {
        self.delay = Some(delay.into());
        self
    }

    /// Turns the typing indicator on or off.
    #[must_use]
    pub fn typing(mut self, on: bool) -> Self {
        self.typing = on;
        self
    }
}

/// A Fonnte client for one device.
///
/// `Debug` never prints the token.
///
/// ```no_run
/// # async fn demo() -> Result<(), whatsapp_client::Error> {
/// use whatsapp_client::fonnte::Fonnte;
/// use whatsapp_client::{OutgoingMessage, PhoneNumber, Provider};
///
/// let fonnte = Fonnte::new("device-token");
/// let to = PhoneNumber::parse("081234567890")?;
/// fonnte.send(&to, &OutgoingMessage::text("Pesanan Anda sedang dikirim")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Fonnte {
    http: reqwest::Client,
    base_url: url::Url,
    token: Secret,
    defaults: SendOptions,
}

impl fmt::Debug for Fonnte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fonnte")
            .field("base_url", &self.base_url.as_str())
            .field("token", &self.token)
            .field("defaults", &self.defaults)
            .finish_non_exhaustive()
    }
}

/// A device's state as `POST /device` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// The device's WhatsApp number.
    pub device: String,
    /// Whether it is connected (`device_status: connect`).
    pub connected: bool,
    /// The raw status word.
    pub status: String,
    /// Device name in the dashboard.
    pub name: Option<String>,
    /// Subscription package.
    pub package: Option<String>,
    /// Remaining quota, as Fonnte reports it.
    pub quota: Option<String>,
    /// Expiry, as Fonnte reports it.
    pub expired: Option<String>,
}

impl Fonnte {
    /// A client using the device token from the Fonnte dashboard.
    pub fn new(device_token: impl Into<String>) -> Self {
        Self {
            http: http::default_http_client(),
            base_url: url::Url::parse(DEFAULT_BASE_URL).expect("DEFAULT_BASE_URL is a valid URL"),
            token: Secret::new(device_token),
            defaults: SendOptions::default(),
        }
    }

    /// Points the client at another host (a mock server or a proxy).
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, Error> {
        self.base_url = http::parse_base_url(base_url)?;
        Ok(self)
    }

    /// Uses a caller-configured HTTP client.
    #[must_use]
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// Options applied by [`Provider::send`] (delay, typing).
    #[must_use]
    pub fn with_default_options(mut self, options: SendOptions) -> Self {
        self.defaults = options;
        self
    }

    /// The form fields for a message, or `Unsupported`.
    fn fields(
        to: &PhoneNumber,
        message: &OutgoingMessage,
        options: &SendOptions,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let unsupported = |kind| {
            Err(Error::Unsupported {
                provider: PROVIDER,
                kind,
            })
        };
        if message.reply_to_id().is_some() {
            return unsupported("reply");
        }
        let mut f: Vec<(&'static str, String)> = vec![
            ("target", to.digits().to_owned()),
            // The target is already international; stop Fonnte from
            // rewriting a leading zero.
            ("countryCode", "0".to_owned()),
        ];
        match message {
            OutgoingMessage::Text(t) => f.push(("message", t.body.clone())),
            OutgoingMessage::Media(m) => {
                if m.kind == MediaKind::Sticker {
                    return unsupported("sticker");
                }
                let MediaSource::Link(link) = &m.source else {
                    return unsupported("media_id");
                };
                f.push(("url", link.clone()));
                if let Some(c) = &m.caption {
                    f.push(("message", c.clone()));
                }
                if let Some(name) = &m.filename {
                    f.push(("filename", name.clone()));
                }
            }
            OutgoingMessage::Location(l) => {
                f.push(("location", format!("{},{}", l.latitude, l.longitude)));
                let label = match (&l.name, &l.address) {
                    (Some(n), Some(a)) => Some(format!("{n}\n{a}")),
                    (Some(x), None) | (None, Some(x)) => Some(x.clone()),
                    (None, None) => None,
                };
                if let Some(label) = label {
                    f.push(("message", label));
                }
            }
            other => return unsupported(other.kind()),
        }
        if let Some(at) = options.schedule {
            f.push(("schedule", at.timestamp().to_string()));
        }
        if let Some(d) = &options.delay {
            f.push(("delay", d.clone()));
        }
        if options.typing {
            f.push(("typing", "true".to_owned()));
        }
        Ok(f)
    }

    /// Sends with explicit options (schedule, delay, typing).
    pub async fn send_with(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
        options: &SendOptions,
    ) -> Result<SendReceipt, Error> {
        message.validate()?;
        let fields = Self::fields(to, message, options)?;
        let url = http::join(&self.base_url, &["send"])?;
        let resp = self
            .call("send_message", self.http.post(url).form(&fields))
            .await?;
        let ok: SendOk = serde_json::from_value(resp.1)
            .map_err(|e| resp.0.decode_error(PROVIDER, e.to_string()))?;
        let id = ok.id.and_then(|v| match v {
            Value::Array(ids) => ids.into_iter().next().and_then(value_text),
            other => value_text(other),
        });
        Ok(SendReceipt::new(id))
    }

    /// The device's connection state and quota (`POST /device`).
    pub async fn device(&self) -> Result<DeviceInfo, Error> {
        let url = http::join(&self.base_url, &["device"])?;
        let (resp, v) = self.call("device", self.http.post(url)).await?;
        let text = |k: &str| v.get(k).cloned().and_then(value_text);
        let status = text("device_status").unwrap_or_default();
        let Some(device) = text("device") else {
            return Err(resp.decode_error(PROVIDER, "response has no device"));
        };
        Ok(DeviceInfo {
            device,
            connected: matches!(status.as_str(), "connect" | "connected"),
            status,
            name: text("name"),
            package: text("package"),
            quota: text("quota"),
            expired: text("expired"),
        })
    }

    /// Sends the request and turns `status: false` into an [`ApiError`].
    async fn call(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<(Response, Value), Error> {
        let resp = http::execute(
            PROVIDER,
            operation,
            request.header(reqwest::header::AUTHORIZATION, self.token.expose()),
        )
        .await?;
        let parsed: Result<Value, _> = serde_json::from_slice(&resp.body);
        let v = match parsed {
            Ok(v @ Value::Object(_)) => v,
            _ if !resp.is_success() => {
                return Err(Error::Api(
                    ApiError::new(PROVIDER, resp.status, truncate(&resp.body_lossy()))
                        .with_retry_after(resp.retry_after()),
                ));
            }
            _ => return Err(resp.decode_error(PROVIDER, "expected a JSON object")),
        };
        let status_ok = match v.get("status") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => resp.is_success(),
        };
        if status_ok && resp.is_success() {
            return Ok((resp, v));
        }
        let reason = v
            .get("reason")
            .cloned()
            .and_then(value_text)
            .unwrap_or_else(|| format!("request failed with HTTP {}", resp.status));
        let details = v.get("detail").cloned().and_then(value_text);
        let kind = classify_reason(&reason, resp.status);
        Err(Error::Api(
            ApiError::new(PROVIDER, resp.status, reason)
                .with_kind(kind)
                .with_details(details)
                .with_retry_after(resp.retry_after()),
        ))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(500).collect()
}

fn value_text(v: Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Fonnte reports failures as free text; map the documented reasons.
fn classify_reason(reason: &str, status: u16) -> ApiErrorKind {
    let r = reason.to_ascii_lowercase();
    if r.contains("token") || r.contains("unknown user") || r.contains("invalid device") {
        ApiErrorKind::Unauthorized
    } else if r.contains("limit") || r.contains("too many") || r.contains("try again") {
        ApiErrorKind::RateLimited
    } else if r.contains("disconnect") {
        // A disconnected device needs someone to scan the QR code again.
        ApiErrorKind::Blocked
    } else if r.contains("invalid") || r.contains("required") || r.contains("target") {
        ApiErrorKind::InvalidRequest
    } else if status >= 500 {
        ApiErrorKind::Temporary
    } else if status == 429 {
        ApiErrorKind::RateLimited
    } else {
        ApiErrorKind::Other
    }
}

#[derive(Deserialize)]
struct SendOk {
    #[serde(default)]
    id: Option<Value>,
}

#[async_trait::async_trait]
impl Provider for Fonnte {
    fn kind(&self) -> &'static str {
        PROVIDER
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        self.send_with(to, message, &self.defaults).await
    }
}
