//! The OpenAI-compatible and Anthropic providers against wiremock servers.

use std::time::Duration;

use bot_core::llm::{
    Anthropic, ApiKey, ChatMessage, ChatProvider, ChatRequest, OpenAiCompatible, ProviderError,
    RetryPolicy, Role, TokenLimitField,
};
use serde_json::json;
use url::Url;
use wiremock::matchers::{any, body_json, body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OPENAI_KEY: &str = "sk-test-openai-0123456789";
const ANTHROPIC_KEY: &str = "sk-ant-test-0123456789";

fn request() -> ChatRequest {
    ChatRequest {
        system: Some("Kamu CS Toko Kopi.".to_owned()),
        messages: vec![
            ChatMessage {
                role: Role::User,
                content: "halo".to_owned(),
            },
            ChatMessage {
                role: Role::Assistant,
                content: "Halo kak!".to_owned(),
            },
            ChatMessage {
                role: Role::User,
                content: "harga kopi susu?".to_owned(),
            },
        ],
        max_tokens: 256,
        temperature: Some(0.25),
    }
}

/// Fails the test (on drop) when a request matches no other mock.
async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(server)
        .await;
}

fn fast_retry(retries: u32) -> RetryPolicy {
    RetryPolicy::new(retries, Duration::from_millis(1))
}

fn openai(server: &MockServer) -> OpenAiCompatible {
    let base = Url::parse(&format!("{}/v1", server.uri())).unwrap();
    OpenAiCompatible::new("openai-mock", &base, "gpt-4o-mini")
        .with_api_key(ApiKey::new(OPENAI_KEY))
        .with_retry(fast_retry(2))
}

fn anthropic(server: &MockServer) -> Anthropic {
    let base = Url::parse(&server.uri()).unwrap();
    Anthropic::new(ApiKey::new(ANTHROPIC_KEY), "claude-3-5-haiku-latest")
        .with_base_url(&base)
        .with_retry(fast_retry(2))
}

fn openai_ok(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}
    }))
}

fn anthropic_ok(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-5-haiku-20241022",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 30, "output_tokens": 5}
    }))
}

fn assert_no_key(error: &ProviderError, key: &str) {
    assert!(
        !error.to_string().contains(key),
        "key leaked in Display: {error}"
    );
    assert!(
        !format!("{error:?}").contains(key),
        "key leaked in Debug: {error:?}"
    );
}

// ---------------------------------------------------------------- OpenAI

#[tokio::test]
async fn openai_success_sends_the_documented_shape() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header(
            "authorization",
            format!("Bearer {OPENAI_KEY}").as_str(),
        ))
        .and(body_json(json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "Kamu CS Toko Kopi."},
                {"role": "user", "content": "halo"},
                {"role": "assistant", "content": "Halo kak!"},
                {"role": "user", "content": "harga kopi susu?"}
            ],
            "max_tokens": 256,
            "temperature": 0.25,
            "stream": false
        })))
        .respond_with(openai_ok("Kopi susu Rp18.000, kak."))
        .expect(1)
        .mount(&server)
        .await;

    let response = openai(&server).chat(&request()).await.unwrap();
    assert_eq!(response.text, "Kopi susu Rp18.000, kak.");
    assert_eq!(response.provider, "openai-mock");
    assert_eq!(response.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(
        (response.usage.input_tokens, response.usage.output_tokens),
        (42, 7)
    );
}

#[tokio::test]
async fn openai_without_key_sends_no_authorization_and_can_use_max_completion_tokens() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(json!({"max_completion_tokens": 256})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"role": "assistant", "content": "ok"}}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let base = Url::parse(&format!("{}/v1/", server.uri())).unwrap();
    let provider = OpenAiCompatible::new("ollama", &base, "llama3.2")
        .with_token_limit_field(TokenLimitField::MaxCompletionTokens);
    assert_eq!(
        provider.endpoint(),
        format!("{}/v1/chat/completions", server.uri())
    );
    let response = provider.chat(&request()).await.unwrap();
    assert_eq!(response.text, "ok");
    // No usage in the answer: zero, not an error; model falls back to ours.
    assert_eq!(
        response.usage.input_tokens + response.usage.output_tokens,
        0
    );
    assert_eq!(response.model, "llama3.2");
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
    let body: serde_json::Value = serde_json::from_slice(&received[0].body).unwrap();
    assert!(body.get("max_tokens").is_none(), "{body}");
}

#[tokio::test]
async fn openai_401_is_unauthorized_without_retry_and_without_the_key() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {
                "message": format!("Incorrect API key provided: {OPENAI_KEY}."),
                "type": "invalid_request_error",
                "code": "invalid_api_key"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = openai(&server).chat(&request()).await.unwrap_err();
    match &error {
        ProviderError::Unauthorized { status, message } => {
            assert_eq!(*status, 401);
            assert_eq!(message, "Incorrect API key provided: [redacted].");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert!(!error.is_retryable());
    assert_no_key(&error, OPENAI_KEY);
}

#[tokio::test]
async fn openai_429_then_success_honours_retry_after() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"error": {"message": "Rate limit reached"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(openai_ok("sudah bisa"))
        .expect(1)
        .mount(&server)
        .await;

    let response = openai(&server).chat(&request()).await.unwrap();
    assert_eq!(response.text, "sudah bisa");
}

#[tokio::test]
async fn openai_429_with_too_long_retry_after_gives_up_at_once() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_json(json!({"error": {"message": "quota"}})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let error = openai(&server).chat(&request()).await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert!(
        matches!(error, ProviderError::RateLimited { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn openai_5xx_is_retried_then_reported() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        // 1 attempt + 2 retries
        .expect(3)
        .mount(&server)
        .await;

    let error = openai(&server).chat(&request()).await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::Http {
            status: 503,
            message: "upstream unavailable".to_owned()
        }
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn openai_400_is_not_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"message": "model not found"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = openai(&server).chat(&request()).await.unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn openai_slow_answer_times_out() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(openai_ok("terlambat").set_delay(Duration::from_secs(30)))
        // A timed-out attempt is not retried: the next provider is the better bet.
        .expect(1)
        .mount(&server)
        .await;

    let timeout = Duration::from_millis(150);
    let error = openai(&server)
        .with_timeout(timeout)
        .chat(&request())
        .await
        .unwrap_err();
    assert_eq!(error, ProviderError::Timeout(timeout));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn openai_malformed_bodies_are_typed_errors_with_the_body() {
    let cases = [
        ("this is not json", "not a chat completion"),
        (r#"{"choices": []}"#, "no choices"),
        (
            r#"{"choices": [{"message": {"role": "assistant", "content": null}}]}"#,
            "no text",
        ),
        (r#"{"object": "list"}"#, "not a chat completion"),
    ];
    for (body, reason_part) in cases {
        let server = MockServer::start().await;
        catch_all(&server).await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .expect(1)
            .mount(&server)
            .await;
        let error = openai(&server).chat(&request()).await.unwrap_err();
        match &error {
            ProviderError::Malformed { reason, body: kept } => {
                assert!(reason.contains(reason_part), "{reason} for {body}");
                assert_eq!(kept, body);
            }
            other => panic!("expected Malformed for {body}, got {other:?}"),
        }
        assert!(!error.is_retryable());
    }
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let mut empty = request();
    empty.messages.clear();
    let error = openai(&server).chat(&empty).await.unwrap_err();
    assert!(
        matches!(error, ProviderError::InvalidRequest(_)),
        "{error:?}"
    );
    let mut zero = request();
    zero.max_tokens = 0;
    let error = anthropic(&server).chat(&zero).await.unwrap_err();
    assert!(
        matches!(error, ProviderError::InvalidRequest(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn unreachable_provider_is_a_transport_error() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = Url::parse(&format!("http://127.0.0.1:{port}/v1")).unwrap();
    let provider = OpenAiCompatible::new("down", &base, "m")
        .with_api_key(ApiKey::new(OPENAI_KEY))
        .with_retry(fast_retry(1));
    let error = provider.chat(&request()).await.unwrap_err();
    assert!(matches!(error, ProviderError::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_no_key(&error, OPENAI_KEY);
}

#[test]
fn providers_debug_hides_keys() {
    let openai = OpenAiCompatible::openai(ApiKey::new(OPENAI_KEY), "gpt-4o-mini");
    let claude = Anthropic::new(ApiKey::new(ANTHROPIC_KEY), "claude");
    let shown = format!("{openai:?} {claude:?}");
    assert!(
        !shown.contains(OPENAI_KEY) && !shown.contains(ANTHROPIC_KEY),
        "{shown}"
    );
    assert!(shown.contains("[redacted]"));
    assert_eq!(
        openai.endpoint(),
        "https://api.openai.com/v1/chat/completions"
    );
    assert_eq!(claude.endpoint(), "https://api.anthropic.com/v1/messages");
    assert_eq!(
        OpenAiCompatible::groq(ApiKey::new("k"), "m").endpoint(),
        "https://api.groq.com/openai/v1/chat/completions"
    );
    assert_eq!(
        OpenAiCompatible::ollama("llama3.2").endpoint(),
        "http://127.0.0.1:11434/v1/chat/completions"
    );
}

// ------------------------------------------------------------- Anthropic

#[tokio::test]
async fn anthropic_success_sends_the_documented_shape() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", ANTHROPIC_KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(body_json(json!({
            "model": "claude-3-5-haiku-latest",
            "max_tokens": 256,
            "system": "Kamu CS Toko Kopi.",
            "messages": [
                {"role": "user", "content": "halo"},
                {"role": "assistant", "content": "Halo kak!"},
                {"role": "user", "content": "harga kopi susu?"}
            ],
            "temperature": 0.25
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-3-5-haiku-20241022",
            "content": [
                {"type": "text", "text": "Kopi susu "},
                {"type": "text", "text": "Rp18.000."}
            ],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 30, "output_tokens": 5}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let response = anthropic(&server).chat(&request()).await.unwrap();
    assert_eq!(response.text, "Kopi susu Rp18.000.");
    assert_eq!(response.provider, "anthropic");
    assert_eq!(response.model, "claude-3-5-haiku-20241022");
    assert_eq!(
        (response.usage.input_tokens, response.usage.output_tokens),
        (30, 5)
    );
    // No Authorization header: Anthropic authenticates with x-api-key only.
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn anthropic_temperature_is_clamped_and_system_omitted_when_absent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(anthropic_ok("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = request();
    req.system = None;
    req.temperature = Some(1.7);
    anthropic(&server).chat(&req).await.unwrap();
    let received = server.received_requests().await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&received[0].body).unwrap();
    assert!(body.get("system").is_none(), "{body}");
    assert_eq!(body["temperature"], json!(1.0));
}

#[tokio::test]
async fn anthropic_401_is_unauthorized_without_the_key() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "type": "error",
            "error": {"type": "authentication_error", "message": format!("invalid x-api-key {ANTHROPIC_KEY}")}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let error = anthropic(&server).chat(&request()).await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::Unauthorized {
            status: 401,
            message: "invalid x-api-key [redacted]".to_owned()
        }
    );
    assert_no_key(&error, ANTHROPIC_KEY);
}

#[tokio::test]
async fn anthropic_429_then_success() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(json!({
                    "type": "error",
                    "error": {"type": "rate_limit_error", "message": "slow down"}
                })),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(anthropic_ok("sudah"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        anthropic(&server).chat(&request()).await.unwrap().text,
        "sudah"
    );
}

#[tokio::test]
async fn anthropic_overloaded_529_is_retried_then_reported() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(529).set_body_json(json!({
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"}
        })))
        .expect(3)
        .mount(&server)
        .await;
    let error = anthropic(&server).chat(&request()).await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::Http {
            status: 529,
            message: "Overloaded".to_owned()
        }
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn anthropic_slow_answer_times_out() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(anthropic_ok("late").set_delay(Duration::from_secs(30)))
        .expect(1)
        .mount(&server)
        .await;
    let timeout = Duration::from_millis(150);
    let error = anthropic(&server)
        .with_timeout(timeout)
        .chat(&request())
        .await
        .unwrap_err();
    assert_eq!(error, ProviderError::Timeout(timeout));
}

#[tokio::test]
async fn anthropic_malformed_bodies_are_typed_errors() {
    let cases = [
        ("{", "not a Messages API answer"),
        (r#"{"type":"message","content":[]}"#, "no text block"),
        (
            r#"{"type":"message","content":[{"type":"tool_use","id":"x"}]}"#,
            "no text block",
        ),
    ];
    for (body, reason_part) in cases {
        let server = MockServer::start().await;
        catch_all(&server).await;
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .expect(1)
            .mount(&server)
            .await;
        let error = anthropic(&server).chat(&request()).await.unwrap_err();
        match &error {
            ProviderError::Malformed { reason, body: kept } => {
                assert!(reason.contains(reason_part), "{reason} for {body}");
                assert_eq!(kept, body);
            }
            other => panic!("expected Malformed for {body}, got {other:?}"),
        }
    }
}
