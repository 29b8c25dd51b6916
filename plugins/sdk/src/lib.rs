#![doc = include_str!("../README.md")]

// Lets the generated bindings name this crate the same way from inside it
// and from the plugin crates that expand `register_plugin!`.
#[cfg(feature = "guest")]
extern crate self as plugin_sdk;

#[cfg(feature = "guest")]
pub mod prepared;
pub mod text;

#[cfg(feature = "guest")]
mod guest;
#[cfg(feature = "guest")]
pub use guest::*;
