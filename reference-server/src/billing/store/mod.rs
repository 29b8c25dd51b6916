//! Every SQL statement on billing's tables: `plans`, `orders`, `payments`,
//! `subscriptions`, `subscription_periods`, `usage_counters`, `invoices`,
//! `invoice_counters` and `billing_details`.

pub mod invoices;
pub mod orders;
pub mod plans;
pub mod subscriptions;
pub mod usage;
