//! The plugin guide's host program (`examples/src/bin/plugin_host.rs`)
//! runs against the guide's `echo` plugin, and the guide shows exactly
//! that program.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::process::Command;

#[test]
fn the_guide_host_program_runs_the_echo_plugin() {
    let wasm = bot_core::testing::plugin_path("echo");
    // Its own folder, so the program's relative cache folder is fresh.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin_host");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_plugin_host"))
            .arg(&wasm)
            .current_dir(&dir)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let stdout = run();
    for line in [
        "loaded echo 0.1.0 (contract 0.3.0)",
        "echo replied: Anda bilang: halo (#1)",
        "echo replied: Anda bilang: apa kabar (#2)",
        "2 messages sent",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert!(
        stdout.contains("refused as expected") && stdout.contains("/prefix"),
        "{stdout}"
    );
    // The plugin's own log line reaches the host's output.
    assert!(
        stdout.contains("echoing to +6281234567890"),
        "plugin log line missing:\n{stdout}"
    );
    // The compiled component was cached, and a second run still works.
    let cache = dir.join("target/plugin-cache");
    assert!(std::fs::read_dir(&cache).unwrap().next().is_some());
    assert!(run().contains("echo replied: Anda bilang: halo (#1)"));
}

/// The program in the guide's step 5 is this example, line for line (the
/// example's `//!` header aside).
#[test]
fn the_guide_shows_the_tested_program() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let guide = std::fs::read_to_string(root.join("docs/src/plugin-guide.md")).unwrap();
    let marker = "<!-- examples/src/bin/plugin_host.rs -->";
    let start = guide
        .find(marker)
        .expect("the guide marks the host program")
        + marker.len();
    let block = &guide[start..];
    let block = &block[block.find("```rust").unwrap()..];
    let body_start = block.find('\n').unwrap() + 1;
    let body_end = block[body_start..].find("\n```").unwrap() + body_start + 1;
    let shown = &block[body_start..body_end];
    let program = std::fs::read_to_string(root.join("examples/src/bin/plugin_host.rs")).unwrap();
    let program: String = program
        .lines()
        .skip_while(|l| l.starts_with("//!"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        shown, program,
        "docs/src/plugin-guide.md step 5 differs from the example"
    );
}
