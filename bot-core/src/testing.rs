//! Test support: the workspace's plugin components, built on demand.
//!
//! [`plugin_path`] runs `scripts/build-plugins.sh` (release build for
//! `wasm32-wasip2`) once per process, so bot-core's tests and benchmarks and
//! the reference server's tests never depend on a manual step. Set
//! `BOT_CORE_PLUGIN_DIR` to a folder of already built `<name>.wasm` files to
//! skip the build.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

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

/// The component file of the plugin crate `name` (e.g. `"keyword-rules"`),
/// building the plugins the first time.
///
/// # Panics
/// When the build fails or produced no such plugin.
#[must_use]
pub fn plugin_path(name: &str) -> PathBuf {
    let path = plugin_dir().join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "plugin `{name}` was not built: {} is missing",
        path.display()
    );
    path
}
