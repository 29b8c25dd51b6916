//! Core API charge: server-to-server payments for the Indonesian methods.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::error::Error;
use crate::money::Idr;
use crate::order_id::OrderId;
use crate::types::{CustomerDetails, ItemDetail, TransactionDetails, check_amounts, string_enum};

string_enum! {
    /// A virtual-account bank for [`PaymentMethod::BankTransfer`].
    pub enum Bank {
        /// BCA.
        Bca = "bca",
        /// BNI.
        Bni = "bni",
        /// BRI.
        Bri = "bri",
        /// Permata.
        Permata = "permata",
        /// CIMB Niaga.
        Cimb = "cimb",
    }
}

string_enum! {
    /// A convenience store for [`PaymentMethod::Cstore`].
    pub enum Store {
        /// Indomaret.
        Indomaret = "indomaret",
        /// Alfamart.
        Alfamart = "alfamart",
    }
}

/// The payment method of a charge, with its method-specific options.
///
/// Serialized as `"payment_type"` plus the matching object (e.g.
/// `"bank_transfer": {...}`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaymentMethod {
    /// Virtual account (`payment_type: bank_transfer`).
    BankTransfer {
        /// The bank.
        bank: Bank,
        /// A custom VA number (length rules differ per bank).
        va_number: Option<String>,
        /// BCA only: sub company code.
        bca_sub_company_code: Option<String>,
        /// Permata only: the recipient name shown to the payer.
        permata_recipient_name: Option<String>,
    },
    /// Mandiri bill payment (`payment_type: echannel`).
    MandiriBill {
        /// First bill label (max 10 characters).
        bill_info1: String,
        /// Second bill label (max 30 characters).
        bill_info2: String,
    },
    /// GoPay (`payment_type: gopay`).
    Gopay {
        /// Redirect back to the app after paying in GoJek.
        enable_callback: bool,
        /// The deeplink or URL to return to.
        callback_url: Option<String>,
    },
    /// QRIS (`payment_type: qris`).
    Qris {
        /// Acquirer, e.g. `gopay` or `airpay shopee`.
        acquirer: Option<String>,
    },
    /// ShopeePay (`payment_type: shopeepay`).
    Shopeepay {
        /// Where ShopeePay returns to.
        callback_url: Option<String>,
    },
    /// Card with a token from Midtrans.js (`payment_type: credit_card`).
    CreditCard {
        /// The card token (`token_id`).
        token_id: String,
        /// Request 3DS authentication: the answer then carries a
        /// `redirect_url` and status `201` until the customer completes it.
        authentication: bool,
        /// Save the token for later charges.
        save_token_id: bool,
        /// Acquiring bank.
        bank: Option<String>,
        /// `true` for pre-authorization (`type: authorize`), capture later.
        authorize_only: bool,
    },
    /// Convenience store (`payment_type: cstore`).
    Cstore {
        /// The store.
        store: Store,
        /// Message shown at the cashier (Indomaret).
        message: Option<String>,
    },
}

impl PaymentMethod {
    /// A virtual account at `bank` with a Midtrans-generated number.
    #[must_use]
    pub fn bank_transfer(bank: Bank) -> Self {
        PaymentMethod::BankTransfer {
            bank,
            va_number: None,
            bca_sub_company_code: None,
            permata_recipient_name: None,
        }
    }

    /// Card with 3DS authentication (the usual choice).
    #[must_use]
    pub fn credit_card_3ds(token_id: impl Into<String>) -> Self {
        PaymentMethod::CreditCard {
            token_id: token_id.into(),
            authentication: true,
            save_token_id: false,
            bank: None,
            authorize_only: false,
        }
    }

    /// The `payment_type` value.
    #[must_use]
    pub fn payment_type(&self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer { .. } => "bank_transfer",
            PaymentMethod::MandiriBill { .. } => "echannel",
            PaymentMethod::Gopay { .. } => "gopay",
            PaymentMethod::Qris { .. } => "qris",
            PaymentMethod::Shopeepay { .. } => "shopeepay",
            PaymentMethod::CreditCard { .. } => "credit_card",
            PaymentMethod::Cstore { .. } => "cstore",
        }
    }

    fn options(&self) -> serde_json::Value {
        use serde_json::{Map, Value, json};
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        match self {
            PaymentMethod::BankTransfer {
                bank,
                va_number,
                bca_sub_company_code,
                permata_recipient_name,
            } => {
                put("bank", Some(json!(bank.as_str())));
                put("va_number", va_number.as_ref().map(|v| json!(v)));
                put(
                    "bca",
                    bca_sub_company_code
                        .as_ref()
                        .map(|c| json!({ "sub_company_code": c })),
                );
                put(
                    "permata",
                    permata_recipient_name
                        .as_ref()
                        .map(|n| json!({ "recipient_name": n })),
                );
            }
            PaymentMethod::MandiriBill {
                bill_info1,
                bill_info2,
            } => {
                put("bill_info1", Some(json!(bill_info1)));
                put("bill_info2", Some(json!(bill_info2)));
            }
            PaymentMethod::Gopay {
                enable_callback,
                callback_url,
            } => {
                put("enable_callback", Some(json!(enable_callback)));
                put("callback_url", callback_url.as_ref().map(|v| json!(v)));
            }
            PaymentMethod::Qris { acquirer } => {
                put("acquirer", acquirer.as_ref().map(|v| json!(v)));
            }
            PaymentMethod::Shopeepay { callback_url } => {
                put("callback_url", callback_url.as_ref().map(|v| json!(v)));
            }
            PaymentMethod::CreditCard {
                token_id,
                authentication,
                save_token_id,
                bank,
                authorize_only,
            } => {
                put("token_id", Some(json!(token_id)));
                put("authentication", Some(json!(authentication)));
                put("save_token_id", save_token_id.then(|| json!(true)));
                put("bank", bank.as_ref().map(|v| json!(v)));
                put("type", authorize_only.then(|| json!("authorize")));
            }
            PaymentMethod::Cstore { store, message } => {
                put("store", Some(json!(store.as_str())));
                put("message", message.as_ref().map(|v| json!(v)));
            }
        }
        Value::Object(m)
    }

    fn validate(&self) -> Result<(), Error> {
        match self {
            PaymentMethod::CreditCard { token_id, .. } if token_id.trim().is_empty() => Err(
                Error::InvalidRequest("credit card charge needs a token_id".to_owned()),
            ),
            PaymentMethod::MandiriBill {
                bill_info1,
                bill_info2,
            } if bill_info1.chars().count() > 10 || bill_info2.chars().count() > 30 => {
                Err(Error::InvalidRequest(
                    "Mandiri bill_info1 is limited to 10 and bill_info2 to 30 characters"
                        .to_owned(),
                ))
            }
            PaymentMethod::BankTransfer {
                va_number: Some(v), ..
            } if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) => Err(
                Error::InvalidRequest("custom VA numbers are digits only".to_owned()),
            ),
            _ => Ok(()),
        }
    }
}

/// `custom_expiry` of a charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomExpiry {
    /// Start, `yyyy-MM-dd HH:mm:ss Z`; absent means the charge time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_time: Option<String>,
    /// Duration in `unit`s.
    pub expiry_duration: u32,
    /// `second`, `minute`, `hour` or `day`.
    pub unit: crate::snap::ExpiryUnit,
}

/// Body of `POST /v2/charge`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ChargeRequest {
    /// Payment method and its options.
    pub method: PaymentMethod,
    /// Order id and total.
    pub transaction_details: TransactionDetails,
    /// Lines; when present they must add up to `gross_amount`.
    pub item_details: Option<Vec<ItemDetail>>,
    /// Customer.
    pub customer_details: Option<CustomerDetails>,
    /// Custom expiry.
    pub custom_expiry: Option<CustomExpiry>,
    /// Free fields echoed back.
    pub custom_fields: [Option<String>; 3],
}

impl ChargeRequest {
    /// A charge of `gross_amount` for `order_id` with `method`.
    pub fn new(order_id: OrderId, gross_amount: Idr, method: PaymentMethod) -> Self {
        ChargeRequest {
            method,
            transaction_details: TransactionDetails {
                order_id,
                gross_amount,
            },
            item_details: None,
            customer_details: None,
            custom_expiry: None,
            custom_fields: [None, None, None],
        }
    }

    /// Sets the items (must add up to `gross_amount`).
    pub fn items(mut self, items: Vec<ItemDetail>) -> Self {
        self.item_details = Some(items);
        self
    }

    /// Sets the customer.
    pub fn customer(mut self, customer: CustomerDetails) -> Self {
        self.customer_details = Some(customer);
        self
    }

    /// Expire after `duration` `unit`s.
    pub fn expiry(mut self, duration: u32, unit: crate::snap::ExpiryUnit) -> Self {
        self.custom_expiry = Some(CustomExpiry {
            order_time: None,
            expiry_duration: duration,
            unit,
        });
        self
    }

    /// Client-side checks: amounts, method options.
    pub fn validate(&self) -> Result<(), Error> {
        check_amounts(&self.transaction_details, self.item_details.as_deref())?;
        self.method.validate()?;
        if let Some(e) = &self.custom_expiry
            && e.expiry_duration == 0
        {
            return Err(Error::InvalidRequest(
                "expiry duration must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

impl Serialize for ChargeRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        let pt = self.method.payment_type();
        m.serialize_entry("payment_type", pt)?;
        m.serialize_entry("transaction_details", &self.transaction_details)?;
        m.serialize_entry(pt, &self.method.options())?;
        if let Some(i) = &self.item_details {
            m.serialize_entry("item_details", i)?;
        }
        if let Some(c) = &self.customer_details {
            m.serialize_entry("customer_details", c)?;
        }
        if let Some(e) = &self.custom_expiry {
            m.serialize_entry("custom_expiry", e)?;
        }
        for (i, f) in self.custom_fields.iter().enumerate() {
            if let Some(f) = f {
                m.serialize_entry(&format!("custom_field{}", i + 1), f)?;
            }
        }
        m.end()
    }
}

/// Body of `POST /v2/{id}/refund` and `/refund/online/direct`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[must_use]
pub struct RefundRequest {
    /// Merchant's unique key for this refund; repeating a key does not
    /// refund twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_key: Option<String>,
    /// Amount to refund; absent refunds everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Idr>,
    /// Reason shown in the dashboard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl RefundRequest {
    /// A full refund identified by `refund_key`.
    pub fn full(refund_key: impl Into<String>) -> Self {
        RefundRequest {
            refund_key: Some(refund_key.into()),
            amount: None,
            reason: None,
        }
    }

    /// A partial refund of `amount` identified by `refund_key`.
    pub fn partial(refund_key: impl Into<String>, amount: Idr) -> Self {
        RefundRequest {
            amount: Some(amount),
            ..RefundRequest::full(refund_key)
        }
    }

    /// Sets the reason.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if let Some(a) = self.amount
            && a.rupiah() <= 0
        {
            return Err(Error::InvalidRequest(
                "refund amount must be positive".to_owned(),
            ));
        }
        Ok(())
    }
}
