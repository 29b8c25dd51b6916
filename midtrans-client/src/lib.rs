#![doc = include_str!("../README.md")]

mod client;
pub mod core_api;
mod de;
mod env;
mod error;
pub mod iris;
mod money;
pub mod notification;
mod order_id;
pub mod snap;
pub mod subscription;
pub mod testing;
mod transport;
pub mod types;

pub use client::{B2bStatus, ConfirmedNotification, MidtransClient, TransactionRef};
pub use core_api::{Bank, ChargeRequest, PaymentMethod, RefundRequest, Store};
pub use env::{BaseUrls, Environment};
pub use error::{ApiError, Error, SignatureError};
pub use iris::IrisClient;
pub use money::{Idr, ParseIdrError};
pub use notification::{
    IncomingNotification, Notification, PaymentState, SubscriptionNotification,
};
pub use order_id::{InvalidOrderId, ORDER_ID_MAX_LEN, OrderId};
pub use snap::{SnapRequest, SnapResponse};
pub use subscription::{CreateSubscription, Subscription, UpdateSubscription};
pub use transport::{DEFAULT_TIMEOUT, RequestOptions, RetryPolicy};
pub use types::{
    Address, CustomerDetails, FraudStatus, ItemDetail, PaymentType, Transaction,
    TransactionDetails, TransactionStatus,
};
