//! Shared test helpers: a mock server that fails loudly on unexpected
//! requests, clients pointed at it, and fixture loading.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use midtrans_client::{BaseUrls, Environment, IrisClient, MidtransClient, RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const SERVER_KEY: &str = "SB-Mid-server-TEST-FIXTURES";
/// `Basic base64("SB-Mid-server-TEST-FIXTURES:")`.
pub fn basic_auth(key: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

pub fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

pub fn fixture_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(path)).unwrap()
}

/// A mock server with a lowest-priority catch-all that answers 500
/// "unexpected request", so a wrong path or method fails the test loudly.
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .named("catch-all: unexpected request")
        .mount(&server)
        .await;
    server
}

/// A client for the mock, with instant retries so tests stay fast.
pub fn client(server: &MockServer) -> MidtransClient {
    MidtransClient::new(SERVER_KEY, Environment::Sandbox)
        .with_base_urls(BaseUrls::for_mock(&server.uri()).unwrap())
        .with_retry_policy(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
}

pub fn iris(server: &MockServer, key: &str) -> IrisClient {
    IrisClient::new(key, Environment::Sandbox)
        .with_base_url(BaseUrls::for_mock(&server.uri()).unwrap().iris)
        .with_retry_policy(RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
}

pub fn json_response(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}
