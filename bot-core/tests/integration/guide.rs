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
    // `#[serde(deny_unknown_fields)]` makes the schema refuse unknown fields.
    let err = echo
        .configure(&json!({"prefix": "x", "extra": 1}))
        .unwrap_err();
    assert!(err.errors.iter().any(|e| e.contains("extra")), "{err}");
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

/// A plugin author's crate outside this repository, set up as the guide's
/// steps 1 to 4 say (its own workspace, the SDK as a dependency, the
/// release settings and the stack size), builds with
/// `testing::build_plugin`, loads and answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_outside_the_repository_builds_and_loads() {
    let repo = bot_core::testing::workspace_root();
    let dir = std::env::temp_dir().join("bot-core-guide-outside-plugin");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    // Write only what changed, so a repeated run reuses its build.
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            std::fs::write(&path, text).unwrap();
        }
    };
    write(
        "Cargo.toml",
        &format!(
            r#"[package]
name = "my-echo"
version = "0.2.0"
edition = "2024"

[lib]
crate-type = ["cdylib"]

[dependencies]
plugin-sdk = {{ package = "wa-commerce-plugin-sdk", path = "{sdk}" }}
serde = {{ version = "1", features = ["derive"] }}
schemars = "1"
serde_json = "1"

[profile.release]
lto = true
codegen-units = 1
debug = false
strip = "debuginfo"

[workspace]
"#,
            sdk = repo.join("plugins/sdk").display()
        ),
    );
    write(
        ".cargo/config.toml",
        "[target.wasm32-wasip2]\nrustflags = [\"-C\", \"link-arg=-zstack-size=262144\"]\n",
    );
    let source = std::fs::read_to_string(repo.join("plugins/echo/src/lib.rs")).unwrap();
    write("src/lib.rs", &source);

    let wasm = bot_core::testing::build_plugin(&dir);
    assert!(wasm.starts_with(&dir), "{}", wasm.display());
    let rt = runtime();
    let echo = rt.host().load_file(&wasm).await.unwrap();
    assert_eq!(echo.manifest().name, "echo");
    assert_eq!(echo.manifest().version, "0.2.0");
    // The guide's configuration type refuses unknown fields.
    let err = echo
        .configure_async(&json!({"prefix": "x", "extra": 1}))
        .await
        .unwrap_err();
    assert!(err.errors.iter().any(|e| e.contains("extra")), "{err}");
    let handler = echo
        .configure_async(&json!({"prefix": "> "}))
        .await
        .unwrap();
    let p = RecordingProvider::new();
    rt.set_tenant("toko", tenant(&p).handler(handler));
    rt.handle_event("toko", &text("1", "081234567890", "halo"))
        .await
        .unwrap();
    assert_eq!(sent_texts(&p), ["> halo"]);
}
