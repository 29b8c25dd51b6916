//! Shared test helpers.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bot_core::{HostConfig, MemoryStore, Runtime, TenantConfig, WasmHandler};
use whatsapp_client::PhoneNumber;
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::webhook::{Event, InboundMessage, MessageContent};

/// One compile cache per test process, shared by every host it creates.
pub fn cache_dir() -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap())
        .path()
        .to_owned()
}

pub fn host_config() -> HostConfig {
    HostConfig::default()
        .cache_dir(cache_dir())
        .max_instances(16)
}

pub fn runtime_with(config: HostConfig) -> Runtime {
    Runtime::builder(Arc::new(MemoryStore::new()))
        .host_config(config)
        .build()
        .unwrap()
}

pub fn runtime() -> Runtime {
    runtime_with(host_config())
}

pub async fn plugin(rt: &Runtime, name: &str, config: serde_json::Value) -> WasmHandler {
    let c = rt
        .host()
        .load_file(bot_core::testing::plugin_path(name))
        .await
        .unwrap();
    c.configure(&config).unwrap()
}

pub fn phone(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n).unwrap()
}

pub fn text(id: &str, from: &str, body: &str) -> Event {
    Event::Message(InboundMessage::new(
        "cloud_api",
        id,
        phone(from),
        MessageContent::text_body(body),
    ))
}

pub fn tenant(provider: &RecordingProvider) -> TenantConfig {
    TenantConfig::new(Arc::new(provider.clone()))
}

pub fn sent_texts(p: &RecordingProvider) -> Vec<String> {
    p.sent()
        .iter()
        .map(|s| s.message.as_text().unwrap_or("<non-text>").to_owned())
        .collect()
}
