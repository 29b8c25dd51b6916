//! Contract versions, the configuration check (`validate-config`,
//! `prepare-config`), load failures and how failures are classified.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use bot_core::{
    ConversationStore, HandlerError, LoadError, MemoryStore, PluginComponent, PluginHost,
};
use common::*;
use serde_json::json;
use whatsapp_client::testing::RecordingProvider;

async fn load(rt: &bot_core::Runtime, name: &str) -> Arc<PluginComponent> {
    rt.host()
        .load_file(bot_core::testing::plugin_path(name))
        .await
        .unwrap()
}

fn errors(rt_result: Result<bot_core::WasmHandler, bot_core::ConfigError>) -> Vec<String> {
    rt_result.map(|_| ()).unwrap_err().errors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyword_rules_refuses_broken_configs_when_configured_naming_the_field() {
    let rt = runtime();
    let c = load(&rt, "keyword-rules").await;
    assert_eq!(c.contract_version(), "0.3.0");
    let rule = |reply: &str| json!({"id": "a", "keywords": ["x"], "reply": reply});

    let e = errors(c.configure(&json!({"rules": [rule("ok"), rule("{Halo|Hai")]})));
    assert_eq!(
        e,
        ["/rules/1/reply: template error at line 1, column 1: `{` is never closed"]
    );
    let e = errors(c.configure(
        &json!({"rules": [{"id": "r", "keywords": ["ok", "(resi"], "match": "regex", "reply": "x"}]}),
    ));
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("/rules/0/keywords/1: invalid regex"),
        "{e:?}"
    );
    // The component's regex engine has Unicode word, digit and space
    // classes and case folding, but no script or category tables: such a
    // pattern is refused when saved, not when a message reaches it.
    let e = errors(c.configure(
        &json!({"rules": [{"id": "r", "keywords": ["\\p{Greek}+"], "match": "regex", "reply": "x"}]}),
    ));
    assert!(
        e.len() == 1 && e[0].starts_with("/rules/0/keywords/0: invalid regex"),
        "{e:?}"
    );
    let e = errors(c.configure(&json!({"business_hours": {"days": {"mon": ["17:00-08:00"]}}})));
    assert_eq!(
        e,
        ["/business_hours/days/mon/0: `17:00-08:00` is not valid"]
    );
    let e = errors(c.configure(&json!({"business_hours": {"out_of_hours_reply": "Tutup {name"}})));
    assert!(
        e[0].starts_with("/business_hours/out_of_hours_reply: template error"),
        "{e:?}"
    );
    // The async variant judges the same way.
    let e = c
        .configure_async(&json!({"default_reply": "{}"}))
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        e.errors,
        ["/default_reply: template error at line 1, column 1: `{}` is empty"]
    );
    // Schema errors come first (the plugin is not asked about a config
    // that does not even fit the schema).
    let e = errors(c.configure(&json!({"rules": "nope"})));
    assert!(e[0].starts_with("/rules:"), "{e:?}");
    // A good configuration passes both and answers.
    let h = c
        .configure_async(&json!({"rules": [{"id": "resi", "keywords": ["^Resi\\s+\\w+$"], "match": "regex", "reply": "Dicek ya"}]}))
        .await
        .unwrap();
    let p = RecordingProvider::new();
    rt.set_tenant("toko", tenant(&p).handler(h));
    let r = rt
        .handle_event("toko", &text("m1", "081200000001", "RESI JNE123"))
        .await
        .unwrap();
    assert_eq!(r.failures().count(), 0, "{r:?}");
    assert_eq!(sent_texts(&p), ["Dicek ya"]);
    // `\w` is Unicode-aware: a receipt number in Arabic-Indic digits
    // (not folded away) still matches.
    let r = rt
        .handle_event("toko", &text("m2", "081200000001", "resi ٣٤٥"))
        .await
        .unwrap();
    assert_eq!(r.failures().count(), 0, "{r:?}");
    assert_eq!(sent_texts(&p), ["Dicek ya", "Dicek ya"]);
}

/// The plugins are linked with a 256 KiB stack (`.cargo/config.toml`)
/// instead of Rust's 1 MiB. The deepest pattern the regex parser accepts
/// (nested 249 groups; 64 KiB of stack ran out at 150) still compiles when
/// the configuration is saved, one nesting more is refused by the parser
/// with its own error, and messages bigger than the SDK's 64 KiB event
/// arena are answered from the system allocator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyword_rules_fits_its_stack_and_its_event_arena() {
    // Room for compiling the deep regex on a loaded machine: the test is
    // about the stack, not the deadline.
    let rt = runtime_with(host_config().cpu_deadline(Duration::from_secs(5)));
    let c = load(&rt, "keyword-rules").await;
    let nested = |depth: usize| {
        json!({"rules": [{"id": "deep", "match": "regex", "reply": "Dalam {name}",
            "keywords": [format!("{}a{}", "(".repeat(depth), ")".repeat(depth))]}]})
    };
    let h = c.configure(&nested(249)).unwrap();
    let e = errors(c.configure(&nested(260)));
    assert!(
        e.len() == 1 && e[0].starts_with("/rules/0/keywords/0: invalid regex"),
        "{e:?}"
    );
    let p = RecordingProvider::new();
    rt.set_tenant("toko", tenant(&p).handler(h));
    let r = rt
        .handle_event("toko", &text("m1", "081200000001", "a"))
        .await
        .unwrap();
    assert_eq!(r.failures().count(), 0, "{r:?}");
    // 200 KiB of text: the host copies it into the instance and the plugin
    // folds it, well past the arena.
    let long = "A ".repeat(100 << 10);
    let r = rt
        .handle_event("toko", &text("m2", "081200000002", &long))
        .await
        .unwrap();
    assert_eq!(r.failures().count(), 0, "{r:?}");
    assert_eq!(sent_texts(&p), ["Dalam Kak", "Dalam Kak"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ai_reply_refuses_what_its_schema_cannot_express() {
    let rt = runtime();
    let c = load(&rt, "ai-reply").await;
    assert_eq!(c.contract_version(), "0.3.0");
    let e = errors(c.configure(&json!({"knowledge": [{"text": "Buka 08-17"}, {"text": "   "}]})));
    assert_eq!(e, ["/knowledge/1/text: knowledge snippet 1 has no text"]);
    assert!(c.configure(&json!({})).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_custom_field_renders_empty_and_the_reply_is_still_sent() {
    let rt = runtime();
    let h = plugin(
        &rt,
        "keyword-rules",
        json!({"rules": [{"id": "kirim", "keywords": ["kirim"], "reply": "{name}, kami kirim ke {kota}."}]}),
    )
    .await;
    let p = RecordingProvider::new();
    rt.set_tenant("toko", tenant(&p).handler(h));
    // No name, no custom fields: {name} falls back to "Kak", {kota} is empty.
    let r = rt
        .handle_event("toko", &text("m1", "081200000002", "kirim dong"))
        .await
        .unwrap();
    assert_eq!(r.failures().count(), 0, "{r:?}");
    assert_eq!(sent_texts(&p), ["Kak, kami kirim ke ."]);

    // An English-speaking vendor picks its own word for a nameless contact;
    // a contact with a name keeps it.
    let h = plugin(
        &rt,
        "keyword-rules",
        json!({"name_fallback": "there", "rules": [{"id": "hi", "keywords": ["hello"], "reply": "Hi {name}!"}]}),
    )
    .await;
    let p = RecordingProvider::new();
    rt.set_tenant("shop", tenant(&p).handler(h));
    rt.handle_event("shop", &text("e1", "081200000021", "hello"))
        .await
        .unwrap();
    let named = match text("e2", "081200000022", "hello") {
        whatsapp_client::webhook::Event::Message(m) => {
            whatsapp_client::webhook::Event::Message(m.with_from_name("Budi"))
        }
        other => other,
    };
    rt.handle_event("shop", &named).await.unwrap();
    assert_eq!(sent_texts(&p), ["Hi there!", "Hi Budi!"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_of_the_frozen_0_1_0_contract_still_loads_and_answers() {
    let rt = runtime();
    let c = load(&rt, "echo-v0-1").await;
    assert_eq!(c.contract_version(), "0.1.0");
    assert_eq!(c.manifest().name, "echo-v0-1");
    // 0.1.0 has no validate-config: the schema is the only check.
    assert!(errors(c.configure(&json!([1]))).len() == 1);
    let h = c.configure(&json!({"anything": true})).unwrap();
    let p = RecordingProvider::new();
    rt.set_tenant("lama", tenant(&p).handler(h));
    rt.handle_event("lama", &text("m1", "081200000003", "halo"))
        .await
        .unwrap();
    assert_eq!(sent_texts(&p), ["v0.1: halo"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_of_the_frozen_0_2_0_contract_still_loads_is_checked_and_answers() {
    let rt = runtime();
    let c = load(&rt, "echo-v0-2").await;
    assert_eq!(c.contract_version(), "0.2.0");
    assert_eq!(c.manifest().history_depth, None);
    // Its own validate-config still judges the configuration.
    let e = errors(c.configure(&json!({"refuse": 1})));
    assert_eq!(e, ["/refuse: echo-v0-2 refuses this key"]);
    let h = c.configure(&json!({"fine": true})).unwrap();
    assert!(h.prepared().is_empty(), "0.2.0 prepares nothing");
    let p = RecordingProvider::new();
    rt.set_tenant("lama", tenant(&p).handler(h));
    rt.handle_event("lama", &text("m1", "081200000013", "halo"))
        .await
        .unwrap();
    rt.handle_event("lama", &text("m2", "081200000013", "lagi"))
        .await
        .unwrap();
    // No declared depth: the runtime's default history reaches the plugin
    // (the first message and the reply to it).
    assert_eq!(
        sent_texts(&p),
        ["v0.2: halo (history 0)", "v0.2: lagi (history 2)"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyword_rules_prepares_its_configuration_and_reads_no_history() {
    let rt = runtime();
    let c = load(&rt, "keyword-rules").await;
    assert_eq!(c.manifest().history_depth, Some(0));
    let config =
        json!({"rules": [{"id": "harga", "keywords": ["harga"], "reply": "Mulai 75rb, {name}"}]});
    let h = c.configure_async(&config).await.unwrap();
    // The prepared form is the plugin's compact binary copy: not the JSON.
    assert!(!h.prepared().is_empty());
    assert_ne!(h.prepared(), config.to_string().as_bytes());
    let p = RecordingProvider::new();
    rt.set_tenant("toko", tenant(&p).handler(h));
    for (id, body) in [("m1", "halo"), ("m2", "harga?"), ("m3", "harga lagi")] {
        let r = rt
            .handle_event("toko", &text(id, "081200000014", body))
            .await
            .unwrap();
        assert_eq!(r.failures().count(), 0, "{r:?}");
    }
    assert_eq!(sent_texts(&p), ["Mulai 75rb, Kak", "Mulai 75rb, Kak"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_prepared_configuration_is_refused() {
    // The check fills 2 MiB of fresh memory (about 10 ms on its first run
    // here, page faults included); the epoch deadline counts wall time, so
    // under a loaded CI machine 50 ms was once not enough. This test is
    // about the size, so it gives the check room.
    let host = || host_config().cpu_deadline(Duration::from_secs(5));
    let rt = runtime_with(host());
    let c = load(&rt, "hostile").await;
    let e = errors(c.configure(&json!({"behaviour": "prepare-huge"})));
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("/: the plugin's prepared form of this configuration is 2097152 bytes"),
        "{e:?}"
    );
    // A host that allows more keeps it; the plugin then fails its events
    // (it prepares bytes it cannot read back), which the runtime reports.
    let roomy = runtime_with(host().max_prepared(4 << 20));
    let c = load(&roomy, "hostile").await;
    let h = c
        .configure_async(&json!({"behaviour": "prepare-huge"}))
        .await
        .unwrap();
    assert_eq!(h.prepared().len(), 2 << 20);
    let p = RecordingProvider::new();
    roomy.set_tenant("t", tenant(&p).handler(h));
    let r = roomy
        .handle_event("t", &text("m1", "081200000015", "hi"))
        .await
        .unwrap();
    let (_, e) = r.failures().next().expect("a failure");
    assert!(
        matches!(e, HandlerError::Failed(m) if m.contains("from_prepared")),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_of_another_world_is_an_unsupported_contract() {
    let rt = runtime();
    // A valid component whose `manifest` export has the wrong type.
    let wat = r#"(component
        (core module $m (func (export "f")))
        (core instance $i (instantiate $m))
        (func (export "manifest") (canon lift (core func $i "f"))))"#;
    match rt.host().load_bytes(wat.as_bytes()).await {
        Err(LoadError::UnsupportedContract(m)) => {
            assert!(
                m.contains("@0.3.0") && m.contains("@0.2.0") && m.contains("@0.1.0"),
                "{m}"
            )
        }
        other => panic!("expected UnsupportedContract, got {other:?}"),
    }
    // An empty component exports nothing at all.
    assert!(matches!(
        rt.host().load_bytes(b"(component)").await,
        Err(LoadError::UnsupportedContract(_))
    ));
}

async fn load_hostile_manifest(mode: Option<&str>, cpu: Duration) -> Result<(), LoadError> {
    let store = Arc::new(MemoryStore::new());
    if let Some(mode) = mode {
        store
            .kv_set("", "manifest", "mode", mode.as_bytes())
            .await
            .unwrap();
    }
    let host = Arc::new(PluginHost::new(host_config().cpu_deadline(cpu), store, None).unwrap());
    host.load_file(bot_core::testing::plugin_path("hostile-manifest"))
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_manifests_are_refused() {
    let cpu = Duration::from_millis(200);
    load_hostile_manifest(Some("ok"), cpu).await.unwrap();
    match load_hostile_manifest(Some("bad-name"), cpu).await {
        Err(LoadError::Manifest(m)) => assert!(m.contains("Not A Valid Name!"), "{m}"),
        other => panic!("{other:?}"),
    }
    match load_hostile_manifest(Some("bad-schema"), cpu).await {
        Err(LoadError::Manifest(m)) => assert!(m.contains("config schema is not JSON"), "{m}"),
        other => panic!("{other:?}"),
    }
    match load_hostile_manifest(Some("bad-history"), cpu).await {
        Err(LoadError::Manifest(m)) => assert!(m.contains("history-depth must be at most"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_that_loops_is_stopped_by_the_deadline() {
    // The CPU deadline (not the 30 s wall timeout) stopped it: the host
    // names the limit from the store's flag, not from a clock. The
    // manifest runs under the administrative deadline, a multiple of the
    // per-event one.
    let cpu = Duration::from_millis(30);
    let admin = cpu * bot_core::ADMIN_DEADLINE_FACTOR;
    match load_hostile_manifest(None, cpu).await {
        Err(LoadError::Manifest(m)) => {
            assert!(m.contains(&format!("CPU deadline of {admin:?}")), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_that_reads_like_pool_exhaustion_is_a_trap() {
    let rt = runtime();
    let h = plugin(&rt, "hostile", json!({"behaviour": "panic-maximum"})).await;
    let p = RecordingProvider::new();
    rt.set_tenant("t", tenant(&p).handler(h));
    let r = rt
        .handle_event("t", &text("m1", "081200000004", "hi"))
        .await
        .unwrap();
    let (_, e) = r.failures().next().expect("a failure");
    // The text contains the words a text-based check looked for, so this
    // fails if the classification ever goes back to reading the text.
    assert!(
        matches!(e, HandlerError::Trap(m) if m.contains("maximum") && m.contains("pooling")),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_instance_pool_is_an_instantiate_error() {
    let rt = Arc::new(runtime_with(
        host_config()
            .max_instances(1)
            .cpu_deadline(Duration::from_millis(300)),
    ));
    let looping = plugin(&rt, "hostile", json!({"behaviour": "loop"})).await;
    let echo = plugin(&rt, "hostile", json!({"behaviour": "echo"})).await;
    let (pa, pb) = (RecordingProvider::new(), RecordingProvider::new());
    rt.set_tenant("a", tenant(&pa).handler(looping));
    rt.set_tenant("b", tenant(&pb).handler(echo));
    let busy = {
        let rt = rt.clone();
        tokio::spawn(async move {
            rt.handle_event("a", &text("a1", "081200000005", "x"))
                .await
                .unwrap()
        })
    };
    // Wait until the loop holds the only slot.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = rt
        .handle_event("b", &text("b1", "081200000006", "x"))
        .await
        .unwrap();
    let (_, e) = r.failures().next().expect("a failure");
    assert!(
        matches!(e, HandlerError::Instantiate(m) if m.contains("maximum concurrent")),
        "{e:?}"
    );
    busy.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_config_is_bounded_and_sandboxed() {
    let store = Arc::new(MemoryStore::new());
    store.kv_set("", "hostile", "last", b"x").await.unwrap();
    let rt = bot_core::Runtime::builder(store)
        .host_config(host_config().cpu_deadline(Duration::from_millis(30)))
        .llm(Arc::new(bot_core::llm::ScriptedLlm::new("ok")))
        .build()
        .unwrap();
    let c = load(&rt, "hostile").await;
    let e = errors(c.configure(&json!({"behaviour": "validate-refuse"})));
    assert_eq!(e, ["/behaviour: validate-refuse is refused on purpose"]);
    // No kv and no LLM while validating, even though both exist.
    let e = errors(c.configure(&json!({"behaviour": "validate-probe"})));
    assert_eq!(e, ["/: kv get false, kv set false, llm false"]);
    // A validate-config that loops is stopped at the CPU deadline.
    let e = errors(c.configure(&json!({"behaviour": "validate-loop"})));
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("/: the plugin could not check the configuration")
            && e[0].contains("CPU deadline"),
        "{e:?}"
    );
    assert!(c.configure(&json!({"behaviour": "echo"})).is_ok());
    // The fallible form tells the stopped check from a refusal.
    match c
        .try_configure_async(&json!({"behaviour": "validate-loop"}))
        .await
    {
        Err(bot_core::ConfigureError::Unchecked {
            plugin,
            error: HandlerError::Timeout(_),
        }) => assert_eq!(plugin, "hostile"),
        other => panic!("expected an unfinished check: {:?}", other.map(|_| ())),
    }
    match c
        .try_configure_async(&json!({"behaviour": "validate-refuse"}))
        .await
    {
        Err(bot_core::ConfigureError::Refused(e)) => {
            assert_eq!(
                e.errors,
                ["/behaviour: validate-refuse is refused on purpose"]
            );
        }
        other => panic!("expected a refusal: {:?}", other.map(|_| ())),
    }
    assert!(
        c.try_configure_async(&json!({"behaviour": "echo"}))
            .await
            .is_ok()
    );
}
