//! Hostile plugins prove the host's limits; other tenants keep answering.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bot_core::llm::{ChatRequest, ChatResponse, LlmError, LlmService, Usage};
use bot_core::{HandlerError, MemoryStore, Outcome, RunStatus, Runtime};
use common::*;
use serde_json::json;
use whatsapp_client::testing::RecordingProvider;

fn failure(report: &bot_core::EventReport) -> HandlerError {
    let (plugin, e) = report.failures().next().expect("a failure");
    assert_eq!(plugin, "hostile");
    e.clone()
}

async fn run_hostile(rt: &Runtime, behaviour: &str) -> (bot_core::EventReport, RecordingProvider) {
    let p = RecordingProvider::new();
    let h = plugin(rt, "hostile", json!({"behaviour": behaviour})).await;
    let fallback = plugin(rt, "hostile", json!({"behaviour": "echo"})).await;
    rt.set_tenant(behaviour, tenant(&p).handler(h).handler(fallback));
    let r = rt
        .handle_event(
            behaviour,
            &text(&format!("m-{behaviour}"), "081200000001", "hi"),
        )
        .await
        .unwrap();
    (r, p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_loop_is_stopped_by_the_deadline_and_the_next_plugin_runs() {
    let rt = runtime_with(host_config().cpu_deadline(Duration::from_millis(20)));
    let (r, p) = run_hostile(&rt, "loop").await;
    assert!(
        matches!(failure(&r), HandlerError::Timeout(d) if d == Duration::from_millis(20)),
        "{r:?}"
    );
    assert_eq!(
        sent_texts(&p),
        ["echo: hi"],
        "the plugin after the faulty one still answers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_bomb_hits_the_memory_limit() {
    let rt = runtime_with(host_config().memory_limit(16 << 20));
    let (r, p) = run_hostile(&rt, "alloc").await;
    assert_eq!(failure(&r), HandlerError::OutOfMemory(16 << 20), "{r:?}");
    assert_eq!(sent_texts(&p), ["echo: hi"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traps_panics_and_errors_are_isolated() {
    let rt = runtime();
    for b in ["trap", "panic"] {
        let (r, p) = run_hostile(&rt, b).await;
        assert!(matches!(failure(&r), HandlerError::Trap(_)), "{b}: {r:?}");
        assert_eq!(sent_texts(&p), ["echo: hi"]);
    }
    let (r, _) = run_hostile(&rt, "fail").await;
    assert_eq!(
        failure(&r),
        HandlerError::Failed("hostile plugin fails on purpose".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_output_is_refused_and_nothing_is_performed() {
    let rt = runtime();
    let (r, p) = run_hostile(&rt, "bad-reply").await;
    let e = failure(&r);
    assert!(
        matches!(&e, HandlerError::BadOutput(m) if m.contains("action 0: invalid reply")),
        "{e}"
    );
    assert_eq!(sent_texts(&p), ["echo: hi"]);
    // Enough memory for the guest to build a million actions: the host
    // refuses the list itself.
    let rt = runtime_with(
        host_config()
            .memory_limit(256 << 20)
            .cpu_deadline(Duration::from_secs(10)),
    );
    let (r, p) = run_hostile(&rt, "flood").await;
    let e = failure(&r);
    assert!(
        matches!(&e, HandlerError::BadOutput(m) if m.contains("1000000 actions")),
        "{e:?}"
    );
    let conv = rt
        .conversation("flood", &phone("081200000001").into())
        .await
        .unwrap()
        .unwrap();
    assert!(
        conv.tags.is_empty(),
        "no action of a refused output is performed"
    );
    assert_eq!(p.sent().len(), 1);
}

/// An LLM that takes (real) time, far longer than the CPU deadline.
struct SlowLlm(Duration);

#[async_trait]
impl LlmService for SlowLlm {
    async fn complete(&self, tenant: &str, request: ChatRequest) -> Result<ChatResponse, LlmError> {
        tokio::time::sleep(self.0).await;
        Ok(ChatResponse {
            text: format!(
                "{tenant}: {}",
                request
                    .messages
                    .first()
                    .map(|m| m.content.as_str())
                    .unwrap_or("")
            ),
            usage: Usage {
                input_tokens: 1,
                output_tokens: 1,
            },
            provider: "mock".into(),
            model: "slow".into(),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_awaiting_a_host_call_does_not_count_against_the_cpu_deadline() {
    let rt = Runtime::builder(Arc::new(MemoryStore::new()))
        .host_config(host_config().cpu_deadline(Duration::from_millis(20)))
        .llm(Arc::new(SlowLlm(Duration::from_millis(300))))
        .build()
        .unwrap();
    let (r, p) = run_hostile(&rt, "llm-once").await;
    assert_eq!(r.failures().count(), 0, "{r:?}");
    assert_eq!(sent_texts(&p)[0], "llm-once: hi");
    // A plugin that keeps calling the LLM gets refused after the budget
    // and is then stopped by the deadline (its own loop burns CPU).
    let (r, _) = run_hostile(&rt, "llm-loop").await;
    assert!(matches!(failure(&r), HandlerError::Timeout(_)), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_import_without_a_service_is_a_typed_refusal() {
    let rt = runtime();
    let (r, _) = run_hostile(&rt, "llm-once").await;
    assert!(
        matches!(failure(&r), HandlerError::Failed(m) if m.contains("NotConfigured")),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_tenant_keeps_answering_while_one_plugin_loops() {
    let rt = Arc::new(runtime_with(
        host_config().cpu_deadline(Duration::from_millis(400)),
    ));
    let bad = RecordingProvider::new();
    let good = RecordingProvider::new();
    rt.set_tenant(
        "bad",
        tenant(&bad).handler(plugin(&rt, "hostile", json!({"behaviour": "loop"})).await),
    );
    rt.set_tenant(
        "good",
        tenant(&good).handler(plugin(&rt, "hostile", json!({"behaviour": "echo"})).await),
    );
    let looping = {
        let rt = rt.clone();
        tokio::spawn(async move {
            rt.handle_event("bad", &text("b1", "081200000009", "x"))
                .await
                .unwrap()
        })
    };
    // While the loop burns its 400 ms of CPU, the good tenant is served.
    let mut during = 0;
    let mut answered = 0;
    for i in 0..5 {
        let r = rt
            .handle_event("good", &text(&format!("g{i}"), "081200000008", "ping"))
            .await
            .unwrap();
        assert_eq!(r.outcome, Outcome::Handled);
        answered += r.replies.len();
        if !looping.is_finished() {
            during += r.replies.len();
        }
    }
    assert!(
        during >= 1,
        "no answer for the good tenant while the bad plugin looped"
    );
    let r = looping.await.unwrap();
    assert!(matches!(
        r.runs[0].status,
        RunStatus::Failed {
            error: HandlerError::Timeout(_)
        }
    ));
    assert!(bad.sent().is_empty());
    assert_eq!(good.sent().len(), answered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_is_scoped_to_tenant_and_plugin() {
    let rt = runtime();
    let pa = RecordingProvider::new();
    let pb = RecordingProvider::new();
    rt.set_tenant(
        "a",
        tenant(&pa).handler(plugin(&rt, "hostile", json!({"behaviour": "kv-echo"})).await),
    );
    rt.set_tenant(
        "b",
        tenant(&pb).handler(plugin(&rt, "hostile", json!({"behaviour": "kv-echo"})).await),
    );
    rt.handle_event("a", &text("1", "081200000001", "one"))
        .await
        .unwrap();
    rt.handle_event("a", &text("2", "081200000001", "two"))
        .await
        .unwrap();
    rt.handle_event("b", &text("3", "081200000001", "three"))
        .await
        .unwrap();
    assert_eq!(sent_texts(&pa), ["before: ", "before: one"]);
    assert_eq!(sent_texts(&pb), ["before: "]);
    assert_eq!(
        rt.store()
            .kv_get("a", "hostile", "last")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"two"[..])
    );
}
