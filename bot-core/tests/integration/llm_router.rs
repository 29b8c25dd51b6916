//! The router: fallback order, usage accounting and limits, over wiremock.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bot_core::llm::{
    Anthropic, ApiKey, ChatMessage, ChatProvider, ChatRequest, InMemoryUsageStore, LimitCheck,
    LlmError, LlmRouter, LlmService, OpenAiCompatible, RetryPolicy, Role, ScriptedLlm,
    USAGE_STORE_PROVIDER, UsageLimit, UsageRecord, UsageStore, UsageStoreError, UsageTotals,
};
use serde_json::json;
use url::Url;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn request(text: &str) -> ChatRequest {
    ChatRequest {
        system: None,
        messages: vec![ChatMessage {
            role: Role::User,
            content: text.to_owned(),
        }],
        max_tokens: 64,
        temperature: None,
    }
}

async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(server)
        .await;
}

fn openai_at(server: &MockServer, name: &str) -> Arc<dyn ChatProvider> {
    let base = Url::parse(&format!("{}/v1", server.uri())).unwrap();
    Arc::new(
        OpenAiCompatible::new(name, &base, "mock-model")
            .with_api_key(ApiKey::new("sk-router-test-key-1"))
            .with_retry(RetryPolicy::new(1, Duration::from_millis(1))),
    )
}

fn anthropic_at(server: &MockServer) -> Arc<dyn ChatProvider> {
    let base = Url::parse(&server.uri()).unwrap();
    Arc::new(
        Anthropic::new(ApiKey::new("sk-ant-router-test-1"), "claude-mock")
            .with_base_url(&base)
            .with_retry(RetryPolicy::none()),
    )
}

async fn mount_openai(server: &MockServer, status: u16, text: &str, times: u64) {
    let template = if status == 200 {
        ResponseTemplate::new(200).set_body_json(json!({
            "model": "mock-model",
            "choices": [{"message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 4}
        }))
    } else {
        ResponseTemplate::new(status).set_body_json(json!({"error": {"message": text}}))
    };
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(template)
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn first_provider_fails_second_answers_and_is_named() {
    let first = MockServer::start().await;
    let second = MockServer::start().await;
    catch_all(&first).await;
    catch_all(&second).await;
    // 500 is retried once (policy 1 retry), then the router falls back.
    mount_openai(&first, 500, "boom", 2).await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "message",
            "model": "claude-mock",
            "content": [{"type": "text", "text": "dari cadangan"}],
            "usage": {"input_tokens": 8, "output_tokens": 2}
        })))
        .expect(1)
        .mount(&second)
        .await;

    let usage = Arc::new(InMemoryUsageStore::new());
    let router = LlmRouter::new(usage.clone());
    router.set_providers(
        "toko",
        vec![openai_at(&first, "primary"), anthropic_at(&second)],
    );
    assert_eq!(router.provider_names("toko"), ["primary", "anthropic"]);

    let response = router.complete("toko", request("halo")).await.unwrap();
    assert_eq!(response.text, "dari cadangan");
    assert_eq!(response.provider, "anthropic");

    // Only the provider that answered is billed.
    let counted = usage.usage("toko");
    assert_eq!(
        counted.total,
        UsageTotals {
            requests: 1,
            input_tokens: 8,
            output_tokens: 2
        }
    );
    assert_eq!(
        counted.by_provider.keys().collect::<Vec<_>>(),
        ["anthropic"]
    );
}

#[tokio::test]
async fn first_provider_answering_means_the_second_is_never_called() {
    let first = MockServer::start().await;
    let second = MockServer::start().await;
    catch_all(&first).await;
    catch_all(&second).await;
    mount_openai(&first, 200, "dari utama", 1).await;
    mount_openai(&second, 200, "tidak dipakai", 0).await;

    let router = LlmRouter::new(Arc::new(InMemoryUsageStore::new()));
    router.set_providers(
        "toko",
        vec![openai_at(&first, "a"), openai_at(&second, "b")],
    );
    let response = router.complete("toko", request("halo")).await.unwrap();
    assert_eq!(
        (response.text.as_str(), response.provider.as_str()),
        ("dari utama", "a")
    );
}

#[tokio::test]
async fn unauthorized_first_provider_falls_back_too() {
    let first = MockServer::start().await;
    let second = MockServer::start().await;
    catch_all(&first).await;
    catch_all(&second).await;
    mount_openai(&first, 401, "bad key", 1).await;
    mount_openai(&second, 200, "ok", 1).await;
    let router = LlmRouter::new(Arc::new(InMemoryUsageStore::new()));
    router.set_providers(
        "toko",
        vec![openai_at(&first, "a"), openai_at(&second, "b")],
    );
    assert_eq!(
        router
            .complete("toko", request("x"))
            .await
            .unwrap()
            .provider,
        "b"
    );
}

#[tokio::test]
async fn all_providers_failing_reports_the_last_error_and_bills_nothing() {
    let first = MockServer::start().await;
    let second = MockServer::start().await;
    catch_all(&first).await;
    catch_all(&second).await;
    mount_openai(&first, 503, "down", 2).await;
    mount_openai(&second, 400, "bad request", 1).await;
    let usage = Arc::new(InMemoryUsageStore::new());
    let router = LlmRouter::new(usage.clone());
    router.set_providers(
        "toko",
        vec![openai_at(&first, "a"), openai_at(&second, "b")],
    );
    let error = router.complete("toko", request("x")).await.unwrap_err();
    match error {
        LlmError::Provider {
            provider,
            message,
            retryable,
        } => {
            assert_eq!(provider, "b");
            assert!(
                message.contains("400") && message.contains("bad request"),
                "{message}"
            );
            assert!(!retryable);
        }
        other => panic!("expected Provider, got {other:?}"),
    }
    assert_eq!(usage.usage("toko").total.requests, 0);
}

#[tokio::test]
async fn limit_refusal_is_typed_and_calls_no_provider() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    // Exactly one call reaches the provider: the second request is refused.
    mount_openai(&server, 200, "jawaban", 1).await;
    let usage = Arc::new(InMemoryUsageStore::new());
    usage.set_limit("toko", UsageLimit::requests(1));
    let router = LlmRouter::new(usage.clone());
    router.set_providers("toko", vec![openai_at(&server, "a")]);

    router.complete("toko", request("satu")).await.unwrap();
    assert_eq!(
        router.complete("toko", request("dua")).await,
        Err(LlmError::LimitExceeded)
    );
    assert_eq!(usage.usage("toko").total.requests, 1);
}

#[tokio::test]
async fn tenants_are_routed_and_counted_separately() {
    let server_a = MockServer::start().await;
    let server_b = MockServer::start().await;
    catch_all(&server_a).await;
    catch_all(&server_b).await;
    mount_openai(&server_a, 200, "untuk A", 2).await;
    mount_openai(&server_b, 200, "default", 1).await;
    let usage = Arc::new(InMemoryUsageStore::new());
    usage.set_limit("b", UsageLimit::tokens(1_000));
    let router = LlmRouter::new(usage.clone());
    router.set_providers("a", vec![openai_at(&server_a, "prov-a")]);
    router.set_default_providers(vec![openai_at(&server_b, "platform")]);

    assert_eq!(
        router.complete("a", request("x")).await.unwrap().text,
        "untuk A"
    );
    assert_eq!(
        router.complete("a", request("x")).await.unwrap().text,
        "untuk A"
    );
    assert_eq!(
        router.complete("b", request("x")).await.unwrap().provider,
        "platform"
    );
    assert_eq!(usage.usage("a").by_provider["prov-a"].requests, 2);
    assert_eq!(usage.usage("b").by_provider["platform"].input_tokens, 10);

    router.set_default_providers(Vec::new());
    router.remove_tenant("a");
    assert_eq!(
        router.complete("a", request("x")).await,
        Err(LlmError::NotConfigured)
    );
}

#[tokio::test]
async fn no_providers_is_not_configured() {
    let router = LlmRouter::new(Arc::new(InMemoryUsageStore::new()));
    assert_eq!(
        router.complete("nobody", request("x")).await,
        Err(LlmError::NotConfigured)
    );
}

struct BrokenStore;

#[async_trait]
impl UsageStore for BrokenStore {
    async fn check(&self, _tenant: &str) -> Result<LimitCheck, UsageStoreError> {
        Err(UsageStoreError("database is down".to_owned()))
    }
    async fn record(&self, _tenant: &str, _record: &UsageRecord) -> Result<(), UsageStoreError> {
        Err(UsageStoreError("database is down".to_owned()))
    }
}

#[tokio::test]
async fn a_failing_usage_store_refuses_without_calling_a_provider() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_openai(&server, 200, "unused", 0).await;
    let router = LlmRouter::new(Arc::new(BrokenStore));
    router.set_providers("toko", vec![openai_at(&server, "a")]);
    match router.complete("toko", request("x")).await.unwrap_err() {
        LlmError::Provider {
            provider,
            retryable,
            ..
        } => {
            assert_eq!(provider, USAGE_STORE_PROVIDER);
            assert!(retryable);
        }
        other => panic!("expected Provider, got {other:?}"),
    }
}

#[test]
fn router_debug_shows_no_keys() {
    let router = LlmRouter::new(Arc::new(InMemoryUsageStore::new()));
    router.set_providers(
        "toko",
        vec![Arc::new(OpenAiCompatible::openai(
            ApiKey::new("sk-secret-router-9"),
            "gpt",
        ))],
    );
    let shown = format!("{router:?}");
    assert!(!shown.contains("sk-secret-router-9"), "{shown}");
}

#[tokio::test]
async fn scripted_llm_answers_by_rule_and_records_requests() {
    let llm = ScriptedLlm::new("default")
        .when_contains("Harga", "Rp18.000")
        .fail_when_contains("limit", LlmError::LimitExceeded)
        .with_names("mock", "mock-1");
    let answer = llm.complete("t1", request("berapa harga?")).await.unwrap();
    assert_eq!(
        (answer.text.as_str(), answer.provider.as_str()),
        ("Rp18.000", "mock")
    );
    assert_eq!(answer.usage.input_tokens, 2);
    assert_eq!(
        llm.complete("t1", request("hmm")).await.unwrap().text,
        "default"
    );
    assert_eq!(
        llm.complete("t2", request("over LIMIT")).await,
        Err(LlmError::LimitExceeded)
    );
    let seen = llm.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].0, "t2");
}
