//! The timeouts of the LLM path fit inside one plugin call: a provider that
//! hangs gives way to the next provider, and a service that hangs gives
//! the plugin time to send its fallback text, before the host's wall
//! timeout would stop the plugin.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bot_core::llm::{
    ChatProvider, ChatRequest, ChatResponse, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_REQUEST_BUDGET,
    HttpOptions, InMemoryUsageStore, LlmError, LlmRouter, LlmService, OpenAiCompatible,
    RetryPolicy,
};
use bot_core::{HostConfig, MemoryStore, Runtime};
use common::*;
use serde_json::json;
use url::Url;
use whatsapp_client::testing::RecordingProvider;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FALLBACK: &str = "Maaf Kak, AI kami sedang istirahat.";

fn answer(text: &str) -> ResponseTemplate {
    let content = json!({"intent": "question", "answer": text, "can_answer": true}).to_string();
    ResponseTemplate::new(200).set_body_json(json!({
        "model": "mock-model",
        "choices": [{"message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5}
    }))
}

fn provider(server: &MockServer, name: &str, timeout: Duration) -> Arc<dyn ChatProvider> {
    let base = Url::parse(&format!("{}/v1", server.uri())).unwrap();
    Arc::new(
        OpenAiCompatible::new(name, &base, "mock-model")
            .with_timeout(timeout)
            .with_retry(RetryPolicy::default()),
    )
}

/// ai-reply answering every message at once (no debounce) behind `llm`.
async fn ai_bot(host: HostConfig, llm: Arc<dyn LlmService>) -> (Runtime, RecordingProvider) {
    let rt = Runtime::builder(Arc::new(MemoryStore::new()))
        .host_config(host)
        .llm(llm)
        .build()
        .unwrap();
    let ai = plugin(&rt, "ai-reply", json!({"fallback_text": FALLBACK}))
        .await
        .with_debounce(None);
    let p = RecordingProvider::new();
    rt.set_tenant("toko", tenant(&p).handler(ai));
    (rt, p)
}

#[test]
fn default_timeouts_nest_inside_the_plugin_wall_timeout() {
    let host = HostConfig::default();
    let attempt = HttpOptions::default().timeout;
    assert_eq!(attempt, DEFAULT_ATTEMPT_TIMEOUT);
    // A hanging provider (its own timeout is not retried) leaves the next
    // provider at least one full attempt within the router's budget ...
    assert!(attempt * 2 <= DEFAULT_REQUEST_BUDGET, "{attempt:?}");
    // ... and the whole request ends before the host's LLM cut-off, which
    // leaves the plugin its reserve before the wall timeout.
    assert!(DEFAULT_REQUEST_BUDGET < host.wall_timeout - host.llm_reserve);
    assert!(!host.llm_reserve.is_zero());
    let router = LlmRouter::new(Arc::new(InMemoryUsageStore::new()));
    assert_eq!(router.budget(), DEFAULT_REQUEST_BUDGET);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_primary_gives_way_to_the_fallback_provider_within_one_plugin_call() {
    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(answer("terlambat").set_delay(Duration::from_secs(10)))
        .mount(&slow)
        .await;
    let backup = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(answer("Buka jam 8 pagi, Kak."))
        .expect(1)
        .mount(&backup)
        .await;
    let router = LlmRouter::new(Arc::new(InMemoryUsageStore::new()))
        .with_budget(Duration::from_millis(2_500));
    router.set_providers(
        "toko",
        vec![
            provider(&slow, "primary", Duration::from_millis(600)),
            provider(&backup, "backup", Duration::from_millis(1_500)),
        ],
    );
    // Shrunk like the defaults: attempt < budget < wall - reserve.
    let host = host_config()
        .wall_timeout(Duration::from_secs(4))
        .llm_reserve(Duration::from_millis(1_000));
    let (rt, p) = ai_bot(host, Arc::new(router)).await;
    let start = Instant::now();
    let r = rt
        .handle_event("toko", &text("m1", "081200000001", "buka jam berapa?"))
        .await
        .unwrap();
    let took = start.elapsed();
    assert_eq!(r.failures().count(), 0, "{r:?}");
    assert_eq!(sent_texts(&p), ["Buka jam 8 pagi, Kak."]);
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(4),
        "took {took:?}"
    );
    assert_eq!(
        slow.received_requests().await.unwrap().len(),
        1,
        "a timeout is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_budget_bounds_a_list_of_slow_providers() {
    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer("terlambat").set_delay(Duration::from_secs(10)))
        .mount(&slow)
        .await;
    let router =
        LlmRouter::new(Arc::new(InMemoryUsageStore::new())).with_budget(Duration::from_millis(800));
    router.set_providers(
        "toko",
        vec![
            provider(&slow, "a", Duration::from_secs(5)),
            provider(&slow, "b", Duration::from_secs(5)),
        ],
    );
    let e = router
        .complete(
            "toko",
            ChatRequest {
                system: None,
                messages: vec![bot_core::llm::ChatMessage {
                    role: bot_core::llm::Role::User,
                    content: "halo".into(),
                }],
                max_tokens: 16,
                temperature: None,
            },
        )
        .await
        .unwrap_err();
    // The budget, not the providers' 5 s timeouts, ended the call: the
    // first provider's error says so (and the second was never tried).
    assert!(
        matches!(&e, LlmError::Provider { provider, message, .. } if provider == "a" && message.contains("budget")),
        "{e:?}"
    );
    assert_eq!(
        slow.received_requests().await.unwrap().len(),
        1,
        "the budget was spent on the first provider"
    );
}

/// A service that never answers in time.
struct Hanging;

#[async_trait]
impl LlmService for Hanging {
    async fn complete(&self, _: &str, _: ChatRequest) -> Result<ChatResponse, LlmError> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Err(LlmError::NotConfigured)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_llm_service_still_lets_the_plugin_send_its_fallback_text() {
    let host = host_config()
        .wall_timeout(Duration::from_secs(2))
        .llm_reserve(Duration::from_millis(700));
    let (rt, p) = ai_bot(host, Arc::new(Hanging)).await;
    let start = Instant::now();
    let r = rt
        .handle_event("toko", &text("m1", "081200000001", "halo?"))
        .await
        .unwrap();
    // Had the host waited for the service, the wall timeout would have
    // stopped the plugin (a Timeout failure) and nothing would be sent.
    assert_eq!(r.failures().count(), 0, "the plugin was not stopped: {r:?}");
    assert_eq!(sent_texts(&p), [FALLBACK]);
    // The call was given what was left of the wall time minus the reserve.
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1_200) && took < Duration::from_secs(10),
        "{took:?}"
    );
}
