//! Real plugin components built from the workspace: loading, manifests,
//! schema validation, the compile cache and keyword-rules end to end.

use crate::common;

use std::sync::Arc;

use async_trait::async_trait;
use bot_core::{
    Action, EventKind, Handler, HandlerContext, HandlerError, LoadError, ManualClock, MemoryStore,
    Outcome, PluginHost, RunStatus, Runtime,
};
use common::*;
use serde_json::json;
use whatsapp_client::Recipient;
use whatsapp_client::testing::RecordingProvider;
use whatsapp_client::webhook::InboundMessage;

fn rules_config() -> serde_json::Value {
    json!({
        "rules": [
            {"id": "harga", "keywords": ["harga", "price"], "match": "whole-word",
             "reply": "{Halo|Hai} {name}, harga mulai 10rb. Kota: {kota}"},
            {"id": "cs", "keywords": ["cs", "admin"], "match": "exact", "reply": "Sebentar ya, admin segera membalas",
             "handoff": true},
            {"id": "vip", "keywords": ["promo"], "priority": 10, "reply": "Promo VIP!", "when": {"tags_any": ["vip"]}},
            {"id": "promo", "keywords": ["promo"], "reply": "Promo biasa", "add_tags": ["lead"]}
        ],
        "default_reply": "Maaf, kami belum paham. Ketik *harga*.",
        "seed": 7
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyword_rules_manifest_and_schema() {
    let rt = runtime();
    let c = rt
        .host()
        .load_file(bot_core::testing::plugin_path("keyword-rules"))
        .await
        .unwrap();
    let m = c.manifest();
    assert_eq!(m.name, "keyword-rules");
    assert_eq!(m.events, [EventKind::Text, EventKind::Interactive]);
    assert_eq!(c.contract_version(), "0.3.0");
    let schema: serde_json::Value = serde_json::from_str(&m.config_schema).unwrap();
    assert!(schema["properties"]["rules"].is_object(), "{schema}");

    // Schema violations are rejected with the field they concern.
    let e = c
        .configure(&json!({"rules": [{"id": "x", "keywords": "harga", "reply": "r"}]}))
        .unwrap_err();
    assert_eq!(e.plugin, "keyword-rules");
    assert!(
        e.errors.iter().any(|m| m.starts_with("/rules/0/keywords:")),
        "{e}"
    );
    let e = c
        .configure(
            &json!({"rules": [{"id": "x", "keywords": ["a"], "reply": "r", "match": "fuzzy"}]}),
        )
        .unwrap_err();
    assert!(e.to_string().contains("/rules/0/match"), "{e}");
    let e = c
        .configure(&json!({"rules": [{"id": "x", "keywords": ["a"]}]}))
        .unwrap_err();
    assert!(
        e.to_string().contains("\"reply\" is a required property"),
        "{e}"
    );
    let e = c
        .configure(&json!({"default_reply": "x", "surprise": true}))
        .unwrap_err();
    assert!(e.to_string().contains("surprise"), "{e}");
    assert!(c.configure(&rules_config()).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyword_rules_end_to_end() {
    let rt = runtime();
    let p = RecordingProvider::new();
    rt.set_tenant(
        "toko",
        tenant(&p).handler(plugin(&rt, "keyword-rules", rules_config()).await),
    );
    let from = phone("081234567890");
    rt.store()
        .set_field("toko", from.e164(), "kota", Some("Solo"))
        .await
        .unwrap();

    let mut ev = text("w1", "081234567890", "Berapa HARGA-nya kak?");
    if let whatsapp_client::webhook::Event::Message(m) = &mut ev {
        m.from_name = Some("Sari".into());
    }
    let r = rt.handle_event("toko", &ev).await.unwrap();
    assert_eq!(r.outcome, Outcome::Handled);
    assert_eq!(r.matched().collect::<Vec<_>>(), ["harga"]);
    let reply = r.replies[0].message.as_text().unwrap().to_owned();
    assert!(
        reply == "Halo Sari, harga mulai 10rb. Kota: Solo"
            || reply == "Hai Sari, harga mulai 10rb. Kota: Solo",
        "{reply}"
    );
    assert_eq!(r.replies[0].provider_message_id.as_deref(), Some("rec-1"));
    assert_eq!(r.stopped_by.as_deref(), Some("keyword-rules"));

    // The same seed renders the same text for the next message.
    let r2 = rt
        .handle_event("toko", &text("w2", "081234567890", "harga"))
        .await
        .unwrap();
    assert_eq!(r2.replies[0].message.as_text(), Some(reply.as_str()));

    // Priority + tag condition, and the tag action.
    let r = rt
        .handle_event("toko", &text("w3", "081234567890", "ada promo?"))
        .await
        .unwrap();
    assert_eq!(r.matched().collect::<Vec<_>>(), ["promo"]);
    assert_eq!(r.tags_added, ["lead"]);
    rt.store()
        .add_tag("toko", from.e164(), "vip")
        .await
        .unwrap();
    let r = rt
        .handle_event("toko", &text("w4", "081234567890", "PROMO"))
        .await
        .unwrap();
    assert_eq!(r.matched().collect::<Vec<_>>(), ["vip"]);

    // Default reply.
    let r = rt
        .handle_event("toko", &text("w5", "081234567890", "selamat siang"))
        .await
        .unwrap();
    assert_eq!(r.matched().collect::<Vec<_>>(), ["default"]);
    assert_eq!(r.stopped_by, None);

    // History holds both directions, oldest first.
    let h = rt.history("toko", &from.into(), 100).await.unwrap();
    assert_eq!(h.len(), 10);
    assert_eq!(h[0].text, "Berapa HARGA-nya kak?");
    assert_eq!(h[1].text, reply);
    assert_eq!(h[1].provider_message_id.as_deref(), Some("rec-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_hours_out_of_hours_reply_once_per_day() {
    // 2026-11-23 is a Monday; 20:00 in Jakarta is 13:00 UTC.
    let clock = ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-11-23T13:00:00Z")
            .unwrap()
            .timestamp_millis(),
    );
    let rt = Runtime::builder(Arc::new(MemoryStore::new()))
        .host_config(host_config())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let p = RecordingProvider::new();
    let cfg = json!({
        "rules": [{"id": "jam", "keywords": ["jam"], "reply": "Buka 08.00-17.00"}],
        "default_reply": "Ada yang bisa dibantu?",
        "business_hours": {
            "days": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"]},
            "out_of_hours_reply": "Kami sedang tutup, {name}. Besok kami balas ya."
        }
    });
    rt.set_tenant(
        "toko",
        tenant(&p).handler(plugin(&rt, "keyword-rules", cfg).await),
    );
    let r = rt
        .handle_event("toko", &text("a", "081234567890", "halo"))
        .await
        .unwrap();
    assert_eq!(r.matched().collect::<Vec<_>>(), ["out-of-hours"]);
    assert_eq!(
        r.replies[0].message.as_text(),
        Some("Kami sedang tutup, Kak. Besok kami balas ya.")
    );
    let r = rt
        .handle_event("toko", &text("b", "081234567890", "halo lagi"))
        .await
        .unwrap();
    assert_eq!(
        r.matched().collect::<Vec<_>>(),
        ["default"],
        "only once per day"
    );
    // Next day 07:00 Jakarta: closed again, new day, notice again.
    clock.advance_ms(11 * 3_600_000);
    let r = rt
        .handle_event("toko", &text("c", "081234567890", "jam buka?"))
        .await
        .unwrap();
    assert_eq!(r.matched().collect::<Vec<_>>(), ["out-of-hours", "jam"]);
    // 09:00: open.
    clock.advance_ms(2 * 3_600_000);
    let r = rt
        .handle_event("toko", &text("d", "081234567890", "halo"))
        .await
        .unwrap();
    assert_eq!(r.matched().collect::<Vec<_>>(), ["default"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compile_cache_is_reused_across_hosts_and_bad_bytes_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = bot_core::testing::plugin_path("hostile");
    let host = |d: &std::path::Path| {
        Arc::new(
            PluginHost::new(
                host_config().cache_dir(d),
                Arc::new(MemoryStore::new()),
                None,
            )
            .unwrap(),
        )
    };
    let a = host(dir.path());
    a.load_file(&path).await.unwrap();
    assert_eq!(a.cache_stats(), (0, 1));
    let b = host(dir.path());
    b.load_file(&path).await.unwrap();
    assert_eq!(
        b.cache_stats(),
        (1, 0),
        "the second host loads the compiled artifact"
    );
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");

    // A corrupted artifact is detected by its checksum and recompiled.
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "cwasm") {
            std::fs::write(&f, b"garbage").unwrap();
        }
    }
    let c = host(dir.path());
    c.load_file(&path).await.unwrap();
    assert_eq!(c.cache_stats(), (0, 1));

    assert!(matches!(
        c.load_bytes(b"not wasm").await,
        Err(LoadError::Invalid(_))
    ));
    // A core module is not a component.
    assert!(matches!(
        c.load_bytes(b"\0asm\x01\0\0\0").await,
        Err(LoadError::Invalid(_))
    ));
}

/// A native handler in the same pipeline as WASM plugins.
struct Greeter;

#[async_trait]
impl Handler for Greeter {
    fn name(&self) -> &str {
        "greeter"
    }

    async fn handle(
        &self,
        m: &InboundMessage<Recipient>,
        ctx: &HandlerContext,
    ) -> Result<Vec<Action>, HandlerError> {
        if m.text() == Some("hi") {
            return Ok(vec![
                Action::reply_text(format!(
                    "hello {}",
                    ctx.contact.phone.as_ref().map_or("", |p| p.e164())
                )),
                Action::Stop,
            ]);
        }
        Ok(vec![])
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_and_wasm_handlers_mix_in_one_pipeline() {
    let rt = runtime();
    let p = RecordingProvider::new();
    let echo = plugin(&rt, "hostile", json!({"behaviour": "echo"})).await;
    rt.set_tenant("t", tenant(&p).handler(Greeter).handler(echo));
    let r = rt
        .handle_event("t", &text("1", "081200000001", "hi"))
        .await
        .unwrap();
    assert_eq!(r.stopped_by.as_deref(), Some("greeter"));
    assert_eq!(r.runs.len(), 1);
    let r = rt
        .handle_event("t", &text("2", "081200000001", "yo"))
        .await
        .unwrap();
    assert_eq!(r.runs[0].status, RunStatus::Ran { actions: 0 });
    assert_eq!(sent_texts(&p), ["hello +6281200000001", "echo: yo"]);
    // Media is not wanted by either handler.
    let img = whatsapp_client::webhook::Event::Message(InboundMessage::new(
        "cloud_api",
        "3",
        phone("081200000001"),
        whatsapp_client::webhook::MessageContent::Media(
            whatsapp_client::webhook::InboundMedia::new(whatsapp_client::MediaKind::Image),
        ),
    ));
    let r = rt.handle_event("t", &img).await.unwrap();
    assert!(r.runs.iter().all(|x| x.status == RunStatus::NotWanted));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debounce_window_comes_from_the_manifest_and_can_be_overridden() {
    let rt = runtime();
    let ai = plugin(&rt, "ai-reply", json!({})).await;
    assert_eq!(
        ai.debounce(),
        Some(std::time::Duration::from_secs(3)),
        "ai-reply's manifest default"
    );
    let fast = ai
        .clone()
        .with_debounce(Some(std::time::Duration::from_millis(800)));
    assert_eq!(fast.debounce(), Some(std::time::Duration::from_millis(800)));
    assert_eq!(ai.clone().with_debounce(None).debounce(), None);
    assert_eq!(
        ai.with_debounce(Some(std::time::Duration::from_secs(600)))
            .debounce(),
        Some(bot_core::host::MAX_DEBOUNCE),
        "capped like manifests"
    );
    let rules = plugin(&rt, "keyword-rules", rules_config()).await;
    assert_eq!(rules.debounce(), None, "keyword-rules answers at once");
}
