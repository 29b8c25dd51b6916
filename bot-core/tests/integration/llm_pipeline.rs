//! keyword-rules + ai-reply, the real plugin components, behind the real
//! router and providers, talking to wiremock model servers.
//!
//! ai-reply declares a 3 s debounce window in its manifest, and the runtime
//! waits it out in real time, so every AI answer here takes about 3 s
//! (paused tokio time cannot be used: it would fire the HTTP timeouts of the
//! providers while they wait for wiremock).

use std::sync::Arc;
use std::time::Duration;

use bot_core::llm::{
    Anthropic, ApiKey, ChatProvider, InMemoryUsageStore, LlmRouter, OpenAiCompatible, RetryPolicy,
    UsageLimit,
};
use bot_core::testing::plugin_path;
use bot_core::{
    Handler, MemoryStore, Outcome, Owner, RunStatus, Runtime, TenantConfig, WasmHandler,
};
use serde_json::{Value, json};
use url::Url;
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::webhook::{InboundMessage, MessageContent};
use whatsapp_client::{OutgoingMessage, PhoneNumber};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TENANT: &str = "kopi-senja";
const FALLBACK: &str = "Maaf Kak, AI kami sedang istirahat. Admin akan membalas segera.";
const HANDOFF: &str = "Baik Kak, admin kami akan segera membalas.";
const PRICE_REPLY: &str = "Kopi susu Rp18.000, Americano Rp15.000.";

struct Bot {
    runtime: Runtime,
    sender: RecordingProvider,
    usage: Arc<InMemoryUsageStore>,
    ai: Arc<WasmHandler>,
}

fn customer() -> PhoneNumber {
    PhoneNumber::parse("081234567890").unwrap()
}

fn text(id: &str, body: &str) -> InboundMessage {
    InboundMessage::new(
        "test",
        id,
        customer(),
        MessageContent::Text {
            body: body.to_owned(),
        },
    )
}

fn openai(server: &MockServer, name: &str) -> Arc<dyn ChatProvider> {
    let base = Url::parse(&format!("{}/v1", server.uri())).unwrap();
    Arc::new(
        OpenAiCompatible::new(name, &base, "mock-model")
            .with_api_key(ApiKey::new("sk-pipeline-test-key"))
            .with_retry(RetryPolicy::none()),
    )
}

/// An OpenAI-shaped answer whose content is the structured JSON ai-reply asks for.
fn model_says(intent: &str, answer: &str, can_answer: bool) -> ResponseTemplate {
    let content = json!({"intent": intent, "answer": answer, "can_answer": can_answer}).to_string();
    ResponseTemplate::new(200).set_body_json(json!({
        "model": "mock-model",
        "choices": [{"message": {"role": "assistant", "content": format!("```json\n{content}\n```")}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 20}
    }))
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

async fn bot(providers: Vec<Arc<dyn ChatProvider>>, usage: Arc<InMemoryUsageStore>) -> Bot {
    let router = LlmRouter::new(usage.clone());
    router.set_providers(TENANT, providers);
    let runtime = Runtime::builder(Arc::new(MemoryStore::new()))
        .llm(Arc::new(router))
        .build()
        .unwrap();
    let host = runtime.host().clone();
    let keywords = host.load_file(plugin_path("keyword-rules")).await.unwrap();
    let ai = host.load_file(plugin_path("ai-reply")).await.unwrap();
    let keywords = keywords
        .configure(&json!({
            "rules": [
                {"id": "harga", "keywords": ["harga", "price"], "reply": PRICE_REPLY}
            ]
        }))
        .unwrap();
    let ai = Arc::new(
        ai.configure(&json!({
            "persona": "Kamu Sari, CS Kopi Senja yang ramah.",
            "business_name": "Kopi Senja",
            "knowledge": [
                {"title": "Jam buka", "text": "Setiap hari 08.00-22.00 WIB"},
                {"title": "Promo", "text": "Beli 2 kopi susu gratis 1 cookie"}
            ],
            "fallback_text": FALLBACK,
            "handoff_text": HANDOFF
        }))
        .unwrap(),
    );
    let sender = RecordingProvider::new();
    runtime.set_tenant(
        TENANT,
        TenantConfig::new(Arc::new(sender.clone()))
            .handler(keywords)
            .handler_arc(ai.clone()),
    );
    Bot {
        runtime,
        sender,
        usage,
        ai,
    }
}

fn sent_texts(sender: &RecordingProvider) -> Vec<OutgoingMessage> {
    sender.sent().into_iter().map(|s| s.message).collect()
}

async fn llm_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyword_rules_answer_first_and_ai_answers_the_rest() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(model_says(
            "question",
            "Ada Kak: beli 2 kopi susu gratis 1 cookie.",
            true,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let bot = bot(
        vec![openai(&server, "mock-openai")],
        Arc::new(InMemoryUsageStore::new()),
    )
    .await;
    assert_eq!(bot.ai.debounce(), Some(Duration::from_millis(3_000)));

    // A keyword question: keyword-rules answers and stops the pipeline.
    let report = bot
        .runtime
        .handle_message(TENANT, &text("m1", "berapa HARGA kopi?").into())
        .await
        .unwrap();
    assert_eq!(report.stopped_by.as_deref(), Some("keyword-rules"));
    assert_eq!(report.matched().collect::<Vec<_>>(), ["harga"]);
    assert!(
        llm_bodies(&server).await.is_empty(),
        "the model must not be asked"
    );

    // Anything else goes to the AI.
    let report = bot
        .runtime
        .handle_message(TENANT, &text("m2", "ada promo apa minggu ini?").into())
        .await
        .unwrap();
    assert_eq!(report.matched().collect::<Vec<_>>(), ["ai-reply:question"]);
    assert_eq!(
        sent_texts(&bot.sender),
        [
            OutgoingMessage::text(PRICE_REPLY),
            OutgoingMessage::text("Ada Kak: beli 2 kopi susu gratis 1 cookie."),
        ]
    );

    // The model saw persona, knowledge and the history, latest message last.
    let bodies = llm_bodies(&server).await;
    let messages = bodies[0]["messages"].as_array().unwrap();
    let system = messages[0]["content"].as_str().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert!(
        system.starts_with("Kamu Sari, CS Kopi Senja yang ramah."),
        "{system}"
    );
    assert!(
        system.contains("Promo: Beli 2 kopi susu gratis 1 cookie"),
        "{system}"
    );
    let turns: Vec<(&str, &str)> = messages[1..]
        .iter()
        .map(|m| (m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    assert_eq!(
        turns,
        [
            ("user", "berapa HARGA kopi?"),
            ("assistant", PRICE_REPLY),
            ("user", "ada promo apa minggu ini?"),
        ]
    );

    // Billed to the tenant and the provider that answered.
    let usage = bot.usage.usage(TENANT);
    assert_eq!(usage.total.requests, 1);
    assert_eq!(usage.by_provider["mock-openai"].output_tokens, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_keyword_hands_off_and_the_bot_then_stays_silent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let bot = bot(
        vec![openai(&server, "mock-openai")],
        Arc::new(InMemoryUsageStore::new()),
    )
    .await;

    let report = bot
        .runtime
        .handle_message(TENANT, &text("m1", "saya mau bicara sama admin").into())
        .await
        .unwrap();
    assert_eq!(report.matched().collect::<Vec<_>>(), ["ai-reply:handoff"]);
    let note = report.handoff.clone().flatten().unwrap();
    assert!(note.contains("admin"), "{note}");
    assert_eq!(sent_texts(&bot.sender), [OutgoingMessage::text(HANDOFF)]);
    let conversation = bot
        .runtime
        .conversation(TENANT, &customer().into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conversation.owner, Owner::Human);

    // While the human owns the chat, no plugin runs: nothing is sent, no model call.
    let report = bot
        .runtime
        .handle_message(TENANT, &text("m2", "halo? berapa harga kopi?").into())
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::HumanOwned);
    assert!(report.runs.is_empty());
    assert_eq!(bot.sender.sent().len(), 1);
    assert!(llm_bodies(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_classified_by_the_model_hands_off() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(model_says("complaint", "Mohon maaf Kak.", true))
        .expect(1)
        .mount(&server)
        .await;
    let bot = bot(
        vec![openai(&server, "mock-openai")],
        Arc::new(InMemoryUsageStore::new()),
    )
    .await;
    let report = bot
        .runtime
        .handle_message(TENANT, &text("m1", "kopinya tumpah semua di jalan").into())
        .await
        .unwrap();
    assert_eq!(report.matched().collect::<Vec<_>>(), ["ai-reply:handoff"]);
    assert!(report.handoff.is_some());
    assert_eq!(
        bot.runtime
            .conversation(TENANT, &customer().into())
            .await
            .unwrap()
            .unwrap()
            .owner,
        Owner::Human
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_limit_the_customer_gets_the_fallback_text() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(model_says("other", "Halo Kak!", true))
        // The second AI message is refused by the limit before any call.
        .expect(1)
        .mount(&server)
        .await;
    let usage = Arc::new(InMemoryUsageStore::new());
    usage.set_limit(TENANT, UsageLimit::requests(1));
    let bot = bot(vec![openai(&server, "mock-openai")], usage).await;

    bot.runtime
        .handle_message(TENANT, &text("m1", "halo").into())
        .await
        .unwrap();
    let report = bot
        .runtime
        .handle_message(TENANT, &text("m2", "masih buka?").into())
        .await
        .unwrap();
    assert_eq!(report.matched().collect::<Vec<_>>(), ["ai-reply:fallback"]);
    assert_eq!(
        sent_texts(&bot.sender),
        [
            OutgoingMessage::text("Halo Kak!"),
            OutgoingMessage::text(FALLBACK)
        ]
    );
    // A refusal is not a handoff: the bot keeps the conversation.
    assert!(report.handoff.is_none());
    assert_eq!(bot.usage.usage(TENANT).total.requests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_primary_falls_back_to_anthropic_inside_the_pipeline() {
    let primary = MockServer::start().await;
    let backup = MockServer::start().await;
    catch_all(&primary).await;
    catch_all(&backup).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .expect(1)
        .mount(&primary)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "message",
            "model": "claude-mock",
            "content": [{"type": "text", "text": "{\"intent\":\"question\",\"answer\":\"Buka jam 08.00 Kak.\",\"can_answer\":true}"}],
            "usage": {"input_tokens": 90, "output_tokens": 12}
        })))
        .expect(1)
        .mount(&backup)
        .await;
    let claude: Arc<dyn ChatProvider> = Arc::new(
        Anthropic::new(ApiKey::new("sk-ant-pipeline"), "claude-mock")
            .with_base_url(&Url::parse(&backup.uri()).unwrap())
            .with_retry(RetryPolicy::none()),
    );
    let bot = bot(
        vec![openai(&primary, "primary"), claude],
        Arc::new(InMemoryUsageStore::new()),
    )
    .await;
    bot.runtime
        .handle_message(TENANT, &text("m1", "jam berapa buka?").into())
        .await
        .unwrap();
    assert_eq!(
        sent_texts(&bot.sender),
        [OutgoingMessage::text("Buka jam 08.00 Kak.")]
    );
    let body = &llm_bodies(&backup).await[0];
    assert!(
        body["system"]
            .as_str()
            .unwrap()
            .contains("Jam buka: Setiap hari"),
        "{body}"
    );
    assert_eq!(bot.usage.usage(TENANT).by_provider["anthropic"].requests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_messages_gets_one_answer_with_the_burst_in_the_history() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(model_says("order", "Siap Kak, 2 kopi susu ya.", true))
        .expect(1)
        .mount(&server)
        .await;
    let bot = bot(
        vec![openai(&server, "mock-openai")],
        Arc::new(InMemoryUsageStore::new()),
    )
    .await;
    let rt = &bot.runtime;
    let b1 = text("b1", "kak").into();
    let first = rt.handle_message(TENANT, &b1);
    let second = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        rt.handle_message(TENANT, &text("b2", "mau pesan").into())
            .await
    };
    let third = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        rt.handle_message(TENANT, &text("b3", "2 kopi susu").into())
            .await
    };
    let (first, second, third) = tokio::join!(first, second, third);
    let status = |r: &bot_core::EventReport| r.runs.last().map(|run| run.status.clone());
    assert_eq!(status(&first.unwrap()), Some(RunStatus::Debounced));
    assert_eq!(status(&second.unwrap()), Some(RunStatus::Debounced));
    assert_eq!(status(&third.unwrap()), Some(RunStatus::Ran { actions: 1 }));
    assert_eq!(
        sent_texts(&bot.sender),
        [OutgoingMessage::text("Siap Kak, 2 kopi susu ya.")]
    );
    let bodies = llm_bodies(&server).await;
    let users: Vec<&str> = bodies[0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["kak", "mau pesan", "2 kopi susu"]);
}
