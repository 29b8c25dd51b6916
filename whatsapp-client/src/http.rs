//! Shared HTTP plumbing for the providers.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tracing::Instrument;

use crate::error::{Error, TransportError};

/// A credential that never prints.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

/// What came back from a provider.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Response {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(crate) fn retry_after(&self) -> Option<Duration> {
        let v = self.headers.get(RETRY_AFTER)?.to_str().ok()?;
        v.trim().parse::<u64>().ok().map(Duration::from_secs)
    }

    pub(crate) fn body_lossy(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn decode_error(&self, provider: &'static str, message: impl Into<String>) -> Error {
        Error::Decode {
            provider,
            status: self.status,
            message: message.into(),
            body: self.body_lossy(),
        }
    }
}

/// Sends a request inside a span that names the provider and operation,
/// never the credentials, and records the outcome.
pub(crate) async fn execute(
    provider: &'static str,
    operation: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<Response, Error> {
    let span = tracing::info_span!(
        "whatsapp.request",
        provider,
        operation,
        http.status = tracing::field::Empty,
    );
    async move {
        let started = std::time::Instant::now();
        let resp = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let err = TransportError::from(e);
                tracing::warn!(error = %err, "request failed");
                return Err(Error::Transport(err));
            }
        };
        let status = resp.status().as_u16();
        tracing::Span::current().record("http.status", status);
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Error::Transport(TransportError::from(e)))?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "response received"
        );
        Ok(Response {
            status,
            headers,
            body,
        })
    }
    .instrument(span)
    .await
}

/// Joins path segments onto a base URL, keeping any path the base has
/// (for proxies mounted under a prefix) and escaping each segment.
pub(crate) fn join(base: &url::Url, segments: &[&str]) -> Result<url::Url, Error> {
    let mut url = base.clone();
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|()| Error::InvalidInput("base URL cannot be a base".into()))?;
        path.pop_if_empty();
        for s in segments {
            path.push(s);
        }
    }
    Ok(url)
}

pub(crate) fn parse_base_url(url: &str) -> Result<url::Url, Error> {
    let parsed =
        url::Url::parse(url).map_err(|e| Error::InvalidInput(format!("invalid base URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::InvalidInput("base URL must be http or https".into()));
    }
    if parsed.cannot_be_a_base() {
        return Err(Error::InvalidInput("base URL cannot be a base".into()));
    }
    Ok(parsed)
}

pub(crate) fn default_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        // Building only fails when the TLS backend cannot initialise; a
        // default client is the best we can do then, and it reports the
        // same failure on first use.
        .unwrap_or_default()
}
