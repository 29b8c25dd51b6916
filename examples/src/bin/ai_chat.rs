//! A terminal chat with a WhatsApp bot: the real `keyword-rules` and
//! `ai-reply` WebAssembly plugins in a `bot-core` pipeline, answering what
//! you type as if you were a customer writing on WhatsApp.
//!
//! ```text
//! cargo run -p examples --bin ai_chat
//! # a local Ollama (https://ollama.com), `ollama pull llama3.2` first:
//! OLLAMA_URL=http://127.0.0.1:11434 OLLAMA_MODEL=llama3.2 cargo run -p examples --bin ai_chat
//! ```
//!
//! With an Ollama answering at `OLLAMA_URL` (default
//! `http://127.0.0.1:11434`) the AI answers come from its model through the
//! OpenAI-compatible API; otherwise from a scripted model, so the example
//! runs on a fresh machine. Keyword rules ("harga", "alamat") answer
//! first, the AI answers the rest, and asking for a human ("admin",
//! "komplain") hands the conversation over: the bot stays quiet until you
//! type `/balik` (hand back). `/keluar` or end of input quits.
//!
//! The plugins are built on first use (`scripts/build-plugins.sh`, needs the
//! `wasm32-wasip2` target, which the script adds).
#![allow(clippy::print_stdout)]

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use bot_core::llm::{LlmRouter, LlmService, OpenAiCompatible, RetryPolicy, ScriptedLlm};
use bot_core::{MemoryStore, Outcome, Runtime, TenantConfig};
use serde_json::json;
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::webhook::{Event, InboundMessage, MessageContent};
use whatsapp_client::{OutgoingMessage, PhoneNumber, Recipient};

const TENANT: &str = "kopi-senja";

/// The structured answer ai-reply asks its model for, as the scripted model
/// gives it.
fn scripted(intent: &str, answer: &str, can_answer: bool) -> String {
    json!({"intent": intent, "answer": answer, "can_answer": can_answer}).to_string()
}

/// Which model answers: Ollama when it is up, the script otherwise.
async fn model() -> (Arc<dyn LlmService>, String) {
    let base = std::env::var("OLLAMA_URL").unwrap_or_else(|_| "http://127.0.0.1:11434".into());
    let base = base.trim_end_matches('/').to_owned();
    let model = std::env::var("OLLAMA_MODEL").unwrap_or_else(|_| "llama3.2".into());
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_millis(800))
        .build()
        .map(|c| c.get(format!("{base}/api/tags")).send());
    let up = match probe {
        Ok(request) => request.await.is_ok_and(|r| r.status().is_success()),
        Err(_) => false,
    };
    if up && let Ok(url) = url::Url::parse(&format!("{base}/v1")) {
        let ollama = OpenAiCompatible::new("ollama", &url, model.clone())
            .with_timeout(Duration::from_secs(120))
            .with_retry(RetryPolicy::none());
        let router = LlmRouter::new(Arc::new(bot_core::llm::InMemoryUsageStore::new()));
        router.set_providers(TENANT, vec![Arc::new(ollama)]);
        return (Arc::new(router), format!("Ollama at {base}, model {model}"));
    }
    let script = ScriptedLlm::new(scripted(
        "question",
        "Maaf Kak, untuk itu saya belum punya informasinya. Ada lagi yang bisa dibantu?",
        false,
    ))
    .when_contains(
        "promo",
        scripted(
            "question",
            "Ada Kak! Beli 2 kopi susu gratis 1 cookie, berlaku sampai Minggu.",
            true,
        ),
    )
    .when_contains(
        "buka",
        scripted(
            "question",
            "Kami buka setiap hari 08.00-22.00 WIB, Kak.",
            true,
        ),
    )
    .when_contains(
        "pesan",
        scripted(
            "order",
            "Siap Kak, mau pesan apa dan berapa? Nanti kami kirim total dan rekeningnya.",
            true,
        ),
    )
    .when_contains(
        "lama",
        scripted("complaint", "Mohon maaf atas keterlambatannya, Kak.", true),
    )
    .with_names("scripted", "demo-script");
    (
        Arc::new(script),
        format!("scripted model (no Ollama answering at {base})"),
    )
}

fn customer_message(n: u64, from: &PhoneNumber, text: &str) -> Event {
    Event::Message(
        InboundMessage::new(
            "terminal",
            format!("term-{n}"),
            from.clone(),
            MessageContent::text_body(text),
        )
        .with_from_name("Budi"),
    )
}

fn show(message: &OutgoingMessage) -> String {
    match message.as_text() {
        Some(text) => text.to_owned(),
        None => format!("{message:?}"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (llm, which) = model().await;
    let runtime = Runtime::builder(Arc::new(MemoryStore::new()))
        .llm(llm)
        .build()?;
    let host = runtime.host().clone();
    let rules = host
        .load_file(bot_core::testing::plugin_path("keyword-rules"))
        .await?
        .configure(&json!({
            "rules": [
                {"id": "harga", "keywords": ["harga", "price", "berapa"], "match": "whole-word",
                 "reply": "{Halo|Hai} {name}, kopi susu Rp18.000, americano Rp15.000."},
                {"id": "alamat", "keywords": ["alamat", "lokasi"],
                 "reply": "Kopi Senja: Jl. Slamet Riyadi 10, Solo."}
            ]
        }))?;
    let ai = host
        .load_file(bot_core::testing::plugin_path("ai-reply"))
        .await?
        .configure(&json!({
            "persona": "Kamu Sari, customer service Kopi Senja yang ramah. Jawab singkat.",
            "business_name": "Kopi Senja",
            "knowledge": [
                {"title": "Jam buka", "text": "Setiap hari 08.00-22.00 WIB"},
                {"title": "Promo", "text": "Beli 2 kopi susu gratis 1 cookie sampai Minggu"},
                {"title": "Menu", "text": "Kopi susu Rp18.000, americano Rp15.000, cookie Rp10.000"}
            ]
        }))?
        // One answer per line typed: no waiting for a burst to end.
        .with_debounce(None);
    let sender = RecordingProvider::new();
    runtime.set_tenant(
        TENANT,
        TenantConfig::new(Arc::new(sender.clone()))
            .handler(rules)
            .handler(ai),
    );

    let me = PhoneNumber::parse("081234567890")?;
    println!("Kopi Senja bot, AI by {which}.");
    println!("Type as a customer; /balik hands the chat back to the bot, /keluar quits.\n");
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut n = 0_u64;
    while let Some(line) = lines.next().transpose()? {
        let line = line.trim();
        match line {
            "" => continue,
            "/keluar" | "/quit" => break,
            "/balik" | "/back" => {
                runtime.hand_back(TENANT, &Recipient::from(&me)).await?;
                println!("[the bot answers again]");
                continue;
            }
            _ => {}
        }
        n += 1;
        println!("> {line}");
        sender.clear();
        let report = runtime
            .handle_event(TENANT, &customer_message(n, &me, line))
            .await?;
        for reply in &report.replies {
            let by = reply.matched.as_deref().unwrap_or(&reply.plugin);
            match &reply.error {
                None => println!("bot [{by}]: {}", show(&reply.message)),
                Some(e) => println!("bot [{by}] could not send: {e}"),
            }
        }
        if let Some(reason) = &report.handoff {
            println!(
                "[handed to a human: {}; /balik to hand back]",
                reason.as_deref().unwrap_or("no reason given")
            );
        } else if report.outcome == Outcome::HumanOwned {
            println!("[a human owns this chat: the bot stays quiet]");
        }
        for (plugin, error) in report.failures() {
            println!("[{plugin} failed: {error}]");
        }
    }
    Ok(())
}
