//! Host-side overhead of one AI reply: the real ai-reply component through
//! the runtime (store, context, wasm call, `llm` import, answer parsing,
//! send) with an in-process model that answers instantly.
//!
//! `cargo bench -p wa-commerce-bot-core --bench ai_reply -- --warm-up-time 1 --measurement-time 3`
//!
//! The plugin's 3 s debounce window is taken out
//! (`WasmHandler::with_debounce(None)`): it is a deliberate wait, not
//! overhead.
#![allow(clippy::unwrap_used, missing_docs, clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use bot_core::llm::{ChatRequest, ChatResponse, LlmError, LlmService, Usage};
use bot_core::testing::plugin_path;
use bot_core::{MemoryStore, Runtime, TenantConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use whatsapp_client::PhoneNumber;
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::webhook::{InboundMessage, MessageContent};

const TENANT: &str = "bench";

/// A model that answers at once with a fixed structured answer.
struct InstantModel {
    calls: AtomicU64,
}

#[async_trait]
impl LlmService for InstantModel {
    async fn complete(
        &self,
        _tenant: &str,
        request: ChatRequest,
    ) -> Result<ChatResponse, LlmError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(ChatResponse {
            text: r#"{"intent":"question","answer":"Ada Kak, beli 2 kopi susu gratis 1 cookie.","can_answer":true}"#
                .to_owned(),
            usage: Usage { input_tokens: request.messages.len() as u32, output_tokens: 12 },
            provider: "instant".to_owned(),
            model: "instant".to_owned(),
        })
    }
}

fn ai_config() -> serde_json::Value {
    serde_json::json!({
        "persona": "Kamu Sari, CS Kopi Senja yang ramah.",
        "business_name": "Kopi Senja",
        "knowledge": [
            {"title": "Jam buka", "text": "Setiap hari 08.00-22.00 WIB"},
            {"title": "Promo", "text": "Beli 2 kopi susu gratis 1 cookie"},
            {"title": "Harga", "text": "Kopi susu Rp18.000, Americano Rp15.000, Cookie Rp10.000"},
            {"title": "Ongkir", "text": "Gratis ongkir radius 3 km, selebihnya Rp2.000/km"}
        ]
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let model = Arc::new(InstantModel {
        calls: AtomicU64::new(0),
    });
    let sender = RecordingProvider::new();
    let runtime = rt.block_on(async {
        let runtime = Runtime::builder(Arc::new(MemoryStore::new().with_history_cap(40)))
            .llm(model.clone())
            .build()
            .unwrap();
        let component = runtime
            .host()
            .load_file(plugin_path("ai-reply"))
            .await
            .unwrap();
        let handler = component.configure(&ai_config()).unwrap();
        runtime.set_tenant(
            TENANT,
            TenantConfig::new(Arc::new(sender.clone())).handler(handler.with_debounce(None)),
        );
        runtime
    });
    let from = PhoneNumber::parse("081234567890").unwrap();
    let counter = AtomicU64::new(0);
    let message = || {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        InboundMessage::new(
            "bench",
            format!("m{n}"),
            from.clone(),
            MessageContent::Text {
                body: "ada promo apa minggu ini?".to_owned(),
            },
        )
        .into()
    };

    // Sanity: one message, one model call, one reply.
    rt.block_on(async {
        let report = runtime.handle_message(TENANT, &message()).await.unwrap();
        assert_eq!(report.matched().collect::<Vec<_>>(), ["ai-reply:question"]);
    });
    assert_eq!(model.calls.load(Ordering::Relaxed), 1);

    c.bench_function("ai_reply/one_reply_instant_model", |b| {
        b.to_async(&rt).iter(|| {
            let msg = message();
            let runtime = &runtime;
            async move {
                let report = runtime.handle_message(TENANT, &msg).await.unwrap();
                assert_eq!(report.replies.len(), 1);
            }
        });
        sender.clear();
    });

    // A plain figure for the report, independent of criterion's output.
    let n = 500u32;
    let start = Instant::now();
    rt.block_on(async {
        for _ in 0..n {
            runtime.handle_message(TENANT, &message()).await.unwrap();
        }
    });
    let per = start.elapsed() / n;
    println!(
        "ai_reply: {:.1} us per AI reply (mean of {n}, history window 10)",
        per.as_secs_f64() * 1e6
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
