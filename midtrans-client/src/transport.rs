//! HTTP plumbing shared by [`MidtransClient`](crate::MidtransClient) and
//! [`IrisClient`](crate::IrisClient): auth, timeouts, retries, error mapping.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{ApiError, Error};

/// The timeout used when neither the client nor the call sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Options for one call. Set them with
/// [`MidtransClient::with_options`](crate::MidtransClient::with_options).
///
/// ```
/// # use midtrans_client::RequestOptions;
/// # use std::time::Duration;
/// let opts = RequestOptions::default()
///     .idempotency_key("charge-ORDER-101")
///     .timeout(Duration::from_secs(10));
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// Sent as `Idempotency-Key` (Core API, Snap, Subscription API) or
    /// `X-Idempotency-Key` (Iris), at most 100 characters. Midtrans answers
    /// a repeated key with the first answer, so a call with a key may also
    /// be retried automatically. Keys live for minutes (Core API: five) to
    /// a day (Iris); use a new key per operation.
    ///
    /// While the first request with a key is still being processed, the
    /// Core API answers a repeat with HTTP 202; that answer is returned as
    /// it is (its `transaction_status`, if any, decides the
    /// [`PaymentState`](crate::PaymentState); none means `Unknown`).
    pub idempotency_key: Option<String>,
    /// Sent as `X-Override-Notification`: notifications for this
    /// transaction go to these URLs instead of the dashboard setting
    /// (at most 3).
    pub override_notification: Vec<Url>,
    /// Sent as `X-Append-Notification`: notifications also go to these
    /// URLs (at most 3).
    pub append_notification: Vec<Url>,
    /// Timeout for this call, instead of the client's.
    pub timeout: Option<Duration>,
}

impl RequestOptions {
    /// Sets [`idempotency_key`](Self::idempotency_key).
    #[must_use]
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Adds a URL to [`override_notification`](Self::override_notification).
    #[must_use]
    pub fn override_notification(mut self, url: Url) -> Self {
        self.override_notification.push(url);
        self
    }

    /// Adds a URL to [`append_notification`](Self::append_notification).
    #[must_use]
    pub fn append_notification(mut self, url: Url) -> Self {
        self.append_notification.push(url);
        self
    }

    /// Sets [`timeout`](Self::timeout).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn headers(&self, idempotency_header: &'static str) -> Result<HeaderMap, Error> {
        let mut h = HeaderMap::new();
        if let Some(key) = &self.idempotency_key {
            // Iris documents 100 as the maximum; the Core API page's own
            // example key is 43 characters long.
            if key.is_empty() || key.len() > 100 {
                return Err(Error::InvalidRequest(
                    "idempotency key must be 1 to 100 characters".to_owned(),
                ));
            }
            let v = HeaderValue::from_str(key).map_err(|_| {
                Error::InvalidRequest("idempotency key is not a valid header value".to_owned())
            })?;
            h.insert(idempotency_header, v);
        }
        for (name, urls) in [
            ("X-Override-Notification", &self.override_notification),
            ("X-Append-Notification", &self.append_notification),
        ] {
            if urls.is_empty() {
                continue;
            }
            if urls.len() > 3 {
                return Err(Error::InvalidRequest(format!(
                    "{name} takes at most 3 URLs, got {}",
                    urls.len()
                )));
            }
            let joined = urls.iter().map(Url::as_str).collect::<Vec<_>>().join(",");
            let v = HeaderValue::from_str(&joined).map_err(|_| {
                Error::InvalidRequest(format!("{name} URLs are not a valid header value"))
            })?;
            h.insert(name, v);
        }
        Ok(h)
    }
}

/// When calls are tried again.
///
/// Only calls that are safe to repeat are retried: GETs, and POST/PATCH
/// calls that carry an [`idempotency_key`](RequestOptions::idempotency_key).
/// A charge without a key is never sent twice by this crate, because a
/// timeout does not tell whether Midtrans created the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many extra attempts after the first (0 = no retries).
    pub max_retries: u32,
    /// Delay before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Upper bound for any delay, including one asked for by `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    #[must_use]
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    fn delay(&self, attempt: u32, asked: Option<Duration>) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(16)));
        asked.unwrap_or(exp).min(self.max_delay)
    }
}

/// A Basic-auth secret that never prints.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(s: String) -> Self {
        Secret(s)
    }
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How to tell success from failure for an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Success is a 2xx HTTP status (Snap, Subscription API, Iris).
    Http,
    /// Core API: the body's `status_code` decides when present (it may
    /// differ from HTTP); `allow_407` also accepts `"407"` (expired), which
    /// is a normal answer to GET status and expire.
    Core { allow_407: bool },
}

#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    key: Secret,
    auth: HeaderValue,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    idempotency_header: &'static str,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("key", &self.key)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// `idempotency_header` is `Idempotency-Key` for the payment APIs and
    /// `X-Idempotency-Key` for Iris.
    pub(crate) fn new(key: String, idempotency_header: &'static str) -> Self {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
        let auth = match HeaderValue::from_str(&format!("Basic {token}")) {
            Ok(mut v) => {
                v.set_sensitive(true);
                v
            }
            // Base64 output is always a valid header value.
            Err(_) => HeaderValue::from_static(""),
        };
        let http = reqwest::Client::builder()
            .user_agent(concat!("midtrans-client-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Transport {
            http,
            key: Secret::new(key),
            auth,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            idempotency_header,
        }
    }

    pub(crate) fn key(&self) -> &Secret {
        &self.key
    }

    pub(crate) fn set_http_client(&mut self, http: reqwest::Client) {
        self.http = http;
    }

    pub(crate) async fn call<B, T>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        opts: &RequestOptions,
        accept: Accept,
    ) -> Result<T, Error>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let headers = opts.headers(self.idempotency_header)?;
        let body = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| {
                Error::InvalidRequest(format!("request could not be serialized: {e}"))
            })?),
            None => None,
        };
        let safe_to_repeat = method == Method::GET || opts.idempotency_key.is_some();
        let attempts = if safe_to_repeat {
            self.retry.max_retries.saturating_add(1)
        } else {
            1
        };
        let mut attempt = 0;
        loop {
            let result = self
                .once(
                    method.clone(),
                    url.clone(),
                    &headers,
                    body.as_deref(),
                    opts,
                    accept,
                )
                .await;
            match result {
                Err(e) if e.is_retryable() && attempt + 1 < attempts => {
                    let delay = self.retry.delay(attempt, e.retry_after());
                    tracing::debug!(
                        target: "midtrans_client",
                        %method, path = url.path(), attempt, ?delay, error = %e,
                        "retrying Midtrans call"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn once<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        opts: &RequestOptions,
        accept: Accept,
    ) -> Result<T, Error> {
        let mut req = self
            .http
            .request(method, url)
            .header(reqwest::header::AUTHORIZATION, self.auth.clone())
            .header(ACCEPT, "application/json")
            .headers(headers.clone())
            .timeout(opts.timeout.unwrap_or(self.timeout));
        if let Some(body) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let resp = req.send().await.map_err(map_reqwest)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = resp.bytes().await.map_err(map_reqwest)?;
        let text = String::from_utf8_lossy(&bytes);
        if !is_success(status, &text, accept) {
            return Err(ApiError::from_body(status, &text, retry_after).into());
        }
        serde_json::from_slice(&bytes).map_err(|source| Error::Decode {
            http_status: status,
            body: text.into_owned(),
            source,
        })
    }
}

fn map_reqwest(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout
    } else {
        // Strip the URL: it is harmless, but keeps messages short and stable.
        Error::Transport(e.without_url())
    }
}

fn is_success(http: u16, body: &str, accept: Accept) -> bool {
    match accept {
        Accept::Http => (200..300).contains(&http),
        Accept::Core { allow_407 } => {
            #[derive(serde::Deserialize)]
            struct Code {
                #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
                status_code: Option<String>,
            }
            let code = serde_json::from_str::<Code>(body)
                .ok()
                .and_then(|c| c.status_code);
            match code {
                Some(code) => {
                    // A gateway error with a JSON body claiming success is
                    // still an error.
                    http < 500 && (code.starts_with('2') || (allow_407 && code == "407"))
                }
                None => (200..300).contains(&http),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_success_rules() {
        let core = Accept::Core { allow_407: false };
        let core407 = Accept::Core { allow_407: true };
        assert!(is_success(200, r#"{"status_code":"201"}"#, core));
        assert!(is_success(201, r#"{"status_code":"200"}"#, core));
        assert!(!is_success(200, r#"{"status_code":"404"}"#, core));
        assert!(!is_success(200, r#"{"status_code":"407"}"#, core));
        assert!(is_success(200, r#"{"status_code":"407"}"#, core407));
        assert!(is_success(407, r#"{"status_code":"407"}"#, core407));
        assert!(!is_success(200, r#"{"status_code":406}"#, core));
        assert!(is_success(200, r#"{"x":1}"#, core));
        assert!(!is_success(502, "bad gateway", core));
    }

    #[test]
    fn secret_debug_is_redacted() {
        let t = Transport::new("SB-Mid-server-SECRET".to_owned(), "Idempotency-Key");
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
    }

    #[test]
    fn options_validate_headers() {
        let u = Url::parse("https://example.com/n").unwrap();
        let opts = RequestOptions::default()
            .append_notification(u.clone())
            .append_notification(u.clone())
            .append_notification(u.clone())
            .append_notification(u);
        assert!(matches!(
            opts.headers("Idempotency-Key"),
            Err(Error::InvalidRequest(_))
        ));
        let opts = RequestOptions::default().idempotency_key("a\nb");
        assert!(matches!(
            opts.headers("Idempotency-Key"),
            Err(Error::InvalidRequest(_))
        ));
        let opts = RequestOptions::default().idempotency_key("k".repeat(101));
        assert!(matches!(
            opts.headers("Idempotency-Key"),
            Err(Error::InvalidRequest(_))
        ));
        let opts = RequestOptions::default()
            .idempotency_key("d63ae3e0-a7c5-4733-8d81-b451168d8a2c-charge");
        let h = opts.headers("X-Idempotency-Key").unwrap();
        assert!(h.contains_key("x-idempotency-key"));
    }

    #[test]
    fn backoff_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, None), Duration::from_millis(250));
        assert_eq!(p.delay(1, None), Duration::from_millis(500));
        assert_eq!(p.delay(10, None), Duration::from_secs(5));
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(60))),
            Duration::from_secs(5)
        );
    }
}
