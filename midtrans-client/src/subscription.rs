//! Subscription API (recurring card / GoPay charges): types.
//!
//! The calls are methods on [`MidtransClient`](crate::MidtransClient):
//! `create_subscription`, `get_subscription`, `update_subscription`,
//! `enable_subscription`, `disable_subscription`, `cancel_subscription`.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::money::Idr;
use crate::types::{CustomerDetails, PaymentType, string_enum};

string_enum! {
    /// `interval_unit` of a schedule.
    pub enum IntervalUnit {
        /// Days.
        Day = "day",
        /// Weeks.
        Week = "week",
        /// Months.
        Month = "month",
    }
}

string_enum! {
    /// A subscription's `status`.
    pub enum SubscriptionStatus {
        /// Charging on schedule.
        Active = "active",
        /// Disabled, or stopped after failed retries.
        Inactive = "inactive",
        /// Cancelled for good.
        Cancelled = "cancelled",
    }
}

/// When a subscription charges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Every `interval` units.
    #[serde(deserialize_with = "de_u32")]
    pub interval: u32,
    /// The unit.
    pub interval_unit: IntervalUnit,
    /// Stop after this many charges (absent: until disabled).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::de::opt_u32_lenient"
    )]
    pub max_interval: Option<u32>,
    /// First charge, `yyyy-MM-dd HH:mm:ss Z` (e.g. `2020-07-22 07:25:01 +0700`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Response only: how many charges happened.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::de::opt_u32_lenient"
    )]
    pub current_interval: Option<u32>,
    /// Response only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_execution_at: Option<String>,
    /// Response only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_execution_at: Option<String>,
}

fn de_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    crate::de::opt_u32_lenient(d)?.ok_or_else(|| serde::de::Error::custom("expected a number"))
}

impl Schedule {
    /// Every `interval` `unit`s, indefinitely, starting after one interval.
    #[must_use]
    pub fn every(interval: u32, unit: IntervalUnit) -> Self {
        Schedule {
            interval,
            interval_unit: unit,
            max_interval: None,
            start_time: None,
            current_interval: None,
            previous_execution_at: None,
            next_execution_at: None,
        }
    }

    /// Stop after `n` charges.
    #[must_use]
    pub fn max_interval(mut self, n: u32) -> Self {
        self.max_interval = Some(n);
        self
    }

    /// First charge at `start_time` (`yyyy-MM-dd HH:mm:ss Z`).
    #[must_use]
    pub fn start_time(mut self, start_time: impl Into<String>) -> Self {
        self.start_time = Some(start_time.into());
        self
    }
}

/// The GoPay account a GoPay subscription charges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GopaySubscription {
    /// The linked GoPay account id.
    pub account_id: String,
}

/// Body of `POST /v1/subscriptions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct CreateSubscription {
    /// Name; used to build the order ids of the charges (max 40 characters,
    /// same character set as order ids).
    pub name: String,
    /// Amount per charge, sent as a string of digits as documented.
    #[serde(serialize_with = "crate::money::as_string::serialize")]
    pub amount: Idr,
    /// `IDR`.
    pub currency: String,
    /// `credit_card` or `gopay`.
    pub payment_type: PaymentType,
    /// Saved card token id, or GoPay payment option token.
    pub token: String,
    /// When to charge.
    pub schedule: Schedule,
    /// Free-form metadata stored with the subscription.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_details: Option<CustomerDetails>,
    /// GoPay account (GoPay subscriptions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gopay: Option<GopaySubscription>,
}

impl CreateSubscription {
    /// A card subscription charging `amount` on `schedule` with a saved
    /// card `token`.
    pub fn credit_card(
        name: impl Into<String>,
        amount: Idr,
        token: impl Into<String>,
        schedule: Schedule,
    ) -> Self {
        CreateSubscription {
            name: name.into(),
            amount,
            currency: "IDR".to_owned(),
            payment_type: PaymentType::CreditCard,
            token: token.into(),
            schedule,
            metadata: None,
            customer_details: None,
            gopay: None,
        }
    }

    /// A GoPay subscription for a linked account.
    pub fn gopay(
        name: impl Into<String>,
        amount: Idr,
        token: impl Into<String>,
        account_id: impl Into<String>,
        schedule: Schedule,
    ) -> Self {
        CreateSubscription {
            gopay: Some(GopaySubscription {
                account_id: account_id.into(),
            }),
            payment_type: PaymentType::Gopay,
            ..CreateSubscription::credit_card(name, amount, token, schedule)
        }
    }

    /// Sets metadata.
    pub fn metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets customer details.
    pub fn customer_details(mut self, customer: CustomerDetails) -> Self {
        self.customer_details = Some(customer);
        self
    }

    /// Client-side checks: name length and characters, positive amount,
    /// non-empty token, interval at least 1.
    pub fn validate(&self) -> Result<(), Error> {
        if self.name.is_empty() || self.name.len() > 40 {
            return Err(Error::InvalidRequest(
                "subscription name must be 1 to 40 characters".to_owned(),
            ));
        }
        if !self.name.chars().all(crate::order_id::is_allowed) {
            return Err(Error::InvalidRequest(
                "subscription name may only contain letters, digits, '-', '_', '~' and '.'"
                    .to_owned(),
            ));
        }
        if self.amount.rupiah() <= 0 {
            return Err(Error::InvalidRequest(
                "subscription amount must be positive".to_owned(),
            ));
        }
        if self.token.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "subscription token is empty".to_owned(),
            ));
        }
        if self.schedule.interval == 0 {
            return Err(Error::InvalidRequest(
                "schedule interval must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Body of `PATCH /v1/subscriptions/{id}`: only the fields that are set
/// are sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[must_use]
pub struct UpdateSubscription {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New amount.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_idr_string"
    )]
    pub amount: Option<Idr>,
    /// Currency (`IDR`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// New token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// New schedule (Midtrans accepts the interval here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<UpdateSchedule>,
    /// New GoPay account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gopay: Option<GopaySubscription>,
}

/// The schedule part of an update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateSchedule {
    /// New interval.
    pub interval: u32,
}

fn ser_opt_idr_string<S: serde::Serializer>(v: &Option<Idr>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(&v.rupiah()),
        None => s.serialize_none(),
    }
}

impl UpdateSubscription {
    /// Sets a new amount.
    pub fn amount(mut self, amount: Idr) -> Self {
        self.amount = Some(amount);
        self.currency = Some("IDR".to_owned());
        self
    }

    /// Sets a new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets a new token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets a new interval.
    pub fn interval(mut self, interval: u32) -> Self {
        self.schedule = Some(UpdateSchedule { interval });
        self
    }
}

/// A subscription as the API (and its notifications) describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Subscription {
    /// Subscription id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Amount per charge.
    #[serde(default, deserialize_with = "crate::de::opt_idr")]
    pub amount: Option<Idr>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it was last updated.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Schedule.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// Status.
    #[serde(default)]
    pub status: Option<SubscriptionStatus>,
    /// Token.
    #[serde(default)]
    pub token: Option<String>,
    /// Payment type.
    #[serde(default)]
    pub payment_type: Option<PaymentType>,
    /// Ids of the transactions charged so far.
    #[serde(default)]
    pub transaction_ids: Option<Vec<String>>,
    /// Metadata as stored.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// Customer.
    #[serde(default)]
    pub customer_details: Option<CustomerDetails>,
    /// GoPay account.
    #[serde(default)]
    pub gopay: Option<GopaySubscription>,
    /// Present on some answers.
    #[serde(default)]
    pub status_message: Option<String>,
}

/// The answer to update, enable, disable and cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionAck {
    /// e.g. `"Subscription is updated."`.
    #[serde(default)]
    pub status_message: Option<String>,
}
