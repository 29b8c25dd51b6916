//! ai-reply on a simulator device over HTTP: the vendor's LLM provider (a
//! mock OpenAI-compatible server) answers through the plugin; a burst of
//! messages gets one answer that sees the whole burst; usage is counted;
//! asking for a human hands the conversation over.

use crate::bots_support;
use crate::common;

use std::time::Duration;

use common::{DbKind, data, spawn_app};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CUSTOMER: &str = "0812-5555-0101";

fn completion(content: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "mock-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content.to_string()},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 120, "completion_tokens": 18, "total_tokens": 138}
    }))
}

async fn inject(app: &common::TestApp, token: &str, dev: &str, text: &str) -> Value {
    bots_support::inject(app, token, dev, CUSTOMER, text).await
}

async fn burst_gets_one_ai_answer(kind: DbKind) {
    bots_support::ensure_plugins();
    let llm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-vendor-key"))
        .respond_with(completion(&json!({
            "intent": "question",
            "answer": "Ongkir ke Solo Rp12.000, Kak.",
            "can_answer": true
        })))
        .mount(&llm)
        .await;
    let app = spawn_app(kind).await;
    let v = app.signup_vendor("Toko AI").await;
    data(
        app.post(
            "/api/v1/llm-providers",
            &v.token,
            json!({"name": "mock", "kind": "openai", "base_url": format!("{}/v1", llm.uri()),
                   "model": "mock-model", "api_key": "sk-vendor-key"}),
        )
        .await,
        201,
    )
    .await;
    let dev = bots_support::simulator_device(
        &app,
        &v.token,
        json!({}),
        json!([{"plugin": "ai-reply", "config": {
            "business_name": "Toko AI",
            "knowledge": [{"title": "Ongkir", "text": "Ongkir ke Solo Rp12.000"}],
            "history_window": 5
        }}]),
    )
    .await;

    // Three messages 150 ms apart, well inside the 3 s debounce window.
    let mut tasks = Vec::new();
    for (i, text) in ["halo kak", "mau tanya", "ongkir ke solo berapa?"]
        .into_iter()
        .enumerate()
    {
        let (base, client, token, dev) = (
            app.base.clone(),
            app.client.clone(),
            v.token.clone(),
            dev.clone(),
        );
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150 * i as u64)).await;
            let res = client
                .post(format!("{base}/api/v1/simulator/{dev}/inbound"))
                .bearer_auth(token)
                .json(&json!({"from": CUSTOMER, "name": "Sari", "text": text}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            body["data"]["replies"].as_u64().unwrap()
        }));
    }
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    assert_eq!(
        replies,
        vec![0, 0, 1],
        "only the last message of the burst is answered"
    );
    let calls = llm.received_requests().await.unwrap();
    assert_eq!(calls.len(), 1, "one model call for the burst");
    let prompt = String::from_utf8_lossy(&calls[0].body).into_owned();
    for text in ["halo kak", "mau tanya", "ongkir ke solo berapa?"] {
        assert!(prompt.contains(text), "{text} missing from {prompt}");
    }
    assert!(
        prompt.contains("Ongkir ke Solo Rp12.000"),
        "knowledge in the prompt"
    );
    let outbox = data(
        app.get(
            &format!("/api/v1/simulator/{dev}/outbox?to={CUSTOMER}"),
            &v.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(outbox.as_array().unwrap().len(), 1);
    assert_eq!(
        outbox[0]["message"]["body"],
        "Ongkir ke Solo Rp12.000, Kak."
    );
    let usage = data(app.get("/api/v1/llm-usage", &v.token).await, 200).await;
    assert_eq!(usage["requests"], 1, "{usage}");
    assert_eq!(usage["input_tokens"], 120, "{usage}");
    assert_eq!(usage["output_tokens"], 18, "{usage}");

    // Asking for a person: handed over without a model call, and the bot
    // stays quiet afterwards.
    let r = inject(&app, &v.token, &dev, "saya mau bicara dengan admin").await;
    assert_eq!(r["replies"], 1, "the handoff notice: {r}");
    assert_eq!(llm.received_requests().await.unwrap().len(), 1);
    let convs = data(app.get("/api/v1/conversations", &v.token).await, 200).await;
    assert_eq!(convs[0]["owner"], "agent", "{convs}");
    let r = inject(&app, &v.token, &dev, "halo?").await;
    assert_eq!(r["replies"], 0);
    assert_eq!(llm.received_requests().await.unwrap().len(), 1);
}
both_dbs!(burst_gets_one_ai_answer);
