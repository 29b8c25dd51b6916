//! Billing's types: plans, orders, subscriptions and usage, as stored and as
//! the API shows them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{InvoiceId, OrderId, PlanId, TenantId};

/// A plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    /// Id.
    pub id: PlanId,
    /// Stable short code, e.g. `basic`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Price in rupiah.
    pub price_idr: i64,
    /// Days added per purchase.
    pub duration_days: i64,
    /// Connected WhatsApp numbers.
    pub max_devices: i64,
    /// Stored contacts.
    pub max_contacts: i64,
    /// Outgoing messages per month.
    pub max_messages_per_month: i64,
    /// LLM requests per month.
    pub max_ai_requests_per_month: i64,
    /// Offered to vendors.
    pub active: bool,
}

/// Fields of a plan (create: all required; update: any subset).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PlanInput {
    /// Short code, `[a-z0-9-]`, unique.
    pub code: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Price in rupiah (0 allowed for free plans; Midtrans needs >= 1 to pay).
    pub price_idr: Option<i64>,
    /// Days per purchase (1..=3660).
    pub duration_days: Option<i64>,
    /// Devices (>= 0).
    pub max_devices: Option<i64>,
    /// Contacts (>= 0).
    pub max_contacts: Option<i64>,
    /// Messages per month (>= 0).
    pub max_messages_per_month: Option<i64>,
    /// AI requests per month (>= 0).
    pub max_ai_requests_per_month: Option<i64>,
    /// Offered to vendors.
    pub active: Option<bool>,
}

crate::text_enum! {
    /// Where an order's payment stands. It only moves forward (see
    /// `midtrans_client::PaymentState::supersedes`).
    pub enum OrderStatus {
        /// Waiting for the buyer to pay.
        Pending = "pending",
        /// Held by Midtrans' fraud check.
        Challenge = "challenge",
        /// Paid: the subscription was extended.
        Paid = "paid",
        /// Expired, denied, cancelled, or the Snap transaction failed.
        Failed = "failed",
        /// Refunded after payment.
        Refunded = "refunded",
    }
}

/// An order for a plan.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct OrderView {
    /// Id (also the Midtrans `order_id`).
    pub id: OrderId,
    /// The vendor.
    pub tenant_id: TenantId,
    /// The plan bought.
    pub plan_id: PlanId,
    /// Amount in rupiah.
    pub amount_idr: i64,
    /// Payment state.
    pub status: OrderStatus,
    /// Snap token for the Snap JS pop-up.
    pub snap_token: Option<String>,
    /// Snap payment page.
    pub redirect_url: Option<String>,
    /// Midtrans transaction id once known.
    pub transaction_id: Option<String>,
    /// Payment method once known, e.g. `bank_transfer`, `qris`.
    pub payment_type: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub paid_at: Option<i64>,
}

/// The plan to buy.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrder {
    /// Plan id (from `GET /api/v1/plans`).
    pub plan_id: PlanId,
}

crate::text_enum! {
    /// Whether a subscription is in force.
    pub enum SubscriptionState {
        /// In force until `expires_at`.
        Active = "active",
        /// Past `expires_at` (set by the expiry job).
        Expired = "expired",
    }
}

/// A tenant's current subscription.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct SubscriptionView {
    /// The plan.
    pub plan_id: PlanId,
    /// The plan's code.
    pub plan_code: String,
    /// The plan's name.
    pub plan_name: String,
    /// In force or expired.
    pub status: SubscriptionState,
    /// Unix milliseconds.
    pub started_at: i64,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// End of the grace period after `expires_at` during which the plan
    /// still works (unix milliseconds), when there is one.
    pub grace_until: Option<i64>,
}

/// Usage of the plan's limits.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    /// Devices connected.
    pub devices: i64,
    /// Contacts stored.
    pub contacts: i64,
    /// Messages sent this month.
    pub messages_this_month: i64,
    /// AI requests this month.
    pub ai_requests_this_month: i64,
}

/// The subscription and this month's usage.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionStatus {
    /// The current subscription, `None` if the vendor never had one.
    pub subscription: Option<SubscriptionView>,
    /// Usage counters.
    pub usage: UsageView,
}

/// The plan, status and expiry of a vendor's subscription.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VendorSubscription {
    /// The vendor.
    pub tenant_id: TenantId,
    /// Plan code.
    pub plan_code: String,
    /// `active` or `expired`.
    pub status: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// One row of the subscriptions export.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionRow {
    /// The vendor.
    pub tenant_id: TenantId,
    /// The vendor's business name (filled from `tenants`).
    #[sqlx(skip)]
    pub vendor: String,
    /// Plan code.
    pub plan_code: String,
    /// `active` or `expired`.
    pub status: String,
    /// Unix milliseconds.
    pub started_at: i64,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// A verified payment notification.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct PaymentView {
    /// Id.
    pub id: String,
    /// Our order.
    pub order_id: OrderId,
    /// The vendor.
    pub tenant_id: TenantId,
    /// Midtrans transaction id.
    pub transaction_id: String,
    /// Midtrans `transaction_status`.
    pub transaction_status: String,
    /// Classification: `paid`, `pending`, `challenge`, `failed`, `refunded`.
    pub outcome: String,
    /// Payment method.
    pub payment_type: Option<String>,
    /// Amount as Midtrans sent it.
    pub gross_amount: String,
    /// Unix milliseconds.
    pub received_at: i64,
}

/// A vendor's billing details, copied onto each invoice when it is issued.
#[derive(Debug, Clone, Default, Serialize, ToSchema, sqlx::FromRow)]
pub struct BillingDetails {
    /// The legal name invoices are made out to.
    pub legal_name: String,
    /// The postal address.
    pub address: String,
    /// Tax number (NPWP): its 15 or 16 digits, without punctuation.
    pub npwp: Option<String>,
}

/// The billing details to save (all fields are replaced).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BillingDetailsInput {
    /// Legal name, 1-200 characters.
    #[serde(default)]
    pub legal_name: String,
    /// Postal address, 1-500 characters.
    #[serde(default)]
    pub address: String,
    /// NPWP, 15 or 16 digits; dots, dashes and spaces are ignored; empty
    /// or absent for none.
    #[serde(default)]
    pub npwp: Option<String>,
}

/// An invoice of a paid plan order.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct InvoiceView {
    /// Id.
    pub id: InvoiceId,
    /// `INV/<year>/<000001>`, sequential per calendar year (Asia/Jakarta).
    pub number: String,
    /// The order it bills.
    pub order_id: OrderId,
    /// The vendor billed.
    pub tenant_id: TenantId,
    /// The plan's name at issue time.
    pub plan_name: String,
    /// Days the order bought.
    pub duration_days: i64,
    /// Amount in rupiah.
    pub amount_idr: i64,
    /// Payment method, e.g. `bank_transfer`.
    pub payment_type: Option<String>,
    /// Start of the subscription period paid for, unix milliseconds.
    pub period_start: i64,
    /// End of that period, unix milliseconds.
    pub period_end: i64,
    /// The buyer's legal name (the business name without billing details).
    pub buyer_name: String,
    /// The buyer's address, when given.
    pub buyer_address: Option<String>,
    /// The buyer's NPWP digits, when given.
    pub buyer_npwp: Option<String>,
    /// Unix milliseconds.
    pub issued_at: i64,
    /// The order's status now (`refunded` after a refund).
    pub order_status: OrderStatus,
}
