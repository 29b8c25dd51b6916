//! Order types: stored states, requests, answers and rows.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{
    AddressId, BuyerId, OrderGroupId, ProductId, TenantId, VariantId, VendorOrderId,
};
use crate::marketplace::catalog::model::ActorKind;

crate::text_enum! {
    /// Where a checkout's payment is (`mkt_order_groups.status`).
    pub enum GroupStatus {
        /// Stock reserved; waiting for the buyer to pay.
        AwaitingPayment = "awaiting_payment",
        /// Paid; its orders moved to processing.
        Paid = "paid",
        /// Not paid in time, or the payment failed; stock released.
        Expired = "expired",
    }
}

crate::text_enum! {
    /// Where one vendor's order is (`mkt_orders.status`).
    pub enum VendorOrderStatus {
        /// Waiting for the group's payment.
        Pending = "pending",
        /// Paid; the vendor is preparing it.
        Processing = "processing",
        /// Handed to a courier.
        Shipped = "shipped",
        /// Received by the buyer.
        Delivered = "delivered",
        /// Cancelled (by the buyer before shipping, the vendor, or expiry).
        Cancelled = "cancelled",
    }
}

crate::text_enum! {
    /// State of a refund (`mkt_refunds.status`).
    pub enum RefundStatus {
        /// Not yet accepted by Midtrans; retried by the sweep.
        Pending = "pending",
        /// Accepted by Midtrans.
        Done = "done",
    }
}

/// Check out the whole cart.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Checkout {
    /// A key the client makes up once per checkout attempt (1-100
    /// characters); repeating it returns the same checkout.
    pub idempotency_key: String,
    /// Where to ship (one of the buyer's addresses).
    pub address_id: AddressId,
}

/// Mark an order shipped.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Ship {
    /// Courier, e.g. "JNE", "SiCepat".
    pub courier: String,
    /// The courier's tracking number.
    pub tracking_number: String,
}

/// Cancel an order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Cancel {
    /// Why (1-300 characters), shown to the other side.
    pub reason: String,
}

/// A line of an order: what was bought, at the price paid.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct OrderItem {
    /// The product (as it was).
    pub product_id: ProductId,
    /// The variant.
    pub variant_id: VariantId,
    /// Product name at checkout.
    pub product_name: String,
    /// Variant name at checkout.
    pub variant_name: String,
    /// SKU at checkout.
    pub sku: String,
    /// Unit price paid.
    pub unit_price_idr: i64,
    /// Units.
    pub quantity: i64,
    /// `unit_price_idr x quantity`.
    pub line_total_idr: i64,
}

/// A status change of an order.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct OrderEvent {
    /// Before.
    pub from_status: VendorOrderStatus,
    /// After.
    pub to_status: VendorOrderStatus,
    /// Who.
    pub actor_kind: ActorKind,
    /// The member or buyer.
    pub actor_id: Option<String>,
    /// Reason or tracking details.
    pub note: Option<String>,
    /// When (unix ms).
    pub created_at: i64,
}

/// An order row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub(crate) id: VendorOrderId,
    pub(crate) group_id: OrderGroupId,
    pub(crate) tenant_id: TenantId,
    pub(crate) buyer_id: BuyerId,
    pub(crate) status: VendorOrderStatus,
    pub(crate) subtotal_idr: i64,
    pub(crate) refunded_idr: i64,
    pub(crate) courier: Option<String>,
    pub(crate) tracking_number: Option<String>,
    pub(crate) cancel_reason: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) paid_at: Option<i64>,
    pub(crate) shipped_at: Option<i64>,
    pub(crate) delivered_at: Option<i64>,
    pub(crate) cancelled_at: Option<i64>,
}

/// One vendor's order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    /// Id.
    pub id: VendorOrderId,
    /// The checkout it belongs to.
    pub group_id: OrderGroupId,
    /// The vendor.
    pub vendor_id: TenantId,
    /// The buyer.
    pub buyer_id: BuyerId,
    /// Status.
    pub status: VendorOrderStatus,
    /// Sum of the lines.
    pub subtotal_idr: i64,
    /// Refunded to the buyer.
    pub refunded_idr: i64,
    /// Courier once shipped.
    pub courier: Option<String>,
    /// Tracking number once shipped.
    pub tracking_number: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Where it ships (copy taken at checkout).
    pub shipping: serde_json::Value,
    /// Lines.
    pub items: Vec<OrderItem>,
    /// Status history, oldest first.
    pub history: Vec<OrderEvent>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Paid (unix ms).
    pub paid_at: Option<i64>,
    /// Shipped (unix ms).
    pub shipped_at: Option<i64>,
    /// Delivered (unix ms).
    pub delivered_at: Option<i64>,
    /// Cancelled (unix ms).
    pub cancelled_at: Option<i64>,
}

/// A checkout row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub(crate) id: OrderGroupId,
    pub(crate) buyer_id: BuyerId,
    pub(crate) status: GroupStatus,
    pub(crate) total_idr: i64,
    pub(crate) payment_order_id: String,
    pub(crate) snap_token: String,
    pub(crate) redirect_url: String,
    pub(crate) shipping: String,
    pub(crate) expires_at: i64,
    pub(crate) created_at: i64,
    pub(crate) paid_at: Option<i64>,
}

/// A checkout: one payment for the orders of several vendors.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderGroup {
    /// Id.
    pub id: OrderGroupId,
    /// Payment status.
    pub status: GroupStatus,
    /// What the buyer pays.
    pub total_idr: i64,
    /// The Midtrans order id.
    pub payment_order_id: String,
    /// Snap token (for the Snap.js pop-up).
    pub snap_token: String,
    /// Where the buyer pays.
    pub redirect_url: String,
    /// Pay before this (unix ms); then the stock is released.
    pub expires_at: i64,
    /// One order per vendor.
    pub orders: Vec<Order>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Paid (unix ms).
    pub paid_at: Option<i64>,
}
