//! The crate's integration tests, one binary: each module was a test
//! target of its own, and one binary links the crate and its
//! dependencies once instead of once per file.
#![allow(clippy::unwrap_used, missing_docs)]

#[macro_use]
mod common;

mod contract;
mod guide;
mod limits;
mod llm_pipeline;
mod llm_providers;
mod llm_router;
mod llm_timeouts;
mod plugins;
mod runtime;
mod store;
mod user_ids;
