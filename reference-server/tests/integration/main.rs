//! The crate's integration tests, one binary: each module was a test
//! target of its own, and one binary links the crate and its
//! dependencies once instead of once per file.
#![allow(clippy::unwrap_used, missing_docs)]

#[macro_use]
mod common;
mod bots_support;
mod browser;
mod campaigns_support;

mod accounts;
mod admin;
mod audit;
mod billing;
mod billing_browser;
mod billing_invoices;
mod billing_refunds;
mod billing_reminders;
mod bots_ai_reply;
mod bots_plan_limits;
mod bots_two_processes;
mod bots_webhooks;
mod campaigns_analytics;
mod campaigns_api;
mod campaigns_contacts_cli;
mod campaigns_crash;
mod campaigns_engine;
mod campaigns_throughput;
mod contacts_api;
mod db_writer;
mod devices_api;
mod health;
mod http_conventions;
mod inbox_handoff;
mod inbox_user_ids;
mod marketplace;
#[cfg(feature = "loadtest")]
mod marketplace_load;
mod ops_commands;
mod otp_enumeration;
mod platform_whatsapp;
mod privacy;
mod tenant_isolation;
mod web_admin;
mod web_campaigns;
mod web_campaigns_browser;
mod web_console;
mod web_devices_bot;
mod web_pages;
mod web_people;
mod web_people_browser;
