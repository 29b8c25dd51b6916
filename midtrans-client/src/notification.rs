//! HTTP notifications (webhooks): parsing, signature verification,
//! confirmation and classification.
//!
//! # Handling notifications safely
//!
//! 1. Parse the raw body with [`Notification::from_slice`] (or
//!    [`IncomingNotification::from_slice`] when subscription notifications
//!    arrive on the same URL).
//! 2. Verify it with [`Notification::verify_signature`] using the server
//!    key of the merchant the order belongs to. Reject on failure (answer
//!    2xx or 4xx, but change nothing).
//! 3. Confirm it with [`MidtransClient::confirm`](crate::MidtransClient::confirm),
//!    which GETs the transaction status: the documented best practice. Act
//!    on the *confirmed* status, not on the notification body.
//! 4. Apply the state idempotently: key on `order_id`, and only move
//!    forward. Midtrans may deliver a notification twice and out of order;
//!    a late `pending` arriving after `settlement` must not downgrade the
//!    order. [`PaymentState::supersedes`] encodes that rule.
//! 5. Answer 200 quickly; Midtrans retries non-2xx answers.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use crate::error::{Error, SignatureError};
use crate::money::Idr;
use crate::subscription::Subscription;
use crate::types::{FraudStatus, PaymentType, TransactionStatus, VaNumber};

/// A Core API / Snap payment notification as Midtrans POSTs it.
///
/// Parsing is lenient: unknown fields are ignored, numbers may arrive as
/// strings and back, unknown statuses become `Unknown(..)`. `order_id`,
/// `status_code` and `gross_amount` are kept as the exact strings received,
/// because the signature is computed over them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Notification {
    /// The order id, as received (not re-validated: verification must not
    /// depend on our own rules).
    #[serde(deserialize_with = "crate::de::string_lenient")]
    pub order_id: String,
    /// Midtrans' status code as received, e.g. `"200"`, `"201"`, `"202"`.
    #[serde(deserialize_with = "crate::de::string_lenient")]
    pub status_code: String,
    /// `gross_amount` exactly as received, e.g. `"10000.00"`.
    ///
    /// Midtrans sends a JSON string. Should a JSON number ever arrive, it is
    /// kept as its integer text (`10000`) or, for a float, with two decimals
    /// (`10000.00`); the exact original digits of a number cannot be
    /// recovered, so signatures over such bodies may not verify.
    #[serde(deserialize_with = "crate::de::string_lenient")]
    pub gross_amount: String,
    /// SHA-512 hex of `order_id + status_code + gross_amount + server_key`.
    #[serde(default)]
    pub signature_key: Option<String>,
    /// Transaction status.
    pub transaction_status: TransactionStatus,
    /// Fraud status.
    #[serde(default)]
    pub fraud_status: Option<FraudStatus>,
    /// Midtrans' transaction id.
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// Payment method.
    #[serde(default)]
    pub payment_type: Option<PaymentType>,
    /// Human-readable message.
    #[serde(default)]
    pub status_message: Option<String>,
    /// Merchant id.
    #[serde(default)]
    pub merchant_id: Option<String>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// When the transaction was created.
    #[serde(default)]
    pub transaction_time: Option<String>,
    /// When it settled.
    #[serde(default)]
    pub settlement_time: Option<String>,
    /// When an unpaid transaction expires.
    #[serde(default)]
    pub expiry_time: Option<String>,
    /// Virtual accounts.
    #[serde(default)]
    pub va_numbers: Option<Vec<VaNumber>>,
    /// Permata virtual account.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub permata_va_number: Option<String>,
    /// Mandiri bill key.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub bill_key: Option<String>,
    /// Mandiri biller code.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub biller_code: Option<String>,
    /// Convenience store payment code.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub payment_code: Option<String>,
    /// Convenience store.
    #[serde(default)]
    pub store: Option<String>,
    /// Card: masked number.
    #[serde(default)]
    pub masked_card: Option<String>,
    /// Card: bank.
    #[serde(default)]
    pub bank: Option<String>,
    /// Card: approval code.
    #[serde(default, deserialize_with = "crate::de::opt_string_lenient")]
    pub approval_code: Option<String>,
    /// QRIS acquirer.
    #[serde(default)]
    pub acquirer: Option<String>,
    /// Refund: amount of the refund this notification reports.
    #[serde(default, deserialize_with = "crate::de::opt_idr")]
    pub refund_amount: Option<Idr>,
    /// Custom field 1 echoed back.
    #[serde(default)]
    pub custom_field1: Option<String>,
    /// Custom field 2 echoed back.
    #[serde(default)]
    pub custom_field2: Option<String>,
    /// Custom field 3 echoed back.
    #[serde(default)]
    pub custom_field3: Option<String>,
}

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signature is not a secret, but it is noise in logs.
        f.debug_struct("Notification")
            .field("order_id", &self.order_id)
            .field("status_code", &self.status_code)
            .field("gross_amount", &self.gross_amount)
            .field("transaction_status", &self.transaction_status)
            .field("fraud_status", &self.fraud_status)
            .field("payment_type", &self.payment_type)
            .field("transaction_id", &self.transaction_id)
            .finish_non_exhaustive()
    }
}

impl Notification {
    /// Parses a raw notification body.
    pub fn from_slice(body: &[u8]) -> Result<Self, Error> {
        // `from_slice` skips the strings of ignored fields without checking
        // their UTF-8, so a body that is not JSON could pass; check first.
        match std::str::from_utf8(body) {
            Ok(text) => Self::from_json(text),
            // A body that is not UTF-8 is not JSON: report where it breaks.
            Err(_) => match serde_json::from_slice::<serde_json::Value>(body) {
                Err(e) => Err(Error::InvalidNotification(e)),
                Ok(_) => serde_json::from_slice(body).map_err(Error::InvalidNotification),
            },
        }
    }

    /// Parses a raw notification body.
    pub fn from_json(body: &str) -> Result<Self, Error> {
        serde_json::from_str(body).map_err(Error::InvalidNotification)
    }

    /// Verifies `signature_key` against `server_key`.
    ///
    /// The digest is SHA-512 over `order_id + status_code + gross_amount +
    /// server_key`, using the strings exactly as received (`"10000.00"`
    /// stays `"10000.00"`), compared in constant time.
    pub fn verify_signature(&self, server_key: &str) -> Result<(), SignatureError> {
        let given = self
            .signature_key
            .as_deref()
            .ok_or(SignatureError::Missing)?;
        verify_sha512_hex(
            given,
            &[
                self.order_id.as_bytes(),
                self.status_code.as_bytes(),
                self.gross_amount.as_bytes(),
                server_key.as_bytes(),
            ],
        )
    }

    /// The signature Midtrans would send for these fields: lowercase
    /// SHA-512 hex of `order_id + status_code + gross_amount + server_key`.
    /// Use it to build test notifications.
    #[must_use]
    pub fn sign(order_id: &str, status_code: &str, gross_amount: &str, server_key: &str) -> String {
        let mut h = Sha512::new();
        h.update(order_id.as_bytes());
        h.update(status_code.as_bytes());
        h.update(gross_amount.as_bytes());
        h.update(server_key.as_bytes());
        hex::encode(h.finalize())
    }

    /// `gross_amount` as whole rupiah, if it is well formed.
    pub fn gross_amount_idr(&self) -> Result<Idr, crate::money::ParseIdrError> {
        Idr::parse(&self.gross_amount)
    }

    /// The classification of `transaction_status` + `fraud_status`.
    ///
    /// Only act on this after verifying the signature, and preferably on
    /// the confirmed status instead (see [`MidtransClient::confirm`](crate::MidtransClient::confirm)).
    #[must_use]
    pub fn payment_state(&self) -> PaymentState {
        PaymentState::classify(&self.transaction_status, self.fraud_status.as_ref())
    }
}

/// Compares `given` (hex, either case) with SHA-512 over `parts`, in
/// constant time.
pub(crate) fn verify_sha512_hex(given: &str, parts: &[&[u8]]) -> Result<(), SignatureError> {
    let given = given.trim();
    if given.is_empty() {
        return Err(SignatureError::Missing);
    }
    let mut given_bytes = [0u8; 64];
    hex::decode_to_slice(given, &mut given_bytes).map_err(|_| SignatureError::Malformed)?;
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    let expected = h.finalize();
    if bool::from(expected.as_slice().ct_eq(&given_bytes)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// What a transaction status means for the order: the five outcomes an
/// application acts on.
///
/// | `transaction_status` | `fraud_status` | state |
/// |---|---|---|
/// | `settlement` | any | `Paid` |
/// | `capture` | `accept` or absent | `Paid` |
/// | `capture` | `challenge` | `Challenge` |
/// | `capture` | `deny` | `Failed` |
/// | `pending`, `authorize` | any but `deny` | `Pending` |
/// | `deny`, `cancel`, `expire`, `failure` | | `Failed` |
/// | `refund`, `partial_refund`, `chargeback`, `partial_chargeback` | | `Refunded` |
/// | anything else | | `Unknown` |
///
/// `partial_refund` maps to `Refunded` as well; look at the raw status when
/// the difference matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PaymentState {
    /// Money is (or will certainly be) received: fulfil the order.
    Paid,
    /// Waiting for the customer (or for capture of an authorization).
    Pending,
    /// Held by fraud detection: approve or deny it, do not fulfil yet.
    Challenge,
    /// Will never be paid: denied, cancelled, expired or failed.
    Failed,
    /// Paid, then (partly) refunded or charged back.
    Refunded,
    /// A status this version of the crate does not know. Change nothing.
    Unknown,
}

impl PaymentState {
    /// Classifies a status pair (see the table on the type).
    #[must_use]
    pub fn classify(status: &TransactionStatus, fraud: Option<&FraudStatus>) -> Self {
        use TransactionStatus as T;
        match status {
            T::Settlement => {
                if matches!(fraud, Some(FraudStatus::Deny)) {
                    PaymentState::Failed
                } else {
                    PaymentState::Paid
                }
            }
            T::Capture => match fraud {
                None | Some(FraudStatus::Accept) => PaymentState::Paid,
                Some(FraudStatus::Challenge) => PaymentState::Challenge,
                Some(FraudStatus::Deny) => PaymentState::Failed,
                Some(FraudStatus::Unknown(_)) => PaymentState::Unknown,
            },
            T::Pending | T::Authorize => match fraud {
                Some(FraudStatus::Deny) => PaymentState::Failed,
                _ => PaymentState::Pending,
            },
            T::Deny | T::Cancel | T::Expire | T::Failure => PaymentState::Failed,
            T::Refund | T::PartialRefund | T::Chargeback | T::PartialChargeback => {
                PaymentState::Refunded
            }
            T::Unknown(_) => PaymentState::Unknown,
        }
    }

    /// Whether nothing more is expected for this transaction under normal
    /// flow (`Failed`, `Refunded`). `Paid` can still become `Refunded`.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, PaymentState::Failed | PaymentState::Refunded)
    }

    fn rank(self) -> u8 {
        match self {
            PaymentState::Unknown => 0,
            PaymentState::Pending => 1,
            PaymentState::Challenge => 2,
            PaymentState::Paid | PaymentState::Failed => 3,
            PaymentState::Refunded => 4,
        }
    }

    /// Whether an order currently in `current` should move to `self`.
    ///
    /// Notifications can repeat and arrive out of order, so a state only
    /// moves forward: `Pending -> Challenge -> Paid | Failed -> Refunded`.
    /// A repeat (same state) or a stale state (e.g. `Pending` after `Paid`)
    /// returns `false`. `Unknown` never supersedes anything.
    ///
    /// One sideways move is allowed: `Paid -> Failed`, because Midtrans
    /// documents that a provider reversal can turn a `settlement` into
    /// `deny`. Only apply it when it comes from a confirmed GET status.
    #[must_use]
    pub fn supersedes(self, current: PaymentState) -> bool {
        if self == PaymentState::Unknown || self == current {
            return false;
        }
        if current == PaymentState::Paid && self == PaymentState::Failed {
            return true;
        }
        self.rank() > current.rank()
    }

    /// A short label in Indonesian (`"Lunas"`, `"Menunggu pembayaran"` ...).
    #[must_use]
    pub fn label_id(self) -> &'static str {
        match self {
            PaymentState::Paid => "Lunas",
            PaymentState::Pending => "Menunggu pembayaran",
            PaymentState::Challenge => "Ditinjau",
            PaymentState::Failed => "Gagal",
            PaymentState::Refunded => "Dikembalikan",
            PaymentState::Unknown => "Tidak diketahui",
        }
    }

    /// A short label in English (`"Paid"`, `"Awaiting payment"` ...).
    #[must_use]
    pub fn label_en(self) -> &'static str {
        match self {
            PaymentState::Paid => "Paid",
            PaymentState::Pending => "Awaiting payment",
            PaymentState::Challenge => "Under review",
            PaymentState::Failed => "Failed",
            PaymentState::Refunded => "Refunded",
            PaymentState::Unknown => "Unknown",
        }
    }
}

/// A Subscription API (recurring) notification: the subscription object
/// itself, without a top-level `signature_key`. It cannot be verified by
/// signature, so confirm it with
/// [`MidtransClient::confirm_subscription`](crate::MidtransClient::confirm_subscription)
/// (GET the subscription) before acting on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionNotification {
    /// The subscription, as sent.
    #[serde(flatten)]
    pub subscription: Subscription,
}

/// Any notification Midtrans may POST to a payment notification URL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncomingNotification {
    /// A payment notification (verify its signature, then confirm).
    Transaction(Box<Notification>),
    /// A subscription notification (confirm by GET; no signature).
    Subscription(Box<SubscriptionNotification>),
}

impl IncomingNotification {
    /// Parses a raw body, telling the two shapes apart: a payment
    /// notification has `transaction_status`; a subscription notification
    /// has `id` and `schedule` and no `transaction_status`.
    pub fn from_slice(body: &[u8]) -> Result<Self, Error> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(Error::InvalidNotification)?;
        let is_transaction = value.get("transaction_status").is_some();
        if is_transaction {
            // Re-parse from the bytes (not the Value) so strings stay exact.
            return Notification::from_slice(body)
                .map(|n| IncomingNotification::Transaction(Box::new(n)));
        }
        if value.get("id").is_some() && value.get("schedule").is_some() {
            return serde_json::from_slice::<SubscriptionNotification>(body)
                .map(|s| IncomingNotification::Subscription(Box::new(s)))
                .map_err(Error::InvalidNotification);
        }
        // Report the missing field of the common case.
        Notification::from_slice(body).map(|n| IncomingNotification::Transaction(Box::new(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "askvnoibnosifnboseofinbofinfgbiufglnbfg";

    #[test]
    fn documented_example_signature() {
        // Inputs from the documentation's PHP sample.
        let sig = Notification::sign("1111", "200", "100000.00", KEY);
        assert_eq!(sig.len(), 128);
        let mut h = Sha512::new();
        h.update(b"1111200100000.00askvnoibnosifnboseofinbofinfgbiufglnbfg");
        assert_eq!(sig, hex::encode(h.finalize()));
    }

    #[test]
    fn verify_rejects_reformatted_amount() {
        let body = format!(
            r#"{{"order_id":"1111","status_code":"200","gross_amount":"100000.00","transaction_status":"settlement","signature_key":"{}"}}"#,
            Notification::sign("1111", "200", "100000", KEY)
        );
        let n = Notification::from_json(&body).unwrap();
        assert_eq!(n.verify_signature(KEY), Err(SignatureError::Mismatch));
    }

    #[test]
    fn verify_accepts_uppercase_hex_and_rejects_garbage() {
        let sig = Notification::sign("A", "200", "1.00", KEY).to_uppercase();
        let body = format!(
            r#"{{"order_id":"A","status_code":"200","gross_amount":"1.00","transaction_status":"settlement","signature_key":"{sig}"}}"#
        );
        let n = Notification::from_json(&body).unwrap();
        assert_eq!(n.verify_signature(KEY), Ok(()));
        assert_eq!(n.verify_signature("other"), Err(SignatureError::Mismatch));
        let mut n2 = n.clone();
        n2.signature_key = Some("zz".into());
        assert_eq!(n2.verify_signature(KEY), Err(SignatureError::Malformed));
        n2.signature_key = None;
        assert_eq!(n2.verify_signature(KEY), Err(SignatureError::Missing));
    }

    #[test]
    fn classification_table() {
        use FraudStatus as F;
        use TransactionStatus as T;
        let c = PaymentState::classify;
        assert_eq!(c(&T::Settlement, None), PaymentState::Paid);
        assert_eq!(c(&T::Capture, Some(&F::Accept)), PaymentState::Paid);
        assert_eq!(c(&T::Capture, Some(&F::Challenge)), PaymentState::Challenge);
        assert_eq!(c(&T::Capture, Some(&F::Deny)), PaymentState::Failed);
        assert_eq!(c(&T::Pending, Some(&F::Accept)), PaymentState::Pending);
        assert_eq!(c(&T::Expire, None), PaymentState::Failed);
        assert_eq!(c(&T::Cancel, None), PaymentState::Failed);
        assert_eq!(c(&T::Deny, None), PaymentState::Failed);
        assert_eq!(c(&T::PartialRefund, None), PaymentState::Refunded);
        assert_eq!(c(&T::Unknown("new".into()), None), PaymentState::Unknown);
    }

    #[test]
    fn states_only_move_forward() {
        use PaymentState::*;
        assert!(Paid.supersedes(Pending));
        assert!(!Pending.supersedes(Paid));
        assert!(!Paid.supersedes(Paid));
        assert!(Refunded.supersedes(Paid));
        assert!(!Paid.supersedes(Refunded));
        assert!(Paid.supersedes(Challenge));
        assert!(!Challenge.supersedes(Paid));
        assert!(Failed.supersedes(Paid));
        assert!(!Paid.supersedes(Failed));
        assert!(!Unknown.supersedes(Pending));
        assert!(Pending.supersedes(Unknown));
    }
}
