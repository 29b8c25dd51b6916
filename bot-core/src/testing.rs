//! Test support: plugin components, built on demand.
//!
//! - [`build_plugin`] builds *your* plugin crate (any folder with a
//!   `Cargo.toml`, inside or outside a workspace) for `wasm32-wasip2` and
//!   returns its component, so a host test can load the plugin it tests.
//! - [`plugin_path`] is for bot-core's own repository: it runs
//!   `scripts/build-plugins.sh` (release build for `wasm32-wasip2`) once
//!   per process and returns one of the repository's plugins
//!   (`plugins/<name>`), so bot-core's tests and benchmarks and the
//!   reference server's tests never depend on a manual step. Set
//!   `BOT_CORE_PLUGIN_DIR` to a folder of already built `<name>.wasm` files
//!   to skip the build. Outside the repository it panics, pointing at
//!   [`build_plugin`], rather than hand back some other plugin.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The workspace root (the folder above this crate).
#[must_use]
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

fn build() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("BOT_CORE_PLUGIN_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let script = workspace_root().join("scripts/build-plugins.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let dir = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .to_owned();
    if dir.is_empty() {
        return Err(format!("{} printed no output folder", script.display()));
    }
    Ok(PathBuf::from(dir))
}

/// The folder with the built plugin components, building them the first time.
///
/// # Panics
/// When the build fails (the message includes the build's output).
#[must_use]
pub fn plugin_dir() -> PathBuf {
    match DIR.get_or_init(build) {
        Ok(dir) => dir.clone(),
        Err(e) => panic!("building the plugins failed: {e}"),
    }
}

/// The component file of the repository's plugin crate `plugins/<name>`
/// (e.g. `"keyword-rules"`), building the plugins the first time.
///
/// # Panics
/// When bot-core is not inside its repository (use [`build_plugin`] for a
/// plugin of your own), when `plugins/<name>` is not one of the
/// repository's plugins, or when the build fails or produced no such
/// plugin.
#[must_use]
pub fn plugin_path(name: &str) -> PathBuf {
    if std::env::var_os("BOT_CORE_PLUGIN_DIR").is_none()
        && let Some(problem) = not_a_repository_plugin(&workspace_root(), name)
    {
        panic!("{problem}");
    }
    let path = plugin_dir().join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "plugin `{name}` was not built: {} is missing",
        path.display()
    );
    path
}

/// Why `name` cannot be one of the plugins under `root`, if it cannot.
fn not_a_repository_plugin(root: &Path, name: &str) -> Option<String> {
    if !root.join("scripts/build-plugins.sh").is_file() {
        return Some(format!(
            "testing::plugin_path builds the plugins of bot-core's own repository, and this \
             bot-core is not inside it ({}); build your plugin crate with \
             bot_core::testing::build_plugin(\"path/to/your-plugin\")",
            root.display()
        ));
    }
    let dir = root.join("plugins").join(name);
    if name.is_empty() || name.contains(['/', '\\', '.']) || !dir.join("Cargo.toml").is_file() {
        return Some(format!(
            "`{name}` is not one of the repository's plugins (no {}); build your own plugin \
             crate with bot_core::testing::build_plugin(\"path/to/{name}\")",
            dir.join("Cargo.toml").display()
        ));
    }
    None
}

static BUILT: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());

/// Builds the plugin crate in `crate_dir` (the folder with its
/// `Cargo.toml`) for `wasm32-wasip2` with its release profile, once per
/// process, and returns the component file.
///
/// It builds into `<crate_dir>/target/bot-core-test-build`, not the
/// folder `cargo test` is using, so calling it from a test never waits for
/// the test's own build. The target must be installed
/// (`rustup target add wasm32-wasip2`).
///
/// # Panics
/// When the build fails (the message includes cargo's output) or produces
/// no component.
#[must_use]
pub fn build_plugin(crate_dir: impl AsRef<Path>) -> PathBuf {
    let dir = crate_dir.as_ref();
    let manifest = dir.join("Cargo.toml");
    let manifest = manifest
        .canonicalize()
        .unwrap_or_else(|e| panic!("no plugin crate at {}: {e}", dir.display()));
    // One build per crate and process; concurrent tests wait for it.
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, wasm)) = built.iter().find(|(m, _)| *m == manifest) {
        return wasm.clone();
    }
    let wasm = match build_component(&manifest) {
        Ok(wasm) => wasm,
        Err(e) => panic!("building the plugin {} failed: {e}", manifest.display()),
    };
    built.push((manifest, wasm.clone()));
    wasm
}

fn build_component(manifest: &Path) -> Result<PathBuf, String> {
    let crate_dir = manifest.parent().unwrap_or(manifest);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // From the crate's folder, so its `.cargo/config.toml` (the stack size
    // the guide recommends) applies.
    let out = Command::new(&cargo)
        .current_dir(crate_dir)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(manifest)
        .arg("--target-dir")
        .arg(crate_dir.join("target/bot-core-test-build"))
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo build failed ({}); is the target installed (`rustup target add \
             wasm32-wasip2`)?\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    component_of(&String::from_utf8_lossy(&out.stdout), manifest)
        .ok_or_else(|| format!("cargo built no .wasm for {}", manifest.display()))
}

/// The `.wasm` file among the artifacts cargo reported for the package of
/// `manifest` (`--message-format json`).
fn component_of(messages: &str, manifest: &Path) -> Option<PathBuf> {
    let mut found = None;
    for line in messages.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact"
            || msg["manifest_path"].as_str().map(Path::new) != Some(manifest)
        {
            continue;
        }
        let wasm = msg["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .find(|f| f.ends_with(".wasm"));
        if let Some(wasm) = wasm {
            found = Some(PathBuf::from(wasm));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_component_of_the_right_package() {
        let manifest = Path::new("/w/my-plugin/Cargo.toml");
        let messages = [
            r#"{"reason":"compiler-artifact","manifest_path":"/w/dep/Cargo.toml","filenames":["/t/libdep.rlib"]}"#,
            "not json",
            r#"{"reason":"compiler-artifact","manifest_path":"/w/my-plugin/Cargo.toml","filenames":["/t/wasm32-wasip2/release/my_plugin.wasm"]}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(
            component_of(&messages, manifest),
            Some(PathBuf::from("/t/wasm32-wasip2/release/my_plugin.wasm"))
        );
        assert_eq!(
            component_of(&messages, Path::new("/w/other/Cargo.toml")),
            None
        );
    }

    #[test]
    fn plugin_path_never_hands_back_another_plugin() {
        let root = workspace_root();
        assert_eq!(not_a_repository_plugin(&root, "keyword-rules"), None);
        let other = not_a_repository_plugin(&root, "my-own-plugin").unwrap_or_default();
        assert!(
            other.contains("is not one of the repository's plugins"),
            "{other}"
        );
        assert!(other.contains("build_plugin"), "{other}");
        let outside =
            not_a_repository_plugin(Path::new("/nonexistent/app"), "echo").unwrap_or_default();
        assert!(outside.contains("not inside it"), "{outside}");
        assert!(not_a_repository_plugin(&root, "../plugins/echo").is_some());
    }
}
