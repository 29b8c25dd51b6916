//! Snap: hosted checkout. Create a transaction, get a token and a redirect
//! URL, show the payment page.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::money::Idr;
use crate::order_id::OrderId;
use crate::types::{CustomerDetails, ItemDetail, TransactionDetails, check_amounts, string_enum};

string_enum! {
    /// A payment channel for `enabled_payments`.
    pub enum SnapPayment {
        /// Cards.
        CreditCard = "credit_card",
        /// GoPay (and QRIS through GoPay).
        Gopay = "gopay",
        /// ShopeePay.
        Shopeepay = "shopeepay",
        /// Any QRIS.
        OtherQris = "other_qris",
        /// Permata VA.
        PermataVa = "permata_va",
        /// BCA VA.
        BcaVa = "bca_va",
        /// BNI VA.
        BniVa = "bni_va",
        /// BRI VA.
        BriVa = "bri_va",
        /// CIMB VA.
        CimbVa = "cimb_va",
        /// Mandiri bill.
        Echannel = "echannel",
        /// Other banks' VA.
        OtherVa = "other_va",
        /// Indomaret.
        Indomaret = "indomaret",
        /// Alfamart.
        Alfamart = "alfamart",
        /// Akulaku.
        Akulaku = "akulaku",
        /// Kredivo.
        Kredivo = "kredivo",
    }
}

string_enum! {
    /// Unit of `expiry.duration`.
    pub enum ExpiryUnit {
        /// Seconds.
        Second = "second",
        /// Minutes.
        Minute = "minute",
        /// Hours.
        Hour = "hour",
        /// Days.
        Day = "day",
    }
}

/// Custom expiry of the Snap transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapExpiry {
    /// Start, `yyyy-MM-dd HH:mm:ss Z`; absent means "now".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Unit.
    pub unit: ExpiryUnit,
    /// Duration in `unit`s.
    pub duration: u32,
}

/// Where Snap redirects after payment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SnapCallbacks {
    /// Redirect after a finished payment (overrides the dashboard setting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish: Option<String>,
    /// Redirect after an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Card options for Snap.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SnapCreditCard {
    /// Require 3DS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// Acquiring bank.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank: Option<String>,
    /// Save the card for later (one-click).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_card: Option<bool>,
    /// `authorize` for pre-authorization, absent for sale.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Body of `POST /snap/v1/transactions`.
///
/// Built with [`SnapRequest::new`] and setters; checked with
/// [`validate`](Self::validate) before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[must_use]
pub struct SnapRequest {
    /// Order id and total.
    pub transaction_details: TransactionDetails,
    /// Lines; when present they must add up to `gross_amount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_details: Option<Vec<ItemDetail>>,
    /// Customer, billing and shipping address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_details: Option<CustomerDetails>,
    /// Channels to offer (default: all enabled in the dashboard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled_payments: Option<Vec<SnapPayment>>,
    /// Card options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_card: Option<SnapCreditCard>,
    /// Custom expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<SnapExpiry>,
    /// Redirect URLs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callbacks: Option<SnapCallbacks>,
    /// Free field echoed in notifications and the dashboard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_field1: Option<String>,
    /// Free field echoed in notifications and the dashboard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_field2: Option<String>,
    /// Free field echoed in notifications and the dashboard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_field3: Option<String>,
}

impl SnapRequest {
    /// A request for `order_id` totalling `gross_amount`.
    pub fn new(order_id: OrderId, gross_amount: Idr) -> Self {
        SnapRequest {
            transaction_details: TransactionDetails {
                order_id,
                gross_amount,
            },
            item_details: None,
            customer_details: None,
            enabled_payments: None,
            credit_card: None,
            expiry: None,
            callbacks: None,
            custom_field1: None,
            custom_field2: None,
            custom_field3: None,
        }
    }

    /// Sets the items. They must add up to `gross_amount`, or sending
    /// fails with [`Error::AmountMismatch`]; the amount is never adjusted.
    pub fn items(mut self, items: Vec<ItemDetail>) -> Self {
        self.item_details = Some(items);
        self
    }

    /// Sets the customer.
    pub fn customer(mut self, customer: CustomerDetails) -> Self {
        self.customer_details = Some(customer);
        self
    }

    /// Limits the channels offered.
    pub fn enabled_payments(mut self, payments: Vec<SnapPayment>) -> Self {
        self.enabled_payments = Some(payments);
        self
    }

    /// Sets card options.
    pub fn credit_card(mut self, cc: SnapCreditCard) -> Self {
        self.credit_card = Some(cc);
        self
    }

    /// Expire `duration` `unit`s from now.
    pub fn expiry(mut self, duration: u32, unit: ExpiryUnit) -> Self {
        self.expiry = Some(SnapExpiry {
            start_time: None,
            unit,
            duration,
        });
        self
    }

    /// Redirect here when the customer finishes.
    pub fn finish_url(mut self, url: impl Into<String>) -> Self {
        self.callbacks
            .get_or_insert_with(SnapCallbacks::default)
            .finish = Some(url.into());
        self
    }

    /// Redirect here on error.
    pub fn error_url(mut self, url: impl Into<String>) -> Self {
        self.callbacks
            .get_or_insert_with(SnapCallbacks::default)
            .error = Some(url.into());
        self
    }

    /// Sets the custom fields (each at most 255 characters).
    pub fn custom_fields(
        mut self,
        field1: Option<String>,
        field2: Option<String>,
        field3: Option<String>,
    ) -> Self {
        self.custom_field1 = field1;
        self.custom_field2 = field2;
        self.custom_field3 = field3;
        self
    }

    /// Client-side checks: positive amount, items adding up to it, custom
    /// fields within 255 characters, expiry duration at least 1.
    pub fn validate(&self) -> Result<(), Error> {
        check_amounts(&self.transaction_details, self.item_details.as_deref())?;
        for f in [
            &self.custom_field1,
            &self.custom_field2,
            &self.custom_field3,
        ]
        .into_iter()
        .flatten()
        {
            if f.chars().count() > 255 {
                return Err(Error::InvalidRequest(
                    "custom fields are limited to 255 characters".to_owned(),
                ));
            }
        }
        if let Some(e) = &self.expiry
            && e.duration == 0
        {
            return Err(Error::InvalidRequest(
                "expiry duration must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

/// The answer to a Snap create transaction (HTTP 201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SnapResponse {
    /// Token for Snap.js (`snap.pay(token)`).
    pub token: String,
    /// Hosted payment page URL for redirect mode.
    pub redirect_url: String,
}
