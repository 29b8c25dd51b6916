//! The crate's integration tests, one binary: each module was a test
//! target of its own, and one binary links the crate and its
//! dependencies once instead of once per file.
#![allow(clippy::unwrap_used, missing_docs)]

#[macro_use]
mod common;

mod client;
mod core_charge;
mod corpus;
mod fuzz;
mod iris;
mod notifications;
mod properties;
mod sandbox;
mod snap;
mod subscriptions;
mod transactions;
