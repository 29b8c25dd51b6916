//! Generic HTTP gateway: `POST {url}` with JSON `{"number": ..., "message": ...}`
//! and a token in a configurable header.
//!
//! Many self-hosted WhatsApp gateways (whatsapp-web.js or Baileys based,
//! TeamAnuBot-style setups) accept this shape. Only text messages can be
//! expressed in it; other kinds fail with [`Error::Unsupported`].

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::error::{ApiError, Error};
use crate::http::{self, Secret};
use crate::message::OutgoingMessage;
use crate::phone::PhoneNumber;
use crate::provider::{Provider, SendReceipt};

const PROVIDER: &str = "gateway";

/// Which form of the number the gateway wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NumberFormat {
    /// Digits only: `6281234567890` (the default).
    #[default]
    Digits,
    /// E.164 with plus: `+6281234567890`.
    E164,
    /// Indonesian national form with a leading zero for +62 numbers
    /// (`081234567890`); other countries fall back to digits.
    NationalId,
}

/// A generic HTTP gateway client.
///
/// ```no_run
/// # async fn demo() -> Result<(), whatsapp_client::Error> {
/// use whatsapp_client::gateway::Gateway;
/// use whatsapp_client::{OutgoingMessage, PhoneNumber, Provider};
///
/// let gw = Gateway::new("https://wa.example.com/api/send", "x-api-key", "s3cret")?;
/// gw.send(&PhoneNumber::parse("0812 3456 7890")?, &OutgoingMessage::text("Halo")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Gateway {
    http: reqwest::Client,
    url: url::Url,
    token_header: HeaderName,
    token: Secret,
    number_format: NumberFormat,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("url", &self.url.as_str())
            .field("token_header", &self.token_header.as_str())
            .field("token", &self.token)
            .field("number_format", &self.number_format)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway at `url` that expects `token` in header `token_header`
    /// (for example `Authorization`, `x-api-key`, `apikey`).
    pub fn new(url: &str, token_header: &str, token: impl Into<String>) -> Result<Self, Error> {
        let url = http::parse_base_url(url)?;
        let token_header = HeaderName::from_bytes(token_header.as_bytes())
            .map_err(|_| Error::InvalidInput(format!("invalid header name {token_header:?}")))?;
        let token = token.into();
        if HeaderValue::from_str(&token).is_err() {
            return Err(Error::InvalidInput(
                "token is not a valid header value".into(),
            ));
        }
        Ok(Self {
            http: http::default_http_client(),
            url,
            token_header,
            token: Secret::new(token),
            number_format: NumberFormat::default(),
        })
    }

    /// Sends numbers in another form.
    #[must_use]
    pub fn with_number_format(mut self, format: NumberFormat) -> Self {
        self.number_format = format;
        self
    }

    /// Uses a caller-configured HTTP client.
    #[must_use]
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    fn number(&self, to: &PhoneNumber) -> String {
        match self.number_format {
            NumberFormat::Digits => to.digits().to_owned(),
            NumberFormat::E164 => to.e164().to_owned(),
            NumberFormat::NationalId => match to.digits().strip_prefix("62") {
                Some(rest) => format!("0{rest}"),
                None => to.digits().to_owned(),
            },
        }
    }
}

/// Finds a message id in the common response shapes.
fn find_id(v: &Value) -> Option<String> {
    let candidates = [
        v.get("id"),
        v.get("message_id"),
        v.get("messageId"),
        v.get("data").and_then(|d| d.get("id")),
        v.get("data").and_then(|d| d.get("message_id")),
        v.get("key").and_then(|k| k.get("id")),
    ];
    candidates.into_iter().flatten().find_map(|c| match c {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn error_message(v: &Value) -> Option<String> {
    ["message", "error", "reason", "msg"]
        .iter()
        .find_map(|k| match v.get(*k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Object(o)) => o.get("message").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
}

#[async_trait::async_trait]
impl Provider for Gateway {
    fn kind(&self) -> &'static str {
        PROVIDER
    }

    async fn send(
        &self,
        to: &PhoneNumber,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, Error> {
        let OutgoingMessage::Text(text) = message else {
            return Err(Error::Unsupported {
                provider: PROVIDER,
                kind: message.kind(),
            });
        };
        if text.reply_to.is_some() {
            return Err(Error::Unsupported {
                provider: PROVIDER,
                kind: "reply",
            });
        }
        message.validate()?;
        let body = json!({ "number": self.number(to), "message": text.body });
        let request = self
            .http
            .post(self.url.clone())
            .header(self.token_header.clone(), self.token.expose())
            .json(&body);
        let resp = http::execute(PROVIDER, "send_message", request).await?;
        let parsed: Option<Value> = serde_json::from_slice(&resp.body).ok();
        if !resp.is_success() {
            let msg = parsed
                .as_ref()
                .and_then(error_message)
                .unwrap_or_else(|| resp.body_lossy().chars().take(500).collect());
            return Err(Error::Api(
                ApiError::new(PROVIDER, resp.status, msg).with_retry_after(resp.retry_after()),
            ));
        }
        let Some(v) = parsed else {
            // Some gateways answer 200 with plain text; the send succeeded
            // but there is no id to report.
            return Ok(SendReceipt::new(None));
        };
        let failed = matches!(v.get("status"), Some(Value::Bool(false)))
            || matches!(v.get("success"), Some(Value::Bool(false)));
        if failed {
            let msg = error_message(&v).unwrap_or_else(|| "gateway reported failure".to_owned());
            return Err(Error::Api(ApiError::new(PROVIDER, resp.status, msg)));
        }
        Ok(SendReceipt::new(find_id(&v)))
    }
}
