//! The `plans` table.

use sqlx::AnyPool;

use crate::billing::model::{Plan, PlanInput};
use crate::domain::PlanId;

/// A `plans` row as read (`active` is stored as 0/1).
#[derive(sqlx::FromRow)]
struct Record {
    id: PlanId,
    code: String,
    name: String,
    price_idr: i64,
    duration_days: i64,
    max_devices: i64,
    max_contacts: i64,
    max_messages_per_month: i64,
    max_ai_requests_per_month: i64,
    active: i64,
}

impl From<Record> for Plan {
    fn from(r: Record) -> Self {
        Self {
            id: r.id,
            code: r.code,
            name: r.name,
            price_idr: r.price_idr,
            duration_days: r.duration_days,
            max_devices: r.max_devices,
            max_contacts: r.max_contacts,
            max_messages_per_month: r.max_messages_per_month,
            max_ai_requests_per_month: r.max_ai_requests_per_month,
            active: r.active != 0,
        }
    }
}

const COLUMNS: &str = "id, code, name, price_idr, duration_days, max_devices, max_contacts, \
    max_messages_per_month, max_ai_requests_per_month, active";

/// A plan by id.
pub async fn get(pool: &AnyPool, plan_id: &PlanId) -> Result<Option<Plan>, sqlx::Error> {
    Ok(
        sqlx::query_as::<_, Record>(&format!("SELECT {COLUMNS} FROM plans WHERE id = $1"))
            .bind(plan_id)
            .fetch_optional(pool)
            .await?
            .map(Plan::from),
    )
}

/// A plan by code.
pub async fn by_code(pool: &AnyPool, code: &str) -> Result<Option<Plan>, sqlx::Error> {
    Ok(
        sqlx::query_as::<_, Record>(&format!("SELECT {COLUMNS} FROM plans WHERE code = $1"))
            .bind(code)
            .fetch_optional(pool)
            .await?
            .map(Plan::from),
    )
}

/// Plans by price, only the active ones when `only_active`.
pub async fn list(pool: &AnyPool, only_active: bool) -> Result<Vec<Plan>, sqlx::Error> {
    Ok(sqlx::query_as::<_, Record>(&format!(
        "SELECT {COLUMNS} FROM plans WHERE active = 1 OR $1 = 0 ORDER BY price_idr, code"
    ))
    .bind(i64::from(only_active))
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(Plan::from)
    .collect())
}

/// A complete new plan.
#[derive(Debug)]
pub struct NewPlan {
    /// Short code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Price in rupiah.
    pub price_idr: i64,
    /// Days per purchase.
    pub duration_days: i64,
    /// Devices.
    pub max_devices: i64,
    /// Contacts.
    pub max_contacts: i64,
    /// Messages per month.
    pub max_messages_per_month: i64,
    /// AI requests per month.
    pub max_ai_requests_per_month: i64,
    /// Offered to vendors.
    pub active: bool,
}

/// Inserts a plan (a taken code is a unique violation).
pub async fn insert(pool: &AnyPool, id: &PlanId, p: &NewPlan, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO plans (id, code, name, price_idr, duration_days, max_devices, max_contacts, \
         max_messages_per_month, max_ai_requests_per_month, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id)
    .bind(&p.code)
    .bind(&p.name)
    .bind(p.price_idr)
    .bind(p.duration_days)
    .bind(p.max_devices)
    .bind(p.max_contacts)
    .bind(p.max_messages_per_month)
    .bind(p.max_ai_requests_per_month)
    .bind(i64::from(p.active))
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Changes the given fields of a plan; returns whether it exists.
pub async fn update(
    pool: &AnyPool,
    id: &PlanId,
    input: PlanInput,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE plans SET code = COALESCE($1, code), name = COALESCE($2, name), \
         price_idr = COALESCE($3, price_idr), duration_days = COALESCE($4, duration_days), \
         max_devices = COALESCE($5, max_devices), max_contacts = COALESCE($6, max_contacts), \
         max_messages_per_month = COALESCE($7, max_messages_per_month), \
         max_ai_requests_per_month = COALESCE($8, max_ai_requests_per_month), \
         active = COALESCE($9, active), updated_at = $10 WHERE id = $11",
    )
    .bind(input.code)
    .bind(input.name.map(|n| n.trim().to_owned()))
    .bind(input.price_idr)
    .bind(input.duration_days)
    .bind(input.max_devices)
    .bind(input.max_contacts)
    .bind(input.max_messages_per_month)
    .bind(input.max_ai_requests_per_month)
    .bind(input.active.map(i64::from))
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a plan that no order or subscription refers to; returns whether
/// it was deleted.
pub async fn delete_unused(pool: &AnyPool, id: &PlanId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM plans WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM orders WHERE plan_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE plan_id = $1)",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
