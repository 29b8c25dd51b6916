//! The crate's integration tests, one binary: each module was a test
//! target of its own, and one binary links the crate and its
//! dependencies once instead of once per file.
#![allow(clippy::unwrap_used, missing_docs)]

mod channels;
mod engine;
mod migrations;
