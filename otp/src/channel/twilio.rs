//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use url::Url;

use super::{DeliveryError, SmsSender};

const PROVIDER: &str = "twilio";

/// Who a Twilio SMS is sent from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TwilioSender {
    /// A Twilio phone number (E.164) or alphanumeric sender id: the `From`
    /// parameter.
    From(String),
    /// A Messaging Service (`MG...`), which picks the sender itself: the
    /// `MessagingServiceSid` parameter.
    MessagingService(String),
}

/// An [`SmsSender`] over Twilio's Programmable Messaging REST API, with
/// HTTP Basic authentication (Account SID and Auth Token).
///
/// The base URL is configurable so tests can point it at a mock server.
/// `Debug` output hides the auth token.
///
/// ```
/// use otp::channel::{SmsChannel, TwilioSender, TwilioSms};
/// let sms = SmsChannel::new(TwilioSms::new(
///     "AC00000000000000000000000000000000",
///     "auth-token",
///     TwilioSender::MessagingService("MG00000000000000000000000000000000".into()),
/// ));
/// assert!(!format!("{:?}", sms).contains("auth-token"));
/// ```
#[derive(Clone)]
pub struct TwilioSms {
    http: reqwest::Client,
    base: Url,
    account_sid: String,
    auth_token: String,
    sender: TwilioSender,
}

impl fmt::Debug for TwilioSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSms")
            .field("base", &self.base.as_str())
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("sender", &self.sender)
            .finish()
    }
}

/// Twilio's error body.
#[derive(Debug, Deserialize)]
struct TwilioErrorBody {
    code: Option<i64>,
    message: Option<String>,
}

/// The part of a created Message resource worth logging.
#[derive(Debug, Deserialize)]
struct TwilioMessage {
    sid: Option<String>,
    status: Option<String>,
}

impl TwilioSms {
    /// Twilio's production API.
    pub const DEFAULT_BASE_URL: &'static str = "https://api.twilio.com";

    /// A sender for the given account. Requests time out after 15 seconds.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: impl Into<String>,
        sender: TwilioSender,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Self {
            http,
            base: Url::parse(Self::DEFAULT_BASE_URL)
                .unwrap_or_else(|_| unreachable!("the default base URL is valid")),
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            sender,
        }
    }

    /// Sends to another base URL (a mock server in tests, a proxy).
    #[must_use]
    pub fn with_base_url(mut self, base: Url) -> Self {
        self.base = base;
        self
    }

    /// Uses a caller-configured HTTP client (timeouts, proxy).
    #[must_use]
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    fn messages_url(&self) -> Result<Url, DeliveryError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| DeliveryError::Transport {
                provider: PROVIDER,
                message: "base URL cannot have a path".to_owned(),
            })?
            .pop_if_empty()
            .extend(["2010-04-01", "Accounts", &self.account_sid, "Messages.json"]);
        Ok(url)
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[async_trait]
impl SmsSender for TwilioSms {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn send_sms(&self, to_e164: &str, body: &str) -> Result<(), DeliveryError> {
        let url = self.messages_url()?;
        let mut form: Vec<(&str, &str)> = vec![("To", to_e164), ("Body", body)];
        match &self.sender {
            TwilioSender::From(from) => form.push(("From", from)),
            TwilioSender::MessagingService(sid) => form.push(("MessagingServiceSid", sid)),
        }
        let response = self
            .http
            .post(url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| DeliveryError::Transport {
                provider: PROVIDER,
                message: e.without_url().to_string(),
            })?;
        let status = response.status();
        let wait = retry_after(response.headers());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| DeliveryError::Transport {
                provider: PROVIDER,
                message: e.without_url().to_string(),
            })?;
        if status.is_success() {
            if let Ok(message) = serde_json::from_slice::<TwilioMessage>(&bytes) {
                tracing::debug!(sid = ?message.sid, status = ?message.status, "otp: twilio accepted the SMS");
            }
            return Ok(());
        }
        let parsed = serde_json::from_slice::<TwilioErrorBody>(&bytes).ok();
        let code = parsed.as_ref().and_then(|b| b.code);
        let message = parsed
            .and_then(|b| b.message)
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(500).collect());
        // 20429: too many concurrent requests; Twilio says 429s are never
        // processed and are safe to retry. 5xx: Twilio-side trouble.
        let retryable = status.as_u16() == 429 || status.is_server_error() || code == Some(20429);
        Err(DeliveryError::Rejected {
            provider: PROVIDER,
            status: Some(status.as_u16()),
            code: code.map(|c| c.to_string()),
            message,
            retryable,
            retry_after: wait,
        })
    }
}
