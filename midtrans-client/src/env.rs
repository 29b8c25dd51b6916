//! Environments and base URLs.

use url::Url;

/// Which Midtrans environment a client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Environment {
    /// `api.sandbox.midtrans.com`, `app.sandbox.midtrans.com`: test money.
    #[default]
    Sandbox,
    /// `api.midtrans.com`, `app.midtrans.com`: real money.
    Production,
}

impl Environment {
    /// The Core API base URL (charge, status, refunds, subscriptions).
    #[must_use]
    pub fn core_api_url(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://api.sandbox.midtrans.com",
            Environment::Production => "https://api.midtrans.com",
        }
    }

    /// The Snap API base URL (create transaction).
    #[must_use]
    pub fn snap_url(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://app.sandbox.midtrans.com/snap/v1",
            Environment::Production => "https://app.midtrans.com/snap/v1",
        }
    }

    /// The Iris (payouts) API base URL.
    #[must_use]
    pub fn iris_url(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://app.sandbox.midtrans.com/iris",
            Environment::Production => "https://app.midtrans.com/iris",
        }
    }
}

/// The base URLs a client sends requests to. Only tests and proxies need to
/// change them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrls {
    /// Core API, e.g. `https://api.sandbox.midtrans.com`.
    pub core: Url,
    /// Snap, e.g. `https://app.sandbox.midtrans.com/snap/v1`.
    pub snap: Url,
    /// Iris, e.g. `https://app.sandbox.midtrans.com/iris`.
    pub iris: Url,
}

impl BaseUrls {
    /// The real URLs of `env`.
    #[must_use]
    pub fn for_environment(env: Environment) -> Self {
        // The constants above are valid URLs; a failure here would be a bug
        // caught by the unit test below, so fall back rather than panic.
        let parse = |s: &str| Url::parse(s).unwrap_or_else(|_| unreachable_url());
        BaseUrls {
            core: parse(env.core_api_url()),
            snap: parse(env.snap_url()),
            iris: parse(env.iris_url()),
        }
    }

    /// All three APIs on one mock server, with the same path layout as the
    /// real hosts: Core API at `{base}/v2/...`, Snap at
    /// `{base}/snap/v1/transactions`, Iris at `{base}/iris/api/v1/...`.
    pub fn for_mock(base: &str) -> Result<Self, url::ParseError> {
        let base = base.trim_end_matches('/');
        Ok(BaseUrls {
            core: Url::parse(base)?,
            snap: Url::parse(&format!("{base}/snap/v1"))?,
            iris: Url::parse(&format!("{base}/iris"))?,
        })
    }
}

#[allow(clippy::unwrap_used)]
fn unreachable_url() -> Url {
    // Constant, valid input: cannot fail.
    Url::parse("http://127.0.0.1/").unwrap()
}

/// Appends percent-encoded path segments to `base`.
pub(crate) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        path.extend(segments);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = BaseUrls::for_environment(Environment::Production);
        assert_eq!(u.core.as_str(), "https://api.midtrans.com/");
        assert_eq!(u.snap.as_str(), "https://app.midtrans.com/snap/v1");
        let u = BaseUrls::for_environment(Environment::Sandbox);
        assert_eq!(u.iris.as_str(), "https://app.sandbox.midtrans.com/iris");
    }

    #[test]
    fn join_encodes_segments() {
        let u = BaseUrls::for_environment(Environment::Sandbox);
        let url = join(&u.core, &["v2", "a b/c?", "status"]);
        assert_eq!(
            url.as_str(),
            "https://api.sandbox.midtrans.com/v2/a%20b%2Fc%3F/status"
        );
        let url = join(&u.snap, &["transactions"]);
        assert_eq!(
            url.as_str(),
            "https://app.sandbox.midtrans.com/snap/v1/transactions"
        );
    }
}
