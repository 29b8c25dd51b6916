//! API keys that never print.

use std::fmt;

/// A provider API key.
///
/// `Debug` prints `ApiKey([redacted])` and there is no `Display`, so a key
/// cannot end up in a log line or an error message by accident. Error texts
/// that echo a provider's response body are additionally scrubbed of the key
/// (see [`ApiKey::scrub`]).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for building the authentication header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the key in `text` with `[redacted]`.
    ///
    /// Providers sometimes quote the key they rejected in an error body; the
    /// body is kept in errors because it is what a user needs to debug.
    pub fn scrub(&self, text: &str) -> String {
        // Very short keys would scrub ordinary words; real keys are long.
        if self.0.len() < 8 {
            return text.to_owned();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self(key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let key = ApiKey::new("sk-very-secret-123456");
        let shown = format!("{key:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(shown, "ApiKey([redacted])");
    }

    #[test]
    fn scrub_removes_the_key() {
        let key = ApiKey::new("sk-very-secret-123456");
        assert_eq!(
            key.scrub("Incorrect API key provided: sk-very-secret-123456."),
            "Incorrect API key provided: [redacted]."
        );
        assert_eq!(ApiKey::new("abc").scrub("abc"), "abc");
    }
}
