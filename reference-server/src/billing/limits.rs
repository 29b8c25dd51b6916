//! Plan limits, enforced with clear errors, and monthly usage counters.
//!
//! Other features call these before creating something or sending:
//!
//! ```text
//! // before inserting a device, with the devices the vendor stores:
//! billing::limits::check_with_current(&state.pool, &tenant_id, Limit::Devices, stored, 1).await?;
//! // before importing 250 contacts:
//! billing::limits::check_with_current(&state.pool, &tenant_id, Limit::Contacts, stored, 250).await?;
//! // for each outgoing message, atomically check and count:
//! billing::limits::consume(&state.pool, &tenant_id, Limit::MessagesPerMonth, 1).await?;
//! // for each LLM call:
//! billing::limits::consume(&state.pool, &tenant_id, Limit::AiRequestsPerMonth, 1).await?;
//! ```
//!
//! * [`check_with_current`] answers `Ok(())` when `current + adding <=
//!   max` of the tenant's active plan. For [`Limit::Devices`] and
//!   [`Limit::Contacts`] the caller counts the rows it stores (billing
//!   sits below those features). [`check`] does the same for the monthly
//!   limits with this month's usage counter (UTC) as the current value.
//! * [`consume`] checks and increments a monthly counter in one
//!   conditional upsert, so concurrent senders never overshoot.
//! * [`record`] increments a monthly counter without checking (for work
//!   already done, e.g. an inbound message that was answered).
//! * Errors: 402 `subscription_required` when the tenant has no active
//!   subscription, 402 `plan_limit_exceeded` with the limit, the current
//!   value and the plan in the message.

use sqlx::AnyPool;

use crate::domain::TenantId;

use super::store;
use crate::http::AppError;
use crate::http::i18n::Text;

/// A limit of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Connected WhatsApp numbers.
    Devices,
    /// Stored contacts.
    Contacts,
    /// Outgoing messages per calendar month (UTC).
    MessagesPerMonth,
    /// LLM requests per calendar month (UTC).
    AiRequestsPerMonth,
    /// Products in the vendor's marketplace catalog.
    Products,
}

impl Limit {
    fn column(self) -> &'static str {
        match self {
            Self::Devices => "max_devices",
            Self::Contacts => "max_contacts",
            Self::MessagesPerMonth => "max_messages_per_month",
            Self::AiRequestsPerMonth => "max_ai_requests_per_month",
            Self::Products => "max_products",
        }
    }

    /// The usage-counter metric of a monthly limit.
    pub fn metric(self) -> Option<&'static str> {
        match self {
            Self::MessagesPerMonth => Some("messages"),
            Self::AiRequestsPerMonth => Some("ai_requests"),
            Self::Devices | Self::Contacts | Self::Products => None,
        }
    }

    /// The limit's name in `lang`, as its errors say it.
    pub fn name(self, lang: crate::http::i18n::Lang) -> &'static str {
        lang.t(self.label_id(), self.label())
    }

    fn label_id(self) -> &'static str {
        match self {
            Self::Devices => "perangkat",
            Self::Contacts => "kontak",
            Self::MessagesPerMonth => "pesan bulan ini",
            Self::AiRequestsPerMonth => "permintaan AI bulan ini",
            Self::Products => "produk",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Devices => "devices",
            Self::Contacts => "contacts",
            Self::MessagesPerMonth => "messages this month",
            Self::AiRequestsPerMonth => "AI requests this month",
            Self::Products => "products",
        }
    }
}

/// The current period key, `YYYY-MM` in UTC.
pub fn current_period() -> String {
    chrono::Utc::now().format("%Y-%m").to_string()
}

/// The limit value of the tenant's active plan and the plan's name.
async fn active_limit(
    pool: &AnyPool,
    tenant_id: &TenantId,
    limit: Limit,
) -> Result<(i64, String), AppError> {
    store::usage::active_limit(pool, tenant_id, limit.column())
        .await?
        .ok_or_else(|| AppError::PaymentRequired {
            code: "subscription_required",
            message: Text::new(
                "vendor ini tidak punya paket aktif; beli atau perpanjang paket dulu",
                "this vendor has no active plan; buy or renew a plan first",
            ),
        })
}

/// The value of `limit` in the tenant's active plan, `None` without one:
/// what [`check`] and [`check_with_current`] compare usage with.
pub async fn allowance(
    pool: &AnyPool,
    tenant_id: &TenantId,
    limit: Limit,
) -> Result<Option<i64>, sqlx::Error> {
    Ok(store::usage::active_limit(pool, tenant_id, limit.column())
        .await?
        .map(|(max, _)| max))
}

/// This month's counter of a monthly limit. Devices and contacts are
/// counted by their own features (`state.services.hooks`); asking for them
/// here is an error.
pub async fn usage(pool: &AnyPool, tenant_id: &TenantId, limit: Limit) -> Result<i64, sqlx::Error> {
    match limit.metric() {
        Some(metric) => store::usage::count(pool, tenant_id, metric, &current_period()).await,
        None => Err(sqlx::Error::Protocol(format!(
            "{limit:?} is counted by the feature that stores the rows"
        ))),
    }
}

fn exceeded(limit: Limit, max: i64, current: i64, adding: i64, plan: &str) -> AppError {
    AppError::PaymentRequired {
        code: "plan_limit_exceeded",
        message: Text::new(
            format!(
                "paket {plan} mengizinkan {max} {}; terpakai {current}, diminta {adding} lagi",
                limit.label_id()
            ),
            format!(
                "plan {plan} allows {max} {}; {current} used, {adding} more requested",
                limit.label()
            ),
        ),
    }
}

/// Checks that `adding` more fits the tenant's plan (see the module docs).
pub async fn check(
    pool: &AnyPool,
    tenant_id: &TenantId,
    limit: Limit,
    adding: i64,
) -> Result<(), AppError> {
    let (max, plan) = active_limit(pool, tenant_id, limit).await?;
    let current = usage(pool, tenant_id, limit).await?;
    if current.saturating_add(adding) > max {
        return Err(exceeded(limit, max, current, adding, &plan));
    }
    Ok(())
}

/// Like [`check`] with a current value the caller counted itself.
pub async fn check_with_current(
    pool: &AnyPool,
    tenant_id: &TenantId,
    limit: Limit,
    current: i64,
    adding: i64,
) -> Result<(), AppError> {
    let (max, plan) = active_limit(pool, tenant_id, limit).await?;
    if current.saturating_add(adding) > max {
        return Err(exceeded(limit, max, current, adding, &plan));
    }
    Ok(())
}

/// Atomically checks and adds `n` to a monthly counter
/// ([`Limit::MessagesPerMonth`] or [`Limit::AiRequestsPerMonth`]); nothing is
/// counted when it would exceed the plan.
pub async fn consume(
    pool: &AnyPool,
    tenant_id: &TenantId,
    limit: Limit,
    n: i64,
) -> Result<(), AppError> {
    let metric = limit
        .metric()
        .ok_or_else(|| AppError::internal("consume() is for monthly limits"))?;
    let (max, plan) = active_limit(pool, tenant_id, limit).await?;
    if n > max {
        return Err(exceeded(limit, max, 0, n, &plan));
    }
    if !store::usage::add_within(pool, tenant_id, metric, &current_period(), n, max).await? {
        let current = usage(pool, tenant_id, limit).await?;
        return Err(exceeded(limit, max, current, n, &plan));
    }
    Ok(())
}

/// Adds `n` to a monthly counter without checking the plan (on a pool, or
/// inside the caller's transaction).
pub async fn record<'e, E>(
    exec: E,
    tenant_id: &TenantId,
    limit: Limit,
    n: i64,
) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let metric = limit
        .metric()
        .ok_or_else(|| AppError::internal("record() is for monthly limits"))?;
    store::usage::add(exec, tenant_id, metric, &current_period(), n).await?;
    Ok(())
}

/// Adds `(tenant, n)` to the tenants' monthly counters of `limit` without
/// checking the plan, inside the caller's transaction, with one statement
/// per chunk (a tenant may repeat: its counts are summed first).
pub(crate) async fn record_many(
    tx: &mut sqlx::AnyConnection,
    limit: Limit,
    counts: &[(&str, i64)],
) -> Result<(), AppError> {
    let metric = limit
        .metric()
        .ok_or_else(|| AppError::internal("record_many() is for monthly limits"))?;
    let mut summed: Vec<(&str, i64)> = Vec::with_capacity(counts.len());
    for (tenant, n) in counts {
        match summed.iter_mut().find(|(t, _)| t == tenant) {
            Some((_, total)) => *total += n,
            None => summed.push((tenant, *n)),
        }
    }
    // In key order, so concurrent writers lock the counters in one order.
    summed.sort_unstable();
    store::usage::add_many(tx, metric, &current_period(), &summed).await?;
    Ok(())
}
