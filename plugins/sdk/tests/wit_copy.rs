//! The SDK carries its own copy of the WIT contract (`wit/since_v0.3.0/`)
//! so that the published crate, or a copy of this folder, builds without
//! the rest of the repository. Inside the workspace the copy must be
//! byte-for-byte the host's contract in `bot-core/wit/`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;

#[test]
fn the_wit_copy_is_the_hosts_contract() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = manifest.join("wit/since_v0.3.0/plugin.wit");
    let ours = std::fs::read_to_string(&ours).unwrap_or_else(|e| panic!("{}: {e}", ours.display()));
    let package = format!("package botcore:plugin@{};", plugin_sdk::CONTRACT_VERSION);
    assert!(ours.contains(&package), "the WIT copy is not {package}");
    let host = manifest.join("../../bot-core/wit/since_v0.3.0/plugin.wit");
    if !manifest.join("../../bot-core/Cargo.toml").is_file() {
        // A published copy of the SDK: there is no host contract beside it.
        eprintln!("not inside the workspace; nothing to compare the WIT copy with");
        return;
    }
    let host_text =
        std::fs::read_to_string(&host).unwrap_or_else(|e| panic!("{}: {e}", host.display()));
    assert!(
        ours == host_text,
        "plugins/sdk/wit/since_v0.3.0/plugin.wit differs from bot-core's contract: copy \
         bot-core/wit/since_v0.3.0/plugin.wit over it"
    );
}
