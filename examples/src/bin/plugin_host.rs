//! The host program of the plugin author's guide (`docs/src/plugin-guide.md`,
//! step 5): loads a plugin component, configures it for one vendor and runs
//! two messages through it, printing the replies and the plugin's log lines.
//!
//! ```text
//! scripts/build-plugins.sh    # builds target/plugins/echo.wasm
//! cargo run -p examples --bin plugin_host -- target/plugins/echo.wasm
//! ```
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use bot_core::{HostConfig, MemoryStore, Runtime, TenantConfig};
use serde_json::json;
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::webhook::{Event, InboundMessage, MessageContent};
use whatsapp_client::{OutgoingMessage, PhoneNumber};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The host writes the plugin's `log::info(...)` lines, tagged with the
    // tenant and plugin, through `tracing`: without a subscriber they go
    // nowhere.
    tracing_subscriber::fmt()
        .with_env_filter("info,wasmtime=warn,cranelift=warn")
        .init();

    let wasm = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/plugins/echo.wasm".to_owned());

    // Compiling a component takes about a second; with a cache folder the
    // next run of the program loads the compiled code instead. The cache is
    // off unless a folder is given.
    let runtime = Runtime::builder(Arc::new(MemoryStore::new()))
        .host_config(HostConfig::default().cache_dir("target/plugin-cache"))
        .build()?;

    // Load: compile (or read from the cache) and read the manifest.
    let echo = runtime.host().load_file(&wasm).await?;
    println!(
        "loaded {} {} (contract {})",
        echo.manifest().name,
        echo.manifest().version,
        echo.contract_version()
    );

    // Configure for one vendor: checked against the plugin's JSON Schema,
    // then by the plugin's own `validate`/`prepare`.
    if let Err(e) = echo.configure_async(&json!({"prefix": 5})).await {
        println!("refused as expected: {e}");
    }
    let handler = echo
        .configure_async(&json!({"prefix": "Anda bilang: ", "count": true}))
        .await?;

    // A vendor ("toko") whose pipeline is this one plugin. The provider
    // would be a `CloudApi` or `Fonnte`; this one records what is sent.
    let provider = RecordingProvider::new();
    runtime.set_tenant(
        "toko",
        TenantConfig::new(Arc::new(provider.clone())).handler(handler),
    );

    // Run: one inbound message per call, as a webhook would deliver them.
    let customer = PhoneNumber::parse("0812-3456-7890")?;
    for (id, text) in [("wamid.1", "halo"), ("wamid.2", "apa kabar")] {
        let event = Event::Message(InboundMessage::new(
            "cloud_api",
            id,
            customer.clone(),
            MessageContent::text_body(text),
        ));
        let report = runtime.handle_event("toko", &event).await?;
        for reply in &report.replies {
            if let OutgoingMessage::Text(t) = &reply.message {
                println!("{} replied: {}", reply.plugin, t.body);
            }
        }
    }
    println!("{} messages sent", provider.sent().len());
    Ok(())
}
