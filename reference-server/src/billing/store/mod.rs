//! Every SQL statement on billing's tables: `plans`, `orders`, `payments`,
//! `subscriptions`, `subscription_periods` and `usage_counters`.

pub mod orders;
pub mod plans;
pub mod subscriptions;
pub mod usage;
