#![doc = include_str!("../README.md")]

// Lets the generated bindings name this crate the same way from inside it
// and from the plugin crates that expand `register_plugin!`.
#[cfg(feature = "guest")]
extern crate self as plugin_sdk;

#[cfg(feature = "guest")]
pub mod prepared;
// A component calls the real host; the mock host serves native builds.
#[cfg(all(feature = "guest", not(target_family = "wasm")))]
pub mod testing;

/// Case/accent folding and message templates (variables, nested spintax):
/// the [`pesan_template`] crate, which host code can depend on directly.
pub use pesan_template as text;

/// The version of the WIT contract (`botcore:plugin@...`) this SDK builds
/// plugins against; the host tells it apart from older ones when loading.
/// The SDK's own version is independent of it.
pub const CONTRACT_VERSION: &str = "0.3.0";

#[cfg(all(feature = "arena", target_family = "wasm"))]
pub mod arena;
#[cfg(feature = "guest")]
mod guest;
#[cfg(feature = "guest")]
pub use guest::*;

/// The instance's allocator: see [`arena`].
#[cfg(all(feature = "arena", target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: arena::EventArena = arena::EventArena::new();

/// From now on, allocate with the system allocator (the exports other than
/// `handle`, which free what they allocate).
#[cfg(feature = "guest")]
fn stop_bumping() {
    #[cfg(all(feature = "arena", target_family = "wasm"))]
    ALLOCATOR.stop_bumping();
}
