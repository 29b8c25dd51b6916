//! Wire types shared by Snap, the Core API and notifications.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::money::Idr;
use crate::order_id::OrderId;

/// `transaction_details`: the order id and the total to charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionDetails {
    /// The merchant's order id, unique per transaction.
    pub order_id: OrderId,
    /// The total to charge, in whole rupiah.
    pub gross_amount: Idr,
}

/// One line of `item_details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDetail {
    /// The merchant's item id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Unit price in rupiah. May be negative for a discount line.
    pub price: Idr,
    /// How many units.
    pub quantity: u32,
    /// Name shown to the customer (Midtrans truncates at 50 characters).
    pub name: String,
    /// Brand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Merchant name (for marketplaces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_name: Option<String>,
    /// Product URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl ItemDetail {
    /// An item with the required fields; the rest are setters.
    #[must_use]
    pub fn new(name: impl Into<String>, price: Idr, quantity: u32) -> Self {
        ItemDetail {
            id: None,
            price,
            quantity,
            name: name.into(),
            brand: None,
            category: None,
            merchant_name: None,
            url: None,
        }
    }

    /// Sets the item id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the brand.
    #[must_use]
    pub fn brand(mut self, brand: impl Into<String>) -> Self {
        self.brand = Some(brand.into());
        self
    }

    /// Sets the category.
    #[must_use]
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// Sets the merchant name.
    #[must_use]
    pub fn merchant_name(mut self, merchant_name: impl Into<String>) -> Self {
        self.merchant_name = Some(merchant_name.into());
        self
    }

    /// `price * quantity`, or `None` on overflow.
    #[must_use]
    pub fn subtotal(&self) -> Option<Idr> {
        self.price.checked_mul(i64::from(self.quantity))
    }
}

/// Sum of `price * quantity`, or `None` on overflow.
#[must_use]
pub fn items_sum(items: &[ItemDetail]) -> Option<Idr> {
    items
        .iter()
        .try_fold(Idr::ZERO, |acc, i| acc.checked_add(i.subtotal()?))
}

/// Checks the rule Midtrans enforces: a positive `gross_amount`, and when
/// items are given, their sum equals it exactly.
pub fn check_amounts(
    details: &TransactionDetails,
    items: Option<&[ItemDetail]>,
) -> Result<(), Error> {
    if details.gross_amount.rupiah() <= 0 {
        return Err(Error::InvalidRequest(format!(
            "gross_amount must be positive, got {}",
            details.gross_amount.rupiah()
        )));
    }
    let Some(items) = items else { return Ok(()) };
    if items.is_empty() {
        return Ok(());
    }
    for item in items {
        if item.quantity == 0 {
            return Err(Error::InvalidRequest(format!(
                "item {:?} has quantity 0",
                item.name
            )));
        }
        if item.name.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "an item has an empty name".to_owned(),
            ));
        }
    }
    let sum = items_sum(items)
        .ok_or_else(|| Error::InvalidRequest("item details overflow when summed".to_owned()))?;
    if sum != details.gross_amount {
        return Err(Error::AmountMismatch {
            gross_amount: details.gross_amount,
            items_sum: sum,
        });
    }
    Ok(())
}

/// A billing or shipping address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-3, e.g. `IDN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
}

/// `customer_details`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CustomerDetails {
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Email address (receipts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Billing address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
    /// Shipping address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
}

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know.
            Unknown(String),
        }

        impl $name {
            /// The wire text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Unknown(s) => s,
                }
            }

            /// Parses the wire text; never fails.
            #[must_use]
            pub fn parse(s: &str) -> Self {
                match s {
                    $( $text => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = crate::de::string_lenient(d)?;
                Ok($name::parse(&s))
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// `transaction_status`.
    pub enum TransactionStatus {
        /// Card authorized, not yet captured (pre-authorization).
        Authorize = "authorize",
        /// Card charged; final after settlement. Check `fraud_status`.
        Capture = "capture",
        /// Money received.
        Settlement = "settlement",
        /// Waiting for the customer to pay.
        Pending = "pending",
        /// Rejected by the provider or fraud detection.
        Deny = "deny",
        /// Cancelled by the merchant.
        Cancel = "cancel",
        /// Not paid in time.
        Expire = "expire",
        /// Unexpected processing failure.
        Failure = "failure",
        /// Fully refunded.
        Refund = "refund",
        /// Partly refunded.
        PartialRefund = "partial_refund",
        /// Charged back.
        Chargeback = "chargeback",
        /// Partly charged back.
        PartialChargeback = "partial_chargeback",
    }
}

string_enum! {
    /// `fraud_status`.
    pub enum FraudStatus {
        /// Passed fraud detection.
        Accept = "accept",
        /// Held for manual review: approve or deny it.
        Challenge = "challenge",
        /// Rejected by fraud detection.
        Deny = "deny",
    }
}

string_enum! {
    /// `payment_type`.
    pub enum PaymentType {
        /// Card payment.
        CreditCard = "credit_card",
        /// Virtual account (BCA, BNI, BRI, Permata, CIMB ...).
        BankTransfer = "bank_transfer",
        /// Mandiri bill payment.
        Echannel = "echannel",
        /// GoPay.
        Gopay = "gopay",
        /// QRIS.
        Qris = "qris",
        /// ShopeePay.
        Shopeepay = "shopeepay",
        /// Indomaret / Alfamart.
        Cstore = "cstore",
        /// Akulaku PayLater.
        Akulaku = "akulaku",
        /// Kredivo.
        Kredivo = "kredivo",
        /// BCA KlikPay.
        BcaKlikpay = "bca_klikpay",
        /// KlikBCA.
        BcaKlikbca = "bca_klikbca",
        /// BRI e-pay.
        BriEpay = "bri_epay",
        /// CIMB Clicks.
        CimbClicks = "cimb_clicks",
        /// Danamon Online.
        DanamonOnline = "danamon_online",
        /// UOB EZPay.
        UobEzpay = "uob_ezpay",
    }
}

/// One entry of `va_numbers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaNumber {
    /// Bank code, e.g. `bca`.
    pub bank: String,
    /// The virtual account number the customer pays to.
    #[serde(deserialize_with = "crate::de::string_lenient")]
    pub va_number: String,
}

/// One entry of `actions` (GoPay, QRIS, ShopeePay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// e.g. `generate-qr-code`, `deeplink-redirect`, `get-status`, `cancel`.
    pub name: String,
    /// HTTP method, e.g. `GET`.
    #[serde(default)]
    pub method: Option<String>,
    /// The URL.
    pub url: String,
    /// Form fields, when the action needs any.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
}

/// One refund in `refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundEntry {
    /// Id of the refund (a number in some answers, kept as text).
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub refund_chargeback_id: Option<String>,
    /// Amount refunded.
    #[serde(default, deserialize_with = "crate::de::opt_idr")]
    pub refund_amount: Option<Idr>,
    /// When it was requested.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Reason given.
    #[serde(default)]
    pub reason: Option<String>,
    /// The merchant's refund key.
    #[serde(default)]
    pub refund_key: Option<String>,
    /// How it was refunded (e.g. `online`).
    #[serde(default)]
    pub refund_method: Option<String>,
    /// When the bank confirmed it.
    #[serde(default)]
    pub bank_confirmed_at: Option<String>,
}

/// A transaction as the Core API describes it: the answer to charge, GET
/// status, approve, deny, cancel, expire, refund and capture.
///
/// Every field but `status_code` is optional because each payment method
/// and each call fills a different subset; unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Transaction {
    /// Midtrans' own code as a string, e.g. `"200"`, `"201"`, `"407"`.
    #[serde(deserialize_with = "crate::de::string_lenient")]
    pub status_code: String,
    /// Human-readable message.
    #[serde(default)]
    pub status_message: Option<String>,
    /// Midtrans' transaction id (UUID).
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// The merchant order id, as text (not re-validated on the way in).
    #[serde(default)]
    pub order_id: Option<String>,
    /// Merchant id.
    #[serde(default)]
    pub merchant_id: Option<String>,
    /// `gross_amount` exactly as received (e.g. `"145000.00"`).
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub gross_amount: Option<String>,
    /// Currency, `IDR`.
    #[serde(default)]
    pub currency: Option<String>,
    /// Payment method.
    #[serde(default)]
    pub payment_type: Option<PaymentType>,
    /// `yyyy-MM-dd HH:mm:ss`, Jakarta time.
    #[serde(default)]
    pub transaction_time: Option<String>,
    /// Transaction status.
    #[serde(default)]
    pub transaction_status: Option<TransactionStatus>,
    /// Fraud status (cards, some others).
    #[serde(default)]
    pub fraud_status: Option<FraudStatus>,
    /// When the payment settled.
    #[serde(default)]
    pub settlement_time: Option<String>,
    /// When an unpaid transaction expires.
    #[serde(default)]
    pub expiry_time: Option<String>,
    /// Virtual accounts (BCA, BNI, BRI, CIMB).
    #[serde(default)]
    pub va_numbers: Option<Vec<VaNumber>>,
    /// Permata virtual account.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub permata_va_number: Option<String>,
    /// Mandiri bill: bill key.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub bill_key: Option<String>,
    /// Mandiri bill: biller code.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub biller_code: Option<String>,
    /// Convenience store payment code.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub payment_code: Option<String>,
    /// Convenience store (`indomaret`, `alfamart`).
    #[serde(default)]
    pub store: Option<String>,
    /// Actions (QR code URL, deeplink ...) for GoPay, QRIS, ShopeePay.
    #[serde(default)]
    pub actions: Option<Vec<Action>>,
    /// Raw QRIS string to render as a QR code.
    #[serde(default)]
    pub qr_string: Option<String>,
    /// QRIS acquirer, e.g. `gopay`.
    #[serde(default)]
    pub acquirer: Option<String>,
    /// 3DS or provider redirect URL (cards with 3DS, some wallets).
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// Card: masked number.
    #[serde(default)]
    pub masked_card: Option<String>,
    /// Card: acquiring bank.
    #[serde(default)]
    pub bank: Option<String>,
    /// Card: `credit` or `debit`.
    #[serde(default)]
    pub card_type: Option<String>,
    /// Card: approval code.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub approval_code: Option<String>,
    /// Card: 3DS status.
    #[serde(default)]
    pub three_ds_version: Option<String>,
    /// Card: ECI.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub eci: Option<String>,
    /// Card: channel response code.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub channel_response_code: Option<String>,
    /// Card: channel response message.
    #[serde(default)]
    pub channel_response_message: Option<String>,
    /// Card: saved token id (one-click / recurring).
    #[serde(default)]
    pub saved_token_id: Option<String>,
    /// Refund: the id of this refund.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub refund_chargeback_id: Option<String>,
    /// Refund: amount of this refund.
    #[serde(default, deserialize_with = "crate::de::opt_idr")]
    pub refund_amount: Option<Idr>,
    /// Refund: key of this refund.
    #[serde(default)]
    pub refund_key: Option<String>,
    /// All refunds so far (GET status).
    #[serde(default)]
    pub refunds: Option<Vec<RefundEntry>>,
    /// Signature (GET status carries one too).
    #[serde(default)]
    pub signature_key: Option<String>,
    /// Custom fields echoed back.
    #[serde(default)]
    pub custom_field1: Option<String>,
    /// Custom fields echoed back.
    #[serde(default)]
    pub custom_field2: Option<String>,
    /// Custom fields echoed back.
    #[serde(default)]
    pub custom_field3: Option<String>,
    /// Validation messages (some 2xx answers still carry warnings).
    #[serde(default, deserialize_with = "crate::de::string_list")]
    pub validation_messages: Vec<String>,
}

impl Transaction {
    /// `gross_amount` parsed as whole rupiah, when present and well formed.
    #[must_use]
    pub fn gross_amount_idr(&self) -> Option<Idr> {
        self.gross_amount
            .as_deref()
            .and_then(|s| Idr::parse(s).ok())
    }

    /// The classification of `transaction_status` + `fraud_status`.
    #[must_use]
    pub fn payment_state(&self) -> crate::PaymentState {
        match &self.transaction_status {
            Some(ts) => crate::PaymentState::classify(ts, self.fraud_status.as_ref()),
            None => crate::PaymentState::Unknown,
        }
    }

    /// The URL of the `generate-qr-code` action (GoPay, QRIS), if any.
    #[must_use]
    pub fn qr_code_url(&self) -> Option<&str> {
        self.action_url("generate-qr-code")
    }

    /// The URL of the `deeplink-redirect` action (GoPay, ShopeePay), if any.
    #[must_use]
    pub fn deeplink_url(&self) -> Option<&str> {
        self.action_url("deeplink-redirect")
    }

    /// The URL of the action named `name`.
    #[must_use]
    pub fn action_url(&self, name: &str) -> Option<&str> {
        self.actions
            .as_ref()?
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.url.as_str())
    }

    /// The virtual account number for any bank: `permata_va_number` or the
    /// first of `va_numbers`.
    #[must_use]
    pub fn va_number(&self) -> Option<&str> {
        self.permata_va_number.as_deref().or_else(|| {
            self.va_numbers
                .as_ref()?
                .first()
                .map(|v| v.va_number.as_str())
        })
    }
}
