//! The on-disk cache of compiled plugin components.
//!
//! Loading a precompiled artifact is `unsafe` in wasmtime (the bytes become
//! executable code), so this module allows it. The only other `unsafe` of
//! the crate is calling a plugin's `handle` export without checking its
//! type again per message (`handle_call` in each contract version).
#![allow(unsafe_code)]

use std::hash::{Hash, Hasher};
use std::path::Path;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::LoadError;

/// The cache key: content hash of the component plus the engine's
/// compatibility hash (wasmtime version, target, compiler settings).
fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let content = hex::encode(Sha256::digest(bytes));
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{content}-{:016x}", h.finish())
}

/// A compiled plugin, loaded twice from the same artifact.
pub(super) struct Loaded {
    /// The copy that handles messages.
    pub(super) component: Component,
    /// The copy that runs the manifest and configuration checks. wasmtime
    /// gives each loaded copy its own identity, and the instance pool
    /// reuses a slot for the copy that used it last; a slot carries every
    /// page an instance ever wrote, and each later instance in it resets
    /// them all. A configuration check touches several times the memory
    /// of a message (keyword-rules compiles its regexes there), so with
    /// one copy a message that landed in that slot paid 3-4 us more.
    pub(super) admin: Component,
    /// Whether the artifact came from the cache.
    pub(super) hit: bool,
}

/// Both copies of one artifact.
fn load_twice(engine: &Engine, code: &[u8], hit: bool) -> wasmtime::Result<Loaded> {
    // SAFETY: the caller passes an artifact of this engine (see the
    // callers: made just now by `precompile_component`, or read from the
    // cache after the checks described there).
    let (component, admin) = unsafe {
        (
            Component::deserialize(engine, code)?,
            Component::deserialize(engine, code)?,
        )
    };
    Ok(Loaded {
        component,
        admin,
        hit,
    })
}

/// Returns the compiled component (twice, see [`Loaded`]) and whether it
/// came from the cache.
pub(super) fn load_or_compile(
    engine: &Engine,
    bytes: &[u8],
    dir: Option<&Path>,
) -> Result<Loaded, LoadError> {
    let invalid = |e: wasmtime::Error| LoadError::Invalid(format!("{e:#}"));
    let Some(dir) = dir else {
        let code = engine.precompile_component(bytes).map_err(invalid)?;
        return load_twice(engine, &code, false).map_err(invalid);
    };
    let key = cache_key(engine, bytes);
    let artifact = dir.join(format!("{key}.cwasm"));
    let checksum = dir.join(format!("{key}.sha256"));
    if let (Ok(code), Ok(sum)) = (std::fs::read(&artifact), std::fs::read_to_string(&checksum)) {
        if hex::encode(Sha256::digest(&code)) == sum.trim() {
            // SAFETY: `code` is an artifact this function wrote itself with
            // `Engine::precompile_component` of an engine with the same
            // compatibility hash (it is part of the file name), and its
            // SHA-256 matches the checksum written next to it, so it is not
            // a truncated or foreign file. wasmtime additionally checks the
            // artifact's header against this engine's configuration. The
            // cache folder must be private to the service's user, like any
            // folder holding executable code.
            match load_twice(engine, &code, true) {
                Ok(loaded) => return Ok(loaded),
                Err(e) => {
                    tracing::warn!(error = %e, file = %artifact.display(), "discarding unusable compiled plugin")
                }
            }
        } else {
            tracing::warn!(file = %artifact.display(), "compiled plugin checksum mismatch; recompiling");
        }
    }
    let code = engine.precompile_component(bytes).map_err(invalid)?;
    let loaded = load_twice(engine, &code, false).map_err(invalid)?;
    // Write to temporary names then rename, so a reader never sees a
    // half-written artifact; a failure to cache is not a failure to load.
    let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
    let write = std::fs::write(&tmp, &code)
        .and_then(|()| std::fs::write(&checksum, hex::encode(Sha256::digest(&code))))
        .and_then(|()| std::fs::rename(&tmp, &artifact));
    if let Err(e) = write {
        let _ = std::fs::remove_file(&tmp);
        tracing::warn!(error = %e, dir = %dir.display(), "cannot write the plugin compile cache");
    }
    Ok(loaded)
}
