//! Build steps of the server:
//!
//! * Rebuilds the crate when a migration file or an embedded static file
//!   changes: `sqlx::migrate!` embeds `migrations/` at compile time, and
//!   cargo does not see those files otherwise (askama tracks its templates
//!   itself; `include_bytes!` tracks the static files too, the line below
//!   also catches a new file).
//! * Embeds the bundled plugin components, so a copied binary runs bots
//!   without a plugins folder. They are the `.wasm` files that
//!   `scripts/build-plugins.sh` writes to `target/plugins/` of the
//!   workspace (or to `PLUGIN_OUT_DIR`). When one is missing the script is
//!   run here; it builds with its own target directory
//!   (`target/wasm-build`), so it neither waits for the lock this build
//!   holds nor compiles the host's dependencies again.
//!   `REFERENCE_SERVER_EMBED_PLUGINS=0` builds a binary without them (it
//!   then needs `PLUGINS_DIR`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The plugins the server offers, as `target/plugins/<name>.wasm`.
const BUNDLED: [&str; 2] = ["keyword-rules", "ai-reply"];

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=static");
    println!("cargo:rerun-if-env-changed=REFERENCE_SERVER_EMBED_PLUGINS");
    println!("cargo:rerun-if-env-changed=PLUGIN_OUT_DIR");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let embedded = if embedding_wanted() {
        let dir = plugins_dir();
        ensure_built(&dir);
        BUNDLED
            .iter()
            .map(|name| {
                let src = dir.join(format!("{name}.wasm"));
                println!("cargo:rerun-if-changed={}", src.display());
                let copy = out_dir.join(format!("{name}.wasm"));
                std::fs::copy(&src, &copy).unwrap_or_else(|e| {
                    fail(&format!("cannot copy {}: {e}", src.display()));
                });
                (*name, copy)
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut code = String::from(
        "/// The bundled plugin components: name and `.wasm` bytes.\n\
         pub(crate) static EMBEDDED_PLUGINS: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &embedded {
        let _ = writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            path.display()
        );
    }
    code.push_str("];\n");
    let generated = out_dir.join("embedded_plugins.rs");
    std::fs::write(&generated, code).unwrap_or_else(|e| {
        fail(&format!("cannot write {}: {e}", generated.display()));
    });
}

fn embedding_wanted() -> bool {
    match std::env::var("REFERENCE_SERVER_EMBED_PLUGINS") {
        Ok(v) => !matches!(v.trim(), "0" | "false" | "no" | "off"),
        Err(_) => true,
    }
}

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Where `scripts/build-plugins.sh` puts the components.
fn plugins_dir() -> PathBuf {
    match std::env::var_os("PLUGIN_OUT_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("target/plugins"),
    }
}

/// Runs `scripts/build-plugins.sh` when a bundled component is missing.
fn ensure_built(dir: &Path) {
    let missing: Vec<&str> = BUNDLED
        .iter()
        .copied()
        .filter(|name| !dir.join(format!("{name}.wasm")).is_file())
        .collect();
    if missing.is_empty() {
        return;
    }
    let script = workspace_root().join("scripts/build-plugins.sh");
    println!(
        "cargo:warning=bundled plugins missing ({}): running scripts/build-plugins.sh (wasm32-wasip2, its own target directory)",
        missing.join(", ")
    );
    let mut cmd = Command::new("bash");
    cmd.arg(&script).env("PLUGIN_OUT_DIR", dir);
    // The outer build's settings are not the plugins': its rustflags
    // (which would replace the plugins' stack-size flag from
    // .cargo/config.toml), wrappers such as clippy-driver, and its target
    // directory. The script sets its own target directory.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PRIMARY_PACKAGE",
        "TARGET",
        "HOST",
        "PROFILE",
        "OPT_LEVEL",
        "DEBUG",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status();
    let ok = matches!(status, Ok(s) if s.success());
    let still_missing: Vec<&str> = BUNDLED
        .iter()
        .copied()
        .filter(|name| !dir.join(format!("{name}.wasm")).is_file())
        .collect();
    if !ok || !still_missing.is_empty() {
        fail(&format!(
            "the bundled plugin components ({}) are missing from {} and `bash scripts/build-plugins.sh` \
             did not produce them ({}). Run that script yourself to see why (it needs the \
             wasm32-wasip2 target: `rustup target add wasm32-wasip2`), or build without embedded \
             plugins with REFERENCE_SERVER_EMBED_PLUGINS=0 and point PLUGINS_DIR at a folder of \
             components when running the server.",
            still_missing.join(", "),
            dir.display(),
            match status {
                Ok(s) => format!("script exit status: {s}"),
                Err(e) => format!("could not start bash: {e}"),
            }
        ));
    }
}

/// Stops the build with `message`: a build script reports failure through
/// its exit status, and a panic would bury the message in a backtrace.
#[allow(clippy::exit)]
fn fail(message: &str) -> ! {
    eprintln!("error: reference-server build: {message}");
    std::process::exit(1);
}
