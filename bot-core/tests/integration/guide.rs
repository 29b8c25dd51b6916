//! The plugin author's guide (`docs/src/plugin-guide.md`), end to end: the
//! `echo` plugin written in the guide is built by the workspace's plugin
//! build script, loaded, configured and run, exactly as the guide says.

use crate::common;

use common::*;
use serde_json::json;
use whatsapp_client::testing::RecordingProvider;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_plugin_loads_and_answers() {
    let rt = runtime();
    // Step "Load it": the host reads the manifest and the schema.
    let echo = rt
        .host()
        .load_file(bot_core::testing::plugin_path("echo"))
        .await
        .unwrap();
    assert_eq!(echo.manifest().name, "echo");
    assert_eq!(echo.manifest().version, "0.1.0");

    // Step "Configure it": the schema from `#[derive(JsonSchema)]` is enforced.
    let err = echo.configure(&json!({"count": true})).unwrap_err();
    assert_eq!(err.errors, ["/: \"prefix\" is a required property"]);
    let err = echo.configure(&json!({"prefix": 5})).unwrap_err();
    assert!(
        err.errors[0].starts_with("/prefix: 5 is not of type \"string\""),
        "{err}"
    );
    assert_eq!(echo.contract_version(), "0.3.0");
    let handler = echo
        .configure_async(&json!({"prefix": "Anda bilang: ", "count": true}))
        .await
        .unwrap();

    // Step "Run it".
    let p = RecordingProvider::new();
    rt.set_tenant("toko", tenant(&p).handler(handler));
    rt.handle_event("toko", &text("1", "081234567890", "halo"))
        .await
        .unwrap();
    rt.handle_event("toko", &text("2", "081234567890", "apa kabar"))
        .await
        .unwrap();
    assert_eq!(
        sent_texts(&p),
        ["Anda bilang: halo (#1)", "Anda bilang: apa kabar (#2)"]
    );
}
